"""Snapshots of the service's contract: the catalog, the CSV header, the OpenAPI document and the expanded points
of the demo, search-demo, variants and model-axes specs. A refactor must leave them as they are; a change that
means to move them regenerates them (`DSE_UPDATE_SNAPSHOTS=1`) and says why in its commit."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend.sweeps.demo import DEMO_SPEC
from backend.sweeps.spec import SweepSpec
from backend.sweeps.templates import TEMPLATES
from tests.sweeps_support import SEARCH_DEMO_SPEC

SNAPSHOTS = Path(__file__).parents[2] / "snapshots"
MODEL_AXES_SPEC: dict[str, Any] = {
    "name": "model-axes", "models": ["bert-base", "gpt2"], "scenarios": [{"seq_len": 128}],
    "model_axes": {"num_layers": [3, 6], "d_model": [384, 400], "num_heads": [6]},
    "scenario_axes": {"batch": [1, 4]}, "option_axes": {"mapping_objective": ["latency", "energy"]},
}
SPECS = {"demo": DEMO_SPEC, "search-demo": SEARCH_DEMO_SPEC,
         "variants": next(t["spec"] for t in TEMPLATES if t["id"] == "gemmini-case-study"),
         "model-axes": MODEL_AXES_SPEC}


def _check(name: str, value: Any) -> None:
    path = SNAPSHOTS / name
    text = (json.dumps(value, indent=1, sort_keys=True) if not isinstance(value, str) else value) + "\n"
    if os.environ.get("DSE_UPDATE_SNAPSHOTS") == "1":
        path.write_text(text)
    assert path.read_text() == text, f"{name} moved; diff it against {path}"


@pytest.mark.parametrize("name", sorted(SPECS))
def test_expanded_points(name: str) -> None:
    spec = SweepSpec.model_validate(SPECS[name])
    size = min(spec.grid_size(), 200)
    _check(f"points-{name}.json", [{"index": i, **point.model_dump()} for i, point in enumerate(spec.points(0, size))])


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_catalog_csv_header_and_openapi(database_url: str, client: TestClient) -> None:
    _check("catalog.json", client.get("/api/catalog").json())
    _check("openapi.json", client.get("/openapi.json").json())
    sweep = client.post("/api/sweeps", json={**DEMO_SPEC, "name": "header"}).json()
    header = client.get(f"/api/sweeps/{sweep['id']}/results", params={"format": "csv"}).text.splitlines()[0]
    _check("csv-header.txt", header)
