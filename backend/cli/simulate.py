"""`dse simulate` and `dse simulate-gemm`: one design point, or one GEMM, from the command line.

Bad input (unknown preset, invalid field, a configuration no tile fits) exits with code 2 and one line on
stderr that names the problem; never a traceback.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from simulator import Report
    from simulator.design_point import Definitions

from backend.cli.catalog_options import Given, catalog_options
from backend.cli.display import si
from backend.cli.local import CliError, database, fail, one_line, run

AcceleratorName = Annotated[str, typer.Option("--accelerator", help="Accelerator: a preset or a library accelerator.")]


class OpsShown(StrEnum):
    AUTO = "auto"
    PHASES = "phases"
    ALL = "all"


class MappingObjective(StrEnum):
    latency = "latency"
    energy = "energy"
    edp = "edp"


class Mapper(StrEnum):
    optimal = "optimal"
    gemmini = "gemmini"


def hardware(name: str, overrides: dict[str, Any]):
    """A preset, or a library accelerator (read from the configured database only when the name is not a preset),
    with field overrides; an unknown name raises the presets' error (with its did-you-mean)."""
    from simulator.hardware import accelerator_from_definition, list_accelerator_presets, load_accelerator_preset

    if name in list_accelerator_presets():
        return load_accelerator_preset(name, **overrides)
    try:
        factory = database()
    except CliError:
        return load_accelerator_preset(name, **overrides)  # no library here: the presets' error names the name
    from backend.library import service as library

    with factory() as session:
        found = library.definitions_for(session, "", name).accelerators.get(name)
    return load_accelerator_preset(name, **overrides) if found is None else accelerator_from_definition(
        found, **overrides)


def _point_definitions(model: str | None, config: Path | None, accelerator: str) -> tuple[str, Definitions]:
    """The model's name and what the point needs defined: a config file's model, or library entries (read from the
    configured database only when a name is not a packaged preset)."""
    from backend.cli.library import read_mapping
    from simulator import list_accelerator_presets, list_model_presets
    from simulator.design_point import Definitions
    from simulator.workload import model_from_data, model_from_hf_dict

    models: dict[str, Any] = {}
    if config is not None:
        data = read_mapping(config)
        name = model or config.parent.name or config.stem
        spec = model_from_hf_dict(data, name, where=str(config), origin=config.name) if "model_type" in data else (
            model_from_data({"name": name, **data}))
        models[name] = spec.model_dump(mode="json")
        model = name
    if model is None:
        raise CliError("give --model NAME (a preset or a library model) or --config FILE (a config.json)")
    presets = set(list_model_presets())
    wanted = model not in presets and model not in models
    if wanted or accelerator not in set(list_accelerator_presets()):
        from backend.library import service as library

        try:
            factory = database()
        except CliError:  # no database here: presets and files only (resolving says which name is unknown)
            return model, Definitions(models, {})
        with factory() as session:
            found = library.definitions_for(session, model if wanted else "", accelerator)
        models.update(found.models)
        return model, Definitions(models, found.accelerators)
    return model, Definitions(models, {})


