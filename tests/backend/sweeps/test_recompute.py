"""Lean rows: a stored point keeps its columns and a small breakdown; opening it recomputes the full report from
(spec, index), identical to what `evaluate` gives, and says so when the stored row and the recomputation differ."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, select, update

from backend.core.db import transaction
from backend.models import DesignPoint, SweepChunk
from backend.sweeps import breakdown
from backend.sweeps.chunks import run_chunk
from backend.sweeps.fingerprint import simulator_fingerprint
from backend.sweeps.search_store import search_step
from backend.sweeps.spec import SweepSpec
from simulator import evaluate
from tests.sweeps_support import DEMO_SPEC, SEARCH_DEMO_SPEC

pytestmark = pytest.mark.redis

VARIANTS_SPEC = {
    "name": "lean", "models": ["gpt2"], "scenarios": [{"prompt_len": 32, "generate_len": 8}],
    "accelerator": "gemmini-transformer", "option_axes": {"mapper": ["optimal", "gemmini"],
                                                          "fusion": ["none", "qk_softmax+ffn1_activation"]},
    "strategy": "grid", "objectives": ["latency_s", "energy_j"],
}


def _run(client, session_factory, spec: dict) -> tuple[int, list[dict]]:
    sweep = client.post("/api/sweeps", json=spec).json()
    for index in range(sweep["chunk_count"]):
        run_chunk(session_factory, sweep["id"], index)
    ids = client.get(f"/api/sweeps/{sweep['id']}/results", params={"columns": "id"}).json()["columns"]["id"]
    return sweep["id"], ids


def test_a_row_keeps_columns_and_a_breakdown_only(client, session_factory) -> None:
    _, ids = _run(client, session_factory, DEMO_SPEC)
    with session_factory() as session:
        columns = {c["name"] for c in inspect(session.get_bind()).get_columns("design_points")}
        assert not {"report", "params"} & columns
        point = session.get(DesignPoint, ids[0])
        assert len(point.breakdown) == 3 * breakdown.WIDTH * 4  # float32 cycles, energy, DRAM by class and phase
        shown = breakdown.decode(point.breakdown)
        assert sum(shown["by_class"]["cycles"].values()) == pytest.approx(point.latency_cycles, rel=1e-6)
        assert sum(shown["by_phase"]["cycles"].values()) == pytest.approx(point.latency_cycles, rel=1e-6)


def test_the_point_page_recomputes_exactly_what_evaluate_gives(client, session_factory) -> None:
    sweep_id, ids = _run(client, session_factory, VARIANTS_SPEC)
    # as stored (PostgreSQL's JSONB orders an object's keys its own way: the stored spec is what the workers expand)
    spec = SweepSpec.stored(client.get(f"/api/sweeps/{sweep_id}").json()["spec"])
    for point_id in ids:
        point = client.get(f"/api/points/{point_id}").json()
        inputs = spec.point(point["point_index"])
        resolved = inputs.resolve()
        expected = evaluate(resolved.workload, resolved.accelerator, resolved.options)
        assert point["inputs"] == inputs.model_dump()
        assert point["report"]["ops"] == [op.model_dump(mode="json") for op in expected.ops]
        assert point["metrics"]["latency_s"] == pytest.approx(expected.latency_s, rel=1e-12)
        assert point["recomputed"] == {"stored_by": simulator_fingerprint(), "current": simulator_fingerprint(),
                                       "same_simulator": True, "differences": []}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the search's Optuna storage commits for real
def test_a_search_point_is_recomputed_from_its_trial(client, session_factory) -> None:
    spec = {**SEARCH_DEMO_SPEC, "budget": 12, "batch_size": 6}
    sweep = client.post("/api/sweeps", json=spec).json()
    settings = client.app.state.settings
    search_step(session_factory, settings.sqlalchemy_url, sweep["id"], max_chunk=10)
    with session_factory() as session:
        chunks = session.execute(select(SweepChunk.chunk_index).where(SweepChunk.sweep_id == sweep["id"])).scalars()
        for index in list(chunks):
            run_chunk(session_factory, sweep["id"], index)
    ids = client.get(f"/api/sweeps/{sweep['id']}/results", params={"columns": "id"}).json()["columns"]["id"]
    point = client.get(f"/api/points/{ids[-1]}").json()
    assert point["report"]["ops"] and point["recomputed"]["differences"] == []


def test_a_stored_row_that_recomputes_differently_is_shown_as_such(client, session_factory) -> None:
    sweep_id, ids = _run(client, session_factory, DEMO_SPEC)
    with transaction(session_factory) as session:
        session.execute(update(DesignPoint).where(DesignPoint.id == ids[1]).values(latency_s=1.0))
        session.execute(update(SweepChunk).where(SweepChunk.sweep_id == sweep_id)
                        .values(simulator_fingerprint="0123456789abcdef"))
    point = client.get(f"/api/points/{ids[1]}").json()
    assert point["metrics"]["latency_s"] == 1.0  # the stored value stays what the sweep stored
    check = point["recomputed"]
    assert check["stored_by"] == "0123456789abcdef" and not check["same_simulator"]
    assert len(check["differences"]) == 1 and check["differences"][0].startswith("latency_s: stored 1.0, now ")
