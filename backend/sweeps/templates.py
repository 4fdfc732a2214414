"""Built-in templates (GET /api/templates): the survey's studies, each started with one click.

Two kinds. A `sweep` template carries `spec`, a SweepSpec to POST to /api/sweeps as it is; the sweep stores the
template's id (`spec.template`), which picks the page that tells the study's story (the dashboard's
views/template_studies.js), and `reference` holds the published figures that page shows beside ours (read from the
paper's text; each says where). A `page` template opens a dashboard page (`page`, a hash route with its inputs) and
creates nothing.

Names the pages need from the simulator are derived from it, never retyped: the ops each fusion group joins (by the
roles simulator/fusion.py gives them in our BERT-Base graph) and the GEMM shapes of the mapping landscape (from our
ResNet-50 and BERT-Base graphs).
"""

from __future__ import annotations

from typing import Any

from simulator import fusion, list_accelerator_presets
from simulator.workload import Operator, Scenario, Workload, build_graph, load_model_preset

SURVEY = "Kim et al. 2023, Full Stack Optimization of Transformer Inference (arXiv:2302.14017 v1)"
# Upstream Gemmini's BERT (ucb-bar/gemmini-rocc-tests transformers/transformer.c) fuses SOFTMAX into Q·Kᵀ and IGELU
# into FFN W1: the case study's fusion step is exactly that.
UPSTREAM_BERT_FUSION = "qk_softmax+ffn1_activation"


def _ops(model: str, **scenario: Any) -> tuple[Operator, ...]:
    return build_graph(Workload(model=load_model_preset(model), scenario=Scenario(**scenario))).ops


_BERT_OPS = _ops("bert-base", seq_len=512)
_RESNET_OPS = _ops("resnet-50")


def _group(name: str) -> dict[str, Any]:
    """A fusion group as the fusion study's page shows it: its label and the ops it joins, as reports name them."""
    found = next(group for group in fusion.GROUPS if group.name == name)
    roles = {found.producer, *found.consumers}
    return {"label": found.label, "ops": [op.name for op in _BERT_OPS if op.role in roles]}


def _gemm(ops: tuple[Operator, ...], name: str) -> str:
    """An op's GEMM as M x K x N (a convolution's im2col GEMM)."""
    op = next(op for op in ops if op.name == name)
    return f"{op.m}x{op.k}x{op.n}"


# --- 1. The Gemmini case study (Sec 3.4) ------------------------------------------------------------------------

_NO_FUSION = {"fusion": "none"}

CASE_STUDY: dict[str, Any] = {
    "id": "gemmini-case-study",
    "kind": "sweep",
    "name": "Gemmini full-stack case study",
    "description": (
        "The survey's step-by-step optimization of Gemmini for BERT (Kim et al. 2023, arXiv:2302.14017, "
        "Sec 3.4) as one sweep of four named designs per scenario: 1. baseline gemmini-default with every "
        "non-linear op and de/quantization on the host CPU; 2. memory re-balanced (scratchpad 256 → 64 KiB, "
        "accumulator 64 → 256 KiB); 3. integer non-linear units on the accelerator (the gemmini-transformer "
        "preset: I-BERT softmax/GELU, normalization unit), not fused; 4. fusion as upstream Gemmini's BERT does it "
        "(softmax on Q·Kᵀ's accumulator read-out, GELU on FFN W1's: fusion groups qk_softmax+ffn1_activation)."),
    "spec": {
        "name": "gemmini-case-study",
        "models": ["bert-base"],
        "scenarios": [{"seq_len": 128}, {"seq_len": 512}],
        "accelerator": "gemmini-default",
        "variants": [
            {"label": "1 baseline (non-linear on host)", "accelerator": "gemmini-default", "options": _NO_FUSION},
            {"label": "2 memory re-balanced (SP 64 KiB, ACC 256 KiB)", "accelerator": "gemmini-default",
             "overrides": {"scratchpad_kib": 64, "accumulator_kib": 256}, "options": _NO_FUSION},
            {"label": "3 integer non-linear units", "accelerator": "gemmini-transformer", "options": _NO_FUSION},
            {"label": "4 fusion", "accelerator": "gemmini-transformer", "options": {"fusion": UPSTREAM_BERT_FUSION}},
        ],
        "strategy": "grid",
        "objectives": ["latency_s", "energy_j"],
        "template": "gemmini-case-study",
    },
    "reference": {
        "source": f"{SURVEY}, Sec 3.4, BERT-Base at l = 512",
        "scenario": {"seq_len": 512},
        "variants": {
            "1 baseline (non-linear on host)": {
                "note": "time: matmul 1%, softmax 19%, LayerNorm 4%, residual add 11%, de/quantization 49%, "
                        "GELU 10%; matmuls at 74% utilization, overall under 1%"},
            "2 memory re-balanced (SP 64 KiB, ACC 256 KiB)": {
                "note": "total matmul latency −36% against the baseline"},
            "4 fusion": {
                "speedup": 39.6,
                "note": "end to end against the baseline (I-BERT integer units, normalization unit, "
                        "memory re-balancing, GELU fused with its matmul); time then matmul+GELU 87%, "
                        "softmax 3%, LayerNorm 7%, residual add 4%"},
        },
    },
}

