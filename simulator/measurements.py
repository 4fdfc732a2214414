"""Gemmini cycles measured on FireSim (DOSA's training set), read into typed records to check the model against.

`simulator/data/measurements/firesim_training.csv` is DOSA's `data/firesim_training_data/firesim_results.csv`
(ucb-bar/dosa, BSD-2-Clause; source commit, licence and every column in the README beside it): 1,567 rows over
66 layer shapes, each a layer run on Gemmini's RTL under one explicit mapping. A row becomes a `FiresimMeasurement`:

- `layer` from `prob.N, C, K, P, Q, R, S, Hstride, Wstride` (Timeloop's `cnn-layer`: P/Q output width/height,
  R/S kernel width/height; DOSA's `dataset/workloads/*/*.yaml`, e.g. `conv/conv_0.yaml`); a matmul is a 1x1
  "convolution" with P = m, C = k, K = n (`workloads/bert/mm_0.yaml`).
- `mapping` from `mapping.mapping`, parsed by `simulator.mapping.explicit`; its factors multiply exactly to the
  layer's dimensions in every row (checked on reading: no padding or ceil in this file).
- `arch` from the `arch.*` columns as given: the architecture DOSA's Timeloop generated the mappings for
  (`GemminiConfig([128, 1024, 1024])`: 128x128 PEs, 1 MiB scratchpad, 1 MiB accumulator; written by
  `dataset/hw/gemmini/gemmini_config.py` `gen_arch_yaml`, `mem1` the accumulator, `mem2` the scratchpad). It is
  not the FireSim image the row ran on (see the README: 4x4 to 64x64 arrays with 4 MiB memories).
- `cycles` from `target.gemmini_cycle`, the measured cycles (`read_cycles()` around the layer's `tiled_conv` or
  `tiled_matmul` call).

Not read: `target.cycle` (equal to the measured cycles in every row), `target.energy`/`edp`/`area` (Timeloop and
Accelergy estimates for `arch`), `prob.shape` (`cnn-layer`) and the dilations (1; another value is an error).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

from simulator.mapping.explicit import ExplicitMapping, parse_mapping

TRAINING_FILE = "firesim_training.csv"
FIRESIM_MEMORY_KIB = 4096  # gemmini-dosa `dummy{N}Config`: 4 MiB scratchpad and accumulator (docs/measured_soc.md)


@dataclass(frozen=True)
class ConvShape:
    """One layer as Timeloop's `cnn-layer` sees it; the Timeloop letter of each field is in `dimensions`."""

    batch: int
    in_channels: int
    out_channels: int
    out_w: int
    out_h: int
    kernel_w: int
    kernel_h: int
    stride_h: int
    stride_w: int

    @property
    def dimensions(self) -> dict[str, int]:
        """The sizes by Timeloop letter, as a mapping's factors name them."""
        return {
            "N": self.batch, "C": self.in_channels, "K": self.out_channels,
            "P": self.out_w, "Q": self.out_h, "R": self.kernel_w, "S": self.kernel_h,
        }

    @property
    def runs_as_matmul(self) -> bool:
        """Whether DOSA ran the row as `tiled_matmul` (Q = R = S = 1; gemmini-rocc-tests `extract_data_csv.py`)."""
        return self.out_h == 1 and self.kernel_w == 1 and self.kernel_h == 1


@dataclass(frozen=True)
class TimeloopBuffer:
    """One of Timeloop's buffer descriptions (`arch.mem1_*` or `arch.mem2_*`), as given.

    `entries` words of `word_bits` per instance, laid out as `depth` rows of `width_bits`; bandwidths are
    Timeloop's words per cycle per instance. `mesh_x` is given for the scratchpad only, `network_word_bits` for the
    accumulator only.
    """

    entries: int
    depth: int
    width_bits: int
    instances: int
    word_bits: int
    read_write_ports: int
    banks: int
    read_bandwidth: float
    write_bandwidth: float
    mesh_x: int | None
    network_word_bits: int | None

    @property
    def capacity_bytes(self) -> int:
        return self.entries * self.instances * self.word_bits // 8


@dataclass(frozen=True)
class TimeloopArch:
    """The `arch.*` columns: the architecture Timeloop generated the row's mapping for (not the FireSim image)."""

    name: str
    pe_count: int
    macs_per_pe: int
    mesh_x: int
    accumulator: TimeloopBuffer
    scratchpad: TimeloopBuffer


@dataclass(frozen=True)
class FiresimMeasurement:
    """One measured row: a layer, the mapping it ran under, Timeloop's architecture, the measured cycles.

    `row` is the 0-based data row in the file (the header not counted).
    """

    row: int
    layer: ConvShape
    mapping: ExplicitMapping
    arch: TimeloopArch
    cycles: int


@cache
def firesim_training_set() -> tuple[FiresimMeasurement, ...]:
    """The project's copy of DOSA's FireSim training set, every row checked."""
    folder = resources.files("simulator") / "data" / "measurements"
    return parse_firesim_csv((folder / TRAINING_FILE).read_text(encoding="utf-8"))


def parse_firesim_csv(text: str) -> tuple[FiresimMeasurement, ...]:
    """Rows of a CSV in DOSA's FireSim format; a row that cannot be read is a ValueError naming it."""
    measurements = []
    for index, row in enumerate(csv.DictReader(io.StringIO(text))):
        try:
            measurements.append(_measurement(index, row))
        except (KeyError, ValueError) as error:
            raise ValueError(f"row {index} of the FireSim measurements: {error}") from error
    return tuple(measurements)


