"""The one-layer API (simulator/layer.py) and measured layers against it (simulator/validation.py): which model prices
a layer, explicit mappings and Gemmini's tiler on the measured model (with error bands), illegal mappings, CSV
reading, per-row accelerator overrides, errors naming row and column, the summary's arithmetic, the FireSim set."""

from __future__ import annotations

import math

import pytest

from simulator.error_bands import error_band
from simulator.fit_firesim import training_rows
from simulator.hardware import load_accelerator_preset
from simulator.layer import NOT_VALIDATED, ConvLayer, GemmLayer, LayerResult, evaluate_layer
from simulator.mapping import gemm_cost
from simulator.mapping.gemmini_exec import execution_cycles, measured_timing
from simulator.measurements import firesim_training_set, to_validation_rows
from simulator.validation import (
    MeasuredLayer,
    Prediction,
    ValidationInputError,
    measured_layers,
    parse_validation_csv,
    summarise,
    validate,
)

HW = load_accelerator_preset("gemmini-default")
FIRESIM = load_accelerator_preset("gemmini-firesim")
STEM = "L3[WIO] K8 Q28 - L2[WI] N1 K4X - L1[O] K2 S7 R7 Q4 P7 C3X - L0[W] P16"  # ResNet-50's first layer


def on_default(overrides: dict) -> object:
    return load_accelerator_preset("gemmini-default", **overrides)


def test_mapper_optimal_is_the_analytic_gemm_cost_and_says_it_is_not_validated() -> None:
    result = evaluate_layer(GemmLayer(128, 768, 768), HW)
    cost = gemm_cost(128, 768, 768, HW)
    assert (result.kind, result.cycles, result.compute_cycles, result.dram_bytes) == (
        "gemm", cost.cycles, cost.compute_cycles, cost.dram_bytes)
    assert result.mapping == cost.mapping.describe() and result.gemm == (128, 768, 768)
    assert (result.model, result.cycles_low, result.cycles_high, result.breakdown) == ("analytic", None, None, None)
    assert result.band_source == NOT_VALIDATED
    # mapper gemmini on an accelerator whose pricing is analytic is the analytic model too
    os_array = load_accelerator_preset("gemmini-os")
    assert evaluate_layer(GemmLayer(64, 64, 64), os_array, mapper="gemmini").cycles == gemm_cost(
        64, 64, 64, os_array, mapper="gemmini").cycles


def test_training_rows_mappings_reproduce_the_fitted_model() -> None:
    """Every 97th training row through the layer API equals the fit's own prediction of it, and carries a band."""
    data = training_rows()
    fitted = execution_cycles(data.work, measured_timing())
    rows = measured_layers(to_validation_rows())
    for index in range(0, len(rows), 97):
        row = rows[index]
        result = evaluate_layer(row.layer, FIRESIM.model_copy(update={
            "rows": int(row.overrides["rows"]), "cols": int(row.overrides["cols"])}), mapping=row.mapping)
        assert result.cycles == pytest.approx(fitted.total[index], rel=1e-12), index
        assert (result.model, result.mapper, result.gemm, result.dram_bytes) == (
            "gemmini-measured", "explicit", None, None)
        assert result.breakdown is not None and result.breakdown.bound == fitted.bound()[index]
        assert result.cycles_low is not None and result.cycles_high is not None
        assert result.cycles_low < result.cycles_high and "FireSim training rows" in result.band_source


def test_the_stem_runs_as_loopconv_not_an_im2col_gemm() -> None:
    stem = ConvLayer(1, 3, 64, 112, 112, 7, 7, stride=2)
    result = evaluate_layer(stem, FIRESIM.model_copy(update={"rows": 4, "cols": 4}), mapping=STEM)
    assert result.cycles == pytest.approx(firesim_training_set()[0].cycles, rel=0.01)  # measured 9,853,947
    assert "tiled_conv tile batches 1, orows 4, ocols 112, ochs 8, krows 7, kcols 7, kchs 3" in result.mapping
    assert result.breakdown is not None and result.breakdown.bound == "array"
    # the 16x16 image runs the same mapping on a wider array: fewer array cycles
    wide = evaluate_layer(stem, FIRESIM, mapping=STEM)
    assert wide.breakdown is not None and wide.breakdown.array < result.breakdown.array


