"""How good is the multi-objective search? Hypervolume of its front against the exact front and random search.

Space (survey Sec 6.4's architecture search on a Transformer-optimized Gemmini, plus hardware and knobs):
hardware rows x cols x scratchpad x accumulator x DRAM bandwidth x sparse_support, model num_layers 3-6,
num_heads 4-12, d_model 384-768 step 96, d_ff 768-3072 step 128 (the survey's ranges), options weight precision
int8/int4 x sparsity dense/2:4. Illegal shapes (num_heads not dividing d_model) are never proposed.
Objectives: latency, energy, area (all minimised). BERT-style encoder at seq_len 128.

1. Reduced space (a few tens of thousands of points): its exact front from the full grid; NSGA-II and random
   search with the same budget; hypervolume ratio to the exact front (target >= 0.95 for the search).
2. Full space (> 10^7 grid points): NSGA-II and random search, same budget; ratios to the union's front
   (the best known; the exact one cannot be computed).
Hypervolume is taken over log10 of each objective (orders of magnitude apart otherwise), with the reference
point 0.1 decade beyond the worst value seen in each objective. Speed is printed, never asserted.

    .venv/bin/python benchmarks/search_quality.py [--budget 5000] [--batch 100]
"""

from __future__ import annotations

import argparse
import itertools
import math
import time
from functools import lru_cache
from typing import Any

import numpy as np

from simulator import Options, Scenario, Workload, evaluate, load_accelerator_preset, load_model_preset
from simulator.mapping.gemm import MappingError
from simulator.pareto import pareto_mask
from simulator.search import IntAxis, Search, hypervolume
from simulator.workload import with_dimensions

BASE_MODEL = "bert-base"
ACCELERATOR = "gemmini-transformer"
SCENARIO = Scenario(seq_len=128)

FULL: dict[str, Any] = {
    "rows": [8, 16, 32, 64], "cols": [8, 16, 32, 64], "scratchpad_kib": [32, 64, 128, 256],
    "accumulator_kib": [64, 128, 256, 512], "dram_bytes_per_cycle": [8, 16, 32, 64], "sparse_support": [False, True],
    "num_layers": IntAxis(3, 6), "num_heads": IntAxis(4, 12), "d_model": IntAxis(384, 768, 96),
    "d_ff": IntAxis(768, 3072, 128), "weight_precision": ["int8", "int4"], "sparsity": ["dense", "2:4"],
}
REDUCED: dict[str, Any] = {
    "rows": [8, 16, 32], "cols": [16, 32], "scratchpad_kib": [64, 256], "accumulator_kib": [128, 256],
    "dram_bytes_per_cycle": [16], "sparse_support": [False, True],
    "num_layers": IntAxis(3, 6), "num_heads": IntAxis(4, 12), "d_model": IntAxis(384, 768, 192),
    "d_ff": IntAxis(768, 3072, 768), "weight_precision": ["int8", "int4"], "sparsity": ["dense", "2:4"],
}
HARDWARE = ("rows", "cols", "scratchpad_kib", "accumulator_kib", "dram_bytes_per_cycle", "sparse_support")
MODEL = ("num_layers", "num_heads", "d_model", "d_ff")
OPTIONS = ("weight_precision", "sparsity")


def values_of(axis: Any) -> list[Any]:
    return list(range(axis.low, axis.high + 1, axis.step)) if isinstance(axis, IntAxis) else list(axis)


def legal(params: dict[str, Any]) -> bool:
    return params["d_model"] % params["num_heads"] == 0


@lru_cache(maxsize=8)
def _base():
    return load_model_preset(BASE_MODEL)


@lru_cache(maxsize=4096)
def _accelerator(hardware: tuple):
    return load_accelerator_preset(ACCELERATOR, **dict(hardware))


def objectives(params: dict[str, Any]) -> tuple[float, float, float] | None:
    """log10 of latency (s), energy (J), area (mm2); None where no mapping fits."""
    model = with_dimensions(_base(), **{k: params[k] for k in MODEL})
    hw = _accelerator(tuple((k, params[k]) for k in HARDWARE))
    try:
        report = evaluate(Workload(model=model, scenario=SCENARIO), hw, Options(**{k: params[k] for k in OPTIONS}))
    except MappingError:
        return None
    return math.log10(report.latency_s), math.log10(report.energy_j), math.log10(report.area_mm2)


def evaluate_all(batch: list[dict[str, Any]]) -> list[tuple[float, float, float] | None]:
    return [objectives(p) for p in batch]


def grid(space: dict[str, Any]) -> list[dict[str, Any]]:
    names = list(space)
    return [p for p in (dict(zip(names, v, strict=True)) for v in itertools.product(*(values_of(space[n])
                                                                                     for n in names))) if legal(p)]


def grid_size(space: dict[str, Any]) -> int:
    return math.prod(len(values_of(axis)) for axis in space.values())


