"""The simulator's packaged presets and the result columns, so forms and plots can be built from the server."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from backend.api.deps import get_principal
from backend.api.schemas import Catalog, CatalogEntry
from backend.columns import PARAMETER_COLUMNS

router = APIRouter(tags=["presets"], dependencies=[Depends(get_principal)])


@router.get("/api/presets/models", response_model=list[dict[str, Any]], summary="Model presets (ModelSpec fields)")
def model_presets() -> list[dict[str, Any]]:
    from backend.simulation import model_presets as presets

    return presets()


@router.get("/api/presets/accelerators", response_model=list[dict[str, Any]],
            summary="Accelerator presets (AcceleratorSpec fields; every field but name/description is a sweep axis)")
def accelerator_presets() -> list[dict[str, Any]]:
    from backend.simulation import accelerator_presets as presets

    return presets()


@router.get("/api/catalog", response_model=Catalog, summary="Metric and parameter columns: label, unit, direction")
@router.get("/api/metrics/catalog", response_model=Catalog, include_in_schema=False)
def catalog() -> Catalog:
    from backend.simulation import metric_catalog

    metrics = [CatalogEntry(kind="metric", categorical=entry["type"] in ("str", "bool"), **entry)
               for entry in metric_catalog()]
    parameters = [CatalogEntry(name=c.name, label=c.label, unit=c.unit, kind="parameter", type=c.type,
                               categorical=c.type in ("str", "bool")) for c in PARAMETER_COLUMNS]
    return Catalog(metrics=metrics, parameters=parameters)


@router.get("/api/templates", response_model=list[dict[str, Any]], tags=["sweeps"],
            summary="Built-in sweep templates (id, name, description, spec ready for POST /api/sweeps)")
def list_templates() -> list[dict[str, Any]]:
    from backend.templates import TEMPLATES

    return TEMPLATES
