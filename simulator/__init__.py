"""Transformer DSE simulator: a pure library (no I/O beyond its own data files and user-given configs)."""

from simulator.batch import BatchResult, evaluate_batch
from simulator.evaluate import cache_clear, evaluate
from simulator.hardware import AcceleratorSpec, list_accelerator_presets, load_accelerator_preset
from simulator.options import Options
from simulator.report import Report
from simulator.workload import (
    CnnSpec,
    ConfigImportError,
    ModelSpec,
    Operator,
    OperatorGraph,
    Profile,
    Scenario,
    Totals,
    Workload,
    build_graph,
    list_model_presets,
    load_model_preset,
    model_from_hf_config,
    profile,
)

__all__ = [
    "AcceleratorSpec",
    "BatchResult",
    "Options",
    "Report",
    "cache_clear",
    "evaluate",
    "evaluate_batch",
    "list_accelerator_presets",
    "load_accelerator_preset",
    "CnnSpec",
    "ConfigImportError",
    "ModelSpec",
    "Operator",
    "OperatorGraph",
    "Profile",
    "Scenario",
    "Totals",
    "Workload",
    "build_graph",
    "list_model_presets",
    "load_model_preset",
    "model_from_hf_config",
    "profile",
]
