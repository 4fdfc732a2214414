"""An arrival-driven serving run: Poisson arrivals, continuous batching, p50/p99 TTFT and TPOT, goodput.

Requests arrive as a Poisson process at `rate_per_s` (seeded), with prompt and output lengths drawn from their
distributions. The scheduler works per iteration, as vLLM and Sarathi-Serve do: arrived requests are admitted first
come first served while fewer than `max_batch` are in flight (the capacity: the largest batch whose KV cache fits at
the longest request's length, simulator/serving/capacity.py); each iteration runs one decode step of every decoding
sequence plus prefill chunks of up to `chunk_tokens` prompt tokens (oldest first). Its time is the decode step's plus
the chunks' (simulator/serving/iteration_costs.py; pricing them apart reads the weights once more than a fused
iteration would, so a mixed iteration is slightly pessimistic). A request's first token comes with the iteration that
finishes its prompt; its `generate_len` decode steps follow, one per iteration (the report's convention:
TPOT = (finish - first token) / generate_len, so a lone request's TPOT is the batch-1 report's).

Our own iteration-level loop, not a discrete-event library (SimPy): the only events are iterations, each depending on
the whole batch, so per-request processes would add scheduling overhead and nothing else. Iterations that only decode
a fixed batch are taken together up to the next arrival or completion (their times summed over arrays), so the loop
runs per event, and a 10,000-request run takes seconds (benchmarks/serving_speed.py).
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from simulator.hardware.spec import AcceleratorSpec
from simulator.options import Options
from simulator.serving.capacity import max_batch as largest_batch
from simulator.serving.curve import Slo
from simulator.serving.iteration_costs import IterationCosts
from simulator.serving.lengths import LengthDistribution
from simulator.workload import Workload


class ServingRun(Slo):
    """What arrives and how the server batches it (and the SLO the goodput counts against)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rate_per_s: float = Field(ge=1e-9, le=1e6, description="Mean arrivals per second (Poisson).")
    requests: int = Field(gt=0, le=1_000_000)
    prompt: LengthDistribution = Field(description="Prompt lengths (tokens, >= 1).")
    generate: LengthDistribution = Field(description="Generated tokens per request.")
    seed: int = Field(default=0, ge=0)
    chunk_tokens: int = Field(default=512, gt=0, le=1 << 20, description="Prompt tokens per iteration at most.")
    max_batch: int | None = Field(default=None, gt=0, le=1 << 16,
                                  description="Requests in flight at most; None: the design's max batch.")


class Percentiles(BaseModel):
    model_config = ConfigDict(frozen=True)

    p50: float | None
    p99: float | None
    mean: float | None

    @classmethod
    def of(cls, values: np.ndarray) -> Percentiles:
        if not len(values):
            return cls(p50=None, p99=None, mean=None)
        p50, p99 = np.percentile(values, [50, 99])
        return cls(p50=float(p50), p99=float(p99), mean=float(values.mean()))


class ServingResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    requests: int
    ttft_s: Percentiles
    tpot_s: Percentiles  # over requests generating at least one token
    throughput_tokens_per_s: float  # generated tokens / (last finish - first arrival)
    goodput_tokens_per_s: float  # the same, counting only requests meeting the SLO
    slo_met: float  # share of requests meeting it
    duration_s: float
    max_batch: int
    peak_batch: int  # the most requests in flight at once
    iterations: int
    evaluations: int  # design points the iteration times took


@dataclass
class _Requests:
    arrival_s: np.ndarray
    prompt: np.ndarray
    generate: np.ndarray
    first_token_s: np.ndarray
    finish_s: np.ndarray


def _requests(run: ServingRun) -> _Requests:
    rng = np.random.default_rng(run.seed)
    arrival = np.cumsum(rng.exponential(1.0 / run.rate_per_s, size=run.requests))
    prompt, generate = run.prompt.sample(rng, run.requests), run.generate.sample(rng, run.requests)
    if prompt.min() < 1:
        raise ValueError("prompt lengths must be >= 1 token (the first token comes from the prompt's prefill)")
    return _Requests(arrival, prompt, generate, np.full(run.requests, np.nan), np.full(run.requests, np.nan))


