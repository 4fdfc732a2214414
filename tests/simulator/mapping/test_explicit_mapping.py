"""Timeloop/DOSA compact mapping strings: parsed into levels and factors, written back, checked against a layer."""

import re

import pytest

from simulator.mapping.explicit import Factor, parse_mapping

EXAMPLE = "L3[WIO] K8 Q28 - L2[WI] N1 K4X - L1[O] K2 S7 R7 Q4 P7 C3X - L0[W] P16"
# DOSA's first training row: ResNet-50's first convolution.
EXAMPLE_LAYER = {"N": 1, "C": 3, "K": 64, "P": 112, "Q": 112, "R": 7, "S": 7}


def test_levels_outermost_first_with_kept_tensors_and_loops_in_written_order():
    mapping = parse_mapping(EXAMPLE)
    assert [level.name for level in mapping.levels] == ["DRAM", "scratchpad", "accumulator", "registers"]
    assert [level.index for level in mapping.levels] == [3, 2, 1, 0]
    assert [level.kept for level in mapping.levels] == [("W", "I", "O"), ("W", "I"), ("O",), ("W",)]
    accumulator = mapping.level("accumulator")
    assert [f.to_string() for f in accumulator.temporal] == ["K2", "S7", "R7", "Q4", "P7"]
    assert accumulator.spatial == (Factor("C", 3, "X"),)
    assert mapping.level("scratchpad").temporal == (Factor("N", 1),)
    assert mapping.level("scratchpad").spatial == (Factor("K", 4, "X"),)


def test_round_trip_is_exact():
    assert parse_mapping(EXAMPLE).to_string() == EXAMPLE


def test_canonical_form_puts_spatial_after_temporal_and_single_spaces():
    loose = "  L3[WIO]  K8 Q28  -  L2[WI] K4X N1 - L1[O] C3X K2 S7 R7 Q4 P7 - L0[W] P16 "
    mapping = parse_mapping(loose)
    assert mapping.to_string() == EXAMPLE
    assert parse_mapping(mapping.to_string()) == mapping


def test_spatial_y_and_empty_level_round_trip():
    text = "L3[WIO] K8 - L2[WI] - L1[O] C4Y C2X - L0[W] N1"
    mapping = parse_mapping(text)
    assert mapping.level("accumulator").spatial == (Factor("C", 4, "Y"), Factor("C", 2, "X"))
    assert mapping.level("scratchpad").temporal == ()
    assert mapping.to_string() == text


def test_products_multiply_every_level_temporal_and_spatial():
    mapping = parse_mapping(EXAMPLE)
    assert mapping.products() == {"N": 1, "C": 3, "K": 8 * 4 * 2, "P": 7 * 16, "Q": 28 * 4, "R": 7, "S": 7}
    assert mapping.level("accumulator").product("K") == 2
    mapping.check_dimensions(EXAMPLE_LAYER)


def test_a_gemm_given_as_three_letters_has_the_rest_one():
    parse_mapping("L3[WIO] P4 C2 - L2[WI] N1 K16X - L1[O] C8 P32 C16X - L0[W] N1").check_dimensions(
        {"P": 128, "C": 256, "K": 16}
    )


def test_factors_that_do_not_multiply_name_dimension_product_and_size():
    with pytest.raises(ValueError, match=r"K: the factors multiply to 64, the layer's K is 128") as error:
        parse_mapping(EXAMPLE).check_dimensions({**EXAMPLE_LAYER, "K": 128, "C": 6})
    assert "C: the factors multiply to 3, the layer's C is 6" in str(error.value)
    assert "P:" not in str(error.value)


def test_unknown_dimension_in_the_layer_is_an_error():
    with pytest.raises(ValueError, match="unknown dimension"):
        parse_mapping(EXAMPLE).check_dimensions({**EXAMPLE_LAYER, "H": 3})


def test_unknown_level_name_is_a_key_error():
    with pytest.raises(KeyError, match="L2"):
        parse_mapping(EXAMPLE).level("L2")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty mapping"),
        ("L3[WIO] K8 Q28 - L2[WI] N1 K4X - L1[O] K2", "has 3 level"),
        ("L3[WIO] K8 Q28 - L2[WI] N1 K4Z - L1[O] K2 - L0[W] P16", "bad factor 'K4Z' in level 'L2[WI]'"),
        ("L3[WIO] k8 - L2[WI] N1 - L1[O] K2 - L0[W] P16", "bad factor 'k8'"),
        ("L3[WIO] K0 - L2[WI] N1 - L1[O] K2 - L0[W] P16", "bad factor 'K0'"),
        ("L3[WIO] H8 - L2[WI] N1 - L1[O] K2 - L0[W] P16", "bad factor 'H8'"),
        ("L3[WIO] K8 - L2[WI] N1 - L1[O] P7;3 - L0[W] P16", "'P7;3' in level 'L1[O]' has a residual bound"),
        ("L3[WIZ] K8 - L2[WI] N1 - L1[O] K2 - L0[W] P16", "unknown tensor 'Z'"),
        ("L3[WWO] K8 - L2[WI] N1 - L1[O] K2 - L0[W] P16", "names a tensor twice"),
        ("L2[WI] K8 - L3[WIO] N1 - L1[O] K2 - L0[W] P16", "'L2[WI]' is out of place"),
        ("K8 - L2[WI] N1 - L1[O] K2 - L0[W] P16", "expected a level header like 'L3[WI]', got 'K8'"),
        ("L3[WIO] K2 Q4 K4 - L2[WI] N1 - L1[O] K2 - L0[W] P16", "two temporal factors of K: 'K4'"),
        ("L3[WIO] K2 - L2[WI] K2X K4X - L1[O] K2 - L0[W] P16", "two spatial (X) factors of K"),
        ("L3[WIO] K2 - L2[WI] N1 - L1[O] K2 - L0[W] P16 -", "bad factor '-'"),
    ],
)
def test_malformed_strings_name_the_offending_token(text, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_mapping(text)