# --- 2. Fusion (Sec 5.5) ------------------------------------------------------------------------------------------

FUSION_GROUPS = ("qk_softmax", "attention", "wout_layernorm", "ffn2_layernorm")
FUSION_BASELINE = "Unfused (fusion none)"
_FUSION_WHERE = "Sec 5.5 (fusion on the I-BERT Gemmini, BERT-Base)"


def _fused_label(group: str) -> str:
    return f"fused: {group}"


FUSION_STUDY: dict[str, Any] = {
    "id": "fusion-study",
    "kind": "sweep",
    "name": "Fusion study (survey Sec 5.5)",
    "description": (
        "Which fusions pay on Gemmini: BERT-Base on gemmini-transformer mapped by Gemmini's own tiler (mapper "
        "gemmini), unfused against each fusion group alone (Q·Kᵀ + softmax, the attention block, W_out + "
        "LayerNorm, FFN W2 + LayerNorm), with a 128 and a 256 KiB accumulator, at l = 512 and l = 4096 (past "
        "BERT's 512 positions, on purpose). A row-wise fusion needs whole output rows in the accumulator, which "
        "costs the GEMM its reuse or does not fit at all. The page compares each group's own cycles fused and "
        "unfused with the survey's figures (Kim et al. 2023, Sec 5.5), and shows a group the simulator refused "
        "with its reason."),
    "spec": {
        "name": "fusion-study",
        "models": ["bert-base"],
        "scenarios": [{"seq_len": 512}, {"seq_len": 4096, "allow_longer": True}],
        "accelerator": "gemmini-transformer",
        "options": {"mapper": "gemmini"},
        "variants": [
            {"label": FUSION_BASELINE, "options": {"fusion": "none"}},
            *({"label": _fused_label(name), "options": {"fusion": name}} for name in FUSION_GROUPS),
        ],
        "axes": {"accumulator_kib": [128, 256]},
        "strategy": "grid",
        "objectives": ["latency_s", "energy_j"],
        "template": "fusion-study",
    },
    "reference": {
        "source": f"{SURVEY}, {_FUSION_WHERE}",
        "baseline": FUSION_BASELINE,
        "measure": "change of the fused group's own latency (the cycles of the ops it joins) against the same ops "
                   "unfused; negative is faster",
        "groups": {name: {**_group(name), "variant": _fused_label(name)} for name in FUSION_GROUPS},
        "figures": [
            {"group": "qk_softmax", "seq_len": 512, "change_percent": -78,
             "where": "Sec 5.5: fusing Q×Kᵀ with softmax improves their combined latency 78% (accumulator size not "
                      "stated)"},
            {"group": "qk_softmax", "seq_len": 4096, "accumulator_kib": 256, "change_percent": -22,
             "where": "Sec 5.5: at l = 4096 with a 256 kB accumulator Q×Kᵀ + softmax fusion still gains 22%"},
            {"group": "attention", "seq_len": 512, "accumulator_kib": 128, "change_percent": -23,
             "where": "Sec 5.5: fusing the whole attention block gains 23% with a 128 kB accumulator"},
            {"group": "attention", "seq_len": 512, "accumulator_kib": 256, "change_percent": -52,
             "where": "Sec 5.5: fusing the whole attention block gains 52% with a 256 kB accumulator"},
            {"group": "wout_layernorm", "seq_len": 512, "accumulator_kib": 128, "change_percent": 83,
             "where": "Sec 5.5: fusing W_out with LayerNorm is 83% worse with a 128 kB accumulator"},
            {"group": "wout_layernorm", "seq_len": 512, "accumulator_kib": 256, "change_percent": -4,
             "where": "Sec 5.5: fusing W_out with LayerNorm gains 4% with a 256 kB accumulator"},
            {"group": "ffn2_layernorm", "seq_len": 512, "change_percent": 27,
             "where": "Sec 5.5: fusing FFN W2 with LayerNorm is 27% worse (accumulator size not stated)"},
        ],
    },
}

