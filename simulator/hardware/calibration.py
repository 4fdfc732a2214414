"""The `calibration:` block of a calibrated preset: what it was fitted to, and the label every view shows.

`dse calibrate` (simulator/calibrate.py) writes a preset whose free constants are fitted to a user's measurements;
the block beside its fields says which file, when, from which preset, how well it fits and how well it predicts
rows it was not fitted to. A preset without the block is first-principles. The CLI, the API and the dashboard all
show `label` ("calibrated to <file>, <date>") wherever such a preset or library accelerator is named.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator


class FittedValue(BaseModel):
    """One fitted constant: the base preset's value and the fitted one."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    before: float
    after: float


class LeaveOneOut(BaseModel):
    """Each row predicted by a refit without it: how many rows could be predicted (the others leave a constant that
    no remaining row moves) and the median and largest |predicted / measured - 1| over those."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rows_predicted: int = Field(ge=0)
    rows_undetermined: int = Field(ge=0)
    median_abs_error: float | None = None
    max_abs_error: float | None = None


class CalibrationSummary(BaseModel):
    """A calibrated preset's `calibration:` block."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    file: str = Field(min_length=1, max_length=500, description="The measurements file the constants were fitted to.")
    date: str = Field(min_length=1, max_length=40, description="When (ISO date).")
    base_preset: str = Field(min_length=1, max_length=200, description="The preset whose constants were fitted.")
    options: dict[str, Any] = Field(default_factory=dict, description="Simulator options the fit evaluated with.")
    rows: int = Field(ge=1, description="Measurement rows fitted.")
    fitted: dict[str, FittedValue] = Field(description="Each fitted constant, before -> after.")
    rms_log_error: float = Field(ge=0, description="sqrt(mean over rows of log(simulated / measured)^2).")
    leave_one_out: LeaveOneOut

    @model_validator(mode="before")
    @classmethod
    def _label_is_derived(cls, data: Any) -> Any:
        """A block read back from an answer that carried the label (the label is derived, never stored)."""
        return {k: v for k, v in data.items() if k != "label"} if isinstance(data, dict) else data

    @computed_field
    @property
    def label(self) -> str:
        return f"calibrated to {self.file}, {self.date}"


def calibration_summary(data: Mapping[str, Any]) -> CalibrationSummary | None:
    """The calibration of a preset mapping (a packaged file's or a library entry's), or None when it has none; a
    malformed block is a ValueError naming what is wrong."""
    block = data.get("calibration")
    if block is None:
        return None
    return CalibrationSummary.model_validate(block)
