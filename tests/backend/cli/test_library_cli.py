"""The CLI knows where it is and speaks the library (real `dse` subprocesses): without a database it says so and
creates nothing; with one, `dse model`/`dse accelerator` add, list and remove, `dse simulate` runs a library model
or a config.json, a submitted sweep uses both, and `dse export` picks its format from the file's extension."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from backend.core.db import make_engine, make_session_factory
from backend.migrate import upgrade
from backend.sweeps.chunks import run_chunk
from tests.support import BIN, clean_env

CONFIGS = Path(__file__).resolve().parents[2] / "simulator" / "fixtures" / "hf"


def dse(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "dse"), *args], cwd=cwd, env=clean_env({"COLUMNS": "200", **(env or {})}),
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("args", [("sweep", "list"), ("sweep", "show", "1"), ("export", "1", "-o", "x.csv"),
                                  ("model", "list"), ("accelerator", "rm", "x"), ("user", "list")])
def test_without_a_database_here_a_command_says_so_and_creates_nothing(tmp_path: Path, args: tuple[str, ...]) -> None:
    done = dse(tmp_path, *args)
    assert done.returncode == 2, done
    assert done.stderr.strip().count("\n") == 0 and "Traceback" not in done.stderr
    assert f"no database at {tmp_path / 'var'}" in done.stderr and "--server URL" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_export_without_a_known_extension_asks_for_the_format(tmp_path: Path) -> None:
    done = dse(tmp_path, "export", "1", "-o", "results.data")
    assert done.returncode == 2 and "name it .csv or .parquet, or pass --format" in done.stderr


@pytest.mark.redis
def test_the_library_from_the_command_line(tmp_path: Path, redis_url: str) -> None:
    upgrade(f"sqlite:///{tmp_path / 'var' / 'dse.sqlite3'}")
    env = {"DSE_BROKER_URL": redis_url, "DSE_QUEUE": f"dse-cli-{uuid.uuid4().hex[:8]}"}
    added = dse(tmp_path, "model", "add", "team-bert", str(CONFIGS / "bert-base-uncased" / "config.json"), env=env)
    assert added.returncode == 0, added.stderr
    assert "model team-bert added: encoder, 12 layers, d_model 768" in added.stdout
    refused = dse(tmp_path, "model", "add", "bert-base", str(CONFIGS / "gpt2" / "config.json"), env=env)
    assert refused.returncode == 2 and "is a packaged model preset" in refused.stderr
    chip = dse(tmp_path, "accelerator", "add", "chip-32", "--preset", "gemmini-default", "--rows", "32", "--cols",
               "32", env=env)
    assert chip.returncode == 0 and "accelerator chip-32 added: 32x32 ws" in chip.stdout, chip.stderr
    assert "team-bert" in dse(tmp_path, "model", "list", env=env).stdout
    assert "chip-32" in dse(tmp_path, "accelerator", "list", env=env).stdout
    long_name = "team-bert-base-uncased-finetuned-squad-v2"
    assert dse(tmp_path, "model", "add", long_name, str(CONFIGS / "bert-base-uncased" / "config.json"),
               env=env).returncode == 0
    narrow = dse(tmp_path, "model", "list", env={**env, "COLUMNS": "80"}).stdout
    assert long_name in narrow, narrow  # a name is what you type next: never cut, even on a narrow terminal

    mine = dse(tmp_path, "simulate", "--model", "team-bert", "--accelerator", "chip-32", "--seq-len", "128", "--json",
               env=env)
    preset = dse(tmp_path, "simulate", "--model", "bert-base", "--rows", "32", "--cols", "32", "--seq-len", "128",
                 "--json", env=env)
    config = dse(tmp_path, "simulate", "--config", str(CONFIGS / "bert-base-uncased" / "config.json"), "--rows", "32",
                 "--cols", "32", "--seq-len", "128", "--json", env=env)
    assert mine.returncode == preset.returncode == config.returncode == 0, (mine.stderr, config.stderr)
    latency = '"latency_cycles":'
    assert mine.stdout.split(latency)[1].split(",")[0] == preset.stdout.split(latency)[1].split(",")[0] == (
        config.stdout.split(latency)[1].split(",")[0])

    spec = tmp_path / "spec.yaml"
    spec.write_text("name: from-cli\nmodels: [team-bert]\nscenarios: [{seq_len: 128}]\naccelerator: chip-32\n"
                    "axes: {scratchpad_kib: [128, 256]}\n")
    submitted = dse(tmp_path, "sweep", "submit", str(spec), env=env)
    assert submitted.returncode == 0, submitted.stderr
    factory = make_session_factory(make_engine(f"sqlite:///{tmp_path / 'var' / 'dse.sqlite3'}"))
    assert run_chunk(factory, 1, 0).points_ok == 2
    assert dse(tmp_path, "model", "rm", "team-bert", env=env).returncode == 0
    exported = dse(tmp_path, "export", "1", "-o", "results.parquet", env=env)
    assert exported.returncode == 0, exported.stderr
    table = pq.read_table(tmp_path / "results.parquet")  # Parquet, from the extension alone
    assert table.num_rows == 2 and set(table.column("model").to_pylist()) == {"team-bert"}
    assert set(table.column("rows").to_pylist()) == {32}


@pytest.mark.parametrize("text", ["rows: " + "[" * 1500 + "]" * 1500, "".join(f"{'  ' * i}k{i}:\n" for i in range(200))
                                  + "  " * 200 + "v: 1\n"])
def test_a_deeply_nested_yaml_is_one_line_not_a_traceback(tmp_path: Path, text: str) -> None:
    upgrade(f"sqlite:///{tmp_path / 'var' / 'dse.sqlite3'}")
    (tmp_path / "deep.yaml").write_text(text)
    for args in (("accelerator", "add", "deep", "deep.yaml"), ("sweep", "submit", "deep.yaml")):
        done = dse(tmp_path, *args)
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr[-500:]
        assert "deep.yaml: nested deeper than 64 levels" in done.stderr and done.stderr.strip().count("\n") == 0
