"""Decode at the roofline: cycles per generated token against the DRAM floor and the compute floor.

GPT-2 (128 tokens generated, no prompt) and Llama-2-7B (prompt 512, 32 tokens generated) on gemmini-transformer and
gemmini-transformer-32x32. The DRAM floor is every byte `dse profile` counts for the decode steps (each operator
reads its inputs and writes its output once) at the accelerator's DRAM bandwidth; the compute floor is the decode
MACs at the array's peak. A token can beat neither. The DMA floor is those bytes at what Gemmini's DMA sustains from
DRAM: its requests in flight over a miss's round trip (AcceleratorSpec.dram_link_bytes_per_cycle); decode streams its
weights at that rate, so it sits on the DMA floor (with the fitted constants that is the DRAM floor). Usage:
    .venv/bin/python benchmarks/decode_roofline.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulator import build_graph, evaluate, load_accelerator_preset
from simulator.workload import Scenario, Workload, load_model_preset

CASES = {"gpt2": {"prompt_len": 0, "generate_len": 128}, "llama-2-7b": {"prompt_len": 512, "generate_len": 32}}
ACCELERATORS = ("gemmini-transformer", "gemmini-transformer-32x32")


def main() -> None:
    print(f"{'model':<11} {'accelerator':<26} {'cycles/token':>13} {'DRAM floor':>11} {'DMA floor':>11} "
          f"{'x DMA floor':>11} {'compute floor':>14} {'s/token':>9} {'DRAM GB':>8}")
    for model, scenario in CASES.items():
        workload = Workload(model=load_model_preset(model), scenario=Scenario(**scenario))
        tokens = scenario["generate_len"]
        moved = sum(op.bytes * op.layer_count for op in build_graph(workload).ops if op.phase == "decode")
        for name in ACCELERATORS:
            hw = load_accelerator_preset(name)
            decode = [op for op in evaluate(workload, hw).ops if op.phase == "decode"]
            cycles = sum(op.cycles for op in decode)
            dram_floor = moved / hw.dram_bytes_per_cycle
            dma_floor = moved / hw.dram_link_bytes_per_cycle
            compute_floor = sum(op.macs for op in decode) / hw.peak_macs_per_cycle
            print(f"{model:<11} {name:<26} {cycles / tokens:>13,.0f} {dram_floor / tokens:>11,.0f} "
                  f"{dma_floor / tokens:>11,.0f} {cycles / dma_floor:>11.3f} {compute_floor / tokens:>14,.0f} "
                  f"{cycles / tokens / (hw.clock_ghz * 1e9):>9.4f} {sum(op.dram_bytes for op in decode) / 1e9:>8.2f}")
    print("""
Why each sits where it does (docs/simulator.md, "Fold timing"): a decode GEMV is one row of A per fold, so a fold
waits for its R weight rows to shift in (R cycles, double-buffered behind the previous fold): the array consumes
R x C weight bytes per R cycles = C B/cycle: 16 B/cycle on the 16x16 array, 32 on the 32x32 one. The weights stream
from DRAM through the L2 (too large to stay) at the DRAM rate fitted to FireSim (docs/firesim_fit.md: 14.1 + 6.8
cycles per 64-B line that misses the L2 and the LLC model, 3.06 B/cycle on the 16x16 presets, twice that on the
32x32 ones). Every DMA request that misses holds one of its slots for the fitted round trip (L2 hit 15 + miss 20
cycles): 16 x 64 B / 35 = 29 B/cycle, above the DRAM rate, so the DMA floor is the DRAM floor (before the fit,
an assumed 40 + 100-cycle round trip made the slots the bound, 7.3 B/cycle, at 2.2x a 16 B/cycle DRAM floor).
Time follows the bytes at the DRAM rate, within a fraction of a percent of the floor (the operators' latencies and
first tiles, the attention's KV-cache reads and the non-linear ops on one side, bytes the L2 keeps between
operators on the other).""")


if __name__ == "__main__":
    main()
