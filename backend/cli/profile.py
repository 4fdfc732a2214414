"""`dse profile`: where a Transformer or a CNN spends FLOPs and memory traffic, as a table, JSON or a Plotly figure.

The JSON has one shape for both: a CNN has the same keys (its ops in phase "forward", `per_layer` empty), and
every profile carries `fused` / `fused_classes`, the count with BatchNorm folded into the convolution and ReLU on
its output path (equal to the unfused totals for a Transformer, whose ops are not marked for fusion).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from backend.cli.catalog_options import Given, catalog_options, flag
from simulator.workload import (
    AnyModelSpec,
    ConfigImportError,
    Operator,
    Profile,
    Scenario,
    UnknownPresetError,
    Workload,
    load_model_preset,
    model_from_file,
    model_from_hf_config,
)
from simulator.workload import profile as profile_workload

PLOT_LENGTHS = (128, 256, 512, 1024, 2048, 4096)
PLOT_IMAGE_SIZES = (112, 160, 224, 320, 448)  # CNN input sides for --plot


class ProfileInputError(ValueError):
    """Bad command-line input: reported on one line, exit code 2."""


def _one_line(error: ValidationError) -> str:
    """The first problem, named by its flag (`--prompt-len: Input should be greater than or equal to 0`)."""
    first = error.errors()[0]
    message = str(first["msg"]).removeprefix("Value error, ")
    location = ".".join(str(part) for part in first["loc"])
    return f"{flag(location)}: {message}" if location else message


def _positive(name: str, value: int | None) -> None:
    if value is not None and value <= 0:
        raise ProfileInputError(f"{name} must be positive (got {value})")


def _model(
    model: str | None, config: Path | None, weight_bits: int | None, activation_bits: int | None,
) -> AnyModelSpec:
    if (model is None) == (config is None):
        raise ProfileInputError("give exactly one of --model NAME or --config PATH")
    if model is not None:
        spec = load_model_preset(model)
    elif config is not None and config.suffix.lower() in (".yaml", ".yml"):  # our own format, e.g. a CNN's layers
        spec = model_from_file(config)
    else:
        spec = model_from_hf_config(config)
    update = {key: value for key, value in (("weight_bits", weight_bits), ("activation_bits", activation_bits))
              if value is not None}
    return type(spec).model_validate(spec.model_dump() | update) if update else spec


def _scaled(workload: Workload, length: int) -> Workload:
    """The same scenario with its main length set to `length` (for the length sweep of --plot)."""
    scenario, model = workload.scenario, workload.model
    if model.family == "cnn":
        return Workload(model=model, scenario=scenario.model_copy(update={"image_size": length}))
    if model.family == "decoder" and workload.prompt_len == 0:
        update: dict[str, Any] = {"generate_len": length}
    elif model.family == "decoder":
        update = {"prompt_len": length, "seq_len": None}
    else:
        update = {"seq_len": length}
    return Workload(model=model, scenario=scenario.model_copy(update=update | {"allow_longer": True}))


def _op_json(op: Operator) -> dict[str, Any]:
    return {
        "name": op.name, "kind": op.kind, "op_class": op.op_class, "phase": op.phase, "layer_count": op.layer_count,
        "m": op.m, "k": op.k, "n": op.n, "instances": op.instances, "b_is_weight": op.b_is_weight,
        "flops": op.flops, "bytes_read": op.bytes_read, "bytes_written": op.bytes_written,
        "arithmetic_intensity": op.arithmetic_intensity, "elements": op.elements,
        "decode_steps": op.decode_steps, "kv_length": op.kv_length, "fusion": op.fusion,
    }


def profile_json(result: Profile) -> dict[str, Any]:
    """JSON document of a profile: per-op values are for one copy; totals cover the whole model."""
    workload = result.workload
    scenario = workload.scenario.model_dump() | {
        "encoder_len": workload.encoder_len, "prompt_len": workload.prompt_len,
        "generate_len": workload.generate_len, "image_size": workload.image_size or None,
    }
    return {
        "model": workload.model.model_dump(),
        "scenario": scenario,
        "ops": [_op_json(op) for op in result.graph.ops],
        "totals": result.total.as_dict(),
        "phases": {phase: totals.as_dict() for phase, totals in result.by_phase.items()},
        "per_layer": {phase: totals.as_dict() for phase, totals in result.per_layer.items()},
        "classes": {name: totals.as_dict() for name, totals in result.by_class.items()},
        "decode_per_token": result.decode_per_token.as_dict() if result.decode_per_token else None,
        "fused": result.fused.as_dict(),
        "fused_classes": {name: totals.as_dict() for name, totals in result.fused_by_class.items()},
    }


def _shape(ops: list[Operator]) -> str:
    """m×k×n (×instances) of one op name; a growing KV cache shows its true first…last length."""
    op = ops[0]
    span = str(op.kv_length)
    if len(ops) > 1:
        first = min(o.kv_length - o.decode_steps // 2 for o in ops)
        last = max(o.kv_length + o.decode_steps // 2 for o in ops)
        span = f"{first}…{last}"
    n = span if op.kv_length and op.n == op.kv_length else str(op.n)
    if op.kind != "gemm":
        return f"{op.m}×{n}"
    k = span if op.kv_length and op.k == op.kv_length else str(op.k)
    shape = f"{op.m}×{k}×{n}"
    return f"{shape} ×{op.instances}" if op.instances > 1 else shape


def _table(result: Profile) -> Table:
    workload = result.workload
    model = workload.model
    lengths = [f"{label} {value}" for label, value in (("seq", workload.encoder_len), ("prompt", workload.prompt_len),
                                                        ("generate", workload.generate_len)) if value]
    if workload.image_size:
        lengths.append(f"{workload.image_size}×{workload.image_size} px")
    title = f"{model.name} · batch {workload.scenario.batch} · {' · '.join(lengths)}"
    table = Table(title=title, show_lines=False)
    for column, justify in (("phase", "left"), ("op", "left"), ("kind", "left"), ("shape m×k×n", "right"),
                            ("runs", "right"), ("GFLOPs", "right"), ("MB", "right"), ("FLOP/B", "right"),
                            ("FLOPs %", "right"), ("bytes %", "right")):
        table.add_column(column, justify=justify)
    total = result.total
    grouped: dict[tuple[str, str], list[Operator]] = {}
    for op in result.graph.ops:
        grouped.setdefault((op.phase, op.name), []).append(op)
    for (phase, name), ops in grouped.items():
        flops = sum(op.total_flops for op in ops)
        traffic = sum(op.total_bytes for op in ops)
        table.add_row(
            phase, name, ops[0].kind, _shape(ops), f"{sum(op.layer_count for op in ops):,}",
            f"{flops / 1e9:,.3f}", f"{traffic / 1e6:,.2f}", f"{flops / traffic:,.2f}" if traffic else "-",
            f"{100 * flops / total.flops:.1f}" if total.flops else "-",
            f"{100 * traffic / total.bytes:.1f}" if total.bytes else "-",
        )
    table.add_section()
    rows = [(f"{phase} total", totals) for phase, totals in result.by_phase.items()]
    if result.decode_per_token is not None:
        rows.append(("decode per token (mean)", result.decode_per_token))
    rows.append(("model total", total))
    if result.fused != total:
        rows.append(("model total, fused", result.fused))  # BatchNorm folded, ReLU on the output path
    for label, totals in rows:
        table.add_row(label, "", "", "", "", f"{totals.flops / 1e9:,.3f}", f"{totals.bytes / 1e6:,.2f}",
                      f"{totals.arithmetic_intensity:,.2f}", "", "", style="bold" if label == "model total" else None)
    return table


def write_plot(workload: Workload, path: Path) -> None:
    """Stacked FLOPs share by operator class at the standard lengths (and the requested one)."""
    import plotly.graph_objects as go

    cnn = workload.model.family == "cnn"
    current = workload.image_size if cnn else max(
        workload.encoder_len, workload.generate_len if workload.prompt_len == 0 else workload.prompt_len)
    lengths = sorted(set(PLOT_IMAGE_SIZES if cnn else PLOT_LENGTHS) | {current})
    profiles = [profile_workload(_scaled(workload, length)) for length in lengths]
    classes = list(dict.fromkeys(name for result in profiles for name in result.by_class))
    figure = go.Figure()
    for name in classes:
        shares = [100 * r.by_class[name].flops / r.total.flops if name in r.by_class else 0.0 for r in profiles]
        figure.add_bar(name=name, x=[str(length) for length in lengths], y=shares)
    axis = "input side (pixels)" if cnn else "sequence length (tokens)"
    figure.update_layout(
        barmode="stack", title=f"{workload.model.name}: FLOPs share by operator class vs. {axis.split(' (')[0]}",
        xaxis_title=axis, yaxis_title="share of FLOPs (%)", legend_title="operator class",
    )
    figure.write_html(path, include_plotlyjs=True)


@catalog_options("scenario")
def profile(
    given: Given,
    model: Annotated[str | None, typer.Option("--model", help="Model preset name (see simulator/data/models).")] = None,
    config: Annotated[Path | None, typer.Option(
        "--config", help="Hugging Face config.json to import, or a model YAML file (e.g. a CNN's layers).")] = None,
    allow_longer: Annotated[bool, typer.Option("--allow-longer", help="Allow lengths past max positions.")] = False,
    weight_bits: Annotated[int | None, typer.Option("--weight-bits", help="Override weight precision.")] = None,
    activation_bits: Annotated[int | None, typer.Option("--activation-bits", help="Override activations.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    plot: Annotated[Path | None, typer.Option("--plot", help="Write FLOPs share vs. length as HTML.")] = None,
) -> None:
    """Profile a model: FLOPs, memory traffic (8-bit unfused MOPs) and arithmetic intensity per operator."""
    try:
        for name, value in (("--weight-bits", weight_bits), ("--activation-bits", activation_bits)):
            _positive(name, value)
        spec = _model(model, config, weight_bits, activation_bits)
        scenario = Scenario(**given.scenario, allow_longer=allow_longer)
        workload = Workload(model=spec, scenario=scenario)
        result = profile_workload(workload)
        if plot is not None:
            write_plot(workload, plot)
    except ValidationError as error:
        typer.echo(f"error: {_one_line(error)}", err=True)
        raise typer.Exit(2) from None
    except (ProfileInputError, UnknownPresetError, ConfigImportError, ValueError, OSError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps(profile_json(result), indent=2))
        return
    console = Console(width=max(Console().width, 140))
    console.print(_table(result))
    if plot is not None:
        console.print(f"wrote {plot}")
