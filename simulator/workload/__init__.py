"""Workloads: model specs (Transformers and CNNs), inference scenarios, the operator graph and its profile."""

from simulator.workload.cnn import CnnSpec
from simulator.workload.graph import build_graph, decode_groups_of
from simulator.workload.hf_config import ConfigImportError, model_from_hf_config, model_from_hf_dict
from simulator.workload.model import (
    MODEL_DIMENSIONS,
    AnyModelSpec,
    ModelSpec,
    UnknownPresetError,
    list_model_presets,
    load_model_preset,
    model_from_data,
    model_from_file,
    with_dimensions,
)
from simulator.workload.operator import Operator, OperatorGraph, Role
from simulator.workload.profile import Profile, Totals, fused_view, profile
from simulator.workload.scenario import Scenario, Workload

__all__ = [
    "MODEL_DIMENSIONS",
    "AnyModelSpec",
    "Role",
    "CnnSpec",
    "ConfigImportError",
    "ModelSpec",
    "Operator",
    "OperatorGraph",
    "Profile",
    "Scenario",
    "Totals",
    "UnknownPresetError",
    "Workload",
    "build_graph",
    "decode_groups_of",
    "fused_view",
    "list_model_presets",
    "load_model_preset",
    "model_from_data",
    "model_from_file",
    "model_from_hf_config",
    "model_from_hf_dict",
    "profile",
    "with_dimensions",
]
