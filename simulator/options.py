"""`Options`: software-side knobs of one evaluation (flat scalars, so each can be a sweep axis)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, field_validator

from simulator import fusion as fusion_groups
from simulator.vocabulary import Knob

Precision = Literal["int8", "int4", "fp16", "bf16", "fp32"]
# Bits and number kind of each precision name.
PRECISIONS: dict[str, tuple[int, str]] = {"int8": (8, "int"), "int4": (4, "int"), "fp16": (16, "float"),
                                          "bf16": (16, "float"), "fp32": (32, "float")}
_NM = re.compile(r"^(\d+):(\d+)$")


class Options(BaseModel):
    """How the workload is transformed, mapped and fused onto the accelerator (see docs/simulator.md, "Knobs").

    - `mapping_objective`: what the per-GEMM mapping search minimises (latency, energy, or their product).
    - `mapper`: `optimal` searches tile sizes and loop orders for the objective; `gemmini` takes the tiles Gemmini's
      software tiler picks (`tiled_matmul_auto`, simulator/mapping/gemmini_tiler.py): what the shipped stack gets.
    - `tiling`: `search` tries every tile size; `square` only tm = tk = tn (the survey's Sec 3.3 model).
    - `gemm_output`: `requantized` GEMM outputs to the activation width on the accumulator read (Gemmini's scaled
      mvout); `accumulator` keeps a GEMM's output at accumulator width when an unfused non-linear op consumes it
      (`full_C` mvout: the survey's model charges 32-bit scores into softmax).
    - `fusion`: the fusion groups (simulator/fusion.py: qk_softmax, attention, wout_layernorm, ffn1_activation,
      ffn2_layernorm, residual, conv_epilogue), joined by '+', or 'none'. A fused op runs on the accumulator read
      path of the GEMM before it; a row-wise one forces whole-row output tiles. Unset: the shorthands decide.
    - `fuse_nonlinear` (shorthand): qk_softmax, ffn1_activation, residual and conv_epilogue where they fit (what
      upstream Gemmini fuses, survey Sec 3.4); the LayerNorm groups only by name.
    - `keep_scores_on_chip` (shorthand): the `attention` group where it fits (survey Sec 5.5).
    - `weight_precision` / `activation_precision`: quantize the model (None = the model's own `weight_bits` /
      `activation_bits`, integer). Changes bytes moved and stored; MAC energy follows the array's format and
      width; the accelerator must support the format (`array_format`, `input_bits`, `weight_bits`) or the point is
      refused with a message naming the missing support.
    - `sparsity`: "dense" or N:M structured weight sparsity ("2:4": at most N non-zeros in every M weights along
      K). Only accelerators with `sparse_support` gain from it (fewer MACs, compressed weights); on a dense array
      it changes nothing (the array needs dense weights; no decompressor is modelled).
    - `kv_cache`: decoders keep K/V of earlier tokens (default). Off: nothing is kept, so every decode step
      recomputes the whole prefix (all layers over prompt + j tokens, like `use_cache=False`).
    Non-linear implementation (I-BERT integer units vs host float) is a hardware choice and has one knob: the
    accelerator's `*_on` placement fields with `nonlinear_elements_per_cycle`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    mapping_objective: Annotated[Literal["latency", "energy", "edp"], Knob("Mapping objective", group="mapping")] = (
        "latency")
    mapper: Annotated[Literal["optimal", "gemmini"], Knob("Mapper", group="mapping")] = "optimal"
    tiling: Annotated[Literal["search", "square"], Knob("Tiling", group="mapping")] = "search"
    gemm_output: Annotated[Literal["requantized", "accumulator"], Knob("GEMM output width", group="quantization")] = (
        "requantized")
    fusion: Annotated[str | None, Knob("Fusion groups", group="fusion", text_length=128)] = None
    fuse_nonlinear: Annotated[bool, Knob("Fuse non-linear ops", group="fusion")] = True
    keep_scores_on_chip: Annotated[bool, Knob("Attention scores on chip", group="fusion")] = True
    weight_precision: Annotated[Precision | None, Knob("Weight precision", group="quantization")] = None
    activation_precision: Annotated[Precision | None, Knob("Activation precision", group="quantization")] = None
    sparsity: Annotated[str, Knob("Weight sparsity", group="sparsity")] = "dense"
    kv_cache: Annotated[bool, Knob("KV cache", group="workload")] = True

    @field_validator("fusion")
    @classmethod
    def _groups(cls, value: str | None) -> str | None:
        return None if value is None else fusion_groups.canonical(fusion_groups.parse(value))

    @property
    def fusion_groups(self) -> frozenset[str]:
        """The fusion groups asked for: `fusion`'s, else what the shorthands stand for."""
        if self.fusion is not None:
            return fusion_groups.parse(self.fusion)
        return ((fusion_groups.READ_PATH_GROUPS if self.fuse_nonlinear else frozenset())
                | (fusion_groups.ON_CHIP_GROUPS if self.keep_scores_on_chip else frozenset()))

    @field_validator("sparsity")
    @classmethod
    def _nm(cls, value: str) -> str:
        value = value.strip().lower()
        if value == "dense":
            return value
        match = _NM.match(value)
        if not match or not 0 < int(match[1]) < int(match[2]) <= 64:
            raise ValueError(f"sparsity must be 'dense' or 'N:M' with 0 < N < M <= 64 (e.g. '2:4'), got '{value}'")
        return value

    @property
    def sparsity_nm(self) -> tuple[int, int] | None:
        """(N, M) of structured sparsity, None when dense."""
        if self.sparsity == "dense":
            return None
        n, m = self.sparsity.split(":")
        return int(n), int(m)
