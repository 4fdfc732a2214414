"""Full-model design points per second: BERT-Base (l = 512) on varied hardware, cold and warm mapping cache.

One process, one core (the mapping search is NumPy, single-threaded here). Targets: >= 1,000 points/s warm,
>= 100 points/s cold. Cold: every design point has a hardware configuration not seen before, so each of its
GEMM shapes is searched afresh. Warm: the same points again, all mappings cached. Usage:
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/simulator_speed.py
"""

from __future__ import annotations

import itertools
import os
import resource
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulator import Options, cache_clear, evaluate_batch, load_accelerator_preset
from simulator.mapping import cache_info
from simulator.workload import Scenario, Workload, load_model_preset


def design_points() -> list:
    base = load_accelerator_preset("gemmini-transformer")
    workload = Workload(model=load_model_preset("bert-base"), scenario=Scenario(seq_len=512))
    options = Options()
    grid = itertools.product([8, 16, 32, 64], [8, 16, 32, 64], [64, 128, 256, 512], [64, 256], [8, 16, 32],
                             ["ws", "os"])
    return [(workload, base.model_copy(update={"rows": r, "cols": c, "scratchpad_kib": float(sp),
                                               "accumulator_kib": float(acc), "dram_bytes_per_cycle": float(bw),
                                               "dataflow": df}), options)
            for r, c, sp, acc, bw, df in grid]


def main() -> None:
    points = design_points()
    evaluate_batch(points[:1])  # import-time work and the operator graph, not part of either measurement
    cache_clear()
    start = time.perf_counter()
    cold = evaluate_batch(points)
    cold_s = time.perf_counter() - start
    searches = cache_info().currsize
    start = time.perf_counter()
    warm = evaluate_batch(points)
    warm_s = time.perf_counter() - start
    assert [r.latency_cycles for r in cold] == [r.latency_cycles for r in warm]
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"BERT-Base l=512, {len(points)} hardware design points ({len(cold[0].ops)} operators each), one core")
    print(f"cold mapping cache: {len(points) / cold_s:8.0f} points/s  ({cold_s:.2f} s, {searches} GEMM searches, "
          f"{1e3 * cold_s / searches:.2f} ms per search incl. evaluation)   target >= 100")
    print(f"warm mapping cache: {len(points) / warm_s:8.0f} points/s  ({warm_s:.2f} s)   target >= 1,000")
    print(f"peak memory (max RSS): {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
