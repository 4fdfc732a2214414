"""Full-model design points per second of `evaluate_batch` (simulator/batch.py), one core, cold and warm caches.

Grids (issue 17 asks for BERT-Base l = 512, GPT-2 decode and ResNet-50 hardware grids):
- "every point a new tiling": BERT-Base l = 512, 768 points over rows x cols x scratchpad x accumulator x DRAM
  bandwidth x dataflow: nearly every point needs its own GEMM searches (the mapping search is the cold cost);
- "hardware grid": BERT-Base l = 512, GPT-2 (32 prompt + 32 generated tokens) and ResNet-50, each over rows x cols x
  scratchpad x DRAM bandwidth x clock x node x non-linear lanes (2,304 points): what a design-space sweep varies,
  where many points share their tilings and lowering;
- "serving grid" (issue 29; `--serving` adds it, `--serving-only` runs it alone): Llama-3-8B, Llama-3-70B and
  Mixtral-8x7B (1,024-token prompt, 8 decode steps: TTFT and TPOT at that context) over batch (1..512) x tensor
  parallelism (1, 2, 4, 8) x array (rows x cols, 8..128) x DRAM bandwidth (7 values), 21,000 points on
  gemmini-transformer-32x32 with 64 GiB: what a serving study varies; points that do not fit fail at the capacity
  check, before pricing (issue 29's target: >= 2,000 points/s cold);
- "gemmini-firesim measured grid" (issue 27; `--firesim-only` runs it alone): ResNet-50 and BERT-Base l = 128 on
  gemmini-firesim, mapper gemmini, rows (= cols) 8/16/32 x scratchpad 256/1024/4096 KiB x accumulator 64/256/1024
  KiB (54 points), once under pricing analytic and once under gemmini-measured (Gemmini's tiler and measured
  execution model price every GEMM and convolution; figures in docs/layer_model.md).
Cold: every cache emptied first (tilings, mappings, lowerings). Warm: the same points again. Targets (issue 17):
>= 10,000 points/s cold and >= 40,000 warm on the BERT hardware grid.

The mapping search prices together the GEMMs of a group that differ only in their shape, the array's size, the
links and the node (mapping/gemm.py `_search`, mapping/tilings.py): one vectorized pass over all their candidates
and hardware keys. CPU time, best of 3 alternating runs, one core of a shared, loaded 2-core machine (2026-12-07),
before -> after: serving 785 -> 1,540 cold, 980 -> 2,390 warm; BERT hardware grid 9,400 -> 10,200 cold; GPT-2
1,240 -> 3,580; ResNet-50 2,640 -> 3,100; every point a new tiling 1,000 -> 1,520; peak memory 554 -> 530 MiB.
Second round (fewer full passes over (keys, orders, candidates); requests built and asked once; no number moved),
best of 2 alternating runs at load ~0.8: serving 1,820 -> 2,190 cold, 2,720 -> 2,970 warm; BERT hardware grid
10,860 -> 13,080 cold; GPT-2 3,760 -> 3,980; ResNet-50 3,420 -> 5,290; every point a new tiling 1,710 -> 2,050;
peak memory 545 -> 495 MiB (docs/simulator.md, "Speed").

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
from simulator.workload import Scenario, Workload, load_model_preset


def tiling_grid() -> list:
    base = load_accelerator_preset("gemmini-transformer")
    workload = Workload(model=load_model_preset("bert-base"), scenario=Scenario(seq_len=512))
    grid = itertools.product([8, 16, 32, 64], [8, 16, 32, 64], [64, 128, 256, 512], [64, 256], [8, 16, 32],
                             ["ws", "os"])
    return [(workload, base.model_copy(update={"rows": r, "cols": c, "scratchpad_kib": float(sp),
                                               "accumulator_kib": float(acc), "dram_bytes_per_cycle": float(bw),
                                               "dataflow": df}), Options())
            for r, c, sp, acc, bw, df in grid]


def hardware_grid(model: str, scenario: dict, preset: str) -> list:
    base = load_accelerator_preset(preset)
    workload = Workload(model=load_model_preset(model), scenario=Scenario(**scenario))
    grid = itertools.product([8, 16, 32, 64], [8, 16, 32, 64], [64, 256], [8, 16, 32], [0.5, 1.0, 2.0], [7, 16, 22, 45],
                             [4, 16])
    return [(workload, base.model_copy(update={"rows": r, "cols": c, "scratchpad_kib": float(sp),
                                               "dram_bytes_per_cycle": float(bw), "clock_ghz": clock,
                                               "technology_nm": node, "nonlinear_elements_per_cycle": float(lanes)}),
             Options())
            for r, c, sp, bw, clock, node, lanes in grid]


def serving_grid() -> list:
    base = load_accelerator_preset("gemmini-transformer-32x32", memory_gib=64)
    workloads = [Workload(model=load_model_preset(model), scenario=Scenario(
        prompt_len=1024, generate_len=8, batch=batch, tensor_parallel=tp))
        for model in ("llama-3-8b", "llama-3-70b", "mixtral-8x7b") for batch in [2 ** i for i in range(10)]
        for tp in (1, 2, 4, 8)]
    grid = itertools.product([8, 16, 32, 64, 128], [8, 16, 32, 64, 128], [4, 8, 16, 32, 64, 128, 256])
    accelerators = [base.model_copy(update={"rows": r, "cols": c, "dram_bytes_per_cycle": float(bw)})
                    for r, c, bw in grid]
    return [(workload, hw, Options()) for workload in workloads for hw in accelerators]


def firesim_grid(pricing: str) -> list:
    """ResNet-50 and BERT-Base l = 128 on gemmini-firesim, mapper gemmini: rows (= cols) x scratchpad x accumulator."""
    base = load_accelerator_preset("gemmini-firesim")
    workloads = [Workload(model=load_model_preset("resnet-50"), scenario=Scenario()),
                 Workload(model=load_model_preset("bert-base"), scenario=Scenario(seq_len=128))]
    grid = list(itertools.product([8, 16, 32], [256, 1024, 4096], [64, 256, 1024]))
    return [(workload, base.model_copy(update={"rows": r, "cols": r, "scratchpad_kib": float(sp),
                                               "accumulator_kib": float(acc), "pricing": pricing}),
             Options(mapper="gemmini"))
            for workload in workloads for r, sp, acc in grid]


def measure(name: str, points: list) -> None:
    evaluate_batch(points[:1])  # import-time work and the operator graph, not part of either measurement
    cache_clear()
    start = time.perf_counter()
    cold = evaluate_batch(points)
    cold_s = time.perf_counter() - start
    start = time.perf_counter()
    warm = evaluate_batch(points)
    warm_s = time.perf_counter() - start
    assert cold.metrics["latency_cycles"] == warm.metrics["latency_cycles"]
    failed = sum(1 for error in cold.errors if error is not None)
    print(f"{name:52s} {len(points):6,} points ({failed} failed): cold {len(points) / cold_s:8,.0f} points/s, "
          f"warm {len(points) / warm_s:8,.0f} points/s")


def main() -> None:
    print("evaluate_batch, one core")
    if "--firesim-only" in sys.argv:
        for pricing in ("analytic", "gemmini-measured"):
            measure(f"gemmini-firesim measured grid, pricing {pricing}", firesim_grid(pricing))
        return
    if "--serving-only" in sys.argv:
        measure("LLM serving grid (model x batch x TP x array x BW)", serving_grid())
        return
    measure("BERT-Base l=512, every point a new tiling", tiling_grid())
    measure("BERT-Base l=512, hardware grid", hardware_grid("bert-base", {"seq_len": 512}, "gemmini-transformer"))
    measure("GPT-2 32+32 tokens (decode), hardware grid",
            hardware_grid("gpt2", {"prompt_len": 32, "generate_len": 32}, "gemmini-transformer"))
    measure("ResNet-50, hardware grid", hardware_grid("resnet-50", {}, "gemmini-default"))
    if "--serving" in sys.argv:
        measure("LLM serving grid (model x batch x TP x array x BW)", serving_grid())
    print(f"peak memory (max RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
