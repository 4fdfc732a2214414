"""CNN workloads: im2col lowering, BatchNorm/ReLU/pooling/residual counts and fusion, on hand-computed cases."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from simulator import Options, evaluate, load_accelerator_preset
from simulator.workload import (
    CnnSpec,
    Scenario,
    Workload,
    build_graph,
    list_model_presets,
    load_model_preset,
    model_from_file,
    profile,
)


def tiny(*layers: dict, image_size: int = 8, channels: int = 3) -> CnnSpec:
    return CnnSpec.model_validate({"name": "tiny", "image_size": image_size, "num_channels": channels,
                                   "layers": list(layers)})


def ops_of(spec: CnnSpec, **scenario: object) -> dict:
    return {op.name: op for op in build_graph(Workload(model=spec, scenario=Scenario(**scenario))).ops}


def test_conv_lowers_to_im2col_gemm_with_real_tensor_traffic() -> None:
    # batch 2, 3x8x8 input, 4 filters 3x3, stride 1, 'same' padding -> 4x8x8 output per image.
    ops = ops_of(tiny({"type": "conv", "name": "c", "out_channels": 4, "kernel": 3, "batchnorm": False,
                       "relu": False}), batch=2)
    conv = ops["c"]
    assert (conv.kind, conv.op_class, conv.phase) == ("gemm", "convolution", "forward")
    assert (conv.m, conv.k, conv.n) == (2 * 8 * 8, 3 * 3 * 3, 4)  # M = pixels x batch, K = k²·C_in, N = C_out
    assert conv.flops == 2 * 128 * 27 * 4 == 27_648
    assert conv.bytes_read == 2 * 3 * 8 * 8 + 27 * 4 == 492  # input feature map once + weights (not im2col)
    assert conv.bytes_written == 128 * 4 == 512
    assert conv.b_is_weight and conv.layer_count == 1 and list(ops) == ["c"]


def test_strided_unpadded_conv_shape() -> None:
    ops = ops_of(tiny({"type": "conv", "name": "c", "out_channels": 2, "kernel": 3, "stride": 2, "padding": 0,
                       "batchnorm": False, "relu": False}, channels=1))
    conv = ops["c"]
    assert (conv.m, conv.k, conv.n) == (3 * 3, 9, 2)  # floor((8 - 3) / 2) + 1 = 3
    assert conv.flops == 2 * 9 * 9 * 2


def test_batchnorm_and_relu_counts_and_fused_traffic() -> None:
    spec = tiny({"type": "conv", "name": "c", "out_channels": 4, "kernel": 1, "padding": 0})
    ops = ops_of(spec)
    bn, relu, conv = ops["c.bn"], ops["c.relu"], ops["c"]
    elements = 8 * 8 * 4
    assert (bn.op_class, bn.fusion, bn.flops, bn.bytes) == ("normalization", "folded", 2 * elements, 2 * elements)
    assert (relu.op_class, relu.fusion, relu.flops, relu.bytes) == ("activation", "output_path", elements,
                                                                     2 * elements)
    result = profile(Workload(model=spec, scenario=Scenario()))
    assert result.total.flops == conv.flops + 3 * elements
    assert result.total.bytes == conv.bytes + 4 * elements
    # fused: BatchNorm folded into the conv (no FLOPs, no bytes); ReLU on the output path (FLOPs, no bytes)
    assert result.fused.flops == conv.flops + elements
    assert result.fused.bytes == conv.bytes
    assert result.fused_by_class["normalization"].flops == 0
    assert result.per_layer == {} and list(result.by_phase) == ["forward"]


def test_pooling_counts() -> None:
    ops = ops_of(tiny({"type": "maxpool", "name": "mp", "kernel": 3, "stride": 2, "padding": 1},
                      {"type": "avgpool", "name": "gap", "global_pool": True}, channels=4))
    mp, gap = ops["mp"], ops["gap"]
    outputs = 4 * 4 * 4  # floor((8 + 2 - 3) / 2) + 1 = 4
    assert (mp.op_class, mp.elements, mp.flops) == ("pooling", outputs, 8 * outputs)  # 8 comparisons per output
    assert (mp.bytes_read, mp.bytes_written) == (4 * 8 * 8, outputs)  # input once, ideal window reuse
    assert (gap.elements, gap.flops, gap.bytes_read, gap.bytes_written) == (4, 16 * 4, 4 * 4 * 4, 4)


def test_basic_blocks_shortcut_residual_and_repeats() -> None:
    spec = tiny({"type": "block", "name": "s", "kind": "basic", "repeat": 3, "width": 8, "out_channels": 8,
                 "stride": 2}, channels=4)
    ops = ops_of(spec)
    assert {name for name in ops if name.startswith("s_1.")} == {
        "s_1.a", "s_1.a.bn", "s_1.a.relu", "s_1.b", "s_1.b.bn", "s_1.shortcut", "s_1.shortcut.bn", "s_1.add",
        "s_1.add.relu"}
    assert "s_2-3.shortcut" not in ops and ops["s_2-3.a"].layer_count == 2  # identical blocks computed once
    assert (ops["s_1.a"].m, ops["s_1.a"].k, ops["s_1.a"].n) == (16, 36, 8)
    assert (ops["s_1.shortcut"].m, ops["s_1.shortcut"].k) == (16, 4)
    add = ops["s_1.add"]
    assert (add.op_class, add.fusion, add.flops, add.bytes_read, add.bytes_written) == (
        "residual", "accumulate", 128, 256, 128)


def test_fc_and_softmax_after_global_pool() -> None:
    ops = ops_of(tiny({"type": "avgpool", "name": "gap", "global_pool": True},
                      {"type": "fc", "name": "fc", "out_features": 10}, {"type": "softmax", "name": "sm"},
                      channels=16), batch=3)
    fc = ops["fc"]
    assert (fc.op_class, fc.m, fc.k, fc.n, fc.flops) == ("fc", 3, 16, 10, 2 * 3 * 16 * 10)
    assert fc.bytes_read == 3 * 16 + 16 * 10
    assert (ops["sm"].m, ops["sm"].n) == (3, 10)


def test_resnet_presets_match_he_et_al() -> None:
    assert {"resnet-18", "resnet-50", "bert-base"} <= set(list_model_presets())
    for name, macs in (("resnet-50", 3_857_973_248), ("resnet-18", 1_814_073_344)):
        spec = load_model_preset(name)
        assert isinstance(spec, CnnSpec) and spec.family == "cnn" and "He et al." in spec.source
        result = profile(Workload(model=spec, scenario=Scenario()))
        assert result.total.gemm_flops == 2 * macs
        assert abs(macs / spec.reference_macs - 1) < 0.03  # Table 1: 3.8e9 and 1.8e9 multiply-adds
    ops = ops_of(load_model_preset("resnet-50"))
    assert (ops["conv1"].m, ops["conv1"].k, ops["conv1"].n) == (112 * 112, 7 * 7 * 3, 64)
    assert (ops["conv2_1.b"].m, ops["conv2_1.b"].k, ops["conv2_1.b"].n) == (56 * 56, 9 * 64, 64)
    assert (ops["conv5_2-3.c"].m, ops["conv5_2-3.c"].n, ops["conv5_2-3.c"].layer_count) == (49, 2048, 2)
    assert ops["conv4_2-6.b"].layer_count == 5
    assert sum(op.layer_count for op in ops.values() if op.op_class == "convolution") == 53


def test_resnet_50_fused_profile_near_paper_tab4() -> None:
    """Kim et al. arXiv:2302.14017 Tab. 4: fused 7.28 GFLOPs / 0.06 GMOPs / AI 121.36 (2-decimal figures)."""
    result = profile(Workload(model=load_model_preset("resnet-50"), scenario=Scenario()))
    assert result.fused.arithmetic_intensity == pytest.approx(121.36, rel=0.02)
    assert round(result.fused.bytes / 1e9, 2) == 0.06
    assert round(result.total.bytes / 1e9, 2) == 0.10  # published 0.11; see benchmarks/profile_reference.py


def test_scenario_resolution_batch_and_mixing_with_transformers() -> None:
    resnet, bert = load_model_preset("resnet-50"), load_model_preset("bert-base")
    small = ops_of(resnet, image_size=112, batch=4)
    assert small["conv1"].m == 4 * 56 * 56
    # one list of scenarios serves both: token lengths are ignored by a CNN, image_size by a Transformer
    for fields in ({"seq_len": 128}, {"seq_len": 128, "image_size": 160}):
        assert Workload(model=resnet, scenario=Scenario(**fields)).encoder_len == 0
        assert Workload(model=bert, scenario=Scenario(**fields)).image_size == 0
    assert Workload(model=resnet, scenario=Scenario(image_size=160)).image_size == 160
    with pytest.raises(ValidationError, match="too small"):
        Workload(model=tiny({"type": "conv", "name": "c", "out_channels": 2, "kernel": 7, "padding": 0}),
                 scenario=Scenario(image_size=4))


def test_spec_errors_and_cnn_from_a_data_file(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="repeated: c"):
        tiny({"type": "conv", "name": "c", "out_channels": 2, "kernel": 1},
             {"type": "conv", "name": "c", "out_channels": 2, "kernel": 1})
    with pytest.raises(ValidationError):
        tiny({"type": "deconv", "name": "d"})
    path = tmp_path / "vgg-ish.yaml"
    path.write_text("name: vgg-ish\nfamily: cnn\nimage_size: 32\nsource: test\nlayers:\n"
                    "  - {type: conv, name: c1, out_channels: 8, kernel: 3}\n"
                    "  - {type: maxpool, name: p1, kernel: 2}\n"
                    "  - {type: fc, name: fc, out_features: 10}\n", encoding="utf-8")
    spec = model_from_file(path)
    assert isinstance(spec, CnnSpec)
    ops = ops_of(spec)
    assert ops["fc"].k == 8 * 16 * 16 and ops["p1"].elements == 8 * 16 * 16


def test_evaluate_fuses_cnn_ops_on_the_cnn_baseline() -> None:
    """gemmini-default places normalization/activation/residual on the host; a CNN's BN/ReLU/add still fuse."""
    hw = load_accelerator_preset("gemmini-default", l2_kib=0)  # no L2: the skip operand comes from DRAM
    workload = Workload(model=load_model_preset("resnet-18"), scenario=Scenario(image_size=64))
    fused = evaluate(workload, hw)
    rows = {op.name: op for op in fused.ops}
    assert rows["conv2_1.a.bn"].cycles == 0 and rows["conv2_1.a.bn"].where == "folded"
    assert rows["conv2_1.a.relu"].cycles == 0 and rows["conv2_1.a.relu"].dram_bytes == 0
    assert rows["conv2_1.add"].where == "accelerator" and rows["conv2_1.add"].dram_bytes > 0
    assert not any(op.where == "host_cpu" for op in fused.ops if op.op_class != "softmax"
                   and not op.name.startswith("softmax"))
    assert fused.cycles_by_class["convolution"] > 0.5 * fused.latency_cycles
    unfused = evaluate(workload, hw, Options(fuse_nonlinear=False))
    assert any(op.where == "host_cpu" and op.op_class == "normalization" for op in unfused.ops)
    assert unfused.latency_cycles > 2 * fused.latency_cycles


