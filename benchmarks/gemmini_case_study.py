"""The survey's Gemmini case study (Kim et al. 2023, Sec 3.4) with our simulator, next to the published figures.

BERT-Base across sequence lengths through the case-study template's four steps (backend/sweeps/templates.py, each
with its preset and options stated): 1. the baseline Gemmini (non-linear ops and de/quantization on the host CPU),
2. memory re-balanced, 3. integer non-linear units (the gemmini-transformer preset) unfused, 4. fusion. Prints the
latency breakdown by operator class, end-to-end and matmul-only latency, the speedup of each step, the effect of
memory re-balancing on matmul latency and area/power deltas. Published figures come from
`benchmarks/data/gemmini_case_study_paper.yaml` (source named there). Usage:
    .venv/bin/python benchmarks/gemmini_case_study.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend.sweeps.spec import SweepSpec
from backend.sweeps.templates import TEMPLATES
from simulator import evaluate, load_accelerator_preset
from simulator.report import Report

TEMPLATE = next(t["spec"] for t in TEMPLATES if t["id"] == "gemmini-case-study")
PAPER = yaml.safe_load((Path(__file__).parent / "data" / "gemmini_case_study_paper.yaml").read_text())
MATMUL = ("projection", "attention", "ffn", "embedding", "lm_head")
CLASSES = ("matmul", "softmax", "normalization", "residual", "quantization", "activation")


WHY = """Where and why ours differ from the paper (from the model; see docs/simulator.md):
- Host-side costs are our assumptions (cycles/element of an in-order core, gemmini-default.yaml), not fitted to
  the paper. The paper's matmuls take ~1% of its baseline time at a similar matmul cycle count to ours, so its
  host spends far more cycles per non-linear element (its residual adds alone take 11% of the time): our matmul
  share is larger and the end-to-end speedup smaller. `gemmini-default-calibrated` carries them fitted to the
  paper's split (benchmarks/calibrate_survey_baseline.py: calibration, not validation); the speedup depends on
  them more than on anything else, hence both above ("Dependence on the host constants").
