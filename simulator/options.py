"""`Options`: software-side knobs of one evaluation (flat scalars, so each can be a sweep axis)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class Options(BaseModel):
    """How the workload is mapped and fused onto the accelerator.

    - `mapping_objective`: what the per-GEMM mapping search minimises (latency, energy, or their product).
    - `fuse_nonlinear`: a non-linear op that runs on the accelerator is applied on the accumulator read path of
      the GEMM before it (survey Sec 3.4): no DRAM round trip, and its first pass is free.
    - `keep_scores_on_chip`: Q.K^T scores stay in the accumulator for softmax and A.V when `rows` full score
      rows fit there and softmax runs on the accelerator (survey Sec 5.5 attention fusion).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    mapping_objective: Literal["latency", "energy", "edp"] = "latency"
    fuse_nonlinear: bool = True
    keep_scores_on_chip: bool = True