@settings(max_examples=30, deadline=None)
@given(side=st.integers(8, 64), batch=st.integers(1, 3), kind=st.sampled_from(["basic", "bottleneck"]),
       repeat=st.integers(1, 3), stride=st.integers(1, 2), stride_on=st.sampled_from(["first", "middle"]))
def test_cnn_totals_properties(side: int, batch: int, kind: str, repeat: int, stride: int, stride_on: str) -> None:
    spec = tiny({"type": "conv", "name": "stem", "out_channels": 8, "kernel": 3, "stride": 2},
                {"type": "block", "name": "s", "kind": kind, "repeat": repeat, "width": 4, "out_channels": 16,
                 "stride": stride, "stride_on": stride_on},
                {"type": "avgpool", "name": "gap", "global_pool": True},
                {"type": "fc", "name": "fc", "out_features": 5}, image_size=side)
    one = profile(Workload(model=spec, scenario=Scenario()))
    many = profile(Workload(model=spec, scenario=Scenario(batch=batch)))
    assert many.total.flops == batch * one.total.flops  # every op is per image
    for op in many.graph.ops:
        if op.kind == "gemm":
            assert op.flops == 2 * op.m * op.k * op.n and op.m % batch == 0
    assert sum(op.layer_count for op in many.graph.ops if op.name.endswith(".add")) == repeat
    fused_away = sum(op.total_bytes for op in many.graph.ops if op.fusion in ("folded", "output_path"))
    assert many.total.bytes - many.fused.bytes == fused_away
    folded = sum(op.total_flops for op in many.graph.ops if op.fusion == "folded")
    assert many.total.flops - many.fused.flops == folded


