"""Error bands for cycles priced by Gemmini's measured execution model: how far a prediction may be off, from the
model's own residuals on DOSA's FireSim training rows (issue 27, item 7).

Why bands per kind and bound: the residuals differ by what limits a layer (docs/firesim_fit.md: host- and
array-bound rows within a few percent, reads- and memory-bound ones 20-50%), so one figure for every layer would
be too wide for some and too narrow for others. A band is the 10th-90th percentile of measured / predicted over
the training rows of the same kind (`conv`: `tiled_conv`; `matmul`: `tiled_matmul`) and bound (the largest part of
`gemmini_exec.Breakdown`, under the stored constants); a group with fewer than `MIN_ROWS` rows falls back to its
kind. So 80% of the training rows like it measured inside the band.

The bands come from grouped 5-fold cross-validation (whole layer shapes held out: the error a new layer sees), which
takes about a minute, so they are computed once and stored: `python -m simulator.error_bands --write` writes
`simulator/data/error_bands.yaml` with the constants it was computed under. If the stored constants are no longer
the model's (the fit was rerun), the bands are computed at first use from the all-rows residuals instead (a few
seconds) and their source says so; rerun the script to restore the cross-validated ones.

Layers priced by the analytic model have no band: it has no measurement behind it.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import yaml

BANDS_FILE = "error_bands.yaml"
QUANTILES = (0.10, 0.90)
MIN_ROWS = 30
CV_SOURCE = "grouped 5-fold CV residuals (layer shapes held out) on DOSA's FireSim training rows"
ALL_ROWS_SOURCE = ("all-rows residuals on DOSA's FireSim training rows (the stored cross-validated bands were "
                   "computed under other constants: python -m simulator.error_bands --write)")


@dataclass(frozen=True)
class ErrorBand:
    """Measured cycles are expected between prediction·low and prediction·high (10th-90th percentile)."""

    low: float
    high: float
    rows: int
    source: str


def band_table(predicted: np.ndarray, measured: np.ndarray, kinds: np.ndarray,
               bounds: np.ndarray) -> dict[str, dict[str, float]]:
    """Quantiles of measured / predicted per `kind/bound`, per kind and over all rows."""
    ratio = measured / predicted
    groups: dict[str, np.ndarray] = {"all": np.ones(len(ratio), dtype=bool)}
    for kind in np.unique(kinds):
        groups[str(kind)] = kinds == kind
        for bound in np.unique(bounds[kinds == kind]):
            groups[f"{kind}/{bound}"] = (kinds == kind) & (bounds == bound)
    low, high = QUANTILES
    return {name: {"low": float(np.quantile(ratio[mask], low)), "high": float(np.quantile(ratio[mask], high)),
                   "rows": int(mask.sum())} for name, mask in sorted(groups.items())}


def _constants() -> dict[str, float]:
    from simulator.mapping.gemmini_exec import measured_constants

    return {name: constant.value for name, constant in measured_constants().items()}


def training_residuals(cross_validate: bool) -> dict[str, dict[str, dict[str, float]]]:
    """Band tables from the training rows: all rows under the stored constants, and (if asked) grouped CV."""
    from simulator.fit_firesim import cross_validated, training_rows
    from simulator.mapping.gemmini_exec import execution_cycles, measured_timing

    data = training_rows()
    parts = execution_cycles(data.work, measured_timing())
    kinds = np.where(data.matmul, "matmul", "conv")
    bounds = parts.bound()
    tables = {"all_rows": band_table(parts.total, data.measured, kinds, bounds)}
    if cross_validate:
        tables["grouped_cv"] = band_table(cross_validated(data, measured_timing()), data.measured, kinds, bounds)
    return tables


@cache
def stored_bands() -> dict[str, Any]:
    text = (resources.files("simulator") / "data" / BANDS_FILE).read_text(encoding="utf-8")
    return yaml.safe_load(text)


@cache
def _current_table() -> tuple[dict[str, dict[str, float]], str]:
    stored = stored_bands()
    if stored["constants"] == _constants():
        return stored["grouped_cv"], CV_SOURCE
    return training_residuals(cross_validate=False)["all_rows"], ALL_ROWS_SOURCE


def bands_kind() -> str:
    """Which residuals the bands are, in a few words (a report's `validation` names them)."""
    return "grouped-CV error bands" if _current_table()[1] == CV_SOURCE else "all-rows error bands"


def error_band(kind: str, bound: str) -> ErrorBand:
    """The band for a call of `kind` (conv | matmul) whose largest part is `bound`."""
    table, source = _current_table()
    for name in (f"{kind}/{bound}", kind, "all"):
        entry = table.get(name)
        if entry is not None and entry["rows"] >= MIN_ROWS:
            return ErrorBand(entry["low"], entry["high"], int(entry["rows"]),
                             f"{source}: 10th-90th percentile of measured/predicted over the {entry['rows']} "
                             f"{name.replace('/', ' ')}-bound rows" if "/" in name else
                             f"{source}: 10th-90th percentile of measured/predicted over the {entry['rows']} "
                             f"{name} rows")
    raise KeyError(f"no error band for {kind}/{bound}")


def write_bands() -> dict[str, Any]:
    """Compute both tables (about a minute) and store them with the constants they were computed under."""
    data = {"about": "Error bands of Gemmini's measured execution model: quantiles of measured/predicted cycles on "
                     "DOSA's FireSim training rows, per kind and bound. Written by `python -m simulator.error_bands "
                     "--write` (simulator/error_bands.py); do not edit by hand.",
            "quantiles": list(QUANTILES), "constants": _constants(), **training_residuals(cross_validate=True)}
    path = resources.files("simulator") / "data" / BANDS_FILE
    with open(str(path), "w", encoding="utf-8") as handle:
        yaml.safe_dump(data, handle, sort_keys=False, width=120)
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"store the bands in simulator/data/{BANDS_FILE}")
    args = parser.parse_args()
    tables = write_bands() if args.write else training_residuals(cross_validate=True)
    for table in ("all_rows", "grouped_cv"):
        for name, entry in tables[table].items():
            print(f"{table:10s} {name:16s} rows {entry['rows']:5d}  measured/predicted "
                  f"{entry['low']:.3f} .. {entry['high']:.3f}")


if __name__ == "__main__":
    main()
