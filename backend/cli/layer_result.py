"""One layer's result on the command line (`dse simulate-conv`, `dse simulate-gemm --mapping`): a table with the
error band and, under Gemmini's measured model, its breakdown; or the JSON, `backend.layers.LayerOut` as
`POST /api/simulate` answers a layer (`cycles`, `latency_s`, `cycles_low`, `cycles_high`, `model`, `breakdown`, ...)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from backend.cli.display import si
from backend.layers import LayerOut

if TYPE_CHECKING:
    from simulator.hardware import AcceleratorSpec
    from simulator.layer import Layer, LayerResult


def print_layer_result(layer: Layer, hw: AcceleratorSpec, result: LayerResult, as_json: bool) -> None:
    """Print one layer's result: JSON, or a table followed by the band's source and the notes."""
    data = LayerOut.of(layer, hw, result).model_dump(mode="json")
    if as_json:
        typer.echo(json.dumps(data))
        return
    table = Table(title=f"{layer.describe()} on {hw.rows}x{hw.cols} {hw.dataflow} ({hw.name})")
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_row("cycles", f"{result.cycles:,.0f}")
    table.add_row("latency", si(data["latency_s"], "s"))
    table.add_row("error band", "–" if result.cycles_low is None or result.cycles_high is None else
                  f"{result.cycles_low:,.0f} .. {result.cycles_high:,.0f}")
    table.add_row("model", result.model)
    table.add_row("compute cycles", f"{result.compute_cycles:,.0f}")
    if result.breakdown is not None:
        for part in ("host", "array", "reads", "writes", "memory", "tiles"):
            table.add_row(f"  {part}", f"{getattr(result.breakdown, part):,.0f}")
        table.add_row("bound", result.breakdown.bound)
    if result.dram_bytes is not None:
        table.add_row("DRAM bytes", f"{result.dram_bytes:,.0f}")
    if data["gemm"] is not None:
        table.add_row("GEMM (m x k x n)", "x".join(map(str, data["gemm"].values())))
    table.add_row("mapper", result.mapper)
    table.add_row("mapping", result.mapping)
    console = Console()
    if not console.is_terminal:  # piped output: do not truncate the table to 80 columns
        console = Console(width=200)
    console.print(table)
    console.print(f"band: {result.band_source}")
    for note in result.notes:
        console.print(f"note: {note}")
