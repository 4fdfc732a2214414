"""Accelerator presets: one YAML data file per preset under `simulator/data/accelerators/`."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from functools import cache
from typing import Any

import yaml

from simulator.hardware.spec import NOT_FIELDS, PRESET_DIR, AcceleratorSpec


class UnknownPresetError(KeyError):
    """An accelerator preset name that does not exist; the message lists close names."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


def _preset_files() -> dict[str, Any]:
    return {entry.name.removesuffix(".yaml"): entry for entry in PRESET_DIR.glob("*.yaml")}


@cache
def list_accelerator_presets() -> tuple[str, ...]:
    """Names of the packaged accelerator presets, sorted."""
    return tuple(sorted(_preset_files()))


@cache
def load_accelerator_preset_data(name: str) -> dict[str, Any]:
    """The raw preset mapping, including its per-field `sources`."""
    files = _preset_files()
    if name not in files:
        close = difflib.get_close_matches(name, files, n=3, cutoff=0.4)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UnknownPresetError(
            f"unknown accelerator preset '{name}'{hint} (available: {', '.join(sorted(files))})")
    return yaml.safe_load(files[name].read_text())


def preset_options(name: str) -> dict[str, Any]:
    """The simulator options a preset's model assumes (its `options:` block; e.g. the survey's analytic model tiles
    square and fuses nothing). Wherever the preset is used by name these are the defaults; given options win."""
    return dict(load_accelerator_preset_data(name).get("options", {}))


def load_accelerator_preset(name: str, **overrides: Any) -> AcceleratorSpec:
    """An `AcceleratorSpec` from a packaged preset, with optional field overrides (validated)."""
    return accelerator_from_definition(load_accelerator_preset_data(name), **overrides)


def accelerator_from_definition(data: Mapping[str, Any], **overrides: Any) -> AcceleratorSpec:
    """An `AcceleratorSpec` from a preset's mapping (a packaged file's or a library entry's; its `sources`, `options`
    and a calibrated preset's `calibration` are not fields), with optional field overrides (validated).

    The design's name records the overrides that change a field (`gemmini-default[rows=32]`), so a report names
    the design it evaluated, not the preset it started from.
    """
    fields = {k: v for k, v in data.items() if k not in NOT_FIELDS}
    base = AcceleratorSpec.model_validate(fields)
    if not overrides:
        return base
    spec = AcceleratorSpec.model_validate({**fields, **overrides})
    changed = [f"{key}={getattr(spec, key)}" for key in AcceleratorSpec.model_fields
               if key in overrides and key not in ("name", "description") and getattr(spec, key) != getattr(base, key)]
    if changed and "name" not in overrides:
        spec = spec.model_copy(update={"name": f"{base.name}[{','.join(changed)}]"})
    return spec
