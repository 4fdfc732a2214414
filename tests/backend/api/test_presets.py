"""Presets and the column catalog the dashboard builds its forms and axes from."""

from __future__ import annotations

import pytest

from backend.columns import METRICS, PARAMETERS

pytestmark = pytest.mark.redis


def test_presets_list_the_simulators_models_and_accelerators(client) -> None:
    models = client.get("/api/presets/models").json()
    assert "bert-base" in {m["name"] for m in models}
    accelerators = {a["name"]: a for a in client.get("/api/presets/accelerators").json()}
    assert accelerators["gemmini-default"]["rows"] == 16


def test_catalog_names_every_result_column(client) -> None:
    catalog = client.get("/api/catalog").json()
    assert [m["name"] for m in catalog["metrics"]] == list(METRICS)
    assert [p["name"] for p in catalog["parameters"]] == list(PARAMETERS)
    latency = next(m for m in catalog["metrics"] if m["name"] == "latency_s")
    assert (latency["unit"], latency["direction"], latency["kind"]) == ("s", "min", "metric")
    throughput = next(m for m in catalog["metrics"] if m["name"] == "throughput_per_s")
    assert throughput["direction"] == "max"
    assert client.get("/api/metrics/catalog").json() == catalog


def test_openapi_documents_the_sweeps_api(client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/sweeps", "/api/sweeps/estimate", "/api/sweeps/{sweep_id}", "/api/sweeps/{sweep_id}/cancel",
                 "/api/sweeps/{sweep_id}/results", "/api/sweeps/{sweep_id}/pareto", "/api/points/{point_id}",
                 "/api/simulate", "/api/presets/models", "/api/presets/accelerators", "/api/catalog"):
        assert path in paths, path


def test_every_operation_is_described(client) -> None:
    """/docs and /redoc show what each operation does, beyond its one-line summary."""
    paths = client.get("/openapi.json").json()["paths"]
    short = [f"{method.upper()} {path}" for path, operations in paths.items()
             for method, operation in operations.items()
             if len(operation.get("description", "")) < 40 or not operation.get("summary")]
    assert not short, f"operations without a description (add one to backend/api/operations.yaml): {short}"