# --- 3. Memory re-balancing (Sec 3.4) -----------------------------------------------------------------------------

# The survey's measured baseline as a calibrated preset (`dse calibrate`): when simulator/data/accelerators holds
# it, its grid joins the study beside the stated baseline's. The one place that names it.
CALIBRATED_BASELINE = "gemmini-default-calibrated"
REBALANCING_ACCELERATORS: tuple[str, ...] = ("gemmini-default", *(
    (CALIBRATED_BASELINE,) if CALIBRATED_BASELINE in list_accelerator_presets() else ()))
REBALANCING_SIZES_KIB = [64, 128, 256]
REBALANCING_BASELINE_CELL = {"scratchpad_kib": 256, "accumulator_kib": 64}

MEMORY_REBALANCING: dict[str, Any] = {
    "id": "memory-rebalancing",
    "kind": "sweep",
    "name": "Memory re-balancing (survey Fig 13)",
    "description": (
        "Does moving SRAM from the scratchpad to the accumulator speed up BERT's matmuls? The survey's baseline "
        "Gemmini (gemmini-default: 256 KiB scratchpad, 64 KiB accumulator"
        + (f"; and {CALIBRATED_BASELINE}, its constants fitted to the survey's measured baseline"
           if CALIBRATED_BASELINE in REBALANCING_ACCELERATORS else "")
        + ") mapped by Gemmini's own tiler (mapper gemmini), BERT-Base at l = 512, over a scratchpad × accumulator "
        "grid of 64/128/256 KiB each. The page "
        "shows each cell's summed GEMM cycles relative to the baseline cell (256, 64) beside the survey's −36% "
        "for (64, 256) (Kim et al. 2023, Sec 3.4)."),
    "spec": {
        "name": "memory-rebalancing",
        "models": ["bert-base"],
        "scenarios": [{"seq_len": 512}],
        "accelerator": "gemmini-default",
        "options": {"mapper": "gemmini", "fusion": "none"},
        "variants": [{"label": name, "accelerator": name} for name in REBALANCING_ACCELERATORS],
        "axes": {"scratchpad_kib": list(REBALANCING_SIZES_KIB), "accumulator_kib": list(REBALANCING_SIZES_KIB)},
        "strategy": "grid",
        "objectives": ["latency_s", "energy_j"],
        "template": "memory-rebalancing",
    },
    "reference": {
        "source": f"{SURVEY}, Sec 3.4 (memory re-balancing), BERT-Base at l = 512",
        "measure": "summed GEMM (matmul) cycles relative to the baseline cell; negative is faster",
        "baseline_cell": REBALANCING_BASELINE_CELL,
        "figures": [
            {"scratchpad_kib": 64, "accumulator_kib": 256, "change_percent": -36,
             "where": "Sec 3.4: re-balancing the scratchpad 256 → 64 kB and the accumulator 64 → 256 kB (same total "
                      "SRAM) cuts total matmul latency by 36%"},
        ],
    },
}

# --- 4. LLM serving (issue 29) -----------------------------------------------------------------------------------

SERVING_BATCHES = [1 << k for k in range(9)]  # 1 .. 256
SERVING_TENSOR_PARALLEL = [1, 2, 4]
SERVING_SLO_TPOT_MS = 1500  # Gemmini-class arrays decode Llama-3-8B at ~1.2 s/token on one device: a bound some meet
# Three array sizes on the same memory system: the 16x16 and 32x32 presets, and the 32x32 preset's array doubled.
SERVING_DESIGNS = [
    {"label": "16x16 (gemmini-transformer)", "accelerator": "gemmini-transformer"},
    {"label": "32x32 (gemmini-transformer-32x32)", "accelerator": "gemmini-transformer-32x32"},
    {"label": "64x64 (gemmini-transformer-32x32, rows=cols=64)", "accelerator": "gemmini-transformer-32x32",
     "overrides": {"rows": 64, "cols": 64}},
]

