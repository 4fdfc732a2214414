"""`dse calibrate`: fit a preset's free constants to measured cycles per op class and write the calibrated preset.

The measurements are a CSV file (simulator/calibrate.py says its columns); names that are not packaged presets are
read from the team library when a database is configured. The preset is written in the presets' YAML format with
its `calibration:` block; `dse accelerator add NAME FILE` puts it in the team library.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
import yaml
from rich.console import Console
from rich.table import Table

from backend.cli.catalog_options import Given, catalog_options
from backend.cli.local import CliError, database, run

if TYPE_CHECKING:
    from simulator.calibrate import Calibration, Measurement
    from simulator.design_point import Definitions


def _definitions(rows: list[Measurement], preset: str) -> Definitions:
    """Library definitions of the names that are not presets (none without a database: resolving names them)."""
    from simulator import list_accelerator_presets, list_model_presets
    from simulator.design_point import Definitions

    models = {r.model for r in rows} - set(list_model_presets())
    accelerators = ({r.accelerator for r in rows} | {preset}) - set(list_accelerator_presets())
    if not models and not accelerators:
        return Definitions()
    from backend.library import service as library

    try:
        factory = database()
    except CliError:
        return Definitions()
    with factory() as session:
        return library.definitions_of(session, models, accelerators)


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:+.2f}%"


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def tables(result: Calibration) -> list[Table]:
    """The fitted constants, the fit per row and the leave-one-out predictions."""
    from simulator.catalog import entry

    constants = Table(title=f"Fitted constants of {result.base}")
    for column in ("constant", "unit", "before", "after"):
        constants.add_column(column, justify="left" if column in ("constant", "unit") else "right")
    for c in result.constants:
        constants.add_row(f"{entry(c.field).label} ({c.field})", entry(c.field).unit, _number(c.before),
                          _number(c.after))
    fit = Table(title="Fit: simulated against measured cycles")
    for column in ("row", "design", "class", "measured", "before", "error before", "calibrated", "error"):
        fit.add_column(column, justify="left" if column in ("row", "design", "class") else "right")
    for r in result.rows:
        m = r.measurement
        fit.add_row(m.where, m.describe(), m.op_class, _number(m.cycles), _number(r.before), _percent(r.error_before),
                    _number(r.fitted), _percent(r.error))
    left_out = Table(title="Leave-one-out: each row predicted by a refit without it")
    for column in ("row", "class", "measured", "predicted", "error", "why not predicted"):
        left_out.add_column(column, justify="right" if column in ("measured", "predicted", "error") else "left")
    for r in result.rows:
        left_out.add_row(r.measurement.where, r.measurement.op_class, _number(r.measurement.cycles),
                         "–" if r.left_out is None else _number(r.left_out), _percent(r.left_out_error),
                         r.left_out_reason)
    return [constants, fit, left_out]


def summary(result: Calibration) -> str:
    """RMS log error before and after, and the leave-one-out median and max."""
    errors = result.left_out_errors
    undetermined = len(result.rows) - len(errors)
    text = (f"RMS log error {result.rms_log_error:.4g} (before calibration {result.rms_log_error_before:.4g}); "
            f"leave-one-out: ")
    if errors:
        text += (f"median |error| {100 * (result.left_out_median or 0):.2f}%, "
                 f"max {100 * (result.left_out_max or 0):.2f}% over {len(errors)} row{'s' if len(errors) != 1 else ''}")
    else:
        text += "no row can be predicted by a refit without it (the table says why)"
    if errors and undetermined:
        text += f"; {undetermined} row{'s' if undetermined != 1 else ''} not predictable without it"
    return text


@catalog_options("options")
def calibrate(
    measurements: Annotated[Path, typer.Argument(help="CSV: model,seq_len,accelerator,op_class,cycles (optionally "
                                                      "prompt_len, generate_len, batch); `#` lines are comments.")],
    preset: Annotated[str, typer.Option(help="The preset (or library accelerator) whose constants are fitted.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the calibrated preset (YAML).")],
    given: Given,
    fit: Annotated[str | None, typer.Option(help="Comma-separated constants to fit instead of those the rows "
                                                 "determine (host_cycles_per_element_*, nonlinear_passes, "
                                                 "nonlinear_elements_per_cycle, dram_latency_cycles, "
                                                 "gemm_efficiency).")] = None,
    name: Annotated[str | None, typer.Option(help="The calibrated preset's name (default: the output file's name, "
                                                  "e.g. my-chip for -o my-chip.yaml).")] = None,
) -> None:
    """Fit a preset's free constants to measured cycles per op class (least squares on log error), print the fit and
    the leave-one-out errors, and write the calibrated preset (`dse accelerator add NAME FILE` adds it to the team
    library). Option flags (--mapper, --fusion, ...) set the options the fit evaluates with."""
    from simulator.calibrate import CalibrationError, parse_measurements
    from simulator.calibrate import calibrate as fit_constants

    def work() -> Calibration:
        if not measurements.is_file():
            raise CliError(f"{measurements} does not exist")
        try:
            rows = parse_measurements(measurements.read_text(encoding="utf-8"))
            fields = [f.strip() for f in fit.split(",") if f.strip()] if fit is not None else None
            result = fit_constants(rows, preset, date=date.today().isoformat(), source=measurements.name,
                                   definitions=_definitions(rows, preset), fit=fields, options=given.options,
                                   name=name or output.stem)
        except CalibrationError as error:  # a problem of a line is said with the file's name
            raise CliError(f"{measurements.name}: {error}" if str(error).startswith("line ") else str(error)) from None
        except UnicodeDecodeError:
            raise CliError(f"{measurements}: not UTF-8 text") from None
        output.write_text(yaml.safe_dump(result.preset, sort_keys=False, allow_unicode=True, width=120),
                          encoding="utf-8")
        return result

    result = run(work)
    console = Console() if Console().is_terminal else Console(width=200)
    for table in tables(result):
        console.print(table)
    console.print(summary(result))
    block = result.preset["calibration"]
    console.print(f"wrote {output}: {result.preset['name']}, calibrated to {block['file']}, {block['date']}",
                  soft_wrap=True)
    console.print(f"add it to the team library: dse accelerator add {result.preset['name']} {output}", soft_wrap=True)
