"""Gemmini's execution model against DOSA's FireSim training rows (issue 27).

Prints: the training-set table (stored constants on all rows, and grouped 5-fold CV by layer shape), by kind, by
array size N and by the bound the model names; the 10 worst rows with the model's breakdown; and the tiles our
`tiled_conv_auto` / `tiled_matmul_auto` pick for a table of cases, with the model's cycles for them.

Run: `PYTHONPATH=. python benchmarks/validate_firesim.py [--no-cv]`
"""

from __future__ import annotations

import argparse

import numpy as np

from simulator.fit_firesim import TrainingRows, cross_validated, kinds, score, training_rows
from simulator.mapping.gemmini_auto_calls import auto_conv_call, auto_matmul_call
from simulator.mapping.gemmini_conv_tiler import ConvShape
from simulator.mapping.gemmini_exec import Breakdown, GemminiTiming, call_work, execution_cycles, measured_timing


def _line(label: str, predicted: np.ndarray, measured: np.ndarray) -> str:
    if len(measured) == 0:
        return f"  {label:24s}     0"
    s = score(predicted, measured)
    return (f"  {label:24s} {s.rows:5d}  median|err| {100 * s.median_abs_error:5.1f}%  "
            f"spearman {s.spearman:6.4f}  geomean pred/meas {s.geomean_ratio:5.3f}")


def print_table(data: TrainingRows, predicted: np.ndarray, breakdown: Breakdown, title: str) -> None:
    print(f"\n{title}")
    bound = breakdown.bound()
    for kind, mask in kinds(data).items():
        print(_line(kind, predicted[mask], data.measured[mask]))
        if kind == "all":
            continue
        for side in np.unique(data.sides):
            m = mask & (data.sides == side)
            print(_line(f"  {kind} N={side}", predicted[m], data.measured[m]))
        for name in ("host", "array", "reads", "writes", "memory"):
            m = mask & (bound == name)
            if m.any():
                print(_line(f"  {kind} {name}-bound", predicted[m], data.measured[m]))


def print_worst(data: TrainingRows, breakdown: Breakdown, count: int = 10) -> None:
    ratio = breakdown.total / data.measured
    print(f"\n{count} worst rows (stored constants; per-tile components in cycles):")
    for i in np.argsort(-np.abs(np.log(ratio)))[:count]:
        row, tiles = data.rows[i], breakdown.tiles[i]
        print(f"  row {row.row:4d} N={data.sides[i]:2d} pred/meas {ratio[i]:5.2f}  measured {data.measured[i]:,.0f}  "
              f"bound {breakdown.bound()[i]}  tiles {tiles:,.0f}  per tile: host {breakdown.host[i] / tiles:.0f} "
              f"array {breakdown.array[i] / tiles:.0f} reads {breakdown.reads[i] / tiles:.0f} "
              f"writes {breakdown.writes[i] / tiles:.0f} memory {breakdown.memory[i] / tiles:.0f}, "
              f"measured {data.measured[i] / tiles:.0f}; wrapped tiles {breakdown.wrapped_tiles[i]:.0f}")
        print(f"      {row.mapping.to_string()}  ->  {data.calls[i]}")


CONV_CASES = (  # name, batch, in_ch, out_ch, in_dim, out_dim, kernel, stride, padding
    ("resnet50 conv1", 1, 3, 64, 224, 112, 7, 2, 3),
    ("res2 3x3", 1, 64, 64, 56, 56, 3, 1, 1),
    ("res3 1x1 s2", 1, 256, 512, 56, 28, 1, 2, 0),
    ("res4 3x3", 1, 256, 256, 14, 14, 3, 1, 1),
    ("res5 1x1", 1, 2048, 512, 7, 7, 1, 1, 0),
)
MATMUL_CASES = (("bert qkv l=128", 128, 768, 768), ("bert ffn1", 128, 768, 3072), ("bert ffn2", 128, 3072, 768))
MEMORIES = (("header 256K/64K", 256 * 1024, 64 * 1024), ("4 MiB / 4 MiB", 4 << 20, 4 << 20))


def print_auto_tiles(timing: GemminiTiming, side: int = 16) -> None:
    print(f"\nOur tiled_conv_auto / tiled_matmul_auto on a {side}x{side} array (tile args; model cycles):")
    for memory, sp, acc in MEMORIES:
        for name, batch, cin, cout, in_dim, out_dim, kernel, stride, pad in CONV_CASES:
            layer = ConvShape(batch, cin, cout, in_dim, in_dim, out_dim, out_dim, kernel, kernel, stride, pad)
            call = auto_conv_call(layer, side, sp, acc)
            cycles = execution_cycles(call_work([call], [side]), timing).total[0]
            print(f"  {memory:16s} {name:16s} batches {call.batches} orows {call.orows} ocols {call.ocols} "
                  f"ochs {call.ochs} krows {call.krows} kcols {call.kcols} kchs {call.kchs}  {cycles:12,.0f}")
        for name, m, k, n in MATMUL_CASES:
            mm = auto_matmul_call(m, k, n, side, sp, acc)
            cycles = execution_cycles(call_work([mm], [side]), timing).total[0]
            print(f"  {memory:16s} {name:16s} tile_I {mm.tile_i} tile_J {mm.tile_j} tile_K {mm.tile_k} (blocks)"
                  f"  {cycles:12,.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-cv", action="store_true", help="skip the grouped cross-validation (about a minute)")
    args = parser.parse_args()
    data = training_rows()
    timing = measured_timing()
    breakdown = execution_cycles(data.work, timing)
    print_table(data, breakdown.total, breakdown, "Training rows, stored constants (all rows):")
    if not args.no_cv:
        print_table(data, cross_validated(data, timing), breakdown,
                    "Grouped 5-fold CV by layer shape (each fold refitted on the others; bound from the stored fit):")
    print_worst(data, breakdown)
    print_auto_tiles(timing)


if __name__ == "__main__":
    main()