def as_array(rows: list[Any]) -> np.ndarray:
    return np.array([r for r in rows if r is not None], dtype=np.float64).reshape(-1, 3)


def run_search(space: dict[str, Any], budget: int, batch: int, seed: int,
               sampler: str = "nsga2") -> tuple[np.ndarray, float]:
    start = time.perf_counter()
    search = Search(space, ["min", "min", "min"], sampler=sampler, seed=seed, population_size=batch, legal=legal)
    done = 0
    while done < budget:
        wanted = min(batch, budget - done)
        proposals = search.ask(wanted)
        for proposal, values in zip(proposals, evaluate_all([p.params for p in proposals]), strict=True):
            search.tell(proposal.number, values)
        done += len(proposals)
        if len(proposals) < wanted / 2:  # converged: most draws repeat evaluated points
            break
    return search.values(), time.perf_counter() - start


def run_random(space: dict[str, Any], budget: int, seed: int) -> tuple[np.ndarray, float]:
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    names, choices = list(space), [values_of(space[n]) for n in space]
    points: list[dict[str, Any]] = []
    while len(points) < budget:
        p = {n: c[rng.integers(len(c))] for n, c in zip(names, choices, strict=True)}
        if legal(p):
            points.append(p)
    return as_array(evaluate_all(points)), time.perf_counter() - start


def hv_table(fronts: dict[str, np.ndarray], reference_front: np.ndarray, everything: np.ndarray) -> list[str]:
    ref = everything.max(axis=0) + 0.1
    best = hypervolume(reference_front, ref)
    lines = []
    for name, values in fronts.items():
        front = np.unique(values[pareto_mask(values)], axis=0)  # a sampler may evaluate a point more than once
        distinct = len(np.unique(values, axis=0))
        lines.append(f"| {name:<30} | {len(values):>7,} | {distinct:>8,} | {len(front):>6,} "
                     f"| {hypervolume(values, ref) / best:>8.4f} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--budget", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tpe-budget", type=int, default=1000, help="TPE's budget (its cost grows with trials)")
    parser.add_argument("--tpe-batch", type=int, default=10)
    args = parser.parse_args()

    print(f"full space: {grid_size(FULL):,} grid points; reduced space: {grid_size(REDUCED):,} grid points")
    start = time.perf_counter()
    reduced_grid = grid(REDUCED)
    exact_values = as_array(evaluate_all(reduced_grid))
    grid_s = time.perf_counter() - start
    exact_front = exact_values[pareto_mask(exact_values)]
    search_values, search_s = run_search(REDUCED, args.budget, args.batch, args.seed)
    random_values, random_s = run_random(REDUCED, args.budget, args.seed)
    # TPE is sequential at heart: in big batches it proposes the same point again (constant liar or not)
    tpe_values, tpe_s = run_search(REDUCED, args.tpe_budget, args.tpe_batch, args.seed, "tpe")
    tpe_random, tpe_random_s = run_random(REDUCED, args.tpe_budget, args.seed + 1)
    everything = np.vstack([exact_values, search_values, random_values, tpe_values, tpe_random])
    print(f"\n1. reduced space: exact front from {len(reduced_grid):,} legal grid points ({grid_s:.0f} s); budget "
          f"{args.budget:,}, batch {args.batch} (TPE: {args.tpe_budget:,}, batch {args.tpe_batch}); a search stops "
          "early when a batch comes back under half full (converged: draws repeat evaluated points)")
    print("| method                         |   evals | distinct |  front | HV/exact |")
    print("|--------------------------------|---------|----------|--------|----------|")
    print(f"| {'exact grid':<30} | {len(exact_values):>7,} | {len(exact_values):>8,} "
          f"| {len(np.unique(exact_front, axis=0)):>6,} |   1.0000 |")
    for line in hv_table({f"NSGA-II ({search_s:.0f} s)": search_values,
                          f"random, same budget ({random_s:.0f} s)": random_values,
                          f"TPE ({tpe_s:.0f} s)": tpe_values,
                          f"random, TPE's budget ({tpe_random_s:.0f} s)": tpe_random},
                         exact_front, everything):
        print(line)

    search_values, search_s = run_search(FULL, args.budget, args.batch, args.seed)
    random_values, random_s = run_random(FULL, args.budget, args.seed)
    union = np.vstack([search_values, random_values])
    union_front = union[pareto_mask(union)]
    print(f"\n2. full space ({grid_size(FULL):,} grid points): budget {args.budget:,}; ratios to the union's front "
          f"({len(union_front)} points, best known)")
    print("| method                         |   evals | distinct |  front | HV/union |")
    print("|--------------------------------|---------|----------|--------|----------|")
    for line in hv_table({f"NSGA-II ({search_s:.0f} s)": search_values,
                          f"random, same budget ({random_s:.0f} s)": random_values},
                         union_front, union):
        print(line)


if __name__ == "__main__":
    main()
