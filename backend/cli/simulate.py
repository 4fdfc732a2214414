"""`dse simulate` and `dse simulate-gemm`: one design point, or one GEMM, from the command line.

Bad input (unknown preset, invalid field, a configuration no tile fits) exits with code 2 and one line on
stderr that names the problem; never a traceback.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from backend.cli.catalog_options import Given, catalog_options


class MappingObjective(StrEnum):
    latency = "latency"
    energy = "energy"
    edp = "edp"


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def _one_line(error: Exception) -> str:
    if isinstance(error, ValidationError):
        parts = []
        for e in error.errors():
            where = ".".join(str(p) for p in e["loc"])
            message = e["msg"].removeprefix("Value error, ")
            parts.append(f"{where}: {message}" if where else message)
        return "; ".join(parts)
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _accelerator(preset: str, overrides: dict[str, Any]):
    from simulator.hardware import load_accelerator_preset

    return load_accelerator_preset(preset, **overrides)


@catalog_options("scenario", "accelerator", "options")
def simulate(
    model: Annotated[str, typer.Option(help="Model preset name (see the model presets).")],
    given: Given,
    accelerator: Annotated[str, typer.Option(help="Accelerator preset name.")] = "gemmini-default",
    allow_longer: Annotated[bool, typer.Option(help="Allow sequences past the model's max positions.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the full report as JSON.")] = False,
) -> None:
    """Simulate one model on one accelerator: per-operator cycles, share and bound, and the totals."""
    from simulator import Options, evaluate
    from simulator.hardware import preset_options
    from simulator.mapping import MappingError
    from simulator.workload import Scenario, Workload, load_model_preset

    try:
        hw = _accelerator(accelerator, given.overrides)
        spec = load_model_preset(model)
        workload = Workload(model=spec, scenario=Scenario(**given.scenario, allow_longer=allow_longer))
        report = evaluate(workload, hw, Options(**{**preset_options(accelerator), **given.options}))
    except (ValidationError, ValueError, KeyError, MappingError) as error:
        raise _fail(_one_line(error)) from None
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
        return
    console = Console()
    if not console.is_terminal:  # piped output: do not truncate the table to 80 columns
        console = Console(width=200)
    table = Table(title=f"{spec.name} on {hw.name} ({hw.rows}x{hw.cols} {hw.dataflow})")
    for column in ("op", "class", "phase", "count", "shape", "cycles", "share", "bound", "runs on", "mapping"):
        table.add_column(column, justify="right" if column in ("count", "cycles", "share") else "left")
    total = report.latency_cycles or 1.0
    for op in report.ops:
        table.add_row(op.name, op.op_class, op.phase, str(op.count), op.shape, f"{op.cycles:,.0f}",
                      f"{100 * op.cycles / total:.1f}%", op.bound, op.where, op.mapping)
    console.print(table)
    console.print(
        f"latency {report.latency_cycles:,.0f} cycles = {report.latency_s * 1e3:.3f} ms | "
        f"throughput {report.throughput_per_s:.2f}/s | energy {report.energy_j * 1e3:.3f} mJ "
        f"(MAC {report.energy_mac_j * 1e3:.3f}, SRAM {report.energy_sram_j * 1e3:.3f}, "
        f"DRAM {report.energy_dram_j * 1e3:.3f}, non-linear {report.energy_nonlinear_j * 1e3:.3f}, "
        f"static {report.energy_static_j * 1e3:.3f}) | area {report.area_mm2:.3f} mm² | power {report.power_w:.3f} W | "
        f"utilization {100 * report.utilization:.1f}% | DRAM {report.dram_bytes / 1e6:.2f} MB | "
        f"bottleneck {report.bottleneck}")


@catalog_options("accelerator")
def simulate_gemm(
    m: Annotated[int, typer.Option("--m", min=1, help="Rows of A and C.")],
    k: Annotated[int, typer.Option("--k", min=1, help="Reduction dimension.")],
    n: Annotated[int, typer.Option("--n", min=1, help="Columns of B and C.")],
    given: Given,
    accelerator: Annotated[str, typer.Option(help="Preset the other fields come from.")] = "gemmini-default",
    ideal_memory: Annotated[bool, typer.Option(help="Unlimited bandwidth: cycles = compute cycles.")] = False,
    objective: Annotated[MappingObjective, typer.Option("--mapping-objective", help="What the mapping search "
                                                         "minimises.")] = MappingObjective.latency,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Cost of one (M x K).(K x N) GEMM on the array under the best mapping."""
    from simulator.mapping import MappingError, gemm_cost

    try:
        hw = _accelerator(accelerator, given.overrides)
        cost = gemm_cost(m, k, n, hw, objective=objective.value, ideal_memory=ideal_memory)
    except (ValidationError, ValueError, KeyError, MappingError) as error:
        raise _fail(_one_line(error)) from None
    result = {"cycles": cost.cycles, "compute_cycles": cost.compute_cycles, "stall_cycles": cost.stall_cycles,
              "dram_bytes": cost.dram_bytes, "compulsory_dram_bytes": cost.compulsory_dram_bytes,
              "l2_bytes": cost.l2_bytes, "utilization": cost.utilization,
              "mapping": {**cost.mapping.model_dump(), "description": cost.mapping.describe()}}
    if as_json:
        typer.echo(json.dumps(result))
        return
    table = Table(title=f"GEMM {m}x{k}x{n} on {hw.rows}x{hw.cols} {hw.dataflow}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in result.items():
        table.add_row(key, value["description"] if isinstance(value, dict) else f"{value:,.4g}")
    Console().print(table)
