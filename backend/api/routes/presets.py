"""The simulator's packaged presets and the catalog of its parameters and metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from backend.accounts.auth import get_principal
from backend.api.schemas import Catalog, CatalogEntry, OpClassOut, RatioOut
from backend.columns import RATIOS
from backend.models import SweepStatus
from simulator import catalog as simulator_catalog
from simulator import list_accelerator_presets, list_model_presets, load_accelerator_preset, load_model_preset
from simulator.hardware import calibration_summary, load_accelerator_preset_data
from simulator.workload.operator import OP_CLASS_LABELS

router = APIRouter(tags=["presets"], dependencies=[Depends(get_principal)])


@router.get("/api/presets/models", response_model=list[dict[str, Any]], summary="Model presets (ModelSpec fields)")
def model_presets() -> list[dict[str, Any]]:
    return [load_model_preset(name).model_dump(mode="json") for name in list_model_presets()]


@router.get("/api/presets/accelerators", response_model=list[dict[str, Any]],
            summary="Accelerator presets (AcceleratorSpec fields; every field but name/description is a sweep axis)")
def accelerator_presets() -> list[dict[str, Any]]:
    out = []
    for name in list_accelerator_presets():
        calibration = calibration_summary(load_accelerator_preset_data(name))
        out.append({**load_accelerator_preset(name).model_dump(mode="json"),
                    "calibration": calibration.model_dump(mode="json") if calibration else None})
    return out


@router.get("/api/catalog", response_model=Catalog, summary="Every parameter and metric: label, unit, type, bounds")
@router.get("/api/metrics/catalog", response_model=Catalog, include_in_schema=False)
def catalog() -> Catalog:
    return Catalog(metrics=[CatalogEntry.of(e) for e in simulator_catalog.METRICS],
                   parameters=[CatalogEntry.of(e) for e in simulator_catalog.PARAMETERS],
                   op_classes=[OpClassOut(name=name, label=OP_CLASS_LABELS[name])
                               for name in simulator_catalog.OP_CLASSES], phases=list(simulator_catalog.PHASES),
                   bounds=list(simulator_catalog.BOUNDS), statuses=[s.value for s in SweepStatus],
                   ratios=[RatioOut(name=r.name, label=r.label, of=r.of, direction="max" if r.inverted else "min")
                           for r in RATIOS.values()])
