"""Issue 29: device memory capacity, Megatron tensor parallelism and pipeline stages with priced collectives,
mixture-of-experts decode, and Mixtral's config.json import."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator import evaluate, load_accelerator_preset
from simulator.workload import Scenario, Workload, build_graph, load_model_preset, model_from_hf_config
from simulator.workload.graph import expected_experts, experts_touched

FIXTURES = Path(__file__).parent / "fixtures" / "hf"
ACCELERATOR = "gemmini-transformer-32x32"


def workload(model: str, **scenario: object) -> Workload:
    return Workload(model=load_model_preset(model), scenario=Scenario(**scenario))


def ops_named(w: Workload, name: str, phase: str = "decode") -> list:
    return [op for op in build_graph(w).ops if op.name == name and op.phase == phase]


def test_a_model_that_does_not_fit_fails_with_what_it_needs_and_the_split() -> None:
    w = workload("llama-3-70b", prompt_len=2048, generate_len=256)
    with pytest.raises(ValueError, match=r"needs 66\.\d+ GiB per device, has 16 GiB \(weights 65\.\d+ GiB, "
                                         r"KV cache 0\.35\d GiB, activations"):
        evaluate(w, load_accelerator_preset(ACCELERATOR, memory_gib=16))


def test_eight_way_tensor_parallelism_fits_and_reports_memory_communication_and_max_batch() -> None:
    w = workload("llama-3-70b", prompt_len=2048, generate_len=256, tensor_parallel=8, devices=8)
    report = evaluate(w, load_accelerator_preset(ACCELERATOR, memory_gib=16))
    assert report.memory_used_gib <= 16
    assert report.max_batch is not None and report.max_batch > 1
    assert report.cycles_by_class["communication"] > 0
    assert report.system_area_mm2 == pytest.approx(8 * report.area_mm2)
    assert report.energy_per_device_j == pytest.approx(report.energy_j / 8)


def test_max_batch_grows_with_memory_and_is_the_largest_batch_that_fits() -> None:
    w = workload("llama-3-8b", prompt_len=1024, generate_len=128)
    batches = [evaluate(w, load_accelerator_preset(ACCELERATOR, memory_gib=gib)).max_batch
               for gib in (9, 12, 16, 32, 64)]
    assert all(isinstance(b, int) for b in batches)
    assert batches == sorted(batches) and batches[0] < batches[-1]
    largest = batches[1]
    hw = load_accelerator_preset(ACCELERATOR, memory_gib=12)
    assert evaluate(workload("llama-3-8b", prompt_len=1024, generate_len=128, batch=largest), hw).memory_used_gib <= 12
    with pytest.raises(ValueError, match="needs"):
        evaluate(workload("llama-3-8b", prompt_len=1024, generate_len=128, batch=largest + 1), hw)


def test_unlimited_memory_has_no_max_batch() -> None:
    report = evaluate(workload("llama-3-8b", prompt_len=64, generate_len=8), load_accelerator_preset("survey-analytic"))
    assert report.max_batch is None and report.memory_used_gib > 7


def test_tensor_parallelism_divides_the_gemms_megatron_style() -> None:
    one, four = (workload("llama-3-8b", prompt_len=128, generate_len=4, tensor_parallel=tp) for tp in (1, 4))
    for name, axis in (("q_proj", "n"), ("k_proj", "n"), ("ffn_up", "n"), ("ffn_gate", "n"), ("out_proj", "k"),
                       ("ffn_down", "k"), ("lm_head", "n")):
        whole, split = ops_named(one, name)[0], ops_named(four, name)[0]
        assert getattr(split, axis) * 4 == getattr(whole, axis), name
        assert split.m == whole.m
    qk_one, qk_four = ops_named(one, "qk_matmul", "prefill")[0], ops_named(four, "qk_matmul", "prefill")[0]
    assert qk_four.instances * 4 == qk_one.instances  # KV heads split: 8 -> 2 per device
    reduces = [op for op in build_graph(four).ops if op.collective == "all_reduce" and op.phase == "decode"]
    assert sum(op.layer_count for op in reduces) == 2 * 32 * 4  # two per layer per step


def test_kv_heads_are_replicated_when_fewer_than_devices() -> None:
    w = workload("llama-3-70b", prompt_len=16, generate_len=2, tensor_parallel=16)
    assert ops_named(w, "k_proj")[0].n == 128  # one KV head of 128 per device (8 KV heads, 16 devices)
    with pytest.raises(ValueError, match="must divide"):
        workload("llama-3-8b", prompt_len=16, tensor_parallel=3)
    with pytest.raises(ValueError, match="must equal devices"):
        Scenario(prompt_len=16, tensor_parallel=2, devices=8)


@pytest.mark.parametrize("topology", ["ring", "switch"])
def test_an_all_reduce_costs_the_stated_formula(topology: str) -> None:
    w = workload("llama-3-8b", prompt_len=128, generate_len=2, batch=4, tensor_parallel=4)
    hw = load_accelerator_preset(ACCELERATOR, link_gb_s=40, link_latency_us=2, topology=topology, memory_gib=0)
    row = next(op for op in evaluate(w, hw).ops if op.name == "ffn_all_reduce" and op.phase == "decode")
    size = 4 * 4096  # batch rows x d_model, int8
    latencies = 3 if topology == "ring" else 2
    per_copy = 2 * 3 / 4 * size / (40e9 / hw.clock_ghz / 1e9) + latencies * 2e-6 * hw.clock_ghz * 1e9
    assert row.cycles == pytest.approx(per_copy * row.count)
    assert row.op_class == "communication" and row.bound == "communication" and row.where == "interconnect"


def test_pipeline_stages_send_activations_and_split_the_weights() -> None:
    one = workload("llama-3-8b", prompt_len=128, generate_len=4)
    two = workload("llama-3-8b", prompt_len=128, generate_len=4, pipeline_parallel=2)
    sends = [op for op in build_graph(two).ops if op.collective == "send"]
    assert {op.phase for op in sends} == {"prefill", "decode"}
    assert sum(op.layer_count for op in sends if op.phase == "decode") == 4  # p - 1 = 1 per step
    hw = load_accelerator_preset(ACCELERATOR, memory_gib=0)
    whole, half = evaluate(one, hw), evaluate(two, hw)
    assert half.memory_weights_gib < 0.6 * whole.memory_weights_gib
    assert half.memory_kv_cache_gib == pytest.approx(whole.memory_kv_cache_gib / 2)
    assert half.latency_cycles > whole.latency_cycles  # the same layers, one after another, plus the sends


def test_expected_experts_under_uniform_routing() -> None:
    assert expected_experts(8, 2, 1) == pytest.approx(2)
    for tokens in (2, 8, 64):
        assert expected_experts(8, 2, tokens) == pytest.approx(8 * (1 - (1 - 2 / 8) ** tokens))
    assert experts_touched(8, 2, 8, "expected") == round(8 * (1 - 0.75 ** 8))
    assert experts_touched(8, 2, 3, "worst") == 6 and experts_touched(8, 2, 64, "worst") == 8


def test_moe_decode_reads_the_experts_the_batch_touches() -> None:
    w = workload("mixtral-8x7b", prompt_len=64, generate_len=4, batch=4)
    up = ops_named(w, "expert_up")[0]
    touched = experts_touched(8, 2, 4, "expected")
    assert up.layer_count == 32 * 4 * touched and up.m == -(-4 * 2 // touched)
    worst = workload("mixtral-8x7b", prompt_len=64, generate_len=4, batch=4, moe_routing="worst")
    assert ops_named(worst, "expert_up")[0].layer_count == 32 * 4 * 8
    report = evaluate(w, load_accelerator_preset(ACCELERATOR, memory_gib=0))
    assert report.memory_weights_gib == pytest.approx(43.5, abs=0.2)  # all 8 experts stored: 46.7 B int8 weights


def test_mixtral_config_json_imports_as_the_preset() -> None:
    imported = model_from_hf_config(FIXTURES / "mixtral-8x7b-v0.1" / "config.json")
    preset = load_model_preset("mixtral-8x7b")
    for field in ("num_layers", "d_model", "num_heads", "kv_heads", "d_ff", "ffn_kind", "vocab_size",
                  "max_positions", "num_experts", "experts_per_token", "tied_embeddings"):
        assert getattr(imported, field) == getattr(preset, field), field
    assert imported.num_experts == 8 and imported.experts_per_token == 2



def test_chunked_prefill_reads_the_weights_per_chunk_and_attends_to_the_keys_so_far() -> None:
    whole = workload("llama-3-8b", prompt_len=1000, generate_len=2, batch=2)
    chunked = workload("llama-3-8b", prompt_len=1000, generate_len=2, batch=2, prefill_chunk=256)
    up = ops_named(chunked, "ffn_up", "prefill")
    assert [(op.m, op.layer_count) for op in up] == [(2 * 256, 32 * 3), (2 * 232, 32)]
    assert ops_named(whole, "ffn_up", "prefill")[0].m == 2 * 1000
    keys = [(op.m, op.n) for op in ops_named(chunked, "qk_matmul", "prefill")]
    assert keys == [(4 * 256, 256), (4 * 256, 512), (4 * 256, 768), (4 * 232, 1000)]  # 4 query heads per KV head
    hw = load_accelerator_preset(ACCELERATOR)
    assert evaluate(chunked, hw).memory_activations_gib < evaluate(whole, hw).memory_activations_gib


def test_expert_parallelism_places_whole_experts_and_moves_tokens_by_all_to_all() -> None:
    split = workload("mixtral-8x7b", prompt_len=64, generate_len=2, batch=8, tensor_parallel=4)
    spread = workload("mixtral-8x7b", prompt_len=64, generate_len=2, batch=8, tensor_parallel=4, expert_parallel=True)
    touched = experts_touched(8, 2, 8, "expected")
    up_split, up_spread = ops_named(split, "expert_up")[0], ops_named(spread, "expert_up")[0]
    assert up_split.n * 4 == up_spread.n == 14336
    assert up_spread.layer_count == 32 * 2 * -(-touched // 4)
    collectives = {op.collective for op in build_graph(spread).ops if op.phase == "decode" and op.collective}
    assert collectives == {"all_reduce", "all_to_all"}  # attention's all-reduce stays; the experts' goes
    assert not [op for op in build_graph(spread).ops if op.name == "ffn_all_reduce"]
    hw = load_accelerator_preset(ACCELERATOR, memory_gib=0)
    assert evaluate(spread, hw).memory_weights_gib == pytest.approx(evaluate(split, hw).memory_weights_gib, rel=0.01)
