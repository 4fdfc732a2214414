"""The survey's Gemmini case study (Kim et al. 2023, Sec 3.4) with our simulator, next to the published figures.

BERT-Base across sequence lengths on the baseline Gemmini (`gemmini-default`: non-linear ops and de/quantization
on the host CPU) and on the Transformer-optimized one (`gemmini-transformer`: I-BERT integer units, memory
re-balanced). Prints the latency breakdown by operator class, the speedup, the effect of memory re-balancing on
matmul latency, area/power deltas, and the Sec 3.3 normalized-latency curve. Published figures come from
`benchmarks/data/gemmini_case_study_paper.yaml` (source named there). Usage:
    .venv/bin/python benchmarks/gemmini_case_study.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulator import Options, evaluate, load_accelerator_preset
from simulator.report import Report
from simulator.workload import Scenario, Workload, load_model_preset

PAPER = yaml.safe_load((Path(__file__).parent / "data" / "gemmini_case_study_paper.yaml").read_text())
MATMUL = ("projection", "attention", "ffn", "embedding", "lm_head")
CLASSES = ("matmul", "softmax", "normalization", "residual", "quantization", "activation")


WHY = """Where and why ours differ from the paper (see docs/simulator.md):
- Host-side costs are our assumptions (cycles/element of an in-order core, gemmini-default.yaml), not fitted to
  the paper. The paper's matmuls take ~1% of its baseline time at a similar matmul cycle count to ours, so its
  baseline is several times slower end to end than ours: its host spends far more cycles per non-linear element
  (its residual adds alone take 11% of the time). So our matmul share is larger (5% vs 1%) and the speedup
  smaller (18.5x vs 39.6x).
- Matmul utilization: ours counts only array fill/drain and weight preload (91%); the paper's measured 74%
  includes overheads we do not model (instruction issue, DMA set-up, and similar).
- Memory re-balancing: our GEMMs are compute-bound with double-buffered overlap at 16 B/cycle, so moving SRAM
  from scratchpad to accumulator changes DRAM traffic and energy but not matmul latency; the paper attributes its
  -36% to the l x l Q.K^T output being far larger than its inputs, so accumulator capacity buys reuse on the
  real Gemmini schedule, which does not overlap transfers as fully as our model assumes.
- Power: the baseline's average power is low because most of its time is the host core working alone; the
  paper's +9.3% compares the accelerators' power at the same activity.
- Sec 3.3 curve: the paper tiles square tiles and moves every operator's data through 16 B/cycle with no fusion
  and no inter-operator overlap; our mapping search finds tilings with more reuse, so long sequences grow slower.
"""


def shares(report: Report) -> dict[str, float]:
    total = report.latency_cycles
    out = dict.fromkeys(CLASSES, 0.0)
    for op_class, cycles in report.cycles_by_class.items():
        out["matmul" if op_class in MATMUL else op_class] += 100.0 * cycles / total
    return out


def matmul_cycles(report: Report) -> float:
    return sum(c for k, c in report.cycles_by_class.items() if k in MATMUL)


def workload(seq_len: int) -> Workload:
    return Workload(model=load_model_preset("bert-base"), scenario=Scenario(seq_len=seq_len, allow_longer=True))


def main() -> None:
    base_hw = load_accelerator_preset("gemmini-default")
    opt_hw = load_accelerator_preset("gemmini-transformer")
    print("BERT-Base latency breakdown (% of end-to-end cycles) and speedup, baseline vs Transformer-optimized Gemmini")
    print(f"{'l':>5} {'config':<12} {'latency ms':>11} " + " ".join(f"{c[:13]:>13}" for c in CLASSES)
          + f" {'speedup':>8}")
    reports = {}
    for seq in (128, 256, 512, 1024):
        base, opt = evaluate(workload(seq), base_hw), evaluate(workload(seq), opt_hw)
        reports[seq] = (base, opt)
        speedup = f"{base.latency_s / opt.latency_s:.1f}x"
        for label, report, speed in (("baseline", base, ""), ("optimized", opt, speedup)):
            row = shares(report)
            print(f"{seq:>5} {label:<12} {report.latency_s * 1e3:>11.2f} "
                  + " ".join(f"{row[c]:>13.1f}" for c in CLASSES) + f" {speed:>8}")
        if seq == 512:
            paper_base = PAPER["baseline_time_share_percent"]
            print(f"{'':>5} {'paper base':<12} {'':>11} " + " ".join(f"{paper_base.get(c, 0):>13.1f}" for c in CLASSES)
                  + f" {PAPER['end_to_end_speedup']:>7}x")
            p = PAPER["optimized_time_share_percent"]
            print(f"{'':>5} {'paper opt':<12} {'':>11} {p['matmul_and_activation']:>13.1f} {p['softmax']:>13.1f} "
                  f"{p['normalization']:>13.1f} {p['residual']:>13.1f} {0:>13.1f} {'(in matmul)':>13}")
    base, opt = reports[512]
    gemm_util = base.macs / (matmul_cycles(base) * base_hw.peak_macs_per_cycle)
    print()
    print(f"l=512 baseline: overall utilization {100 * base.utilization:.2f}% (paper: under "
          f"{PAPER['baseline_overall_utilization_percent_below']}%), matmul-only utilization {100 * gemm_util:.1f}% "
          f"(paper: {PAPER['baseline_matmul_utilization_percent']}%)")
    rebalanced = evaluate(workload(512), base_hw.model_copy(update={"scratchpad_kib": 64.0, "accumulator_kib": 256.0}))
    cut = 100 * (1 - matmul_cycles(rebalanced) / matmul_cycles(base))
    print(f"memory re-balancing (scratchpad 256->64 KiB, accumulator 64->256 KiB): matmul latency {-cut:+.1f}% "
          f"(paper: -{PAPER['memory_rebalancing_matmul_latency_reduction_percent']}%)")
    print(f"area {base.area_mm2:.3f} -> {opt.area_mm2:.3f} mm2 (+{100 * (opt.area_mm2 / base.area_mm2 - 1):.1f}%; "
          f"paper +{PAPER['area_increase_percent']}%), average power {base.power_w:.3f} -> {opt.power_w:.3f} W "
          f"({100 * (opt.power_w / base.power_w - 1):+.1f}%; paper +{PAPER['power_increase_percent']}%; ours includes "
          "the host core's energy in the baseline)")
    speedup = base.latency_s / opt.latency_s
    print(f"end-to-end speedup at l=512: {speedup:.1f}x (paper: {PAPER['end_to_end_speedup']}x)")

    # Sec 3.3 analytical model: 16x16 at 1 GHz, 256 kB scratchpad, 128 kB accumulator, 16 B/cycle, a 16-wide
    # special-function unit doing all non-linear ops on chip, no fusion.
    sec33 = opt_hw.model_copy(update={"scratchpad_kib": 256.0, "accumulator_kib": 128.0})
    no_fusion = Options(fuse_nonlinear=False, keep_scores_on_chip=False)
    lengths = PAPER["analytical_model_normalized_latency"]
    lat = {seq: evaluate(workload(seq), sec33, no_fusion).latency_cycles for seq in lengths}
    print()
    print("Sec 3.3 normalized latency (BERT-Base, l=128 = 1):")
    print("  l      " + " ".join(f"{seq:>7}" for seq in lat))
    print("  ours   " + " ".join(f"{lat[seq] / lat[128]:>7.1f}" for seq in lat))
    print("  paper  " + " ".join(f"{v:>7}" for v in lengths.values()))
    print()
    print(WHY)


if __name__ == "__main__":
    main()