class _Server:
    """The scheduler's state: waiting, prefilling (request, prompt tokens done) and decoding requests."""

    def __init__(self, costs: IterationCosts, requests: _Requests, capacity: int, chunk_tokens: int) -> None:
        self.costs, self.r, self.capacity, self.chunk_tokens = costs, requests, capacity, chunk_tokens
        self.now, self.arrived, self.finished, self.iterations, self.peak = 0.0, 0, 0, 0, 0
        self.waiting: deque[int] = deque()
        self.prefilling: deque[list[int]] = deque()
        self.decoding = np.zeros(0, dtype=np.int64)  # request ids
        self.kv = np.zeros(0, dtype=np.int64)  # tokens in each decoding sequence's KV cache
        self.left = np.zeros(0, dtype=np.int64)  # decode steps it still has to run

    def admit(self) -> None:
        arrival = self.r.arrival_s
        while self.arrived < len(arrival) and arrival[self.arrived] <= self.now:
            self.waiting.append(self.arrived)
            self.arrived += 1
        while self.waiting and len(self.prefilling) + len(self.decoding) < self.capacity:
            self.prefilling.append([self.waiting.popleft(), 0])
        self.peak = max(self.peak, len(self.prefilling) + len(self.decoding))

    def step(self) -> None:
        """One scheduling decision: idle until the next arrival, a mixed iteration, or a run of decode steps."""
        if self.prefilling:
            self._mixed()
        elif len(self.decoding):
            self._decode_run()
        else:
            self.now = max(self.now, float(self.r.arrival_s[self.arrived]))

    def _chunks(self) -> tuple[float, list[int]]:
        """This iteration's prefill chunks (oldest prompt first): their time and the requests they complete."""
        budget, seconds, done = self.chunk_tokens, 0.0, []
        for entry in self.prefilling:
            if budget == 0:
                break
            request, start = entry
            end = min(int(self.r.prompt[request]), start + budget)
            seconds += self.costs.chunk_s(start, end)
            budget -= end - start
            entry[1] = end
            if end == self.r.prompt[request]:
                done.append(request)
        return seconds, done

    def _mixed(self) -> None:
        seconds, done = self._chunks()
        if len(self.decoding):
            seconds += self.costs.decode_step_s(len(self.decoding), float(self.kv.mean()) + 1)
        self.now += seconds
        self.iterations += 1
        self._advance(1)
        for request in done:
            self.prefilling.popleft()
            self.r.first_token_s[request] = self.now
            self.decoding = np.append(self.decoding, request)
            self.kv = np.append(self.kv, self.r.prompt[request])
            self.left = np.append(self.left, self.r.generate[request])
        self._retire()

    def _decode_run(self) -> None:
        """Decode iterations of the same batch up to the one in flight at the next arrival, or the first completion."""
        steps = int(self.left.min())
        kv_lens = self.kv.mean() + 1 + np.arange(steps)
        cumulative = np.cumsum(self.costs.decode_steps_s(len(self.decoding), kv_lens))
        if self.arrived < len(self.r.arrival_s):
            in_flight = int(np.searchsorted(cumulative, self.r.arrival_s[self.arrived] - self.now, side="left"))
            steps = min(steps, in_flight + 1)
        self.now += float(cumulative[steps - 1])
        self.iterations += steps
        self._advance(steps)
        self._retire()

    def _advance(self, steps: int) -> None:
        self.kv += steps
        self.left -= steps

    def _retire(self) -> None:
        """Requests out of decode steps leave (one that generates nothing leaves with its first token)."""
        gone = self.left <= 0
        if gone.any():
            self.r.finish_s[self.decoding[gone]] = self.now
            self.finished += int(gone.sum())
            keep = ~gone
            self.decoding, self.kv, self.left = self.decoding[keep], self.kv[keep], self.left[keep]


def _result(server: _Server, run: ServingRun) -> ServingResult:
    r = server.r
    ttft = r.first_token_s - r.arrival_s
    generates = r.generate > 0
    tpot = np.where(generates, (r.finish_s - r.first_token_s) / np.maximum(r.generate, 1), 0.0)
    met = np.array([run.met(t, f) for t, f in zip(tpot, ttft, strict=True)], dtype=bool)
    duration = float(r.finish_s.max() - r.arrival_s.min())
    tokens = r.generate.astype(float)
    return ServingResult(
        requests=run.requests, ttft_s=Percentiles.of(ttft), tpot_s=Percentiles.of(tpot[generates]),
        throughput_tokens_per_s=float(tokens.sum() / duration) if duration > 0 else 0.0,
        goodput_tokens_per_s=float(tokens[met].sum() / duration) if duration > 0 else 0.0,
        slo_met=float(met.mean()), duration_s=duration, max_batch=server.capacity, peak_batch=server.peak,
        iterations=server.iterations, evaluations=server.costs.evaluations)


def simulate_serving(costs: IterationCosts, run: ServingRun, capacity: int,
                     max_seconds: float | None = None) -> ServingResult:
    """Serve `run`'s requests with at most `capacity` in flight; iteration times from `costs`. A run that takes more
    than `max_seconds` of wall time (a server's bound on a request) stops with a ValueError saying so."""
    if capacity < 1:
        raise ValueError("not one request fits on this design (max batch 0)")
    server = _Server(costs, _requests(run), capacity, run.chunk_tokens)
    deadline = None if max_seconds is None else time.monotonic() + max_seconds
    events = 0
    while server.finished < run.requests:
        server.admit()
        server.step()
        events += 1
        if deadline is not None and not events % 256 and time.monotonic() > deadline:
            raise ValueError(f"the run needs more than {max_seconds:g} s here: serve fewer requests or run "
                             "`dse serving`, which has no bound")
    return _result(server, run)


def serve(workload: Workload, accelerator: AcceleratorSpec, options: Options | None, run: ServingRun,
          batch_limit: int = 256, max_seconds: float | None = None) -> ServingResult:
    """An arrival-driven run of the workload's model (its lengths and batch ignored: `run` gives them) on one design:
    capacity from the longest request (`run.max_batch` bounds it further), iteration times from the model."""
    options = options or Options()
    longest = run.prompt.longest + run.generate.longest
    worst = Workload(model=workload.model, scenario=workload.scenario.model_copy(update={
        "batch": 1, "seq_len": None, "prompt_len": run.prompt.longest, "generate_len": run.generate.longest}))
    capacity = largest_batch(worst, accelerator, options, run.max_batch or batch_limit)
    costs = IterationCosts(workload, accelerator, options, longest=longest + 1)
    return simulate_serving(costs, run, capacity, max_seconds)
