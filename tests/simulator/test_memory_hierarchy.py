"""Where a workload's tensors live (lowering) and how wide a GEMM's output is, end to end."""

from __future__ import annotations

from simulator import Options, evaluate, load_accelerator_preset
from simulator.workload import Scenario, Workload, load_model_preset


def bert(seq_len: int) -> Workload:
    return Workload(model=load_model_preset("bert-base"), scenario=Scenario(seq_len=seq_len))


def _ops(report, name: str) -> list:
    return [op for op in report.ops if op.name == name]


def test_accumulator_width_outputs_feed_an_unfused_non_linear_op() -> None:
    """Q.K^T scores stay 32-bit into a host softmax: the GEMM writes 4 B per score instead of 1 and softmax reads
    them back; a GEMM feeding another GEMM (the projections) is requantized either way."""
    hw = load_accelerator_preset("gemmini-default", l2_kib=0)  # every tensor through DRAM: the widths show
    narrow = evaluate(bert(128), hw, Options(keep_scores_on_chip=False))
    wide = evaluate(bert(128), hw, Options(keep_scores_on_chip=False, gemm_output="accumulator"))
    scores = 12 * 128 * 128 * 12  # heads x l x l x layers
    assert _ops(wide, "qk_matmul")[0].compulsory_dram_bytes - _ops(narrow, "qk_matmul")[0].compulsory_dram_bytes \
        == 3 * scores
    assert _ops(wide, "softmax")[0].dram_bytes - _ops(narrow, "softmax")[0].dram_bytes == 3 * scores
    assert _ops(wide, "q_proj")[0].dram_bytes == _ops(narrow, "q_proj")[0].dram_bytes
    assert wide.latency_cycles > narrow.latency_cycles


def test_a_fused_consumer_keeps_the_output_requantized() -> None:
    hw = load_accelerator_preset("gemmini-transformer")
    fused = evaluate(bert(128), hw, Options(gemm_output="accumulator"))
    plain = evaluate(bert(128), hw, Options())
    assert _ops(fused, "ffn_up")[0].dram_bytes == _ops(plain, "ffn_up")[0].dram_bytes  # GELU rides on its read-out


def test_an_l2_keeps_activations_and_dram_sees_weights() -> None:
    """With a 2 MiB L2, BERT-Base l=128's activations (96 KiB per layer output) stay in it: DRAM moves the
    weights and little else; without one every activation goes to DRAM and back."""
    no_l2 = load_accelerator_preset("gemmini-transformer")
    with_l2 = no_l2.model_copy(update={"l2_kib": 2048.0, "l2_bytes_per_cycle": 16.0, "l2_latency_cycles": 20})
    flat, cached = evaluate(bert(128), no_l2), evaluate(bert(128), with_l2)
    weights = 12 * (4 * 768 * 768 + 2 * 768 * 3072)
    assert cached.compulsory_dram_bytes < flat.compulsory_dram_bytes
    assert weights <= cached.dram_bytes <= 1.05 * weights
    assert sum(op.l2_bytes for op in cached.ops) > cached.dram_bytes
