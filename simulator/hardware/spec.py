"""`AcceleratorSpec`: a Gemmini-like accelerator as flat scalars, so every field can be a sweep axis."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Placement = Literal["accelerator", "host_cpu"]
Dataflow = Literal["ws", "os"]

# Non-linear op classes the spec places; the names match `Operator.op_class` (plus de/quantization).
NONLINEAR_CLASSES: tuple[str, ...] = ("softmax", "normalization", "activation", "residual", "quantization")


class AcceleratorSpec(BaseModel):
    """A Gemmini-like accelerator: R x C systolic array, scratchpad + accumulator, DRAM, non-linear placement.

    Why flat: a sweep axis names a field directly (`rows`, `scratchpad_kib`, `softmax_on`), and a result row
    in SQL is these fields plus the metrics.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = "custom"
    description: str = ""
    rows: int = Field(16, ge=1, le=4096, description="systolic array rows (K dimension under WS)")
    cols: int = Field(16, ge=1, le=4096, description="systolic array columns (N dimension)")
    dataflow: Dataflow = "ws"
    input_bits: int = Field(8, ge=1, le=64)
    weight_bits: int = Field(8, ge=1, le=64)
    accumulator_bits: int = Field(32, ge=1, le=64)
    array_format: Literal["int", "float"] = Field(
        "int", description="number format of the PE array's multipliers (int: Gemmini; float: e.g. fp16 PEs)")
    sparse_support: bool = Field(
        False, description="PEs skip pruned weights of N:M structured sparsity (operand-select muxes, metadata)")
    scratchpad_kib: float = Field(256.0, gt=0, description="input/weight scratchpad, KiB (double-buffered)")
    accumulator_kib: float = Field(64.0, gt=0, description="accumulator SRAM, KiB")
    dram_bytes_per_cycle: float = Field(16.0, gt=0)
    dram_latency_cycles: int = Field(100, ge=0)
    clock_ghz: float = Field(1.0, gt=0, le=100)
    technology_nm: int = Field(7, ge=1, le=1000)
    softmax_on: Placement = "host_cpu"
    normalization_on: Placement = "host_cpu"
    activation_on: Placement = "host_cpu"
    residual_on: Placement = "host_cpu"
    quantization_on: Placement = "host_cpu"
    nonlinear_elements_per_cycle: float = Field(0.0, ge=0, description="integer non-linear lanes (elements/cycle)")
    host_cycles_per_element_softmax: float = Field(40.0, gt=0)
    host_cycles_per_element_normalization: float = Field(15.0, gt=0)
    host_cycles_per_element_activation: float = Field(40.0, gt=0)
    host_cycles_per_element_residual: float = Field(4.0, gt=0)
    host_cycles_per_element_quantization: float = Field(8.0, gt=0)

    @model_validator(mode="after")
    def _units_exist_where_used(self) -> AcceleratorSpec:
        on_accelerator = [c for c in NONLINEAR_CLASSES if self.placement(c) == "accelerator"]
        if on_accelerator and self.nonlinear_elements_per_cycle <= 0:
            raise ValueError(
                f"nonlinear_elements_per_cycle must be > 0 when {', '.join(f'{c}_on' for c in on_accelerator)}"
                " = 'accelerator' (no non-linear units to run them on)")
        return self

    def placement(self, op_class: str) -> Placement:
        """Where a non-linear op class runs."""
        return getattr(self, f"{op_class}_on")

    def host_cycles_per_element(self, op_class: str) -> float:
        return getattr(self, f"host_cycles_per_element_{op_class}")

    @property
    def scratchpad_bytes(self) -> int:
        return int(self.scratchpad_kib * 1024)

    @property
    def accumulator_bytes(self) -> int:
        return int(self.accumulator_kib * 1024)

    @property
    def peak_macs_per_cycle(self) -> int:
        return self.rows * self.cols

    def hardware_key(self) -> tuple:
        """The fields a GEMM mapping depends on (the mapping-cache key; name and non-linear fields excluded)."""
        return (self.rows, self.cols, self.dataflow, self.input_bits, self.weight_bits, self.accumulator_bits,
                self.scratchpad_bytes, self.accumulator_bytes, self.dram_bytes_per_cycle, self.dram_latency_cycles,
                self.technology_nm, self.array_format)
