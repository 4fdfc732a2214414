"""`dse validate` (measured layers against the model) and `dse simulate-conv` (one convolution).

`dse validate MEASUREMENTS.csv --accelerator NAME` predicts each row (simulator/validation.py says the columns) and
prints predicted (with its error band where Gemmini's measured model priced it: an explicit mapping, or mapper
gemmini on a WS array; docs/layer_model.md), measured and error per row and the summary (median and mean |error|,
Spearman, share measured inside the band, by kind);
`--firesim-training` runs the project's own copy of DOSA's FireSim training set instead of a file (converted on the
fly by `simulator.measurements.to_validation_rows`). Bad input exits with code 2 and one line on stderr naming the
row and column.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from backend.cli.catalog_options import Given, catalog_options
from backend.cli.local import fail, one_line
from backend.cli.simulate import AcceleratorName, Mapper, hardware

if TYPE_CHECKING:
    from simulator.validation import ValidationResult

PREDICTION_COLUMNS = ("where", "label", "kind", "layer", "predicted_cycles", "measured_cycles", "error", "cycles_low",
                      "cycles_high", "model", "bound", "mapper", "mapping", "explicit_mapping")


def validate(
    measurements: Annotated[Path | None, typer.Argument(
        help="A measurements CSV: kind, the layer's sizes, optional accelerator fields, mapper, mapping; "
             "cycles.", exists=True, dir_okay=False)] = None,
    accelerator: AcceleratorName = "gemmini-default",
    mapper: Annotated[Mapper | None, typer.Option(
        help="The mapper of rows that name none: optimal (our search) or gemmini (Gemmini's software tiler); "
             "default: the accelerator's (gemmini under pricing gemmini-measured, e.g. gemmini-firesim; else "
             "optimal).", show_default=False)] = None,
    firesim_training: Annotated[bool, typer.Option(
        "--firesim-training", help="Run the project's copy of DOSA's FireSim training set (1,567 layers) instead "
                                   "of a file.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (rows, summary by kind).")] = False,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write the per-row predictions as CSV.",
                                                dir_okay=False)] = None,
) -> None:
    """Predict measured layers with the model: per-row predicted, measured and error, and a summary by kind."""
    from simulator.measured import default_mapper
    from simulator.measurements import to_validation_rows
    from simulator.validation import measured_layers, parse_validation_csv, result_dict
    from simulator.validation import validate as run_validation

    if (measurements is None) == (not firesim_training):
        fail("give a MEASUREMENTS.csv file or --firesim-training (one of them)")
    try:
        rows = (measured_layers(to_validation_rows()) if measurements is None
                else parse_validation_csv(measurements.read_text(encoding="utf-8")))
        spec = hardware(accelerator, {})  # an unknown accelerator is named once, not per row
        chosen = mapper.value if mapper else None
        result = run_validation(rows, lambda overrides: hardware(accelerator, overrides), mapper=chosen)
    except (ValidationError, ValueError, KeyError, UnicodeDecodeError) as error:
        fail(one_line(error))
    data = result_dict(result)
    if output is not None:
        _write_predictions(output, data["rows"])
    said = chosen or default_mapper(spec.pricing)
    if as_json:
        typer.echo(json.dumps({"accelerator": accelerator, "mapper": said, **data}))
        return
    _print(result, data, f"{len(result.predictions):,} measured layers on {accelerator} (mapper {said} where a row "
                         "names none)")


def _write_predictions(path: Path, rows: list[dict[str, Any]]) -> None:
    try:
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=PREDICTION_COLUMNS, extrasaction="ignore")
            writer.writeheader()
            writer.writerows({**row, **{key: "" if row[key] is None else row[key]
                                        for key in ("explicit_mapping", "cycles_low", "cycles_high", "bound")}}
                             for row in rows)
    except OSError as error:
        fail(f"{path}: {error.strerror}")


def _print(result: ValidationResult, data: dict[str, Any], title: str) -> None:
    console = Console()
    if not console.is_terminal:
        console = Console(width=200)
    table = Table(title=title)
    for column in ("row", "kind", "layer", "predicted", "band", "measured", "error", "model"):
        table.add_column(column, justify="right" if column in ("predicted", "band", "measured", "error") else "left")
    for row in data["rows"]:
        band = "–" if row["cycles_low"] is None else f"{row['cycles_low']:,.0f}–{row['cycles_high']:,.0f}"
        table.add_row(row["label"] or row["where"], row["kind"], row["layer"], f"{row['predicted_cycles']:,.0f}",
                      band, f"{row['measured_cycles']:,.0f}", f"{100 * row['error']:+.1f}%", row["model"])
    console.print(table)
    summary = Table(title="summary")
    for column in ("kind", "rows", "median |error|", "mean |error|", "Spearman", "predicted/measured (geomean)",
                   "measured in band"):
        summary.add_column(column, justify="left" if column == "kind" else "right")
    for kind, figures in (("all", result.summary), *result.by_kind.items()):
        summary.add_row(kind, str(figures.rows), f"{100 * figures.median_abs_error:.1f}%",
                        f"{100 * figures.mean_abs_error:.1f}%",
                        "–" if figures.spearman is None else f"{figures.spearman:.3f}", f"{figures.geomean_ratio:.3f}",
                        "–" if figures.within_band is None else f"{100 * figures.within_band:.0f}%")
    console.print(summary)
    for note in data["notes"]:
        console.print(f"note: {note}")


@catalog_options("accelerator")
def simulate_conv(
    batch: Annotated[int, typer.Option(min=1, help="Images.")],
    in_channels: Annotated[int, typer.Option(min=1, help="Input channels.")],
    out_channels: Annotated[int, typer.Option(min=1, help="Output channels.")],
    out_h: Annotated[int, typer.Option(min=1, help="Output rows.")],
    out_w: Annotated[int, typer.Option(min=1, help="Output columns.")],
    kernel_h: Annotated[int, typer.Option(min=1, help="Kernel rows.")],
    kernel_w: Annotated[int, typer.Option(min=1, help="Kernel columns.")],
    stride: Annotated[int, typer.Option(min=1, help="Stride (both directions).")],
    given: Given,
    padding: Annotated[int | None, typer.Option(min=0, help="Padding per side (default kernel // 2).")] = None,
    accelerator: AcceleratorName = "gemmini-default",
    mapper: Annotated[Mapper, typer.Option(help="optimal: our search (analytic model); gemmini: the tiles Gemmini's "
                                                "software tiler picks (tiled_conv_auto), priced by Gemmini's "
                                                "measured execution model on a WS array.")] = Mapper.optimal,
    mapping: Annotated[str | None, typer.Option(help="An explicit Timeloop/DOSA mapping, e.g. 'L3[WIO] K8 Q28 - "
                                                     "L2[WI] N1 K4X - L1[O] K2 S7 R7 Q4 P7 C3X - L0[W] P16', "
                                                     "priced by Gemmini's measured execution model.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Cost of one convolution: Gemmini's LoopConv under an explicit mapping or Gemmini's tiler (measured model, with
    an error band), or its im2col GEMM under our search (analytic model)."""
    from backend.cli.layer_result import print_layer_result
    from simulator.layer import ConvLayer, evaluate_layer
    from simulator.mapping import MappingError

    try:
        layer = ConvLayer(batch=batch, in_channels=in_channels, out_channels=out_channels, out_h=out_h, out_w=out_w,
                          kernel_h=kernel_h, kernel_w=kernel_w, stride=stride, padding=padding)
        hw = hardware(accelerator, given.overrides)
        result = evaluate_layer(layer, hw, mapper=mapper.value, mapping=mapping)
    except (ValidationError, ValueError, KeyError, MappingError) as error:
        fail(one_line(error))
    print_layer_result(layer, hw, result, as_json)