@catalog_options("scenario", "accelerator", "options")
def simulate(
    given: Given,
    model: Annotated[str | None, typer.Option(help="Model: a preset, or a library model (`dse model list`).")] = None,
    config: Annotated[Path | None, typer.Option(help="A Hugging Face config.json (or a model in the presets' "
                                                     "format) to simulate instead of --model.")] = None,
    accelerator: AcceleratorName = "gemmini-default",
    allow_longer: Annotated[bool, typer.Option(help="Allow sequences past the model's max positions.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the full report as JSON.")] = False,
    ops: Annotated[OpsShown, typer.Option(
        "--ops", help="Operator rows: `auto` (every row for one phase, a subtotal per phase for an LLM's prefill and "
                      "decode), `phases` or `all`.")] = OpsShown.AUTO,
    fuse: Annotated[list[str] | None, typer.Option(
        "--fuse", help="A fusion group to apply (repeatable): qk_softmax, attention, wout_layernorm, ffn1_activation, "
                       "ffn2_layernorm, residual, conv_epilogue; `--fuse none` fuses nothing. Same as --fusion "
                       "A+B.")] = None,
) -> None:
    """Simulate one model on one accelerator: per-operator (or per-phase) cycles, share and bound, and the totals."""
    from simulator import evaluate
    from simulator.design_point import PointInputs
    from simulator.mapping import MappingError

    if fuse:
        if "fusion" in given.options:
            fail("give --fuse (repeatable) or --fusion, not both")
        given.options["fusion"] = "+".join(fuse)
    name, definitions = run(lambda: _point_definitions(model, config, accelerator))
    try:
        point = PointInputs(model=name, scenario={**given.scenario, "allow_longer": allow_longer} if allow_longer
                            else given.scenario, accelerator=accelerator, overrides=given.overrides,
                            options=given.options)
        resolved = point.resolve(definitions)
        spec, hw = resolved.workload.model, resolved.accelerator
        report = evaluate(resolved.workload, hw, resolved.options)
    except (ValidationError, ValueError, KeyError, MappingError) as error:
        fail(one_line(error))
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
        return
    console = Console()
    if not console.is_terminal:  # piped output: do not truncate the table to 80 columns
        console = Console(width=200)
    title = f"{spec.name} on {hw.name} ({hw.rows}x{hw.cols} {hw.dataflow})"
    calibration = definitions.calibration(accelerator, given.overrides)
    if calibration is not None:
        title += f", {calibration.label}"
    phases = list(dict.fromkeys(op.phase for op in report.ops))
    by_phase = ops is OpsShown.PHASES or (ops is OpsShown.AUTO and len(phases) > 1)
    console.print(_phase_table(report, phases, title) if by_phase else _ops_table(report, title))
    if by_phase and ops is OpsShown.AUTO:
        console.print(f"({len(report.ops)} operators in {len(phases)} phases; --ops all lists every one)")
    console.print(
        f"latency {report.latency_cycles:,.0f} cycles = {si(report.latency_s, 's')} ({_band(report)}) | "
        f"throughput {report.throughput_per_s:.2f}/s | energy {si(report.energy_j, 'J')} "
        f"(MAC {si(report.energy_mac_j, 'J')}, SRAM {si(report.energy_sram_j, 'J')}, "
        f"DRAM {si(report.energy_dram_j, 'J')}, non-linear {si(report.energy_nonlinear_j, 'J')}, "
        f"static {si(report.energy_static_j, 'J')}) | area {report.area_mm2:.3f} mm² | "
        f"power {si(report.power_w, 'W')} | "
        f"utilization {100 * report.utilization:.1f}% | DRAM {report.dram_bytes / 1e6:.2f} MB | "
        f"bottleneck {report.bottleneck} | fusion applied: {report.fused_groups}")
    if report.latency_low_s is not None:
        console.print(f"band: {report.validation}")
    for note in report.notes:
        console.print(f"note: {note}")
    console.print(_capacity_line(report, resolved.workload.scenario.device_count, hw.memory_gib))
    if report.tpot_s is not None or report.ttft_s is not None:
        console.print(
            f"time to first token {si(report.ttft_s, 's')} | time per output token {si(report.tpot_s, 's')} | "
            f"decode {report.decode_tokens_per_s or 0:,.1f} tokens/s | "
            f"energy per output token {si(report.decode_energy_per_token_j, 'J')}")


def _band(report: Report) -> str:
    """The latency's error band where the measured model priced some op, else that there is none."""
    if report.latency_low_s is None or report.latency_high_s is None:
        return report.validation
    return f"measured-model band {si(report.latency_low_s, 's')} – {si(report.latency_high_s, 's')}"


def _capacity_line(report: Report, devices: int, memory_gib: float) -> str:
    """Memory per device against capacity, the largest batch that fits, and (on several devices) the collectives."""
    capacity = f"{memory_gib:g} GiB" if memory_gib else "unlimited"
    line = (f"memory per device {report.memory_used_gib:.3f} GiB of {capacity} "
            f"(weights {report.memory_weights_gib:.3f}, KV cache {report.memory_kv_cache_gib:.3f}, "
            f"activations {report.memory_activations_gib:.3f}) | "
            f"max batch {'–' if report.max_batch is None else report.max_batch}")
    if devices > 1:
        communication = report.cycles_by_class.get("communication", 0.0)
        line += (f" | {devices} devices: communication {communication:,.0f} cycles "
                 f"({100 * communication / (report.latency_cycles or 1.0):.1f}%), system area "
                 f"{report.system_area_mm2:.3f} mm², energy per device {si(report.energy_per_device_j, 'J')}")
    return line


def _ops_table(report: Report, title: str) -> Table:
    table = Table(title=title)
    for column in ("op", "class", "phase", "count", "shape", "cycles", "share", "bound", "runs on", "mapping"):
        table.add_column(column, justify="right" if column in ("count", "cycles", "share") else "left")
    total = report.latency_cycles or 1.0
    for op in report.ops:
        table.add_row(op.name, op.op_class, op.phase, str(op.count), op.shape, f"{op.cycles:,.0f}",
                      f"{100 * op.cycles / total:.1f}%", op.bound, op.where, op.mapping)
    return table