- Matmul utilization and memory re-balancing: the template's steps use our optimal mapper. At the DRAM rate
  fitted to FireSim (3.06 B/cycle, docs/firesim_fit.md; the presets' memory constants cite the fit) every GEMM of
  the baseline waits on DRAM even under its line-aligned tilings, and re-balancing lets it cut their traffic and
  cycles (the line above; at the old assumed 16 B/cycle its matmuls ran near 100% and re-balancing moved
  nothing). The paper ran Gemmini's own tiler (tiled_matmul_auto, `--mapper gemmini`): its tiles follow the
  accumulator's size, and on the baseline they re-fetch A and B more and their narrow rows fill the DMA's packets
  partly, so re-balancing gains more with it. benchmarks/memory_rebalancing.py runs the whole scratchpad x
  accumulator grid and says what moves.
- Power: the baseline's average power is low because most of its time is the host core working alone; the
  paper's +9.3% compares the accelerators' power at the same activity.
- The Sec 3.3 analytic model is the `survey-analytic` preset: benchmarks/survey_analytic.py.
"""


def shares(report: Report) -> dict[str, float]:
    total = report.latency_cycles
    out = dict.fromkeys(CLASSES, 0.0)
    for op_class, cycles in report.cycles_by_class.items():
        out["matmul" if op_class in MATMUL else op_class] += 100.0 * cycles / total
    return out


def matmul_cycles(report: Report) -> float:
    return sum(c for k, c in report.cycles_by_class.items() if k in MATMUL)


HOST_PRESETS = ("gemmini-default", "gemmini-default-calibrated")


def host_constants(preset: str) -> dict[str, float]:
    """A preset's host cycles per element (the baseline's non-linear ops and de/quantization run on the host)."""
    spec = load_accelerator_preset(preset)
    return {f"host_cycles_per_element_{c}": spec.host_cycles_per_element(c) for c in CLASSES if c != "matmul"}


def step_reports(seq_len: int, mapper: str | None = None, host: dict[str, float] | None = None) -> dict[str, Report]:
    """The case-study template's four steps (backend/sweeps/templates.py), each with its preset and options (and,
    given `mapper`, that mapper instead; given `host`, those host cycles per element)."""
    spec = SweepSpec.model_validate({**TEMPLATE, "scenarios": [{"seq_len": seq_len, "allow_longer": True}]})
    out = {}
    for position, variant in enumerate(spec.variants):
        inputs = spec.point_of({"model": "bert-base", "scenario": 0, "variant": position})
        if host:
            inputs = inputs.model_copy(update={"overrides": {**inputs.overrides, **host}})
        point = inputs.resolve()
        options = point.options if mapper is None else point.options.model_copy(update={"mapper": mapper})
        out[variant.label] = evaluate(point.workload, point.accelerator, options)
    return out


def main() -> None:
    print("The case-study template's steps (BERT-Base):")
    for variant in SweepSpec.model_validate(TEMPLATE).variants:
        print(f"  {variant.label}: {variant.accelerator} {variant.overrides or ''} options {variant.options}")
    labels = [v.label for v in SweepSpec.model_validate(TEMPLATE).variants]
    print("\nLatency breakdown (% of end-to-end cycles), end-to-end and matmul-only latency, speedup over step 1")
    print(f"{'l':>5} {'step':<28} {'latency ms':>11} {'matmul ms':>10} " + " ".join(f"{c[:13]:>13}" for c in CLASSES)
          + f" {'speedup':>8}")
    by_length = {}
    for seq in (128, 256, 512, 1024):
        steps = by_length[seq] = step_reports(seq)
        first = steps[labels[0]]
        for label in labels:
            report = steps[label]
            row = shares(report)
            matmul_ms = matmul_cycles(report) / (load_accelerator_preset("gemmini-default").clock_ghz * 1e6)
            print(f"{seq:>5} {label[:28]:<28} {report.latency_s * 1e3:>11.2f} {matmul_ms:>10.2f} "
                  + " ".join(f"{row[c]:>13.1f}" for c in CLASSES) + f" {first.latency_s / report.latency_s:>7.1f}x")
        if seq == 512:
            paper_base = PAPER["baseline_time_share_percent"]
            print(f"{'':>5} {'paper base':<28} {'':>11} {'':>10} "
                  + " ".join(f"{paper_base.get(c, 0):>13.1f}" for c in CLASSES) + f" {PAPER['end_to_end_speedup']:>7}x")
            p = PAPER["optimized_time_share_percent"]
            print(f"{'':>5} {'paper opt':<28} {'':>11} {'':>10} {p['matmul_and_activation']:>13.1f} "
                  f"{p['softmax']:>13.1f} {p['normalization']:>13.1f} {p['residual']:>13.1f} {0:>13.1f} "
                  f"{'(in matmul)':>13}")
    steps = by_length[512]
    base, rebalanced, units, fused = (steps[label] for label in labels)
    base_hw = load_accelerator_preset("gemmini-default")
    gemm_util = base.macs / (matmul_cycles(base) * base_hw.peak_macs_per_cycle)
    print()
    print(f"l=512 baseline: overall utilization {100 * base.utilization:.2f}% (paper: under "
          f"{PAPER['baseline_overall_utilization_percent_below']}%), matmul-only utilization {100 * gemm_util:.1f}% "
          f"(paper: {PAPER['baseline_matmul_utilization_percent']}%)")
    cut = 100 * (1 - matmul_cycles(rebalanced) / matmul_cycles(base))
    print(f"step 2, memory re-balancing (scratchpad 256->64 KiB, accumulator 64->256 KiB): matmul latency {-cut:+.1f}% "
          f"(paper: -{PAPER['memory_rebalancing_matmul_latency_reduction_percent']}%)")
    tiler = step_reports(512, mapper="gemmini")
    tiler_base, tiler_rebalanced = (tiler[label] for label in labels[:2])
    tiler_util = tiler_base.macs / (matmul_cycles(tiler_base) * base_hw.peak_macs_per_cycle)
    tiler_cut = 100 * (1 - matmul_cycles(tiler_rebalanced) / matmul_cycles(tiler_base))
    print(f"with Gemmini's own tiler (mapper gemmini, as the paper ran): matmul-only utilization "
          f"{100 * tiler_util:.1f}% (paper: {PAPER['baseline_matmul_utilization_percent']}%), memory re-balancing "
          f"{-tiler_cut:+.1f}% (paper: -{PAPER['memory_rebalancing_matmul_latency_reduction_percent']}%)")
    print(f"area {base.area_mm2:.3f} -> {fused.area_mm2:.3f} mm2 (+{100 * (fused.area_mm2 / base.area_mm2 - 1):.1f}%; "
          f"paper +{PAPER['area_increase_percent']}%), average power {base.power_w:.3f} -> {fused.power_w:.3f} W "
          f"({100 * (fused.power_w / base.power_w - 1):+.1f}%; paper +{PAPER['power_increase_percent']}%; ours "
          "includes the host core's energy in the baseline)")
    print(f"end-to-end speedup at l=512: {base.latency_s / units.latency_s:.1f}x without fusion (step 3), "
          f"{base.latency_s / fused.latency_s:.1f}x with it (step 4) (paper: {PAPER['end_to_end_speedup']}x, its "
          "integer units with GELU fused onto its matmul)")
    print("\nDependence on the host constants (l=512, the template's steps and mapper; only the host cycles per "
          "element differ): end-to-end speedup of steps 3 and 4 over step 1")
    for preset in HOST_PRESETS:
        hosted = step_reports(512, host=host_constants(preset))
        first = hosted[labels[0]]
        print(f"  {preset:<28} step 1 {first.latency_s * 1e3:>9.2f} ms, step 3 "
              f"{first.latency_s / hosted[labels[2]].latency_s:>6.1f}x, step 4 "
              f"{first.latency_s / hosted[labels[3]].latency_s:>6.1f}x (paper {PAPER['end_to_end_speedup']}x)")
    print()
    print(WHY)


if __name__ == "__main__":
    main()
