"""Built-in sweep templates: ready-made specs a person starts with one click (GET /api/templates).

A template may carry `reference`: the published figures of the study it reproduces, per variant label, shown by
the sweep's study view beside the simulator's (read from the paper's text; each says where).
"""

from __future__ import annotations

from typing import Any

_NO_FUSION = {"fuse_nonlinear": False, "keep_scores_on_chip": False}

TEMPLATES: list[dict[str, Any]] = [
    {
        "id": "gemmini-case-study",
        "name": "Gemmini full-stack case study",
        "description": (
            "The survey's step-by-step optimization of Gemmini for BERT (Kim et al. 2023, arXiv:2302.14017, "
            "Sec 3.4) as one sweep of four named designs per scenario: 1. baseline gemmini-default with every "
            "non-linear op and de/quantization on the host CPU; 2. memory re-balanced (scratchpad 256 → 64 KiB, "
            "accumulator 64 → 256 KiB); 3. integer non-linear units on the accelerator (the gemmini-transformer "
            "preset: I-BERT softmax/GELU, normalization unit), not fused; 4. fusion (non-linear ops on the "
            "accumulator read path, attention scores kept on chip)."),
        "spec": {
            "name": "gemmini-case-study",
            "models": ["bert-base"],
            "scenarios": [{"seq_len": 128}, {"seq_len": 512}],
            "accelerator": "gemmini-default",
            "variants": [
                {"label": "1 baseline (non-linear on host)", "accelerator": "gemmini-default",
                 "options": _NO_FUSION},
                {"label": "2 memory re-balanced (SP 64 KiB, ACC 256 KiB)", "accelerator": "gemmini-default",
                 "overrides": {"scratchpad_kib": 64, "accumulator_kib": 256}, "options": _NO_FUSION},
                {"label": "3 integer non-linear units", "accelerator": "gemmini-transformer", "options": _NO_FUSION},
                {"label": "4 fusion", "accelerator": "gemmini-transformer",
                 "options": {"fuse_nonlinear": True, "keep_scores_on_chip": True}},
            ],
            "strategy": "grid",
            "objectives": ["latency_s", "energy_j"],
            "template": "gemmini-case-study",
        },
        "reference": {
            "source": "Kim et al. 2023, Full Stack Optimization of Transformer Inference (arXiv:2302.14017 v1), "
                      "Sec 3.4, BERT-Base at l = 512",
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
    },
]
