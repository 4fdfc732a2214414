"""Operator graph formulas on hand-computed cases (BERT-Base, GPT-2, Llama, GQA, encoder-decoder)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from simulator.workload import (
    ModelSpec,
    Scenario,
    UnknownPresetError,
    Workload,
    build_graph,
    decode_groups_of,
    list_model_presets,
    load_model_preset,
    profile,
)


def encoder(name: str, seq_len: int, **scenario: object) -> Workload:
    return Workload(model=load_model_preset(name), scenario=Scenario(seq_len=seq_len, **scenario))


def test_presets_load_and_cite_a_source() -> None:
    names = list_model_presets()
    for expected in ("bert-base", "bert-large", "gpt2", "gpt2-medium", "gpt2-large", "gpt2-xl", "llama-2-7b",
                     "vit-b-16"):
        assert expected in names
    for name in names:
        spec = load_model_preset(name)
        assert spec.name == name
        assert spec.source


def test_unknown_preset_suggests_close_names() -> None:
    with pytest.raises(UnknownPresetError, match="did you mean.*bert-base"):
        load_model_preset("bert-bse")


def test_bert_base_128_matrix_work_matches_hand_count() -> None:
    # Per layer: 4 projections 2*l*d*d, FFN 2*2*l*d*dff, QK^T and AV 2*2*l*l*d  (d=768, dff=3072, l=128).
    result = profile(encoder("bert-base", 128))
    per_layer = result.per_layer["encoder"].gemm_flops
    assert per_layer == 4 * 2 * 128 * 768**2 + 4 * 128 * 768 * 3072 + 4 * 128**2 * 768 == 1_862_270_976
    assert result.total.gemm_flops == 12 * per_layer
    assert round(result.total.gemm_flops / 1e9, 2) == 22.35


def test_bert_base_128_memory_matches_paper_formulas() -> None:
    d, dff, h, seq = 768, 3072, 12, 128
    ops = {op.name: op for op in build_graph(encoder("bert-base", seq)).ops}
    projections = sum(ops[name].bytes for name in ("q_proj", "k_proj", "v_proj", "out_proj"))
    assert projections == 4 * (d * d + 2 * d * seq)
    assert ops["ffn_up"].bytes + ops["ffn_down"].bytes == 2 * (d * dff + d * seq + dff * seq)
    assert ops["qk_matmul"].bytes + ops["av_matmul"].bytes == h * 2 * (2 * seq * d // h + seq * seq)
    other = [op for op in ops.values() if op.kind != "gemm"]
    # Per-element FLOPs reproduce the paper's "Other" fit 4*h*seq^2 + 58*d*seq exactly.
    assert sum(op.flops for op in other) == 4 * h * seq * seq + 58 * d * seq


def test_gemm_shapes_and_weight_flags() -> None:
    ops = {op.name: op for op in build_graph(encoder("bert-base", 64, batch=2)).ops}
    q = ops["q_proj"]
    assert (q.m, q.k, q.n, q.instances, q.b_is_weight) == (128, 768, 768, 1, True)
    qk = ops["qk_matmul"]
    assert (qk.m, qk.k, qk.n, qk.instances, qk.b_is_weight) == (64, 64, 64, 24, False)
    av = ops["av_matmul"]
    assert (av.m, av.k, av.n, av.instances, av.b_is_weight) == (64, 64, 64, 24, False)
    softmax = ops["softmax"]
    assert (softmax.kind, softmax.m, softmax.k, softmax.n) == ("nonlinear", 2 * 12 * 64, 0, 64)
    for op in ops.values():
        assert op.layer_count == 12
        if op.kind == "gemm":
            assert op.flops == 2 * op.m * op.k * op.n * op.instances
            weight = op.k * op.n * (1 if op.b_is_weight else op.instances)
            assert op.bytes_read == op.m * op.k * op.instances + weight  # 8-bit: 1 byte per element
            assert op.bytes_written == op.m * op.n * op.instances == op.elements


def test_precision_scales_bytes() -> None:
    spec = load_model_preset("bert-base").model_copy(update={"weight_bits": 4, "activation_bits": 16})
    op = next(op for op in build_graph(Workload(model=spec, scenario=Scenario(seq_len=128))).ops
              if op.name == "ffn_up")
    assert op.bytes_read == 128 * 768 * 2 + 768 * 3072 // 2
    assert op.bytes_written == 128 * 3072 * 2


def test_llama_has_gated_ffn_and_rmsnorm() -> None:
    workload = Workload(model=load_model_preset("llama-2-7b"), scenario=Scenario(prompt_len=16))
    names = [op.name for op in build_graph(workload).ops]
    assert "ffn_gate" in names and "rmsnorm_1" in names and "layernorm_1" not in names
    activation = next(op for op in build_graph(workload).ops if op.name == "activation")
    assert activation.bytes_read == 2 * activation.elements  # silu(gate) * up reads two operands


def test_grouped_query_attention_stacks_query_heads() -> None:
    workload = Workload(model=load_model_preset("llama-3-8b"), scenario=Scenario(prompt_len=32))
    ops = {op.name: op for op in build_graph(workload).ops}
    assert ops["k_proj"].n == 8 * 128
    qk = ops["qk_matmul"]
    assert (qk.m, qk.k, qk.n, qk.instances) == (4 * 32, 128, 32, 8)
    # Same FLOPs as 32 separate heads; K is read once per KV head.
    assert qk.flops == 2 * 32 * 128 * 32 * 32


def test_decoder_prefill_and_decode_phases() -> None:
    workload = Workload(model=load_model_preset("gpt2"), scenario=Scenario(prompt_len=8, generate_len=4))
    graph = build_graph(workload)
    assert graph.phases == ("prefill", "decode")
    decode_qk = [op for op in graph.phase("decode") if op.name == "qk_matmul"]
    assert [op.kv_length for op in decode_qk] == [9, 10, 11, 12]
    assert all(op.m == 1 and op.layer_count == 12 for op in decode_qk)
    q_decode = next(op for op in graph.phase("decode") if op.name == "q_proj")
    assert (q_decode.m, q_decode.layer_count, q_decode.decode_steps) == (1, 48, 4)
    result = profile(workload)
    assert result.total.flops == result.by_phase["prefill"].flops + result.by_phase["decode"].flops


def test_gpt2_generation_intensity_is_about_two() -> None:
    # Paper finding: decoder generation re-reads every weight per token, arithmetic intensity ~2.
    for length in (128, 512, 1024):
        workload = Workload(model=load_model_preset("gpt2"), scenario=Scenario(prompt_len=0, generate_len=length))
        assert 1.5 < profile(workload).total.arithmetic_intensity < 2.5


def test_decode_groups_are_odd_runs_covering_every_step() -> None:
    groups = decode_groups_of(5, 1000, 64)
    assert len(groups) <= 64
    assert sum(steps for _, steps in groups) == 1000
    assert all(steps % 2 == 1 for _, steps in groups)
    start = 5
    for middle, steps in groups:
        assert middle == start + steps // 2
        start += steps
    assert start == 1005


def test_embeddings_and_lm_head_optional() -> None:
    base = profile(encoder("bert-base", 128)).total.flops
    with_head = profile(encoder("bert-base", 128, include_embeddings=True, include_lm_head=True))
    classes = with_head.by_class
    assert classes["lm_head"].flops == 2 * 128 * 768 * 30522
    assert classes["embedding"].flops == 128 * 768  # learned positions added
    assert with_head.total.flops == base + classes["lm_head"].flops + classes["embedding"].flops


def test_vit_patch_embedding_is_a_gemm() -> None:
    workload = encoder("vit-b-16", 197, include_embeddings=True, include_lm_head=True)
    ops = {op.name: op for op in build_graph(workload).ops}
    assert (ops["embedding"].kind, ops["embedding"].m, ops["embedding"].k, ops["embedding"].n) == (
        "gemm", 196, 3 * 16 * 16, 768)
    assert (ops["lm_head"].m, ops["lm_head"].n) == (1, 1000)


def test_encoder_decoder_has_cross_attention() -> None:
    workload = Workload(model=load_model_preset("t5-base"), scenario=Scenario(seq_len=64, generate_len=3))
    graph = build_graph(workload)
    assert graph.phases == ("encoder", "prefill", "decode")
    names = {op.name for op in graph.ops}
    assert {"cross_k_proj", "cross_q_proj", "cross_qk_matmul", "residual_add_3", "rmsnorm_3"} <= names
    cross_qk = next(op for op in graph.phase("decode") if op.name == "cross_qk_matmul")
    assert (cross_qk.n, cross_qk.layer_count) == (64, 12 * 3)


@pytest.mark.parametrize(
    ("update", "message"),
    [
        ({"num_heads": 7}, "does not divide d_model"),
        ({"d_model": 0}, "greater than 0"),
        ({"num_kv_heads": 5}, "does not divide num_heads"),
    ],
)
def test_model_spec_rejects_bad_shapes(update: dict[str, int], message: str) -> None:
    data = load_model_preset("bert-base").model_dump() | update
    with pytest.raises(ValidationError, match=message):
        ModelSpec.model_validate(data)


def test_scenario_checks_lengths() -> None:
    with pytest.raises(ValidationError, match="exceeds bert-base's max positions 512"):
        encoder("bert-base", 1024)
    assert encoder("bert-base", 1024, allow_longer=True).encoder_len == 1024
    with pytest.raises(ValidationError):
        Scenario(seq_len=0)
    with pytest.raises(ValidationError, match="encoder"):
        Workload(model=load_model_preset("bert-base"), scenario=Scenario(seq_len=8, generate_len=2))
    with pytest.raises(ValidationError, match="exceeds gpt2's max positions"):
        Workload(model=load_model_preset("gpt2"), scenario=Scenario(prompt_len=1000, generate_len=100))


def test_models_are_frozen() -> None:
    spec = load_model_preset("gpt2")
    with pytest.raises(ValidationError):
        spec.d_model = 1


def test_vision_model_defaults_to_its_patch_sequence() -> None:
    workload = Workload(model=load_model_preset("vit-b-16"), scenario=Scenario())
    assert workload.encoder_len == 197
    with pytest.raises(ValidationError, match="give seq_len"):
        Workload(model=load_model_preset("bert-base"), scenario=Scenario())


def test_decoder_seq_len_and_prompt_must_agree() -> None:
    gpt2 = load_model_preset("gpt2")
    assert Workload(model=gpt2, scenario=Scenario(seq_len=64, prompt_len=64)).prompt_len == 64
    with pytest.raises(ValidationError, match="give one of seq_len or prompt_len"):
        Workload(model=gpt2, scenario=Scenario(seq_len=64, prompt_len=32))


def test_encoder_decoder_encoder_only() -> None:
    workload = Workload(model=load_model_preset("t5-base"), scenario=Scenario(seq_len=32, prompt_len=0))
    assert build_graph(workload).phases == ("encoder",)