def test_mapper_gemmini_on_ws_is_gemminis_tiler_on_the_measured_model() -> None:
    conv = evaluate_layer(ConvLayer(1, 64, 64, 56, 56, 3, 3), FIRESIM, mapper="gemmini")
    assert conv.model == "gemmini-measured" and conv.mapper == "gemmini"
    assert conv.mapping.startswith("Gemmini tiler (tiled_conv_auto): tiled_conv") and conv.gemm is None
    gemm = evaluate_layer(GemmLayer(128, 768, 768), FIRESIM, mapper="gemmini")
    assert gemm.mapping.startswith("Gemmini tiler (tiled_matmul_auto)")
    for result in (conv, gemm):
        assert result.cycles_low is not None and result.cycles_high is not None
        assert result.cycles_low < result.cycles_high and result.cycles >= result.compute_cycles > 0
    # smaller memories: smaller tiles, more of them
    small = evaluate_layer(ConvLayer(1, 64, 64, 56, 56, 3, 3), FIRESIM.model_copy(
        update={"scratchpad_kib": 64, "accumulator_kib": 16}), mapper="gemmini")
    assert small.breakdown is not None and conv.breakdown is not None
    assert small.breakdown.tiles > conv.breakdown.tiles


def test_error_bands_exist_for_every_kind_and_bound_and_cover_most_training_rows() -> None:
    for kind in ("conv", "matmul"):
        for bound in ("host", "array", "reads", "writes", "memory"):
            band = error_band(kind, bound)
            assert 0 < band.low < band.high and band.rows >= 30, (kind, bound)
    result = validate(measured_layers(to_validation_rows()), lambda o: FIRESIM.model_copy(update={
        "rows": int(o["rows"]), "cols": int(o["cols"])}))
    assert result.summary.within_band is not None and 0.7 <= result.summary.within_band <= 0.9


def test_a_1x1_convolution_is_its_plain_gemm_and_a_3x3_reads_the_input_map_once() -> None:
    pointwise = evaluate_layer(ConvLayer(2, 64, 128, 14, 14, 1, 1), HW)
    assert pointwise.gemm == (2 * 14 * 14, 64, 128)
    assert pointwise.cycles == gemm_cost(2 * 14 * 14, 64, 128, HW).cycles
    three = evaluate_layer(ConvLayer(1, 64, 64, 56, 56, 3, 3), HW)
    assert three.gemm == (56 * 56, 9 * 64, 64)
    # the im2col matrix would be 9x the input map; the conv moves the 56x56x64 input (padding 1) once
    assert three.dram_bytes < gemm_cost(56 * 56, 9 * 64, 64, HW).dram_bytes


def test_conv_input_extent_and_default_padding() -> None:
    layer = ConvLayer(1, 3, 64, 112, 112, 7, 7, stride=2)
    assert (layer.padding_h, layer.in_h, layer.in_w) == (3, 223, 223)  # (112-1)*2 + 7 - 2*3
    assert ConvLayer(1, 3, 64, 112, 112, 7, 7, stride=2, padding=0).in_h == 229
    with pytest.raises(ValueError, match="out_h=0"):
        ConvLayer(1, 3, 64, 0, 112, 7, 7)


def test_illegal_mappings_and_accelerators_are_clear_errors() -> None:
    stem = ConvLayer(1, 3, 64, 112, 112, 7, 7, stride=2)
    with pytest.raises(ValueError, match="K: the factors multiply to 64, the layer's K is 32"):
        evaluate_layer(ConvLayer(1, 3, 32, 112, 112, 7, 7, stride=2), FIRESIM, mapping=STEM)
    with pytest.raises(ValueError, match="does not fit the scratchpad: it needs 52.6094 KiB, half of the 64 KiB"):
        evaluate_layer(stem, FIRESIM.model_copy(update={"scratchpad_kib": 64}), mapping=STEM)
    with pytest.raises(ValueError, match="does not fit the accumulator"):
        evaluate_layer(stem, FIRESIM.model_copy(update={"accumulator_kib": 16}), mapping=STEM)
    with pytest.raises(ValueError, match="spatial factors need a 4x4 array; this accelerator has 2x2"):
        evaluate_layer(stem, FIRESIM.model_copy(update={"rows": 2, "cols": 2}), mapping=STEM)
    with pytest.raises(ValueError, match=r"its array is square, DIM x DIM \(this one is 16x32\)"):
        evaluate_layer(stem, FIRESIM.model_copy(update={"cols": 32}), mapping=STEM)
    with pytest.raises(ValueError, match=r"^pricing: gemmini-measured: .*its array is square.*; set pricing: "
                                         r"analytic to use the analytic model$"):
        evaluate_layer(GemmLayer(64, 64, 64), FIRESIM.model_copy(update={"cols": 32}), mapper="gemmini")
    with pytest.raises(ValueError, match="weight-stationary only"):
        evaluate_layer(stem, load_accelerator_preset("gemmini-os"), mapping=STEM)
    with pytest.raises(ValueError, match="takes square images"):
        evaluate_layer(ConvLayer(1, 64, 64, 56, 28, 3, 3), FIRESIM, mapper="gemmini")
    # a GEMM's letters as DOSA writes matmuls: P = m, C = k, K = n
    gemm = evaluate_layer(GemmLayer(64, 32, 16), FIRESIM.model_copy(update={"rows": 32, "cols": 32}),
                          mapping="L3[WIO] P4 - L2[WI] N1 K16X - L1[O] C32X - L0[W] P16")
    assert gemm.kind == "gemm" and "tiled_matmul 64x32x16" in gemm.mapping


