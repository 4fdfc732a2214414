"""`dse serving`: an arrival-driven serving run of one model on one design (simulator/serving/simulation.py), and
optionally its serving curve over batch sizes.

Lengths are fixed (`--prompt-len 512`) or uniform (`--prompt-len 128 --prompt-len-max 1024`); any accelerator or
option flag of `dse simulate` applies. Bad input exits with code 2 and one line on stderr naming the problem.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from backend.cli.catalog_options import Given, catalog_options
from backend.cli.local import fail, one_line
from backend.cli.local import run as run_cli
from backend.cli.simulate import AcceleratorName, _point_definitions

if TYPE_CHECKING:
    from simulator.serving import ServingCurve, ServingResult


def _lengths(low: int, high: int | None) -> dict[str, Any]:
    return {"kind": "fixed", "tokens": low} if high is None else {"kind": "uniform", "low": low, "high": high}


@catalog_options("accelerator", "options")
def serving(
    given: Given,
    rate: Annotated[float, typer.Option(help="Mean request arrivals per second (Poisson).")],
    requests: Annotated[int, typer.Option(help="Requests to serve.", min=1)],
    prompt_len: Annotated[int, typer.Option(help="Prompt tokens (the low end with --prompt-len-max).", min=1)],
    generate_len: Annotated[int, typer.Option(help="Generated tokens (the low end with --generate-len-max).",
                                              min=0)],
    model: Annotated[str | None, typer.Option(help="Model: a preset, or a library model (`dse model list`).")] = None,
    config: Annotated[Path | None, typer.Option(help="A Hugging Face config.json to serve instead of --model.")] = None,
    accelerator: AcceleratorName = "gemmini-transformer-32x32",
    prompt_len_max: Annotated[int | None, typer.Option(help="Prompt lengths uniform in "
                                                             "[--prompt-len, this].")] = None,
    generate_len_max: Annotated[int | None, typer.Option(help="Generated lengths uniform in "
                                                               "[--generate-len, this].")] = None,
    slo_tpot_ms: Annotated[float | None, typer.Option(help="TPOT bound of the goodput, ms.")] = None,
    slo_ttft_ms: Annotated[float | None, typer.Option(help="TTFT bound of the goodput, ms.")] = None,
    max_batch: Annotated[int | None, typer.Option(help="Requests in flight at most (default: the largest batch "
                                                       "that fits, up to 256).", min=1)] = None,
    chunk_tokens: Annotated[int, typer.Option(help="Prompt tokens prefilled per iteration at most.", min=1)] = 512,
    seed: Annotated[int, typer.Option(help="Seed of arrivals and lengths.", min=0)] = 0,
    curve: Annotated[bool, typer.Option("--curve", help="Also the serving curve (static batches 1, 2, 4, ... up "
                                                        "to the max batch) at the longest lengths.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Serve arriving requests with continuous batching: p50/p99 TTFT and TPOT, throughput and goodput."""
    from simulator.design_point import PointInputs
    from simulator.mapping import MappingError
    from simulator.serving import ServingRun, serve, serving_curves, serving_point

    name, definitions = run_cli(lambda: _point_definitions(model, config, accelerator))
    try:
        run = ServingRun(rate_per_s=rate, requests=requests, prompt=_lengths(prompt_len, prompt_len_max),
                         generate=_lengths(generate_len, generate_len_max), seed=seed, chunk_tokens=chunk_tokens,
                         max_batch=max_batch, slo_tpot_ms=slo_tpot_ms, slo_ttft_ms=slo_ttft_ms)
        point = PointInputs(model=name, scenario={"prompt_len": run.prompt.longest,
                                                  "generate_len": max(run.generate.longest, 1)},
                            accelerator=accelerator, overrides=given.overrides, options=given.options)
        resolved = serving_point(point, definitions)
        result = serve(resolved.workload, resolved.accelerator, resolved.options, run)
        curves = serving_curves(resolved.workload, [resolved.accelerator], resolved.options, run,
                                batch_limit=result.max_batch) if curve else []
    except (ValidationError, ValueError, KeyError, MappingError) as error:
        fail(one_line(error))
    if as_json:
        data = {"model": name, "accelerator": accelerator, **result.model_dump()}
        typer.echo(json.dumps(data | ({"curve": asdict(curves[0])} if curves else {})))
        return
    _print(result, f"{requests:,} requests of {name} on {accelerator} at {rate:g}/s")
    if curves:
        _print_curve(curves[0])


def _seconds(value: float | None) -> str:
    return "–" if value is None else f"{value * 1e3:,.1f} ms" if value < 10 else f"{value:,.1f} s"


def _print(result: ServingResult, title: str) -> None:
    table = Table(title=title)
    for column in ("", "p50", "p99", "mean"):
        table.add_column(column, justify="right" if column else "left")
    for label, figures in (("time to first token", result.ttft_s), ("time per output token", result.tpot_s)):
        table.add_row(label, _seconds(figures.p50), _seconds(figures.p99), _seconds(figures.mean))
    console = Console()
    console.print(table)
    console.print(f"throughput {result.throughput_tokens_per_s:,.2f} tokens/s | goodput "
                  f"{result.goodput_tokens_per_s:,.2f} tokens/s ({100 * result.slo_met:.1f}% of requests meet the "
                  f"SLO) | max batch {result.max_batch} (peak {result.peak_batch}) | {result.iterations:,} "
                  f"iterations over {result.duration_s:,.1f} s")


def _print_curve(curve: ServingCurve) -> None:
    table = Table(title=f"serving curve on {curve.accelerator} (max batch {curve.max_batch})")
    for column in ("batch", "tokens/s", "decode tokens/s", "TTFT", "TPOT", "meets SLO"):
        table.add_column(column, justify="right")
    for point in curve.points:
        mark = "best" if point.batch == curve.goodput_batch else "yes" if point.meets_slo else "no"
        table.add_row(str(point.batch), f"{point.tokens_per_s:,.2f}", f"{point.decode_tokens_per_s:,.2f}",
                      _seconds(point.ttft_s), _seconds(point.tpot_s), mark)
    console = Console()
    console.print(table)
    console.print(curve.note or f"goodput {curve.goodput_tokens_per_s:,.2f} tokens/s at batch {curve.goodput_batch}")
