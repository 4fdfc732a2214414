"""Hardware: the accelerator description, its packaged presets and the technology table."""

from simulator.hardware.calibration import CalibrationSummary, calibration_summary
from simulator.hardware.presets import (
    UnknownPresetError,
    accelerator_from_definition,
    list_accelerator_presets,
    load_accelerator_preset,
    load_accelerator_preset_data,
    preset_options,
)
from simulator.hardware.spec import NONLINEAR_CLASSES, AcceleratorSpec
from simulator.hardware.technology import Technology, technology_data

__all__ = [
    "NONLINEAR_CLASSES",
    "AcceleratorSpec",
    "CalibrationSummary",
    "Technology",
    "UnknownPresetError",
    "accelerator_from_definition",
    "calibration_summary",
    "list_accelerator_presets",
    "load_accelerator_preset",
    "load_accelerator_preset_data",
    "preset_options",
    "technology_data",
]
