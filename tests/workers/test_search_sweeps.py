"""Strategy `search` end to end: a real `dse worker` runs the Optuna driver and the chunks on Redis and SQL."""

from __future__ import annotations

import optuna
import pytest

from backend.sweeps.search_store import storage, study_name
from tests.sweeps_support import SEARCH_DEMO_SPEC, wait_for_sweep

pytestmark = [pytest.mark.slow, pytest.mark.redis]


def test_a_search_sweep_stores_exactly_its_budget_and_a_growing_hypervolume(client, settings, start_worker) -> None:
    start_worker(concurrency=2)
    spec = {**SEARCH_DEMO_SPEC, "name": "search-small", "budget": 40, "batch_size": 10}
    estimate = client.post("/api/sweeps/estimate", json=spec).json()
    assert estimate["points"] == 40 and estimate["space_points"] == 2 * 32 * 32 * 4 and "budget" in estimate["note"]
    created = client.post("/api/sweeps", json=spec)
    assert created.status_code == 201, created.text
    sweep_id = created.json()["id"]
    sweep = wait_for_sweep(client, sweep_id, timeout_s=240)
    assert sweep["status"] == "done", sweep
    assert sweep["done_points"] + sweep["failed_points"] == 40 == sweep["total_points"]

    results = client.get(f"/api/sweeps/{sweep_id}/results",
                         params={"columns": "point_index,rows,cols,scratchpad_kib,seq_len", "limit": 1000,
                                 "include_failed": "true"}).json()
    indices = results["columns"]["point_index"]
    assert len(indices) == 40 == len(set(indices)), "each trial is stored exactly once"
    designs = list(zip(*(results["columns"][n] for n in ("rows", "cols", "scratchpad_kib", "seq_len")), strict=True))
    assert len(set(designs)) == 40, "no design is evaluated twice"

    search = sweep["search"]
    assert search["sampler"] == "nsga2" and search["budget"] == 40 and search["study_name"] == f"sweep-{sweep_id}"
    assert search["stopped"] == "its budget of 40 points was evaluated"
    batches = search["batches"]
    assert [b["batch"] for b in batches] == [0, 1, 2, 3] and sum(b["points"] for b in batches) == 40
    assert all(b["status"] == "told" and b["hypervolume"] is not None for b in batches)
    volumes = [b["hypervolume"] for b in batches]
    assert volumes[0] > 0 and volumes[-1] >= volumes[0]
    assert all(later >= earlier - 1e-12 for earlier, later in zip(volumes, volumes[1:], strict=False))

    study = optuna.load_study(study_name=study_name(sweep_id), storage=storage(settings.sqlalchemy_url))
    complete = study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
    assert {t.number for t in complete if not t.user_attrs} <= set(indices)
    assert len(study.directions) == 2

    # the next search's estimate is measured like this one ran: its wall time, driver steps included
    again = client.post("/api/sweeps/estimate", json=spec).json()
    assert again["speed_source"].startswith("measured on 1 earlier search, wall time"), again
    assert again["worker_seconds"] == pytest.approx(40 / again["points_per_s"])

    assert client.delete(f"/api/sweeps/{sweep_id}").status_code == 204
    names = [s.study_name for s in optuna.get_all_study_summaries(storage(settings.sqlalchemy_url))]
    assert study_name(sweep_id) not in names, "the study goes with its sweep"


def test_tpe_search_runs_too(client, start_worker) -> None:
    start_worker(concurrency=2)
    spec = {**SEARCH_DEMO_SPEC, "name": "search-tpe", "budget": 20, "batch_size": 10, "sampler": "tpe"}
    sweep = wait_for_sweep(client, client.post("/api/sweeps", json=spec).json()["id"], timeout_s=240)
    assert sweep["status"] == "done" and sweep["done_points"] + sweep["failed_points"] == 20, sweep
    assert sweep["search"]["sampler"] == "tpe" and len(sweep["search"]["batches"]) == 2


def test_a_killed_worker_process_loses_nothing_of_a_search(client, start_worker) -> None:
    """The driver is a task like the chunks: a pool process killed mid-step or mid-chunk is redelivered."""
    import time

    import psutil

    worker = start_worker(concurrency=1)
    spec = {**SEARCH_DEMO_SPEC, "name": "search-kill", "budget": 50, "batch_size": 10}
    sweep_id = client.post("/api/sweeps", json=spec).json()["id"]
    deadline = time.monotonic() + 120
    kills = 0
    while kills < 2:
        assert time.monotonic() < deadline, "the search did not progress"
        done = client.get(f"/api/sweeps/{sweep_id}").json()["done_points"]
        if done >= 10 * (kills + 1):
            (celery_main,) = psutil.Process(worker.pid).children()  # under `dse worker`'s supervisor
            for child in celery_main.children(recursive=True):  # the pool processes running the tasks
                child.kill()
            kills += 1
        time.sleep(0.2)
    sweep = wait_for_sweep(client, sweep_id, timeout_s=300)
    assert sweep["status"] == "done", sweep
    assert sweep["done_points"] + sweep["failed_points"] == 50 == sweep["total_points"]
    indices = client.get(f"/api/sweeps/{sweep_id}/results", params={
        "columns": "point_index", "limit": 1000, "include_failed": "true"}).json()["columns"]["point_index"]
    assert len(indices) == 50 == len(set(indices))
    volumes = [b["hypervolume"] for b in sweep["search"]["batches"]]
    assert len(volumes) == 5 and all(v is not None for v in volumes) and volumes[-1] >= volumes[0]