def _measurement(index: int, row: dict[str, str]) -> FiresimMeasurement:
    if row["prob.shape"] != "cnn-layer":
        raise ValueError(f"prob.shape is {row['prob.shape']!r}, only 'cnn-layer' is read")
    for column in ("prob.Hdilation", "prob.Wdilation"):
        if _integer(row, column) != 1:
            raise ValueError(f"{column} is {row[column]}; only undilated layers are read")
    layer = ConvShape(
        batch=_integer(row, "prob.N"), in_channels=_integer(row, "prob.C"), out_channels=_integer(row, "prob.K"),
        out_w=_integer(row, "prob.P"), out_h=_integer(row, "prob.Q"),
        kernel_w=_integer(row, "prob.R"), kernel_h=_integer(row, "prob.S"),
        stride_h=_integer(row, "prob.Hstride"), stride_w=_integer(row, "prob.Wstride"),
    )
    mapping = parse_mapping(row["mapping.mapping"])
    mapping.check_dimensions(layer.dimensions)
    cycles = _integer(row, "target.gemmini_cycle")
    if cycles <= 0:
        raise ValueError(f"target.gemmini_cycle is {cycles}, not a positive count")
    return FiresimMeasurement(row=index, layer=layer, mapping=mapping, arch=_arch(row), cycles=cycles)


def _arch(row: dict[str, str]) -> TimeloopArch:
    return TimeloopArch(
        name=row["arch.name"],
        pe_count=_integer(row, "arch.pe"),
        macs_per_pe=_integer(row, "arch.mac"),
        mesh_x=_integer(row, "arch.meshX"),
        accumulator=_buffer(row, "arch.mem1_"),
        scratchpad=_buffer(row, "arch.mem2_"),
    )


def _buffer(row: dict[str, str], prefix: str) -> TimeloopBuffer:
    return TimeloopBuffer(
        entries=_integer(row, prefix + "entries"),
        depth=_integer(row, prefix + "depth"),
        width_bits=_integer(row, prefix + "width"),
        instances=_integer(row, prefix + "instances"),
        word_bits=_integer(row, prefix + "word-bits"),
        read_write_ports=_integer(row, prefix + "n_rdwr_ports"),
        banks=_integer(row, prefix + "n_banks"),
        read_bandwidth=float(row[prefix + "read_bandwidth"]),
        write_bandwidth=float(row[prefix + "write_bandwidth"]),
        mesh_x=_optional_integer(row, prefix + "meshX"),
        network_word_bits=_optional_integer(row, prefix + "network-word-bits"),
    )


def _integer(row: dict[str, str], column: str) -> int:
    """A whole number, written as DOSA's pandas may write it ("64" or "9853947.0")."""
    value = float(row[column])
    if not value.is_integer():
        raise ValueError(f"{column} is {row[column]}, not a whole number")
    return int(value)


def _optional_integer(row: dict[str, str], column: str) -> int | None:
    return _integer(row, column) if row.get(column) else None


def to_validation_rows(measurements: tuple[FiresimMeasurement, ...] | None = None) -> list[dict[str, str]]:
    """The measurements in `dse validate`'s columns (`simulator/validation.py`), one dict of cells per row.

    A row DOSA ran as `tiled_matmul` (Q = R = S = 1, see the README) is a `gemm` with m = P, k = C, n = K; every
    other row a `conv` of the file's sizes (Timeloop's P x Q output: the 96 rows whose run was P x P and the 85 with
    an even kernel run at P + 1 are not corrected here). The hardware is the image the README and
    docs/measured_soc.md find the row ran on: an N x N array, N the smallest power of two >= the mapping's largest
    spatial factor, with 4 MiB scratchpad and accumulator. The mapping is the row's own.
    """
    rows = []
    for measured in firesim_training_set() if measurements is None else measurements:
        layer = measured.layer
        if layer.runs_as_matmul:
            sizes = {"kind": "gemm", "m": layer.out_w, "k": layer.in_channels, "n": layer.out_channels}
        elif layer.stride_h != layer.stride_w:
            raise ValueError(f"row {measured.row}: strides {layer.stride_h} x {layer.stride_w} differ; a validation "
                             "row has one stride")
        else:
            sizes = {"kind": "conv", "batch": layer.batch, "in_channels": layer.in_channels,
                     "out_channels": layer.out_channels, "out_h": layer.out_h, "out_w": layer.out_w,
                     "kernel_h": layer.kernel_h, "kernel_w": layer.kernel_w, "stride": layer.stride_h}
        side = array_side(measured.mapping)
        rows.append({**{key: str(value) for key, value in sizes.items()}, "rows": str(side), "cols": str(side),
                     "scratchpad_kib": str(FIRESIM_MEMORY_KIB), "accumulator_kib": str(FIRESIM_MEMORY_KIB),
                     "mapping": measured.mapping.to_string(), "cycles": str(measured.cycles),
                     "label": f"training row {measured.row}"})
    return rows


def array_side(mapping: ExplicitMapping) -> int:
    """The PEs per side of the image a row ran on: the smallest power of two >= its largest spatial factor."""
    largest = max((f.bound for level in mapping.levels for f in level.spatial), default=1)
    return 1 << max(0, (largest - 1).bit_length())
