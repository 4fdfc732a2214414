"""Each co-design knob moves the metrics in its documented direction, through the model (docs/simulator.md)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator import AcceleratorSpec, Options, Scenario, Workload, build_graph, evaluate
from simulator.workload import ModelSpec, load_model_preset, with_dimensions

# 1.001: the mapping search takes any tiling within 0.1% of the best latency (then the least energy).
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def models(draw: st.DrawFn, family: str = "encoder") -> ModelSpec:
    heads = draw(st.sampled_from([1, 2, 4]))
    return ModelSpec(name="tiny", family=family, num_layers=draw(st.integers(1, 2)),
                     d_model=heads * draw(st.sampled_from([16, 32, 48])), num_heads=heads,
                     d_ff=draw(st.sampled_from([32, 64, 96, 128])), ffn_kind=draw(st.sampled_from(["plain", "gated"])),
                     vocab_size=100, max_positions=512)


@st.composite
def accelerators(draw: st.DrawFn, **fixed: object) -> AcceleratorSpec:
    on = draw(st.sampled_from(["accelerator", "host_cpu"]))
    fields = dict(rows=draw(st.sampled_from([4, 8, 16])), cols=draw(st.sampled_from([4, 8, 16])),
                  dataflow=draw(st.sampled_from(["ws", "os"])), scratchpad_kib=draw(st.sampled_from([16, 64, 256])),
                  accumulator_kib=draw(st.sampled_from([16, 64, 256])),
                  dram_bytes_per_cycle=draw(st.sampled_from([4.0, 16.0, 64.0])),
                  softmax_on=on, normalization_on=on, activation_on=on, residual_on=on, quantization_on=on,
                  nonlinear_elements_per_cycle=16)
    fields.update(fixed)
    return AcceleratorSpec(**fields)


def encoder(model: ModelSpec, seq: int, batch: int = 1) -> Workload:
    return Workload(model=model, scenario=Scenario(seq_len=seq, batch=batch))


@SETTINGS
@given(models(), accelerators(), st.sampled_from([16, 64, 128]), st.sampled_from(["int8", "int4"]))
def test_int4_never_costs_more_than_int8(model, hw, seq, other) -> None:
    """Every int8 tiling is legal for int4 and moves no more bytes, so the searched optimum never gets worse.

    The DRAM bytes of the chosen mappings are not compared: the latency-optimal int4 tiling may be a different,
    faster one that moves more bytes than the int8 optimum (the compulsory bytes always shrink).
    """
    workload = encoder(model, seq)
    int8_options = Options(weight_precision="int8", activation_precision="int8")
    int4_options = Options(weight_precision="int4", activation_precision=other)
    int8, int4 = evaluate(workload, hw, int8_options), evaluate(workload, hw, int4_options)
    assert int4.latency_cycles <= int8.latency_cycles * 1.001
    assert int4.macs == int8.macs  # same work; the int8 array runs int4 sign-extended
    int4_workload = workload.model_copy(update={"model": model.model_copy(update={"weight_bits": 4})})
    assert build_graph(int4_workload).total_bytes < build_graph(workload).total_bytes
    energy = {"mapping_objective": "energy"}
    assert (evaluate(workload, hw, int4_options.model_copy(update=energy)).energy_j
            <= evaluate(workload, hw, int8_options.model_copy(update=energy)).energy_j * 1.001)


@SETTINGS
@given(models(), accelerators(sparse_support=True), st.sampled_from([16, 64]), st.sampled_from(["2:4", "1:4", "2:8"]))
def test_sparsity_with_support_never_slower_and_fewer_macs(model, hw, seq, pattern) -> None:
    workload = encoder(model, seq)
    dense, sparse = evaluate(workload, hw, Options()), evaluate(workload, hw, Options(sparsity=pattern))
    assert sparse.latency_cycles <= dense.latency_cycles * 1.001
    assert sparse.macs < dense.macs
    # not asserted: DRAM bytes. Compulsory weight bytes shrink, but the latency-optimal mapping of the shorter
    # K may re-fetch more (a faster tiling that moves more bytes).


@SETTINGS
@given(models(), accelerators(), st.sampled_from(["2:4", "1:4"]))
def test_sparsity_without_support_changes_nothing(model, hw, pattern) -> None:
    workload = encoder(model, 32)
    dense, sparse = evaluate(workload, hw, Options()), evaluate(workload, hw, Options(sparsity=pattern))
    assert sparse.model_dump(exclude={"quality_loss", "quality_source"}) == dense.model_dump(
        exclude={"quality_loss", "quality_source"})


def test_sparse_support_costs_area() -> None:
    assert AcceleratorSpec(sparse_support=True).model_copy() and (
        evaluate(encoder(load_model_preset("bert-base"), 64), AcceleratorSpec(sparse_support=True)).area_mm2
        > evaluate(encoder(load_model_preset("bert-base"), 64), AcceleratorSpec()).area_mm2)


@SETTINGS
@given(models(family="decoder"), accelerators(), st.integers(0, 24), st.integers(1, 12))
def test_kv_cache_off_never_fewer_flops_or_bytes(model, hw, prompt, generate) -> None:
    workload = Workload(model=model, scenario=Scenario(prompt_len=prompt, generate_len=generate))
    on, off = evaluate(workload, hw, Options()), evaluate(workload, hw, Options(kv_cache=False))
    assert off.macs >= on.macs
    assert build_graph(workload, kv_cache=False).total_flops >= build_graph(workload).total_flops
    assert off.latency_cycles >= on.latency_cycles * (1 - 1e-9)


def test_kv_cache_off_recomputes_the_prefix() -> None:
    model = load_model_preset("gpt2")
    workload = Workload(model=model, scenario=Scenario(prompt_len=8, generate_len=4))
    off = build_graph(workload, kv_cache=False)
    q_rows = sorted(op.m for op in off.phase("decode") if op.name == "q_proj")
    assert q_rows == [9, 10, 11, 12]  # step j re-runs prompt_len + j tokens


@SETTINGS
@given(models(), accelerators(), st.integers(1, 4))
def test_batch_scales_work(model, hw, batch) -> None:
    one, many = evaluate(encoder(model, 32), hw), evaluate(encoder(model, 32, batch), hw)
    assert many.macs == pytest.approx(batch * one.macs)
    assert many.latency_cycles <= batch * one.latency_cycles * 1.001 + 1


def test_float_formats_need_a_float_array() -> None:
    workload = encoder(load_model_preset("bert-base"), 64)
    with pytest.raises(ValueError, match="fp16 activations need a float PE array"):
        evaluate(workload, AcceleratorSpec(), Options(activation_precision="fp16"))
    with pytest.raises(ValueError, match="weight_bits >= 8"):
        evaluate(workload, AcceleratorSpec(weight_bits=4), Options(weight_precision="int8"))
    fp16_hw = AcceleratorSpec(array_format="float", input_bits=16, weight_bits=16)
    fp16 = evaluate(workload, fp16_hw, Options(weight_precision="fp16", activation_precision="fp16"))
    int8 = evaluate(workload, AcceleratorSpec(), Options())
    assert fp16.dram_bytes > int8.dram_bytes and fp16.energy_mac_j > int8.energy_mac_j
    assert fp16.area_mm2 > int8.area_mm2
    # the host runs float non-linear ops on float activations directly: no de/quantization
    assert "quantization" not in fp16.cycles_by_class and "quantization" in int8.cycles_by_class


def test_invalid_sparsity_is_refused() -> None:
    with pytest.raises(ValueError, match="N:M"):
        Options(sparsity="4:2")


def test_model_dimension_overrides_and_constraints() -> None:
    bert = load_model_preset("bert-base")
    small = with_dimensions(bert, num_layers=6, d_model=384, num_heads=6, d_ff=1536)
    assert (small.num_layers, small.head_dim) == (6, 64) and small.name.startswith("bert-base[")
    for bad, message in ((dict(d_model=400), "num_heads must divide d_model"),
                         (dict(num_kv_heads=5), "num_kv_heads must divide num_heads"),
                         (dict(d_ff=0), "d_ff must be a positive integer"),
                         (dict(ffn_kind="moe"), "ffn_kind"),
                         (dict(hidden=4), "unknown model dimension")):
        with pytest.raises(ValueError, match=message):
            with_dimensions(bert, **bad)
    with pytest.raises(ValueError, match="Transformer"):
        with_dimensions(load_model_preset("resnet-50"), num_layers=2)
