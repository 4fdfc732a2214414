"""`dse mappings`: the mapping landscape of one GEMM (simulator/mapping/landscape.py) from the command line.

Prints how the EDP of every legal mapping (or a seeded uniform sample) spreads relative to the best, and where the
optimal mapper's and Gemmini's tiler's choices sit; `--json` prints the whole result, the API's format. Bad input
exits with code 2 and one line on stderr.
"""

from __future__ import annotations

import json
import math
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from backend.cli.catalog_options import Given, catalog_options
from backend.cli.local import run
from backend.cli.simulate import AcceleratorName, GemmK, GemmM, GemmN, MappingObjective, hardware

MAX_CLI_SAMPLE = 1_000_000  # ~0.5 GB of per-mapping arrays; the API allows 100k


@catalog_options("accelerator")
def mappings(
    m: GemmM,
    k: GemmK,
    n: GemmN,
    given: Given,
    accelerator: AcceleratorName = "gemmini-default",
    sample: Annotated[int, typer.Option(min=1, max=MAX_CLI_SAMPLE, help="Evaluate every mapping when the space has "
                                        "at most this many, else a uniform random sample of this many.")] = 100_000,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the sample.")] = 0,
    objective: Annotated[MappingObjective, typer.Option("--mapping-objective", help="What the optimal mapper (the "
                                                        "reference marked in the landscape) minimises.")] = (
        MappingObjective.latency),
    show: Annotated[int, typer.Option(min=0, max=10_000, help="Mappings listed with --json: the 10 best, then evenly "
                                      "spaced ranks up to the worst.")] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole result as JSON.")] = False,
) -> None:
    """The mapping landscape of one (M x K).(K x N) GEMM: how the energy-delay product of its legal mappings spreads
    (tile sizes, spatial factors, loop orders, L2 keep sets), and where the optimal mapper and Gemmini's tiler sit."""
    from simulator.mapping.landscape import landscape

    def compute() -> dict[str, Any]:
        hw = hardware(accelerator, given.overrides)
        return landscape(m, k, n, hw, limit=sample, seed=seed, objective=objective.value).to_json(shown=show)

    result = run(compute)
    if as_json:
        typer.echo(json.dumps(result))
        return
    console = Console()
    if not console.is_terminal:
        console = Console(width=200)
    console.print(_summary_table(result))
    console.print(_decades_table(result))


def _ratio(value: float) -> str:
    """A ratio to the best EDP: in full from 100x, else 3 digits (4 within 1% of 1, so 1.005x is not read as 1x)."""
    if value >= 100:
        return f"{value:,.0f}x"
    return f"{value:.4g}x" if abs(value - 1) < 0.01 else f"{value:.3g}x"


def _summary_table(result: dict[str, Any]) -> Table:
    gemm, hw, summary, space = result["gemm"], result["accelerator"], result["summary"], result["space"]
    table = Table(title=f"Mapping landscape of GEMM {gemm['m']}x{gemm['k']}x{gemm['n']} on {hw['name']} "
                        f"({hw['rows']}x{hw['cols']} {hw['dataflow']})")
    table.add_column("")
    table.add_column("value")
    evaluated = (f"{summary['evaluated']:,} sampled uniformly (seed {space['seed']})" if summary["sampled"]
                 else f"all {summary['evaluated']:,}")
    percentiles = summary["relative_edp_percentiles"]
    share = summary["share_within"]
    rows = [
        ("legal mappings", f"{summary['space_size']:,} ({space['tilings']:,} tilings x {len(space['spatial_rows'])}x"
                           f"{len(space['spatial_cols'])} spatial x {len(space['loop_orders'])} orders x "
                           f"{len(space['l2_keep_sets'])} L2 keep sets)"),
        ("evaluated", evaluated),
        ("EDP spread (worst / best)", _ratio(summary["edp_spread"])),
        ("relative EDP p10 / p50 / p90", " / ".join(_ratio(percentiles[p]) for p in ("10", "50", "90"))),
        ("within 2x / 3x / 10x of the best", " / ".join(f"{100 * share[w]:.2f}%" for w in ("2", "3", "10"))),
        ("best", f"{summary['best']['description']} ({summary['best']['cycles']:,.0f} cycles, "
                 f"{summary['best']['energy_pj'] * 1e-6:,.3f} µJ)"),
    ]
    for mapper, label in (("optimal", f"optimal mapper ({result['objective']})"), ("gemmini", "Gemmini's tiler")):
        ref = summary["references"][mapper]
        rows.append((label, f"no mapping: {ref['error']}" if ref["error"] else
                     f"{ref['mapping']}: {_ratio(ref['relative_edp'])} the best, {ref['percentile']:.3g}% of the "
                     f"mappings have less EDP"))
    for label, value in rows:
        table.add_row(label, value)
    return table


def _decades_table(result: dict[str, Any]) -> Table:
    """The histogram by decade of relative EDP (the shares a reader compares with the survey's figure)."""
    edges, counts = result["histogram"]["relative_edp_edges"], result["histogram"]["counts"]
    total = sum(counts) or 1
    table = Table(title="Mappings by EDP relative to the best")
    table.add_column("relative EDP")
    table.add_column("mappings", justify="right")
    table.add_column("share", justify="right")
    decades: dict[int, int] = {}
    for low, count in zip(edges[:-1], counts, strict=True):
        decade = math.floor(math.log10(low) + 1e-9)  # bins never straddle a decade: 10 per decade from 1
        decades[decade] = decades.get(decade, 0) + count
    for decade, count in sorted(decades.items()):
        table.add_row(f"{10 ** decade:,}x – {10 ** (decade + 1):,}x", f"{count:,}", f"{100 * count / total:.2f}%")
    return table
