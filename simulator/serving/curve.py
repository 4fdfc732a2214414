"""The serving curve of a design: throughput and TPOT/TTFT over batch sizes, and the goodput under an SLO.

Static batching as the report prices it: B sequences prefill together, then decode `generate_len` steps together.
Throughput is the generated tokens per second of the whole run (B x generate_len / latency, prefill included), so a
batch whose prefill is long pays for it; the decode-only rate is kept beside it. Goodput is the best throughput among
the batches meeting both SLO bounds (TPOT and TTFT), with the batch that achieves it; no batch meeting them is a
result (goodput None, and a note saying how close the best came), not an error.

Batches are the powers of two up to the design's max batch and the max batch itself; all designs' points go through
one `evaluate_batch` call (one lowering per batch, every design priced over arrays).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from simulator.batch import evaluate_batch
from simulator.hardware.spec import AcceleratorSpec
from simulator.options import Options
from simulator.serving.capacity import max_batch
from simulator.workload import Workload


class Slo(BaseModel):
    """Service-level objectives a serving point must meet (None: that bound does not apply)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    slo_tpot_ms: float | None = Field(default=None, gt=0, description="Time per output token bound, ms.")
    slo_ttft_ms: float | None = Field(default=None, gt=0, description="Time to first token bound, ms.")

    def met(self, tpot_s: float, ttft_s: float) -> bool:
        return ((self.slo_tpot_ms is None or tpot_s * 1e3 <= self.slo_tpot_ms)
                and (self.slo_ttft_ms is None or ttft_s * 1e3 <= self.slo_ttft_ms))

    def describe(self) -> str:
        bounds = [f"{name} <= {value:g} ms" for name, value in (("TPOT", self.slo_tpot_ms),
                                                                ("TTFT", self.slo_ttft_ms)) if value is not None]
        return " and ".join(bounds) or "no SLO"


@dataclass(frozen=True, slots=True)
class CurvePoint:
    batch: int
    tokens_per_s: float  # generated tokens per second over the whole run (prefill included)
    decode_tokens_per_s: float  # during decode only
    ttft_s: float
    tpot_s: float
    latency_s: float
    meets_slo: bool


@dataclass(frozen=True, slots=True)
class ServingCurve:
    accelerator: str
    max_batch: int
    points: tuple[CurvePoint, ...]
    goodput_tokens_per_s: float | None  # the best throughput meeting the SLO; None: no batch meets it
    goodput_batch: int | None
    note: str  # why there is no goodput, or empty


def curve_batches(largest: int) -> list[int]:
    """Powers of two up to `largest`, and `largest` itself."""
    batches = [1 << k for k in range(largest.bit_length()) if 1 << k <= largest]
    return batches if not largest or batches[-1] == largest else [*batches, largest]


def goodput(points: Sequence[CurvePoint], slo: Slo) -> tuple[float | None, int | None, str]:
    """The best throughput among the points meeting the SLO, its batch, and a note when none meets it."""
    meeting = [point for point in points if point.meets_slo]
    if meeting:
        best = max(meeting, key=lambda point: (point.tokens_per_s, -point.batch))
        return best.tokens_per_s, best.batch, ""
    if not points:
        return None, None, "no batch fits on this design"
    fastest = min(points, key=lambda point: point.tpot_s)
    return None, None, (f"no batch meets {slo.describe()}: the lowest TPOT is {fastest.tpot_s * 1e3:.3g} ms "
                        f"(TTFT {fastest.ttft_s * 1e3:.3g} ms) at batch {fastest.batch}")


def _point(batch: int, row: dict, generate_len: int, slo: Slo) -> CurvePoint:
    ttft_s, tpot_s, latency_s = float(row["ttft_s"]), float(row["tpot_s"]), float(row["latency_s"])
    return CurvePoint(batch=batch, tokens_per_s=batch * generate_len / latency_s,
                      decode_tokens_per_s=float(row["decode_tokens_per_s"]), ttft_s=ttft_s, tpot_s=tpot_s,
                      latency_s=latency_s, meets_slo=slo.met(tpot_s, ttft_s))


def serving_curves(workload: Workload, accelerators: Sequence[AcceleratorSpec], options: Options | None = None,
                   slo: Slo | None = None, batch_limit: int = 256) -> list[ServingCurve]:
    """One curve per accelerator for the workload's model and lengths (its batch is ignored: the curve sweeps it).

    A ValueError if the model does not generate (no TPOT to serve) or batch 1 does not run on a design."""
    options, slo = options or Options(), slo or Slo()
    if workload.generate_len < 1:
        raise ValueError("a serving curve needs generated tokens: give generate_len >= 1 for a decoder model")
    largest = [max_batch(workload, accelerator, options, batch_limit) for accelerator in accelerators]
    items, owners = [], []
    for index, (accelerator, top) in enumerate(zip(accelerators, largest, strict=True)):
        for batch in curve_batches(top):
            scenario = workload.scenario.model_copy(update={"batch": batch})
            items.append((Workload(model=workload.model, scenario=scenario), accelerator, options))
            owners.append((index, batch))
    result = evaluate_batch(items)
    points: list[list[CurvePoint]] = [[] for _ in accelerators]
    for i, (index, batch) in enumerate(owners):
        if result.errors[i] is None:
            points[index].append(_point(batch, result.row(i), workload.generate_len, slo))
    curves = []
    for accelerator, top, mine in zip(accelerators, largest, points, strict=True):
        best, batch, note = goodput(mine, slo)
        curves.append(ServingCurve(accelerator.name, top, tuple(mine), best, batch, note))
    return curves
