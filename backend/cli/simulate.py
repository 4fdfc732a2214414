"""`dse simulate` and `dse simulate-gemm`: one design point, or one GEMM, from the command line.

Bad input (unknown preset, invalid field, a configuration no tile fits) exits with code 2 and one line on
stderr that names the problem; never a traceback.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

Dataflow = Annotated[str | None, typer.Option(help="Dataflow: ws or os.")]


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


def _parse_sets(pairs: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise ValueError(f"--set expects FIELD=VALUE, got '{pair}'")
        key, value = pair.split("=", 1)
        out[key.strip().replace("-", "_")] = value.strip()
    return out


def _accelerator(preset: str, overrides: dict[str, Any]):  # noqa: ANN202 - AcceleratorSpec
    from simulator.hardware import load_accelerator_preset

    return load_accelerator_preset(preset, **{k: v for k, v in overrides.items() if v is not None})


def simulate(
    model: Annotated[str, typer.Option(help="Model preset name (see the model presets).")],
    accelerator: Annotated[str, typer.Option(help="Accelerator preset name.")] = "gemmini-default",
    seq_len: Annotated[int | None, typer.Option(help="Sequence length (encoder) or prompt length (decoder).")] = None,
    batch: Annotated[int, typer.Option(min=1)] = 1,
    prompt_len: Annotated[int | None, typer.Option(help="Decoder prompt length.")] = None,
    generate_len: Annotated[int, typer.Option(help="Decoder tokens generated.")] = 0,
    image_size: Annotated[int | None, typer.Option(min=1, help="CNN input side in pixels (default: model's).")] = None,
    rows: Annotated[int | None, typer.Option(help="Array rows override.")] = None,
    cols: Annotated[int | None, typer.Option(help="Array columns override.")] = None,
    dataflow: Dataflow = None,
    scratchpad_kib: Annotated[float | None, typer.Option(help="Scratchpad KiB override.")] = None,
    accumulator_kib: Annotated[float | None, typer.Option(help="Accumulator KiB override.")] = None,
    dram_bytes_per_cycle: Annotated[float | None, typer.Option(help="DRAM bandwidth override.")] = None,
    clock_ghz: Annotated[float | None, typer.Option(help="Clock override.")] = None,
    set_fields: Annotated[list[str] | None, typer.Option(
        "--set", help="Any other accelerator field, FIELD=VALUE (repeatable), e.g. --set softmax_on=accelerator."
    )] = None,
    objective: Annotated[str, typer.Option(help="Mapping objective: latency, energy or edp.")] = "latency",
    fuse_nonlinear: Annotated[bool, typer.Option(help="Apply non-linear ops on the accumulator read path.")] = True,
    keep_scores_on_chip: Annotated[bool, typer.Option(help="Keep attention scores on chip when they fit.")] = True,
    allow_longer: Annotated[bool, typer.Option(help="Allow sequences past the model's max positions.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the full report as JSON.")] = False,
) -> None:
    """Simulate one model on one accelerator: per-operator cycles, share and bound, and the totals."""
    from simulator import Options, evaluate
    from simulator.mapping import MappingError
    from simulator.workload import Scenario, Workload, load_model_preset

    try:
        overrides: dict[str, Any] = {"rows": rows, "cols": cols, "dataflow": dataflow, "scratchpad_kib": scratchpad_kib,
                                     "accumulator_kib": accumulator_kib, "dram_bytes_per_cycle": dram_bytes_per_cycle,
                                     "clock_ghz": clock_ghz, **_parse_sets(set_fields)}
        hw = _accelerator(accelerator, overrides)
        spec = load_model_preset(model)
        workload = Workload(model=spec, scenario=Scenario(batch=batch, seq_len=seq_len, prompt_len=prompt_len,
                                                          generate_len=generate_len, allow_longer=allow_longer,
                                                          image_size=image_size))
        options = Options(mapping_objective=objective, fuse_nonlinear=fuse_nonlinear,
                          keep_scores_on_chip=keep_scores_on_chip)
        report = evaluate(workload, hw, options)
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


def simulate_gemm(
    m: Annotated[int, typer.Option("--m", min=1, help="Rows of A and C.")],
    k: Annotated[int, typer.Option("--k", min=1, help="Reduction dimension.")],
    n: Annotated[int, typer.Option("--n", min=1, help="Columns of B and C.")],
    rows: Annotated[int | None, typer.Option(help="Array rows.")] = None,
    cols: Annotated[int | None, typer.Option(help="Array columns.")] = None,
    dataflow: Dataflow = None,
    scratchpad_kib: Annotated[float | None, typer.Option(help="Scratchpad KiB.")] = None,
    accumulator_kib: Annotated[float | None, typer.Option(help="Accumulator KiB.")] = None,
    dram_bytes_per_cycle: Annotated[float | None, typer.Option(help="DRAM bandwidth, bytes/cycle.")] = None,
    accelerator: Annotated[str, typer.Option(help="Preset the other fields come from.")] = "gemmini-default",
    ideal_memory: Annotated[bool, typer.Option(help="Unlimited bandwidth: cycles = compute cycles.")] = False,
    objective: Annotated[str, typer.Option(help="Mapping objective: latency, energy or edp.")] = "latency",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Cost of one (M x K).(K x N) GEMM on the array under the best mapping."""
    from simulator.mapping import MappingError, gemm_cost

    if objective not in ("latency", "energy", "edp"):
        raise _fail(f"--objective must be latency, energy or edp, got '{objective}'")
    try:
        hw = _accelerator(accelerator, {"rows": rows, "cols": cols, "dataflow": dataflow,
                                        "scratchpad_kib": scratchpad_kib, "accumulator_kib": accumulator_kib,
                                        "dram_bytes_per_cycle": dram_bytes_per_cycle})
        cost = gemm_cost(m, k, n, hw, objective=objective, ideal_memory=ideal_memory)  # type: ignore[arg-type]
    except (ValidationError, ValueError, KeyError, MappingError) as error:
        raise _fail(_one_line(error)) from None
    result = {"cycles": cost.cycles, "compute_cycles": cost.compute_cycles, "stall_cycles": cost.stall_cycles,
              "dram_bytes": cost.dram_bytes, "utilization": cost.utilization,
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
