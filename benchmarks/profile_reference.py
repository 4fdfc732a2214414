"""Our profile of BERT-Base, BERT-Large and GPT-2 next to the paper's published figures (Kim et al. Tab. 3).

Run: .venv/bin/python benchmarks/profile_reference.py
Classes follow the paper: MHA projections (Q, K, V, out), act-to-act (Q·Kᵀ, A·V), FFN projections, Other
(softmax, norms, activation, residual adds). Two counts of ours are printed:
- "ours": 2 FLOPs per MAC, every op reads its inputs and writes its output once (8-bit);
- "paper conv.": the paper's conventions applied to our graph: act-to-act 2k−1 FLOPs per output, and for
  encoders "Other" bytes by the paper's fit 2·h·l² + 17·d·l per layer (ours count 18·d·l: the GELU reads
  and writes d_FFN = 4d per token, the residual adds read two operands).
The relative error is paper conv. vs published. Published values exist (in our reference) only for BERT-Base;
BERT-Large and GPT-2 rows print ours with the published column empty, and GPT-2 is checked against the
paper's finding that generation has arithmetic intensity ≈ 2.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from simulator.workload import Profile, Scenario, Workload, load_model_preset, profile

DATA = Path(__file__).parent / "data" / "paper_profile_tab3.yaml"
CLASSES = {
    "mha_projections": ("projection",),
    "act_to_act": ("attention",),
    "ffn_projections": ("ffn",),
    "other": ("softmax", "normalization", "activation", "residual"),
}
LABELS = {"mha_projections": "MHA proj.", "act_to_act": "act-to-act", "ffn_projections": "FFN proj.",
          "other": "Other", "total": "Total"}
RUNS = (("bert-base", (128, 512, 1024, 4096)), ("bert-large", (128, 512, 1024, 4096)), ("gpt2", (128, 512, 1024)))


def workload(name: str, length: int) -> Workload:
    model = load_model_preset(name)
    if model.family == "decoder":  # the paper's GPT-2: generate all l tokens one at a time, KV cache, no prompt
        scenario = Scenario(prompt_len=0, generate_len=length, allow_longer=True)
    else:
        scenario = Scenario(seq_len=length, allow_longer=True)
    return Workload(model=model, scenario=scenario)


def class_rows(result: Profile, length: int) -> dict[str, tuple[float, float, float, float]]:
    """class -> (our FLOPs, our bytes, paper-convention FLOPs, paper-convention bytes)."""
    model = result.workload.model
    rows: dict[str, tuple[float, float, float, float]] = {}
    for key, classes in CLASSES.items():
        ops = [op for op in result.graph.ops if op.op_class in classes]
        flops = sum(op.total_flops for op in ops)
        traffic = sum(op.total_bytes for op in ops)
        paper_flops, paper_bytes = flops, traffic
        if key == "act_to_act":  # 2k-1 FLOPs per output element: one fewer than 2k per output
            paper_flops = flops - sum(op.elements * op.layer_count for op in ops)
        if key == "other" and model.family == "encoder":
            h, d = model.num_heads, model.d_model
            paper_bytes = model.num_layers * (2 * h * length**2 + 17 * d * length)
        rows[key] = (flops, traffic, paper_flops, paper_bytes)
    rows["total"] = tuple(sum(row[i] for row in rows.values()) for i in range(4))  # type: ignore[assignment]
    return rows


def relative(ours: float, published: float | None) -> str:
    if published is None:
        return "—"
    return f"{100 * (ours - published) / published:+.1f}%"


def fmt(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def main() -> None:
    reference = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    published_by = {(table["model"], int(length)): (table["table"], values)
                    for table in reference["tables"] for length, values in table["lengths"].items()}
    print("Profile vs. published: Kim et al., Full Stack Optimization of Transformer Inference, arXiv:2302.14017")
    print("Whole model (all layers), 8-bit data, batch 1, no embeddings / LM head. G = 1e9.")
    print("ours = 2 FLOPs/MAC; conv = paper conventions (act-to-act 2k-1 FLOPs/output; encoder Other bytes by the")
    print("paper's fit 2hl²+17dl); err = conv vs published. Published GMOPs have 2 decimals (coarse when small).")
    header = (f"{'model':<10} {'l':>5} {'class':<10} | {'GFLOPs ours':>11} {'conv':>9} {'publ.':>9} {'err':>7} | "
              f"{'GMOPs ours':>10} {'conv':>7} {'publ.':>6} {'err':>7} | {'AI ours':>8} {'conv':>8} {'publ.':>8} "
              f"{'err':>7}")
    for name, lengths in RUNS:
        print()
        print(header)
        print("-" * len(header))
        for length in lengths:
            result = profile(workload(name, length))
            table, published = published_by.get((name, length), (None, {}))
            for key, (flops, traffic, conv_flops, conv_bytes) in class_rows(result, length).items():
                pub = published.get(key)
                pub_flops, pub_mops, pub_ai = pub if pub else (None, None, None)
                ai, conv_ai = flops / traffic, conv_flops / conv_bytes
                print(f"{name:<10} {length:>5} {LABELS[key]:<10} | {flops / 1e9:>11.2f} {conv_flops / 1e9:>9.2f} "
                      f"{fmt(pub_flops):>9} {relative(conv_flops / 1e9, pub_flops):>7} | "
                      f"{traffic / 1e9:>10.3f} {conv_bytes / 1e9:>7.3f} {fmt(pub_mops):>6} "
                      f"{relative(conv_bytes / 1e9, pub_mops):>7} | {ai:>8.2f} {conv_ai:>8.2f} {fmt(pub_ai):>8} "
                      f"{relative(conv_ai, pub_ai):>7}")
            source = f"published: {table}" if table else "published: not in our reference copy of the paper"
            print(f"{'':<10} {'':>5} ({source})")
    finding = reference["findings"]["gpt2_generation_arithmetic_intensity"]
    print()
    print(f"GPT-2 generation, paper's finding (Sec. 2.2): arithmetic intensity ≈ {finding} at every length:")
    for length in (128, 512, 1024):
        intensity = profile(workload("gpt2", length)).total.arithmetic_intensity
        print(f"  l = {length:>5}: ours {intensity:.2f}  ({relative(intensity, finding)})")


if __name__ == "__main__":
    main()
