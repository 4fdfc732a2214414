"""Transformer DSE simulator: a pure library (no I/O beyond its own data files and user-given configs)."""

from simulator.workload import (
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
