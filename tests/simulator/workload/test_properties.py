"""Property tests: FLOPs scale as the formulas say; totals are sums of ops; decode steps sum to generation."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.workload import ModelSpec, Scenario, Totals, Workload, build_graph, profile


def model(d_head: int = 16, heads: int = 4, kv_heads: int | None = None, layers: int = 2, gated: bool = False,
          family: str = "encoder") -> ModelSpec:
    d = d_head * heads
    return ModelSpec(name="tiny", family=family, num_layers=layers, d_model=d, num_heads=heads,
                     num_kv_heads=kv_heads, d_ff=4 * d, ffn_kind="gated" if gated else "plain",
                     activation="silu" if gated else "gelu", vocab_size=100, max_positions=100_000)


def by_kind(workload: Workload) -> dict[str, int]:
    """Total FLOPs by kind, with act-to-act attention GEMMs apart from weight GEMMs."""
    out: dict[str, int] = {}
    for op in build_graph(workload).ops:
        key = "attention" if op.op_class == "attention" else op.kind
        out[key] = out.get(key, 0) + op.flops * op.layer_count
    return out


@settings(max_examples=40, deadline=None)
@given(seq=st.integers(1, 256), batch=st.integers(1, 4), layers=st.integers(1, 4), gated=st.booleans())
def test_flops_scale_with_length_batch_and_layers(seq: int, batch: int, layers: int, gated: bool) -> None:
    spec = model(layers=layers, gated=gated)
    one = by_kind(Workload(model=spec, scenario=Scenario(seq_len=seq)))
    double = by_kind(Workload(model=spec, scenario=Scenario(seq_len=2 * seq)))
    batched = by_kind(Workload(model=spec, scenario=Scenario(seq_len=seq, batch=batch)))
    # Weight GEMMs and pointwise ops are linear in l and b; act-to-act attention is quadratic in l.
    assert double["gemm"] == 2 * one["gemm"]
    # Softmax (4 FLOPs per element, h = 4 heads) is quadratic: 4*h*((2l)^2 - 2*l^2) extra per layer.
    assert double["nonlinear"] == 2 * one["nonlinear"] + layers * 4 * 4 * 2 * seq**2
    assert double["elementwise"] == 2 * one["elementwise"]
    assert double["attention"] == 4 * one["attention"]
    assert batched["gemm"] == batch * one["gemm"]
    assert batched["attention"] == batch * one["attention"]
    assert batched["nonlinear"] == batch * one["nonlinear"]
    deeper = by_kind(Workload(model=spec.model_copy(update={"num_layers": 2 * layers}), scenario=Scenario(seq_len=seq)))
    assert deeper == {key: 2 * value for key, value in one.items()}


@settings(max_examples=30, deadline=None)
@given(seq=st.integers(1, 128), d_head=st.integers(1, 32), heads=st.sampled_from([1, 2, 4, 8]))
def test_projection_flops_quadratic_in_width(seq: int, d_head: int, heads: int) -> None:
    small = by_kind(Workload(model=model(d_head, heads), scenario=Scenario(seq_len=seq)))
    wide = by_kind(Workload(model=model(2 * d_head, heads), scenario=Scenario(seq_len=seq)))
    assert wide["gemm"] == 4 * small["gemm"]
    assert wide["attention"] == 2 * small["attention"]


@settings(max_examples=40, deadline=None)
@given(seq=st.integers(1, 300), batch=st.integers(1, 3), kv=st.sampled_from([1, 2, 4]),
       include=st.booleans(), family=st.sampled_from(["encoder", "decoder", "encoder-decoder"]),
       generate=st.integers(0, 150))
def test_totals_equal_sum_of_ops(seq: int, batch: int, kv: int, include: bool, family: str, generate: int) -> None:
    spec = model(kv_heads=kv, family=family)
    scenario = Scenario(seq_len=seq, batch=batch, include_embeddings=include, include_lm_head=include,
                        generate_len=0 if family == "encoder" else generate)
    result = profile(Workload(model=spec, scenario=scenario))
    ops = result.graph.ops
    assert result.total.flops == sum(op.flops * op.layer_count for op in ops)
    assert result.total.bytes == sum((op.bytes_read + op.bytes_written) * op.layer_count for op in ops)
    assert result.total.gemm_flops == sum(op.flops * op.layer_count for op in ops if op.kind == "gemm")
    assert result.total.flops == sum(totals.flops for totals in result.by_phase.values())
    assert result.total.bytes == sum(totals.bytes for totals in result.by_class.values())
    for op in ops:
        assert op.flops >= 0 and op.bytes > 0 and op.layer_count > 0


@settings(max_examples=40, deadline=None)
@given(prompt=st.integers(0, 64), generate=st.integers(1, 400), batch=st.integers(1, 3), kv=st.sampled_from([1, 4]),
       groups=st.integers(2, 70))
def test_decode_steps_sum_to_the_whole_generation(prompt: int, generate: int, batch: int, kv: int,
                                                  groups: int) -> None:
    """Grouped decode ops give exactly the sum of single-step graphs (each step a one-token decode)."""
    spec = model(kv_heads=kv, family="decoder")
    scenario = Scenario(prompt_len=prompt, generate_len=generate, batch=batch, include_lm_head=True,
                        include_embeddings=True)
    decode = Totals.of(build_graph(Workload(model=spec, scenario=scenario), decode_groups=groups).phase("decode"))
    step_flops = step_bytes = 0
    for step in range(1, generate + 1):
        # Step j attends to prompt + j cache entries: the decode phase of a one-step generation after a longer prompt.
        single = Scenario(prompt_len=prompt + step - 1, generate_len=1, batch=batch, include_lm_head=True,
                          include_embeddings=True)
        totals = Totals.of(build_graph(Workload(model=spec, scenario=single)).phase("decode"))
        step_flops += totals.flops
        step_bytes += totals.bytes
    assert decode.flops == step_flops
    assert decode.bytes == step_bytes
