"""The team library over REST on SQLite and PostgreSQL: models from a Hugging Face config.json (JSON body or
multipart upload) or the presets' format, accelerators from a preset with overrides; sweeps and `POST /api/simulate`
use them like presets, and a stored sweep keeps working after its library entries are removed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backend.sweeps.chunks import run_chunk
from tests.sweeps_support import DEMO_SPEC

pytestmark = pytest.mark.redis
CONFIGS = Path(__file__).resolve().parents[2] / "simulator" / "fixtures" / "hf"


def _config(name: str) -> dict:
    return json.loads((CONFIGS / name / "config.json").read_text())


def test_a_config_json_as_json_or_upload_becomes_a_library_model(client) -> None:
    added = client.post("/api/models", json={"name": "team-gpt2-medium", "config": _config("gpt2-medium")})
    assert added.status_code == 201, added.text
    definition = added.json()["definition"]
    assert (definition["name"], definition["family"], definition["num_layers"], definition["d_model"]) == (
        "team-gpt2-medium", "decoder", 24, 1024)
    assert added.json()["owner"] == "local" and "Hugging Face config.json (gpt2)" in added.json()["source"]
    uploaded = client.post("/api/models", data={"name": "uploaded-llama"},
                           files={"config": ("config.json", (CONFIGS / "llama-2-7b-hf" / "config.json").read_bytes(),
                                             "application/json")})
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["definition"]["num_layers"] == 32
    assert [e["name"] for e in client.get("/api/models").json()["items"]] == ["team-gpt2-medium", "uploaded-llama"]
    assert client.get("/api/models/uploaded-llama").json()["definition"]["d_model"] == 4096


@pytest.mark.parametrize(("body", "status", "message"), [
    ({"name": "x", "config": {"model_type": "mamba"}}, 422, "unsupported architecture model_type='mamba'"),
    ({"name": "x", "config": {**_config("gpt2"), "n_experts": 8}}, 422, "unknown field(s) for gpt2: n_experts"),
    ({"name": "gpt2", "config": _config("gpt2")}, 422, "'gpt2' is a packaged model preset"),
    ({"name": "has space", "config": _config("gpt2")}, 422, "is not valid: 1 to 64 letters"),
    # a sweep stores the name in a 64-character result column (PostgreSQL would refuse a longer one per point)
    ({"name": "m" * 65, "config": _config("gpt2")}, 422, "at most 64 characters"),
    ({"name": "x"}, 422, "give either `config`"),
    ({"name": "x", "definition": {"family": "encoder", "num_layers": 2}}, 422, "d_model: is required"),
])
def test_a_model_the_simulator_cannot_use_is_refused_with_the_reason(client, body, status, message) -> None:
    answer = client.post("/api/models", json=body)
    assert answer.status_code == status and message in answer.json()["detail"], answer.text
    assert client.get("/api/models").json()["items"] == []


def test_a_name_is_taken_once(client) -> None:
    body = {"name": "mine", "config": _config("gpt2")}
    assert client.post("/api/models", json=body).status_code == 201
    again = client.post("/api/models", json=body)
    assert again.status_code == 409 and "already has a model named 'mine'" in again.json()["detail"]
    assert client.delete("/api/models/mine").status_code == 204
    assert client.get("/api/models/mine").status_code == 404
    assert client.post("/api/models", json=body).status_code == 201


def test_sweeps_carry_library_definitions_and_outlive_their_removal(client, session_factory) -> None:
    assert client.post("/api/models", json={"name": "team-bert", "config": _config("bert-base-uncased")}).status_code \
        == 201
    chip = client.post("/api/accelerators", json={"name": "chip-32", "preset": "gemmini-default",
                                                  "overrides": {"rows": 32, "cols": 32}})
    assert chip.status_code == 201, chip.text
    assert chip.json()["source"] == "preset gemmini-default with rows=32, cols=32"
    spec = {**DEMO_SPEC, "models": ["team-bert", "bert-base"], "scenarios": [{"seq_len": 128}],
            "accelerator": "chip-32", "axes": {"scratchpad_kib": [128, 256]}}
    assert client.post("/api/sweeps/estimate", json=spec).json()["points"] == 4
    created = client.post("/api/sweeps", json=spec)
    assert created.status_code == 201, created.text
    stored = created.json()["spec"]
    assert set(stored["model_definitions"]) == {"team-bert"} and set(stored["accelerator_definitions"]) == {"chip-32"}
    assert client.delete("/api/models/team-bert").status_code == 204  # the sweep has its own copy
    assert client.delete("/api/accelerators/chip-32").status_code == 204
    run_chunk(session_factory, created.json()["id"], 0)
    sweep = client.get(f"/api/sweeps/{created.json()['id']}").json()
    assert (sweep["status"], sweep["done_points"], sweep["failed_points"]) == ("done", 4, 0), sweep
    rows = client.get(f"/api/sweeps/{sweep['id']}/results",
                      params={"columns": "model,accelerator,rows,latency_s", "sort": "model"}).json()["columns"]
    assert rows["model"] == ["bert-base", "bert-base", "team-bert", "team-bert"]
    assert set(rows["accelerator"]) == {"chip-32"} and set(rows["rows"]) == {32}
    # the same architecture as the preset, so the same latency: the library model is the model it says it is
    assert sorted(rows["latency_s"][:2]) == pytest.approx(sorted(rows["latency_s"][2:]))
    gone = client.post("/api/sweeps", json=spec)
    assert gone.status_code == 422 and "unknown model 'team-bert'" in gone.json()["detail"]


def test_simulate_runs_a_library_model_on_a_library_accelerator(client) -> None:
    client.post("/api/models", json={"name": "team-gpt2", "config": _config("gpt2")})
    client.post("/api/accelerators", json={"name": "wide", "preset": "gemmini-default", "overrides": {"cols": 64}})
    mine = client.post("/api/simulate", json={"model": "team-gpt2", "scenario": {"seq_len": 64},
                                              "accelerator": "wide"})
    preset = client.post("/api/simulate", json={"model": "gpt2", "scenario": {"seq_len": 64},
                                                "accelerator": "gemmini-default", "overrides": {"cols": 64}})
    assert mine.status_code == preset.status_code == 200, mine.text
    assert mine.json()["parameters"]["cols"] == 64
    assert mine.json()["metrics"]["latency_s"] == pytest.approx(preset.json()["metrics"]["latency_s"])


CHIP = {"preset": "gemmini-default", "overrides": {"rows": 8}}


def test_fat_entries_are_refused_and_lists_are_paged_summaries(client) -> None:
    """Issue 30: 50 accelerators with huge descriptions were accepted and listed in full (11.5 MB for 10)."""
    fat = [client.post("/api/accelerators", json={"name": f"fat-{k}", "definition": {
        **client.get("/api/presets/accelerators").json()[0], "description": "x" * 100_000}}) for k in range(50)]
    assert {answer.status_code for answer in fat} == {422}
    assert "at most 2,000" in fat[0].json()["detail"]
    huge = client.post("/api/models", json={"name": "huge", "definition": {
        "family": "encoder", "num_layers": 2, "d_model": 64, "num_heads": 2, "d_ff": 256, "vocab_size": 100,
        "max_positions": 128, "source": "y" * 300_000}})
    assert huge.status_code == 422 and "at most 262,144" in huge.json()["detail"], huge.text
    for name in ("c-b", "c-a", "c-c"):
        assert client.post("/api/accelerators", json={"name": name, **CHIP}).status_code == 201
    page = client.get("/api/accelerators?limit=2").json()
    assert (page["total"], page["limit"], [e["name"] for e in page["items"]]) == (3, 2, ["c-a", "c-b"])
    assert "definition" not in page["items"][0] and page["items"][0]["summary"]["rows"] == 8
    assert [e["name"] for e in client.get("/api/accelerators?offset=2").json()["items"]] == ["c-c"]
    assert client.get("/api/accelerators/c-a").json()["definition"]["rows"] == 8
    assert client.get("/api/accelerators?limit=0").status_code == 422


def test_entries_per_user_and_per_team_are_capped(client, session_factory) -> None:
    from backend.core.db import transaction
    from backend.library import service
    from backend.models import LibraryEntry, LibraryKind

    with transaction(session_factory) as session:
        definition, source = service.accelerator_definition("x", **CHIP)
        for k in range(service.MAX_ENTRIES_PER_USER):
            service.add(session, LibraryKind.ACCELERATOR, f"mine-{k}", definition, source, "local")
    full = client.post("/api/accelerators", json={"name": "one-more", **CHIP})
    assert full.status_code == 409 and "the most one user may have (100)" in full.json()["detail"]
    with transaction(session_factory) as session:
        session.add_all(LibraryEntry(kind=LibraryKind.MODEL.value, name=f"theirs-{k}", owner=f"user-{k}", source="",
                                     definition={}, summary={})
                        for k in range(service.MAX_ENTRIES_PER_TEAM - service.MAX_ENTRIES_PER_USER))
    with transaction(session_factory) as session:
        session.delete(service.get(session, LibraryKind.ACCELERATOR, "mine-0"))
    room = client.post("/api/accelerators", json={"name": "one-more", **CHIP})
    assert room.status_code == 201, room.text  # 999 entries, 99 of them local's: room for one
    refused = client.post("/api/accelerators", json={"name": "two-more", **CHIP})
    assert refused.status_code == 409 and "its limit (1000)" in refused.json()["detail"]
