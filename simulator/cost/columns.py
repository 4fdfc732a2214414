"""`Columns`: the accelerator fields the cost formulas read, one array entry per design point.

Every formula of the cost model (simulator/cost/nonlinear.py, cnn_fusion.py, operators.py, and
simulator/aggregate.py) is written once over these arrays: `evaluate` passes one accelerator (length-1 arrays),
`evaluate_batch` the accelerators of many points. A new accelerator field a formula reads is one more attribute
here, and both evaluations see it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simulator.cost.area import AreaBreakdown, area
from simulator.hardware.spec import AcceleratorSpec
from simulator.hardware.technology import Technology


@dataclass
class Columns:
    """The accelerator fields of some design points, one array entry per point (derived values memoised)."""

    specs: list[AcceleratorSpec]
    dram_bw: np.ndarray = field(init=False)
    local_bw: np.ndarray = field(init=False)
    local_latency: np.ndarray = field(init=False)
    memory_bw: np.ndarray = field(init=False)
    memory_latency: np.ndarray = field(init=False)
    dram_link_bw: np.ndarray = field(init=False)
    lanes: np.ndarray = field(init=False)
    passes: np.ndarray = field(init=False)
    clock_hz: np.ndarray = field(init=False)
    peak: np.ndarray = field(init=False)
    cols: np.ndarray = field(init=False)
    has_l2: np.ndarray = field(init=False)
    analytic: np.ndarray = field(init=False)
    host_quantization: np.ndarray = field(init=False)
    techs: list[Technology] = field(init=False)
    _memo: dict[tuple[str, str], Any] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        specs = self.specs
        self.dram_bw = np.array([hw.dram_bytes_per_cycle for hw in specs], dtype=float)
        self.local_bw, self.local_latency = (np.array(x, dtype=float)
                                             for x in zip(*(hw.local_link for hw in specs), strict=True))
        self.memory_bw, self.memory_latency = (np.array(x, dtype=float)
                                               for x in zip(*(hw.memory_link for hw in specs), strict=True))
        self.dram_link_bw = np.array([hw.dram_link_bytes_per_cycle for hw in specs], dtype=float)
        self.lanes = np.array([hw.nonlinear_elements_per_cycle for hw in specs], dtype=float)
        self.passes = np.array([hw.nonlinear_passes for hw in specs], dtype=float)
        self.clock_hz = np.array([hw.clock_ghz * 1e9 for hw in specs])
        self.peak = np.array([hw.peak_macs_per_cycle for hw in specs], dtype=float)
        self.cols = np.array([hw.cols for hw in specs], dtype=float)
        self.has_l2 = np.array([hw.l2_kib > 0 for hw in specs])
        self.analytic = np.array([hw.timing == "analytic" for hw in specs])
        self.host_quantization = np.array([hw.quantization_on == "host_cpu" for hw in specs])
        self.techs = [Technology.at(hw.technology_nm) for hw in specs]

    def __len__(self) -> int:
        return len(self.specs)

    def _memoised(self, key: tuple[str, str], make: Callable[[], Any]) -> Any:
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = make()
        return found

    def tech(self, name: str) -> np.ndarray:
        """A technology-table constant of each point's node."""
        return self._memoised(("tech", name), lambda: np.array([getattr(t, name) for t in self.techs]))

    def tech_passes(self, op_class: str) -> np.ndarray:
        """The technology table's passes of a non-linear op class, at each point's node."""
        return self._memoised(("passes", op_class),
                              lambda: np.array([t.nonlinear_passes[op_class] for t in self.techs], dtype=float))

    def sram(self, field_name: str) -> np.ndarray:
        """SRAM energy per byte of each point's scratchpad_kib or accumulator_kib."""
        return self._memoised(("sram", field_name), lambda: np.array(
            [t.sram_pj_per_byte(getattr(hw, field_name)) for t, hw in zip(self.techs, self.specs, strict=True)]))

    def on_accelerator(self, op_class: str) -> np.ndarray:
        """Per point: the op class is placed on the accelerator (else on the host)."""
        return self._memoised(("placement", op_class),
                              lambda: np.array([hw.placement(op_class) == "accelerator" for hw in self.specs]))

    def host(self, op_class: str) -> np.ndarray:
        """Each point's host cycles per element of an op class."""
        return self._memoised(("host", op_class),
                              lambda: np.array([hw.host_cycles_per_element(op_class) for hw in self.specs],
                                               dtype=float))

    def of(self, name: str) -> np.ndarray:
        """Any numeric accelerator field, as floats."""
        return self._memoised(("field", name), lambda: np.array([getattr(hw, name) for hw in self.specs],
                                                                 dtype=float))

    def equals(self, name: str, value: str) -> np.ndarray:
        """Per point: a categorical field has this value."""
        return self._memoised(("equals", f"{name}={value}"),
                              lambda: np.array([getattr(hw, name) == value for hw in self.specs]))

    def areas(self) -> list[AreaBreakdown]:
        """Each point's area breakdown (simulator/cost/area.py)."""
        return self._memoised(("area", ""), lambda: [area(hw, t) for hw, t in zip(self.specs, self.techs,
                                                                                   strict=True)])