CSV = """# measured on my chip
kind,m,k,n,batch,in_channels,out_channels,out_h,out_w,kernel_h,kernel_w,stride,rows,cols,pricing,mapper,label,cycles
gemm,128,768,768,,,,,,,,,,,,,qkv,300000
gemm,128,768,768,,,,,,,,,32,32,gemmini-measured,gemmini,qkv wide,100000
gemm,128,768,768,,,,,,,,,32,32,,gemmini,qkv wide analytic,100000

conv,,,,1,64,64,56,56,3,3,1,,,,,,500000
"""


def test_csv_rows_take_their_overrides_and_mapper() -> None:
    rows = parse_validation_csv(CSV)
    assert [r.where for r in rows] == ["line 3", "line 4", "line 5", "line 7"]
    assert rows[1].overrides == {"rows": "32", "cols": "32", "pricing": "gemmini-measured"}
    assert rows[1].mapper == "gemmini"
    assert rows[0].overrides == {} and rows[0].mapper is None and rows[0].label == "qkv"
    result = validate(rows, on_default, mapper="optimal")
    wide = load_accelerator_preset("gemmini-default", rows=32, cols=32, pricing="gemmini-measured")
    assert result.predictions[0].result.cycles == gemm_cost(128, 768, 768, HW).cycles
    assert result.predictions[3].result.kind == "conv"
    assert set(result.by_kind) == {"gemm", "conv"} and result.by_kind["gemm"].rows == 3
    # the measured model prices mapper gemmini only where the accelerator's pricing says gemmini-measured
    assert [p.result.model for p in result.predictions] == ["analytic", "gemmini-measured", "analytic", "analytic"]
    assert result.predictions[1].result.cycles == evaluate_layer(GemmLayer(128, 768, 768), wide,
                                                                 mapper="gemmini").cycles
    assert result.predictions[2].result.cycles == gemm_cost(128, 768, 768, wide, mapper="gemmini").cycles


def test_json_records_read_like_the_csv() -> None:
    rows = measured_layers([{"kind": "gemm", "m": 128, "k": 768, "n": 768, "cycles": 300000, "rows": None,
                             "mapping": ""}])
    assert rows[0].where == "row 1" and rows[0].overrides == {} and rows[0].mapping is None


@pytest.mark.parametrize(("text", "message"), [
    ("kind,m,k,n,scratchpad_kb,cycles\ngemm,1,2,3,4,5\n", "line 1: unknown column 'scratchpad_kb' (did you mean "
                                                          "scratchpad_kib?)"),
    ("kind,m,k,n\ngemm,1,2,3\n", "no 'cycles' column"),
    ("kind,m,k,n,cycles\ngemm,1,2,,5\n", "line 2, column 'n': missing"),
    ("kind,m,k,n,cycles\ngemm,1,2.5,3,5\n", "line 2, column 'k': '2.5' is not a positive whole number"),
    ("kind,m,k,n,cycles\nmatmul,1,2,3,5\n", "line 2, column 'kind': 'matmul' is not 'gemm' or 'conv'"),
    ("kind,m,k,n,cycles\ngemm,1,2,3,-5\n", "line 2, column 'cycles': '-5' is not a positive number"),
    ("kind,m,k,n,stride,cycles\ngemm,1,2,3,1,5\n", "line 2, column 'stride': a gemm row does not take it"),
    ("kind,m,k,n,mapper,cycles\ngemm,1,2,3,greedy,5\n", "line 2, column 'mapper': 'greedy' is not one of"),
    ("kind,m,k,n,mapping,cycles\ngemm,64,32,16,L3[WIO] P4 - L2[WI] N1 K8X - L1[O] C32X - L0[W] P16,5\n",
     "line 2, column 'mapping': mapping 'L3[WIO] P4 - L2[WI] N1 K8X - L1[O] C32X - L0[W] P16' does not tile"),
    ("kind,m,k,n,cycles\ngemm,1,2,3\n", "line 2: 4 cells, the header has 5"),
    ("# nothing\n", "no header"),
])
def test_bad_csv_names_the_line_and_column(text: str, message: str) -> None:
    with pytest.raises(ValidationInputError) as raised:
        parse_validation_csv(text)
    assert message in str(raised.value)