LLM_SERVING: dict[str, Any] = {
    "id": "llm-serving",
    "kind": "sweep",
    "name": "LLM serving: throughput against TPOT",
    "description": (
        "Llama-3-8B (prompt 512, 128 tokens generated) on three array sizes (16x16, 32x32, 64x64) at batch 1, 2, "
        "4, ... 256, on one device or split over 2 or 4 (tensor parallel, a ring of links); the batches whose KV "
        "cache does not fit a device's 16 GiB fail with the capacity message. Opens on the serving "
        "view: per design, generated tokens/s against time per output token over the batches, the TPOT SLO line "
        f"({SERVING_SLO_TPOT_MS} ms, editable on the page) and each design's goodput-optimal batch (the best "
        "throughput meeting it)."),
    "spec": {
        "name": "llm-serving",
        "models": ["llama-3-8b"],
        "scenarios": [{"prompt_len": 512, "generate_len": 128}],
        "accelerator": "gemmini-transformer-32x32",
        "variants": SERVING_DESIGNS,
        "scenario_axes": {"batch": SERVING_BATCHES, "tensor_parallel": SERVING_TENSOR_PARALLEL},
        "strategy": "grid",
        "objectives": ["tpot_s", "decode_tokens_per_s"],
        "template": "llm-serving",
    },
    "reference": {"slo_tpot_ms": SERVING_SLO_TPOT_MS, "slo_ttft_ms": None},
}

# --- 5. The mapping landscape (a page, not a sweep) ---------------------------------------------------------------

LANDSCAPE_ACCELERATOR = "gemmini-default"
# Two ResNet-50 convolutions (3x3, as im2col GEMMs: M output pixels, K = 3·3·C_in, N = C_out) that span its
# shapes: stage 2's tall, narrow one and stage 4's short, deep one (the most repeated block); and BERT-Base's two
# projection shapes at l = 512.
LANDSCAPE_GEMMS: list[dict[str, str]] = [
    {"shape": _gemm(_RESNET_OPS, "conv2_2-3.b"),
     "what": "ResNet-50 stage-2 3x3 convolution as im2col, conv2_1.b to conv2_3.b: 56x56 outputs, 64 to 64 channels"},
    {"shape": _gemm(_RESNET_OPS, "conv4_2-6.b"),
     "what": "ResNet-50 stage-4 3x3 convolution as im2col, conv4_1.b to conv4_6.b: 14x14 outputs, 256 to 256 "
             "channels"},
    {"shape": _gemm(_BERT_OPS, "q_proj"), "what": "BERT-Base l = 512 projection: Q, K, V and W_out"},
    {"shape": _gemm(_BERT_OPS, "ffn_up"), "what": "BERT-Base l = 512 FFN W1"},
]

MAPPING_LANDSCAPE: dict[str, Any] = {
    "id": "mapping-landscape",
    "kind": "page",
    "name": "Mapping landscape of the survey's four GEMMs",
    "description": (
        "How much the mapping matters (survey Sec 5.5: EDP spans orders of magnitude across valid mappings): the "
        "landscape of tilings and loop orders of four GEMMs on gemmini-default: "
        + "; ".join(f"{g['shape']} ({g['what']})" for g in LANDSCAPE_GEMMS) + ". Opens the mapping landscape page."),
    "page": f"#/landscape?gemms={','.join(g['shape'] for g in LANDSCAPE_GEMMS)}&accelerator={LANDSCAPE_ACCELERATOR}",
}

TEMPLATES: list[dict[str, Any]] = [CASE_STUDY, FUSION_STUDY, MEMORY_REBALANCING, LLM_SERVING, MAPPING_LANDSCAPE]
SWEEP_TEMPLATE_IDS: tuple[str, ...] = tuple(t["id"] for t in TEMPLATES if t["kind"] == "sweep")
