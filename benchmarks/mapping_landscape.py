"""The mapping landscape of the survey's four GEMMs (Kim et al. 2023, Sec 5.5) on gemmini-default, beside the survey's
"EDP spans up to 10^4x, 1.5-2.6% of 100k random valid mappings within 3x of the best".

The GEMMs come from our own graphs: two ResNet-50 3x3 convolutions as im2col GEMMs (`conv2_2-3.b`, stage 2: 56x56
outputs, 64 -> 64 channels; `conv4_2-6.b`, stage 4: 14x14 outputs, 256 -> 256 channels: its tall-narrow and its
short-deep shape, the most repeated blocks of each stage), BERT-Base l = 512's projection (`q_proj`, also K, V and
W_out) and FFN W1 (`ffn_up`). For each: the space's size, whether it was sampled, the EDP spread, the relative-EDP
percentiles, the shares within 2x/3x/10x, where the optimal mapper (latency and EDP objectives) and Gemmini's tiler
sit, and the time taken. The survey's figures are in benchmarks/data/mapping_landscape_paper.yaml. Usage:
    .venv/bin/python benchmarks/mapping_landscape.py [--sample 100000] [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulator import load_accelerator_preset
from simulator.mapping import cache_clear, gemm_cost
from simulator.mapping.landscape import DEFAULT_LIMIT, Landscape, landscape
from simulator.workload import Scenario, Workload, build_graph, load_model_preset

PAPER = yaml.safe_load((Path(__file__).parent / "data" / "mapping_landscape_paper.yaml").read_text())
ACCELERATOR = "gemmini-default"
GEMMS = (("resnet-50", {}, "conv2_2-3.b", "ResNet-50 conv2 3x3"),
         ("resnet-50", {}, "conv4_2-6.b", "ResNet-50 conv4 3x3"),
         ("bert-base", {"seq_len": 512}, "q_proj", "BERT-Base projection"),
         ("bert-base", {"seq_len": 512}, "ffn_up", "BERT-Base FFN W1"))


def gemm_shape(model: str, scenario: dict, name: str) -> tuple[int, int, int]:
    graph = build_graph(Workload(model=load_model_preset(model), scenario=Scenario(**scenario)))
    op = next(op for op in graph.ops if op.name == name)
    return op.m, op.k, op.n


def place(drawn: Landscape, energy_pj: float, cycles: float) -> str:
    """A mapping's EDP over the landscape's best, and the percentage of the landscape with less EDP."""
    edp = energy_pj * cycles
    best = drawn.mappings.edp[drawn.summary.best]
    below = 100.0 * np.count_nonzero(drawn.mappings.edp < edp) / len(drawn.mappings.edp)
    return f"{edp / best:7.3f}x ({below:6.3f}% below)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=DEFAULT_LIMIT)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    hw = load_accelerator_preset(ACCELERATOR)
    figures = PAPER["figures"]
    low, high = figures["share_within_3x"]["low"], figures["share_within_3x"]["high"]
    print(f"Mapping landscapes on {ACCELERATOR} ({hw.rows}x{hw.cols} {hw.dataflow}, {hw.scratchpad_kib:g} KiB "
          f"scratchpad, {hw.accumulator_kib:g} KiB accumulator, {hw.l2_kib:g} KiB L2); {args.sample:,} mappings "
          f"sampled uniformly (seed {args.seed}) when the space is larger")
    print(f"Survey ({PAPER['source']}, {PAPER['mapper']}, {PAPER['model']} l = {PAPER['seq_len']}): EDP spans up to "
          f"{figures['edp_spread_up_to']['value']:,.0f}x; {100 * low:.1f}-{100 * high:.1f}% of "
          f"{figures['random_valid_mappings']['value']:,} random valid mappings within 3x of the best\n")
    rows = []
    for model, scenario, name, label in GEMMS:
        m, k, n = gemm_shape(model, scenario, name)
        cache_clear()  # cold: the references' searches are part of the time
        start = time.perf_counter()
        drawn = landscape(m, k, n, hw, limit=args.sample, seed=args.seed)
        seconds = time.perf_counter() - start
        rows.append((label, name, (m, k, n), drawn, seconds))

    header = (f"{'GEMM':<22} {'M x K x N':>14} {'space':>12} {'sampled':>7} {'spread':>10} {'p10':>7} {'p50':>7} "
              f"{'p90':>8} {'<=2x':>6} {'<=3x':>6} {'<=10x':>6} {'time':>6}")
    print(header)
    print("-" * len(header))
    for label, _name, (m, k, n), drawn, seconds in rows:
        s = drawn.summary
        p, w = s.percentiles, s.share_within
        print(f"{label:<22} {f'{m}x{k}x{n}':>14} {drawn.space_size:>12,} {'yes' if drawn.sampled else 'no':>7} "
              f"{s.spread:>9,.0f}x {p['10']:>6.1f}x {p['50']:>6.0f}x {p['90']:>7,.0f}x {100 * w['2']:>5.2f}% "
              f"{100 * w['3']:>5.2f}% {100 * w['10']:>5.1f}% {seconds:>5.2f}s")
    print(f"survey{'':<16} {'':>14} {figures['mappings_in_one_attention_layer']['value']:>12.0e} {'yes':>7} "
          f"{'<=' + format(figures['edp_spread_up_to']['value'], ',.0f'):>9}x {'':>7} {'':>7} {'':>8} {'':>6} "
          f"{f'{100 * low:.1f}-{100 * high:.1f}%':>6}")
    print(f"total time {sum(r[4] for r in rows):.2f} s (one core, cold caches)\n")

    print("Where the reference mappings sit (EDP over the landscape's best; share of the landscape with less EDP)")
    for label, _name, (m, k, n), drawn, _seconds in rows:
        optimal = drawn.references["optimal"]
        by_edp = gemm_cost(m, k, n, hw, objective="edp")
        tiler = drawn.references["gemmini"]
        print(f"  {label:<22} optimal (latency) {place(drawn, optimal.energy_pj, optimal.cycles)} | "
              f"optimal (EDP) {place(drawn, by_edp.energy_pj, by_edp.cycles)} | Gemmini's tiler "
              + (f"no mapping: {tiler}" if isinstance(tiler, str) else place(drawn, tiler.energy_pj, tiler.cycles)))
        print(f"  {'':<22} best sampled: {drawn.row(drawn.summary.best)['description']}; optimal (latency): "
              f"{optimal.mapping.describe()}")

    print("\nWhat spreads the EDP: the same landscapes restricted to full spatial factors (every fold fills the "
          f"{hw.rows}x{hw.cols} array)")
    full_spreads, full_shares, full_fractions = [], [], []
    for label, _name, _shape, drawn, _seconds in rows:
        mappings = drawn.mappings
        full = (mappings.spatial_rows == hw.rows) & (mappings.spatial_cols == hw.cols)
        edp = mappings.edp[full]
        best = edp.min()
        full_spreads.append(edp.max() / best)
        full_shares.append(float(np.mean(edp <= 3 * best)))
        full_fractions.append(float(full.mean()))
        worst = drawn.row(int(np.argmax(mappings.edp)))
        print(f"  {label:<22} {100 * full.mean():5.1f}% of the sample; spread {edp.max() / best:>8,.0f}x; "
              f"within 3x {100 * np.mean(edp <= 3 * best):5.2f}% | worst overall: {worst['description']}")
    explain(rows, hw, full_spreads, full_shares, full_fractions)


def explain(rows: list, hw, full_spreads: list[float], full_shares: list[float], full_fractions: list[float]) -> None:
    """Each difference from the survey's figure, with our measured numbers."""
    spreads = [r[3].summary.spread for r in rows]
    within3 = [r[3].summary.share_within["3"] for r in rows]
    spatial = len(rows[0][3].space.spatial_rows) * len(rows[0][3].space.spatial_cols)
    anchored, beaten = [], 0
    for _label, _name, shape, drawn, _seconds in rows:
        chosen = gemm_cost(*shape, hw, objective="edp")
        optimum = chosen.energy_pj * chosen.cycles
        sampled_best = drawn.mappings.edp[drawn.summary.best]
        beaten += optimum < sampled_best
        anchored.append(float(np.mean(drawn.mappings.edp <= 3 * min(optimum, sampled_best))))
    survey = PAPER["figures"]
    paragraphs = [
        f"1. Spread: ours {min(spreads):,.0f}-{max(spreads):,.0f}x against up to "
        f"{survey['edp_spread_up_to']['value']:,.0f}x. Our space lets a fold hold as little as 1 of the array's "
        f"{hw.rows} rows and {hw.cols} columns (Gemmini preloads a whole {hw.rows}x{hw.cols} block whatever it holds, "
        f"so a 1x1 spatial mapping takes {hw.rows * hw.cols} times the folds at the same cost each) and lets the free "
        f"dimension's tile be 1 row, which Gemmini still streams as a {hw.rows}-row block; the worst mappings combine "
        f"both. With full spatial factors alone the spread is {min(full_spreads):,.0f}-{max(full_spreads):,.0f}x "
        "(tile sizes, loop orders and L2 keep sets). Timeloop's mapspace also draws spatial factors; the range its "
        "figure shows depends on which factors its constraints allow and on its energy tables (Accelergy), ours on "
        "this model.",
        f"2. Share within 3x: ours {100 * min(within3):.2f}-{100 * max(within3):.2f}% against "
        f"{100 * survey['share_within_3x']['low']:.1f}-{100 * survey['share_within_3x']['high']:.1f}%. Only "
        f"{100 * min(full_fractions):.1f}-{100 * max(full_fractions):.1f}% of our mappings fill the array (1 of "
        f"{spatial} spatial choices), and of those {100 * min(full_shares):.0f}-{100 * max(full_shares):.0f}% are "
        "within 3x. What our space lacks moves the share: no DRAM-level tiling of its own (one tiling level between "
        "the local memories and the L2/DRAM, where Timeloop factors every dimension at every level of the hierarchy, "
        "adding mappings that differ in how DRAM is walked), no bypass of the scratchpad or accumulator (every "
        "operand is staged through them; Timeloop may bypass a level), and a dataflow fixed by the accelerator "
        f"({hw.dataflow} here; in Timeloop it follows from each mapping's loop order and spatial factors unless a "
        "constraint fixes it). What it adds: the L2 keep sets (Timeloop's keep/bypass at that level, but our L2 stays "
        "on the path, so keeping only saves DRAM re-reads) and every value of the free tile, beyond the divisors a "
        "perfect factorization (Timeloop's classic mapspace) gives.",
        f"3. Best: a sample's best is the best it drew. In {beaten} of {len(rows)} GEMMs the optimal mapper run for "
        "EDP beats every sampled mapping (relative EDP below 1x above). The survey's shares are of its 100k sampled "
        "mappings; ours in the table are relative to the best of our sample. Measured against the better of the two, "
        "the share within 3x is "
        f"{100 * min(anchored):.2f}-{100 * max(anchored):.2f}%.",
        "4. Convolutions: the two ResNet-50 GEMMs are priced as plain GEMMs, their A operand at the full im2col "
        "width; a design point charges A at the input map's size (im2col on chip, docs/simulator.md), so these "
        "landscapes overstate A's traffic for every mapping alike.",
        "5. Energy: EDP is each GEMM's dynamic energy (MACs, scratchpad/accumulator/L2 SRAM, DRAM; technology.yaml) "
        "times its cycles; static energy belongs to a design point, not a mapping.",
    ]
    print("\nDifferences from the survey's figure, from our model:")
    for paragraph in paragraphs:
        print(textwrap.fill(paragraph, width=118, subsequent_indent="   "))


if __name__ == "__main__":
    main()
