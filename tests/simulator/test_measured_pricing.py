"""Whole-model evaluation on Gemmini's measured execution model (issue 27, items 4 and 7 at model level): the rule
shared with the layer API, conv rows equal to `evaluate_layer` of the same convolution, the latency's band, and the
analytic model (no band) everywhere else; calls priced together cost what each costs alone."""

from __future__ import annotations

import itertools

import pytest

from simulator import Options, cache_clear, evaluate, load_accelerator_preset, measured
from simulator.error_bands import error_band
from simulator.layer import ConvLayer, GemmLayer, evaluate_layer
from simulator.lower import GemmWork, lower
from simulator.mapping.gemmini_conv_tiler import cut_path
from simulator.measured import call_cycles, calls_cycles, conv_call, op_call
from simulator.report import NOT_VALIDATED, OpReport, Report
from simulator.workload import Scenario, Workload, load_model_preset

FIRESIM = load_accelerator_preset("gemmini-firesim")
GEMMINI = Options(mapper="gemmini", gemm_output="accumulator")


def run(model: str, hw: object = FIRESIM, options: Options = GEMMINI, **scenario: int) -> Report:
    return evaluate(Workload(model=load_model_preset(model), scenario=Scenario(**scenario)), hw, options)


def row(report: Report, name: str) -> OpReport:
    return next(op for op in report.ops if op.name == name)


# ResNet-50 (v1: the stride on the first 1x1) and ResNet-18 (a strided 3x3): row -> (batch, in channels, out channels,
# out side, kernel, stride, padding, in side)
CONVS = {
    ("resnet-50", "conv1"): (1, 3, 64, 112, 7, 2, 3, 224),  # 7x7 stride 2 on the 3-channel image
    ("resnet-50", "conv2_1.a"): (1, 64, 64, 56, 1, 1, 0, 56),  # 1x1
    ("resnet-50", "conv2_2-3.b"): (1, 64, 64, 56, 3, 1, 1, 56),  # 3x3, two copies
    ("resnet-50", "conv3_1.a"): (1, 256, 128, 28, 1, 2, 0, 56),  # 1x1 stride 2 (its last input row unread)
    ("resnet-50", "conv4_1.shortcut"): (1, 512, 1024, 14, 1, 2, 0, 28),
    ("resnet-50", "conv5_2-3.b"): (1, 512, 512, 7, 3, 1, 1, 7),
    ("resnet-18", "conv3_1.a"): (1, 64, 128, 28, 3, 2, 1, 56),  # 3x3 stride 2
}


@pytest.mark.parametrize(("model", "name"), sorted(CONVS))
def test_a_conv_row_is_the_layer_api_on_the_same_convolution_times_its_count(model: str, name: str) -> None:
    batch, cin, cout, out, kernel, stride, padding, side = CONVS[(model, name)]
    op = row(run(model), name)
    layer = evaluate_layer(ConvLayer(batch, cin, cout, out, out, kernel, kernel, stride, padding, input_h=side,
                                     input_w=side), FIRESIM, mapper="gemmini")
    assert op.pricing == layer.model == "gemmini-measured"
    assert op.cycles == pytest.approx(layer.cycles * op.count, rel=1e-12)
    assert op.cycles_low == pytest.approx(layer.cycles_low * op.count, rel=1e-12)
    assert op.cycles_high == pytest.approx(layer.cycles_high * op.count, rel=1e-12)
    assert op.cycles_low < op.cycles < op.cycles_high


def test_a_gemm_row_is_the_layer_api_on_the_same_gemm_times_its_copies() -> None:
    report = run("bert-base", seq_len=128)
    ffn = next(op for op in report.ops if op.op_class == "ffn")
    m, k, n = (int(x) for x in ffn.shape.split(" ")[0].split("x"))
    layer = evaluate_layer(GemmLayer(m, k, n), FIRESIM, mapper="gemmini")
    assert ffn.pricing == "gemmini-measured"
    assert ffn.cycles == pytest.approx(layer.cycles * ffn.count, rel=1e-12)
    attention = [op for op in report.ops if op.op_class == "attention"]
    assert attention and all(op.pricing == "gemmini-measured" and op.cycles_low < op.cycles for op in attention)


def test_the_band_is_each_ops_kind_and_bound_band_fully_correlated() -> None:
    report = run("resnet-50")
    measured = [op for op in report.ops if op.pricing == "gemmini-measured"]
    analytic = [op for op in report.ops if op.pricing == "analytic"]
    assert measured and analytic and all(op.cycles_low is None and op.cycles_high is None for op in analytic)
    clock = FIRESIM.clock_ghz * 1e9
    low = sum(op.cycles_low for op in measured) + sum(op.cycles for op in analytic)
    high = sum(op.cycles_high for op in measured) + sum(op.cycles for op in analytic)
    assert report.latency_low_s == pytest.approx(report.latency_s * low / report.latency_cycles, rel=1e-12)
    assert report.latency_high_s == pytest.approx(high / clock, rel=1e-12)
    assert report.latency_low_s < report.latency_s < report.latency_high_s
    # one op's band is its call's kind and bound band
    work = next(w for w in lower(Workload(model=load_model_preset("resnet-50"), scenario=Scenario()), FIRESIM,
                                 GEMMINI).work if isinstance(w, GemmWork) and w.op.name == "conv1")
    priced = call_cycles(*op_call(work.op, work.k, FIRESIM.hardware_key()))
    band = error_band("conv", priced.bound)
    assert row(report, "conv1").cycles_high == pytest.approx(priced.cycles * band.high, rel=1e-12)
    share = sum(op.cycles for op in measured) / report.latency_cycles
    assert report.validation.startswith(f"measured model on {share:.0%} of cycles (grouped-CV error bands")
    assert "pooling" in report.validation and "analytic" in report.validation


