"""The dashboard reads the API's contract: every field its models take from a response exists in the OpenAPI
document's schema of that response (no guessed or fallback names)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from backend.app import create_app
from backend.core.settings import Settings

JS = Path(__file__).resolve().parents[3] / "frontend" / "static" / "js"
# (module, the schema of the object it reads as `raw`)
MODELS = [("sweep_model.js", "SweepOut"), ("point_model.js", "PointOut")]


@pytest.fixture(scope="module")
def schemas(tmp_path_factory: pytest.TempPathFactory) -> dict:
    state = tmp_path_factory.mktemp("contract")
    app = create_app(Settings(state_dir=state, database_url=f"sqlite:///{state / 'x.sqlite3'}", auth="off"))
    schema = app.openapi()["components"]["schemas"]
    app.state.engine.dispose()
    return schema


@pytest.mark.parametrize(("module", "schema"), MODELS)
def test_every_field_read_exists_in_the_response_schema(schemas: dict, module: str, schema: str) -> None:
    text = (JS / module).read_text()
    read = set(re.findall(r"\braw\.([a-z_]+)", text)) - {"spec", "report"}
    assert read, f"{module} reads nothing from its response?"
    missing = read - set(schemas[schema]["properties"])
    assert not missing, f"{module} reads {sorted(missing)}, which {schema} does not have"
    spec_fields = set(re.findall(r"\braw\.spec\.([a-z_]+)", text))
    assert spec_fields <= set(schemas["SweepSpec"]["properties"]), spec_fields


def test_no_module_falls_back_to_another_spelling() -> None:
    """`a ?? b ?? c` over response fields is how the old client guessed at the API; the contract needs none."""
    for path in JS.rglob("*.js"):
        chained = re.findall(r"raw\.[a-z_]+ \?\? raw\.[a-z_]+", path.read_text())
        assert not chained, f"{path.name}: {chained}"