def _phase_table(report: Report, phases: list[str], title: str) -> Table:
    """One row per phase: its operators, cycles, share, energy and the cycles of each bound."""
    table = Table(title=f"{title}, by phase")
    kinds = ["memory", "compute", "non-linear"] + (["communication"] if "communication" in report.cycles_by_class
                                                    else [])
    for column in ("phase", "operators", "cycles", "share", "energy", *(f"{kind}-bound" if kind in ("memory", "compute")
                                                                       else kind for kind in kinds)):
        table.add_column(column, justify="left" if column == "phase" else "right")
    total = report.latency_cycles or 1.0
    for phase in phases:
        mine = [op for op in report.ops if op.phase == phase]
        cycles = sum(op.cycles for op in mine)
        bound = {kind: sum(op.cycles for op in mine if op.bound == kind) / (cycles or 1.0) for kind in kinds}
        table.add_row(phase, str(len(mine)), f"{cycles:,.0f}", f"{100 * cycles / total:.1f}%",
                      si(sum(op.energy_j for op in mine), "J"),
                      *(f"{100 * bound[kind]:.0f}%" for kind in kinds))
    return table


# One GEMM's dimensions, as `simulate-gemm` and `mappings` take them.
GemmM = Annotated[int, typer.Option("--m", min=1, help="Rows of A and C.")]
GemmK = Annotated[int, typer.Option("--k", min=1, help="Reduction dimension.")]
GemmN = Annotated[int, typer.Option("--n", min=1, help="Columns of B and C.")]


@catalog_options("accelerator")
def simulate_gemm(
    m: GemmM,
    k: GemmK,
    n: GemmN,
    given: Given,
    accelerator: AcceleratorName = "gemmini-default",
    ideal_memory: Annotated[bool, typer.Option(help="Unlimited bandwidth: cycles = compute cycles.")] = False,
    objective: Annotated[MappingObjective, typer.Option("--mapping-objective", help="What the mapping search "
                                                         "minimises.")] = MappingObjective.latency,
    mapper: Annotated[Mapper, typer.Option(help="optimal: our search; gemmini: the tiles Gemmini's software tiler "
                                                "picks (tiled_matmul_auto).")] = Mapper.optimal,
    mapping: Annotated[str | None, typer.Option(help="An explicit Timeloop/DOSA mapping (P = m, C = k, K = n, as DOSA "
                                                     "writes matmuls), priced by Gemmini's measured execution model "
                                                     "with an error band.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Cost of one (M x K).(K x N) GEMM on the array under the best mapping (or Gemmini's tiler's, or `--mapping`)."""
    from simulator.mapping import MappingError, gemm_cost

    if mapping is not None:
        from backend.cli.layer_result import print_layer_result
        from simulator.layer import GemmLayer, evaluate_layer

        layer = GemmLayer(m, k, n)
        try:
            hw = hardware(accelerator, given.overrides)
            one = evaluate_layer(layer, hw, mapper=mapper.value, mapping=mapping)
        except (ValidationError, ValueError, KeyError, MappingError) as error:
            fail(one_line(error))
        print_layer_result(layer, hw, one, as_json)
        return
    try:
        hw = hardware(accelerator, given.overrides)
        cost = gemm_cost(m, k, n, hw, objective=objective.value, mapper=mapper.value, ideal_memory=ideal_memory)
    except (ValidationError, ValueError, KeyError, MappingError) as error:
        fail(one_line(error))
    result = {"cycles": cost.cycles, "compute_cycles": cost.compute_cycles, "stall_cycles": cost.stall_cycles,
              "transfer_cycles": cost.transfer_cycles, "dram_bytes": cost.dram_bytes,
              "compulsory_dram_bytes": cost.compulsory_dram_bytes,
              "l2_bytes": cost.l2_bytes, "utilization": cost.utilization,
              "mapping": {**cost.mapping._asdict(), "description": cost.mapping.describe()}}
    if as_json:
        typer.echo(json.dumps(result))
        return
    table = Table(title=f"GEMM {m}x{k}x{n} on {hw.rows}x{hw.cols} {hw.dataflow}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in result.items():
        table.add_row(key, value["description"] if isinstance(value, dict) else f"{value:,.4g}")
    Console().print(table)
    Console().print("band: none, the analytic model is not validated against measurements (an explicit --mapping "
                    "is priced by Gemmini's measured model, with an error band)")