def test_traffic_and_energy_stay_the_analytic_pricing_of_gemminis_tiler() -> None:
    measured = run("resnet-50")
    analytic = run("resnet-50", FIRESIM.model_copy(update={"pricing": "analytic"}))
    assert (analytic.latency_low_s, analytic.latency_high_s, analytic.validation) == (None, None, NOT_VALIDATED)
    assert measured.dram_bytes == analytic.dram_bytes and measured.macs == analytic.macs
    assert measured.energy_dram_j == analytic.energy_dram_j and measured.energy_mac_j == analytic.energy_mac_j
    assert measured.latency_s != analytic.latency_s
    for ours, theirs in zip(measured.ops, analytic.ops, strict=True):
        assert ours.dram_bytes == theirs.dram_bytes and theirs.pricing == "analytic"


def test_only_mapper_gemmini_on_pricing_gemmini_measured_uses_the_measured_model() -> None:
    optimal = run("resnet-50", options=Options(gemm_output="accumulator"))
    assert optimal.latency_low_s is None and optimal.validation.startswith(f"{NOT_VALIDATED}: mapper optimal is ")
    assert "mapper gemmini runs" in optimal.validation  # says how to get the measured model on this accelerator
    assert {op.pricing for op in optimal.ops} == {"analytic"}
    default = run("resnet-50", load_accelerator_preset("gemmini-default"))
    assert default.latency_low_s is None and default.validation == NOT_VALIDATED


def test_an_accelerator_the_measured_model_cannot_run_is_a_one_line_error_naming_the_field() -> None:
    for overrides, what in (({"cols": 32}, "its array is square"), ({"input_bits": 16}, "int8"),
                            ({"dataflow": "os"}, "weight-stationary only")):
        with pytest.raises(ValueError, match=r"^pricing: gemmini-measured: .*set pricing: analytic to use the "
                                             r"analytic model$") as error:
            run("bert-base", FIRESIM.model_copy(update=overrides), seq_len=64)
        assert what in str(error.value) and "\n" not in str(error.value)
    # under mapper optimal the analytic model prices it, whatever the accelerator's pricing
    assert run("bert-base", FIRESIM.model_copy(update={"cols": 32}), Options(), seq_len=64).latency_low_s is None


def test_structured_sparsity_is_refused_by_the_measured_model() -> None:
    sparse = FIRESIM.model_copy(update={"sparse_support": True})
    with pytest.raises(ValueError, match=r"with structured sparsity .*Gemmini's PEs are dense\); set pricing: "
                                         r"analytic"):
        run("bert-base", sparse, Options(mapper="gemmini", sparsity="2:4"), seq_len=64)
    assert run("bert-base", sparse, Options(mapper="gemmini"), seq_len=64).latency_low_s is not None


def _calls() -> list[tuple]:
    """The calls of ResNet-50's and BERT-Base's GEMMs and convolutions on three arrays and two memory sizes."""
    calls = []
    for model, scenario in (("resnet-50", {}), ("bert-base", {"seq_len": 128})):
        for side, kib in itertools.product((8, 16, 32), (256, 4096)):
            hw = load_accelerator_preset("gemmini-firesim", rows=side, cols=side, scratchpad_kib=kib,
                                         accumulator_kib=kib)
            works = lower(Workload(model=load_model_preset(model), scenario=Scenario(**scenario)), hw, GEMMINI).work
            calls += [op_call(w.op, w.k, hw.hardware_key()) for w in works if isinstance(w, GemmWork)]
    return list(dict.fromkeys(calls))


def test_calls_priced_together_cost_what_each_costs_alone_and_cache_clear_empties_the_caches() -> None:
    """A batch prices its new calls in one vectorized pass: the same numbers, to the bit, as one call at a time;
    `simulator.cache_clear` leaves nothing cached (cold means cold)."""
    cache_clear()
    calls = _calls()
    assert len(calls) > 100 and {type(call).__name__ for call, _ in calls} == {"ConvCall", "MatmulCall"}
    together = calls_cycles(calls)
    assert measured._PRICED and cut_path.cache_info().currsize > 0 and conv_call.cache_info().currsize > 0
    cache_clear()
    assert not measured._PRICED and cut_path.cache_info().currsize == 0 and conv_call.cache_info().currsize == 0
    alone = []
    for call in calls:
        cache_clear()
        alone.append(call_cycles(*call))
    assert together == alone