def test_conv_dram_traffic_is_the_input_map_not_the_im2col_matrix() -> None:
    """A 3x3 'same' conv on a 32x56x56 map with 64 filters, on a 16x16 array with ample scratchpad.

    im2col matrix: M = 56·56 = 3136, K = 9·32 = 288 → 903,168 int8 bytes, 9x the 100,352-byte input map.
    With the expansion done on chip the DMA moves the map (once: everything fits, and the energy objective picks
    the mapping with least traffic), the 18,432 weight bytes and the 200,704 output bytes: 319,488 bytes, far
    below the ≥ 1,122,304 a dense im2col stream needs.
    """
    spec = tiny({"type": "conv", "name": "c", "out_channels": 64, "kernel": 3, "batchnorm": False, "relu": False},
                image_size=56, channels=32)
    hw = load_accelerator_preset("gemmini-default").model_copy(update={"scratchpad_kib": 4096.0,
                                                                       "accumulator_kib": 4096.0, "l2_kib": 0.0})
    report = evaluate(Workload(model=spec, scenario=Scenario()), hw, Options(mapping_objective="energy"))
    conv = next(op for op in report.ops if op.name == "c")
    compulsory = 32 * 56 * 56 + 9 * 32 * 64 + 64 * 56 * 56
    assert conv.dram_bytes == pytest.approx(compulsory, rel=0.01)
    assert conv.dram_bytes < 3136 * 288 + 9 * 32 * 64 + 64 * 56 * 56
