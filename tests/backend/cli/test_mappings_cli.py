"""`dse mappings` through the real command line (subprocess): the summary, the JSON result, a library accelerator,
and one-line errors."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from backend.core.db import make_engine, make_session_factory
from backend.library import service as library
from backend.migrate import upgrade
from backend.models import LibraryKind
from tests.support import BIN, clean_env


def dse(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "dse"), *args], cwd=cwd, env=clean_env({"COLUMNS": "240"}), capture_output=True,
                          text=True, timeout=120)


def test_the_summary_says_how_the_mappings_spread_and_where_the_mappers_sit(tmp_path: Path) -> None:
    done = dse(tmp_path, "mappings", "--m", "512", "--k", "64", "--n", "512", "--sample", "3000", "--seed", "1")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Mapping landscape of GEMM 512x64x512 on gemmini-default (16x16 ws)" in out
    assert "3,000 sampled uniformly (seed 1)" in out
    for line in ("EDP spread (worst / best)", "relative EDP p10 / p50 / p90", "within 2x / 3x / 10x of the best",
                 "optimal mapper (latency)", "Gemmini's tiler", "Mappings by EDP relative to the best"):
        assert line in out, line


def test_json_is_the_whole_result_and_a_seed_repeats_it(tmp_path: Path) -> None:
    args = ("mappings", "--m", "512", "--k", "64", "--n", "512", "--sample", "2000", "--seed", "5", "--show", "20",
            "--mapping-objective", "edp", "--json")
    first, again = dse(tmp_path, *args), dse(tmp_path, *args)
    assert first.returncode == 0, first.stderr
    assert first.stdout == again.stdout
    result = json.loads(first.stdout)
    summary = result["summary"]
    assert (summary["evaluated"], summary["sampled"], result["space"]["seed"]) == (2000, True, 5)
    assert summary["space_size"] == result["space"]["size"] > 2000
    assert set(summary["relative_edp_percentiles"]) == {"10", "50", "90"}
    assert summary["relative_edp_percentiles"]["10"] <= summary["relative_edp_percentiles"]["90"]
    assert all(0 <= summary["share_within"][w] <= 1 for w in ("2", "3", "10"))
    assert summary["references"]["optimal"]["objective"] == "edp"
    assert len(result["mappings"]) == 20 and result["mappings"][0] == summary["best"]


def test_a_whole_small_space_is_evaluated_not_sampled(tmp_path: Path) -> None:
    done = dse(tmp_path, "mappings", "--m", "3", "--k", "8", "--n", "4", "--rows", "4", "--cols", "4",
               "--scratchpad-kib", "0.0625", "--l2-kib", "0", "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)["summary"]
    assert (summary["space_size"], summary["evaluated"], summary["sampled"]) == (162, 162, False)  # hand-counted


def test_a_library_accelerator_by_name(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'var' / 'dse.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    definition, source = library.accelerator_definition("chip-32", preset="gemmini-default",
                                                        overrides={"rows": 32, "cols": 32})
    with make_session_factory(engine)() as session:
        library.add(session, LibraryKind.ACCELERATOR, "chip-32", definition, source, "local")
        session.commit()
    engine.dispose()
    done = dse(tmp_path, "mappings", "--m", "512", "--k", "768", "--n", "768", "--accelerator", "chip-32",
               "--sample", "500", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["accelerator"]["name"], result["accelerator"]["rows"], result["space"]["spatial_rows"][-1]) == (
        "chip-32", 32, 32)


@pytest.mark.parametrize(("args", "message"), [
    (("--accelerator", "gemini-default"), "did you mean gemmini-default"),
    (("--scratchpad-kib", "0.5"), "no tile of GEMM 64x64x64 fits on chip"),
    (("--rows", "0"), "rows"),
    (("--softmax-on", "accelerator"), "nonlinear_elements_per_cycle"),
    (("--rows", "1", "--cols", "1", "--m", "4096", "--k", "65536", "--n", "65536"), "the landscape counts at most"),
])
def test_errors_exit_2_with_one_line(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    shape = {"--m": "64", "--k": "64", "--n": "64"}
    for flag in ("--m", "--k", "--n"):
        if flag in args:
            shape.pop(flag)
    done = dse(tmp_path, "mappings", *[x for pair in shape.items() for x in pair], *args)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], done.stderr
