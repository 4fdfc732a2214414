"""DOSA's FireSim training set as the project ships it: unchanged bytes, every row read, every mapping round-trips."""

import csv
import hashlib
import io
import re
from importlib import resources

import pytest

from simulator.measurements import firesim_training_set, parse_firesim_csv

# Recorded in simulator/data/measurements/README.md with the source commit.
DOSA_SHA256 = "190addc022cd5922af7b50761095298b83871f3fd5b080200221434a69dc8a5e"


def _packaged_text() -> str:
    return (resources.files("simulator") / "data" / "measurements" / "firesim_training.csv").read_text("utf-8")


def _raw_rows() -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(_packaged_text())))


def test_the_file_is_dosas_bytes_with_its_licence_beside_it():
    folder = resources.files("simulator") / "data" / "measurements"
    assert hashlib.sha256((folder / "firesim_training.csv").read_bytes()).hexdigest() == DOSA_SHA256
    readme = (folder / "README.md").read_text("utf-8")
    assert DOSA_SHA256 in readme
    assert "Copyright (c) 2022, Charles Hong" in readme
    assert "BSD 2-Clause License" in readme
    assert "a7a3239382e14e825f6fe3bc5523c6070abf426c" in readme


def test_row_and_layer_shape_counts():
    measurements = firesim_training_set()
    assert len(measurements) == 1567
    assert [m.row for m in measurements] == list(range(1567))
    assert len({m.layer for m in measurements}) == 66
    matmuls = [m for m in measurements if m.layer.runs_as_matmul]
    assert (len(matmuls), len({m.layer for m in matmuls})) == (331, 15)


def test_every_mapping_round_trips_exactly():
    for measurement, raw in zip(firesim_training_set(), _raw_rows(), strict=True):
        assert measurement.mapping.to_string() == raw["mapping.mapping"], measurement.row


def test_every_mapping_tiles_its_layer_exactly():
    for measurement, raw in zip(firesim_training_set(), _raw_rows(), strict=True):
        expected = {d: int(raw[f"prob.{d}"]) for d in "NCKPQRS"}
        assert measurement.layer.dimensions == expected
        assert measurement.mapping.products() == expected, measurement.row


def test_layer_strides_and_measured_cycles_as_given():
    for measurement, raw in zip(firesim_training_set(), _raw_rows(), strict=True):
        layer = measurement.layer
        assert (layer.stride_h, layer.stride_w) == (int(raw["prob.Hstride"]), int(raw["prob.Wstride"]))
        assert measurement.cycles == float(raw["target.gemmini_cycle"]) == float(raw["target.cycle"])


def test_arch_columns_are_timeloops_128x128_one_mebibyte_architecture():
    first = firesim_training_set()[0].arch
    assert (first.name, first.pe_count, first.macs_per_pe, first.mesh_x) == ("gemmini", 128 * 128, 1, 128)
    assert first.scratchpad.capacity_bytes == first.accumulator.capacity_bytes == 1024 * 1024
    assert (first.accumulator.instances, first.accumulator.word_bits, first.scratchpad.word_bits) == (128, 32, 8)
    assert (first.scratchpad.mesh_x, first.accumulator.network_word_bits) == (1, 16)
    assert {m.arch for m in firesim_training_set()} == {first}


def _one_row(**changes: str) -> str:
    rows = _raw_rows()[:1]
    rows[0].update(changes)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def test_the_reader_reads_a_written_row_back():
    (measurement,) = parse_firesim_csv(_one_row())
    assert measurement == firesim_training_set()[0]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"prob.K": "128"}, "row 0 of the FireSim measurements: mapping"),
        ({"prob.K": "128"}, "K: the factors multiply to 64, the layer's K is 128"),
        ({"mapping.mapping": "L3[WIO] K8 Q28 - L2[WI] N1 K4X"}, "has 2 level"),
        ({"prob.Wdilation": "2"}, "prob.Wdilation is 2"),
        ({"prob.shape": "gemm"}, "prob.shape is 'gemm'"),
        ({"target.gemmini_cycle": "12.5"}, "target.gemmini_cycle is 12.5, not a whole number"),
        ({"target.gemmini_cycle": "0"}, "not a positive count"),
    ],
)
def test_a_bad_row_is_an_error_naming_it(changes, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_firesim_csv(_one_row(**changes))


def test_a_missing_column_is_an_error_naming_it():
    text = _one_row().replace("target.gemmini_cycle", "target.other_cycle")
    with pytest.raises(ValueError, match="row 0 .*target.gemmini_cycle"):
        parse_firesim_csv(text)