def test_a_bad_override_value_names_the_row_and_column() -> None:
    rows = parse_validation_csv("kind,m,k,n,rows,cycles\ngemm,1,2,3,0,5\n")
    with pytest.raises(ValidationInputError, match="line 2, column 'rows': Input should be greater than or equal"):
        validate(rows, on_default)


def _prediction(predicted: float, measured: float, kind: str = "gemm") -> Prediction:
    layer = GemmLayer(1, 1, 1)
    return Prediction(MeasuredLayer("row", layer, {}, None, None, measured),
                      LayerResult(kind, predicted, predicted, 0.0, "", (1, 1, 1), "optimal"))


def test_the_summary_arithmetic_on_a_hand_made_set() -> None:
    # errors +10%, -20%, +50%, -50%: |error| median (0.2 + 0.5) / 2, mean 1.3 / 4
    predictions = [_prediction(110, 100), _prediction(160, 200), _prediction(450, 300), _prediction(200, 400)]
    summary = summarise(predictions)
    assert predictions[1].error == pytest.approx(-0.2)
    assert summary.median_abs_error == pytest.approx(0.35) and summary.mean_abs_error == pytest.approx(0.325)
    # ranks: measured 1,2,3,4 vs predicted 1,2,4,3 -> 1 - 6*(0+0+1+1)/(4*15) = 0.8
    assert summary.spearman == pytest.approx(0.8)
    assert summary.geomean_ratio == pytest.approx(math.prod([1.1, 0.8, 1.5, 0.5]) ** 0.25)
    assert summarise([_prediction(1, 2)]).spearman is None


def test_the_firesim_training_set_converts_to_validation_rows() -> None:
    rows = to_validation_rows()
    training = firesim_training_set()
    assert len(rows) == len(training) == 1567
    kinds = [row["kind"] for row in rows]
    assert kinds.count("gemm") == 331 and kinds.count("conv") == 1236
    first = rows[0]  # ResNet-50's stem: C3 spatial in L1, K4 spatial in L2 -> a 4x4 array
    assert (first["kind"], first["rows"], first["cols"], first["scratchpad_kib"]) == ("conv", "4", "4", "4096")
    assert first["mapping"] == training[0].mapping.to_string() and first["cycles"] == str(training[0].cycles)
    assert {row["rows"] for row in rows} == {"4", "8", "16", "32", "64"}
    read = measured_layers(rows)  # every mapping checks against its layer (gemm rows read P = m, C = k, K = n)
    assert all(r.mapping for r in read)
    result = validate(read[:40], on_default)
    assert result.summary.rows == 40 and all(p.result.model == "gemmini-measured" for p in result.predictions)
    assert result.summary.median_abs_error < 0.3


def test_results_say_what_the_band_does_not_cover() -> None:
    """Training row 3 has tiles whose input window wraps (LoopConv's 16-bit bound: the loader moves 2^16 - x rows, and
    the row measured ~48x what the tiles unwrapped would take); row 1505's 4x4 kernel ran on DOSA's square image with
    one more output row and column than the layer."""
    rows = measured_layers(to_validation_rows())
    result = validate([rows[3], rows[1505]], lambda o: FIRESIM.model_copy(update={
        "rows": int(o["rows"]), "cols": int(o["cols"])}))
    wrapped, even = (p.result for p in result.predictions)
    assert any("negative input window" in note for note in wrapped.notes)
    assert any("a square 57x57 output from a 56x56 input, kernel 4x4, padding 2" in note for note in even.notes)
    assert 0.3 < wrapped.cycles / rows[3].cycles < 3  # the wrap is priced: within the model's reach, not 48x off
