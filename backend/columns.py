"""The result store's columns: the simulator catalog's parameters and metrics (simulator/catalog.py), in its order,
plus the row's own columns, and which metrics are indexed. Nothing here names a parameter or a metric by hand."""

from __future__ import annotations

from dataclasses import dataclass

from simulator.catalog import METRICS as METRIC_ENTRIES
from simulator.catalog import PARAMETERS as PARAMETER_ENTRIES
from simulator.catalog import Entry

PARAMETERS: dict[str, Entry] = {entry.name: entry for entry in PARAMETER_ENTRIES}
METRICS: dict[str, Entry] = {entry.name: entry for entry in METRIC_ENTRIES}
NUMERIC_METRICS: tuple[str, ...] = tuple(name for name, entry in METRICS.items() if not entry.categorical)
# Metrics the results table indexes per sweep (the usual objectives and filters).
INDEXED_METRICS: tuple[str, ...] = ("latency_s", "energy_j", "area_mm2", "edp_j_s", "throughput_per_s")
# Columns of every result row besides parameters and metrics.
TEXT_COLUMN_LENGTH = 64  # a text result column (model, accelerator, variant): names are checked to fit it
ROW_COLUMNS: tuple[str, ...] = ("id", "point_index", "error")
ALL_COLUMNS: tuple[str, ...] = (*ROW_COLUMNS, *PARAMETERS, *METRICS)


@dataclass(frozen=True)
class Ratio:
    """A column against a baseline point (`results?baseline=ID`): computed per query, never stored."""

    name: str
    label: str
    of: str  # the metric it compares
    inverted: bool  # baseline / value (a speedup: above 1 is better) rather than value / baseline


RATIOS: dict[str, Ratio] = {ratio.name: ratio for ratio in (
    Ratio("speedup", "Speedup vs baseline", "latency_s", True),
    Ratio("energy_ratio", "Energy vs baseline", "energy_j", False),
    Ratio("edp_ratio", "EDP vs baseline", "edp_j_s", False),
)}


def column_kind(name: str) -> str:
    """The column's type ("float", "int", "str" or "bool"): how it is stored, filtered and encoded."""
    if name in RATIOS:
        return "float"
    entry = PARAMETERS.get(name) or METRICS.get(name)
    return entry.type if entry else ("str" if name == "error" else "int")
