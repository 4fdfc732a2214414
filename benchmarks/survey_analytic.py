"""The survey's analytical model (Kim et al. 2023, Sec 3.3, Fig. 11) as our `survey-analytic` preset.

Prints our normalized latency (latency(l) / latency(128)) for BERT-Base, BERT-Large and GPT-2 (generation of l
tokens with no prompt) at l = 128 ... 4096 beside the paper's BERT-Base curve, what each curve is made of
(matmul, softmax, other: compute- or memory-bound), and BERT-Base's per-operator non-ideal arithmetic intensity
(FLOPs per DRAM byte: what the mapped traffic gives, against the ideal of each operator's unfused bytes). The
paper's figures are copied in benchmarks/data/gemmini_case_study_paper.yaml with their source. Usage:
    .venv/bin/python benchmarks/survey_analytic.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulator import evaluate, load_accelerator_preset
from simulator.design_point import PointInputs

PAPER = yaml.safe_load((Path(__file__).parent / "data" / "gemmini_case_study_paper.yaml").read_text())
LENGTHS = (128, 256, 512, 1024, 2048, 4096)
MODELS = {"bert-base": "seq_len", "bert-large": "seq_len", "gpt2": "generate_len"}


def report(model: str, length: int):
    scenario = {MODELS[model]: length, "allow_longer": True}
    if model == "gpt2":
        scenario["prompt_len"] = 0
    point = PointInputs(model=model, scenario=scenario, accelerator="survey-analytic").resolve()
    return evaluate(point.workload, point.accelerator, point.options)


def main() -> None:
    hw = load_accelerator_preset("survey-analytic")
    print(f"survey-analytic: {hw.rows}x{hw.cols} {hw.timing} timing, {hw.scratchpad_kib:.0f} KiB scratchpad, "
          f"{hw.accumulator_kib:.0f} KiB accumulator, {hw.l2_kib:.0f} KiB L2 at {hw.l2_bytes_per_cycle:.0f} B/cycle, "
          f"DRAM {hw.dram_bytes_per_cycle:.0f} B/cycle; options: square tiles, no fusion, 32-bit GEMM outputs")
    paper = PAPER["analytical_model_normalized_latency"]
    reports = {model: {length: report(model, length) for length in LENGTHS} for model in MODELS}
    print("\nNormalized latency (l = 128 is 1)")
    print(f"{'l':>6} | {'paper BERT-Base':>15} | {'ours BERT-Base':>14} {'error':>7} | {'BERT-Large':>10} | "
          f"{'GPT-2 gen.':>10}")
    for length in LENGTHS:
        ours = {m: reports[m][length].latency_cycles / reports[m][128].latency_cycles for m in MODELS}
        expected = paper.get(length)
        error = f"{100 * (ours['bert-base'] - expected) / expected:+6.1f}%" if expected else "       "
        print(f"{length:>6} | {expected if expected else '-':>15} | {ours['bert-base']:>14.2f} {error} | "
              f"{ours['bert-large']:>10.2f} | {ours['gpt2']:>10.2f}")

    print("\nBERT-Base: share of cycles by class, and how many of them are memory-bound")
    for length in LENGTHS:
        r = reports["bert-base"][length]
        total = r.latency_cycles
        matmul = sum(op.cycles for op in r.ops if op.kind == "gemm")
        softmax = sum(op.cycles for op in r.ops if op.op_class == "softmax")
        memory = sum(op.cycles for op in r.ops if op.bound == "memory")
        print(f"  l={length:>5}: matmul {100 * matmul / total:5.1f}%  softmax {100 * softmax / total:5.1f}%  "
              f"other {100 * (total - matmul - softmax) / total:5.1f}%  | memory-bound {100 * memory / total:5.1f}%")

    print("\nBERT-Base per-operator arithmetic intensity, FLOPs per DRAM byte (non-ideal: mapped traffic; "
          "ideal: the operator's unfused bytes)")
    for length in (128, 512, 4096):
        r = reports["bert-base"][length]
        print(f"  l = {length}")
        for op in r.ops:
            if op.flops and op.dram_bytes:
                ideal = op.flops / op.compulsory_dram_bytes if op.compulsory_dram_bytes else float("inf")
                print(f"    {op.name:<14} {op.flops / op.dram_bytes:>10.1f}   (ideal {ideal:>10.1f})  {op.bound}")
            elif op.flops:
                print(f"    {op.name:<14} {'no DRAM':>10}   (its tensors stay in the 2 MB L2)  {op.bound}")

    print("""
Where and why ours differ from the paper's curve (from the model, docs/simulator.md "The survey's analytic model"):
- At l = 128 every tensor but the weights and the 32-bit FFN output stays in the 2 MB L2 (an activation stays when
  it fits half of it) and the matmuls are compute-bound: latency grows first with the projections' and FFN's
  linear work.
- The 32-bit score tensors (12 heads x l^2 x 4 B: 3 MiB at l = 256) outgrow the L2 from l = 256 and go to DRAM;
  softmax reads them at 4 B per element through the 16 B/cycle local link while its 16-wide unit does one pass:
  the quadratic terms (Q.K^T, softmax, A.V) take over, 24% of the time memory-bound at l = 4096.
- Ours stays within 10% of the paper's curve; it grows a little slower from l = 512, where the paper's model
  likely charges more traffic per score than our one read and one write at 4 B (its Fig. 11 does not say).
- The paper does not state its dataflow, the non-linear ops' own passes or how it orders the operators; ours is
  WS with one pass per element, the operators one after another.""")


if __name__ == "__main__":
    main()
