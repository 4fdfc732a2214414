"""How long one continuous-batching iteration takes on a design, from the model itself.

A decode step of B sequences whose KV caches hold L tokens on average is the report's TPOT of batch B, prompt L - 1,
one generated token (the step attends to L entries; attention is linear in each sequence's own length, so the mean
stands for the mix). A prefill chunk of tokens [start, end) of one prompt costs prefill(end) - prefill(start), with
prefill(n) the TTFT of batch 1, prompt n: projections and FFN are linear in tokens and causal attention over `end`
tokens less that over `start` is the chunk's rows attending to everything before them.

Each is evaluated once per node of a grid (batches and lengths 1..8, then four nodes per octave: 10, 12, 14, 16, 20,
...) and cached; between nodes it is interpolated linearly, so a 10,000-request run needs a few hundred evaluations
whatever the lengths. Exact at the nodes (batch 1 is one), within a fraction of a percent between them.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

import numpy as np

from simulator.evaluate import evaluate
from simulator.hardware.spec import AcceleratorSpec
from simulator.options import Options
from simulator.workload import Scenario, Workload


def grid_nodes(largest: int) -> np.ndarray:
    """1..8, then four per octave (x1, x1.25, x1.5, x1.75 of each power of two), up to the first node >= largest."""
    nodes = list(range(1, 9))
    while nodes[-1] < largest:
        power = 1 << (nodes[-1].bit_length() - 1)
        nodes.append(nodes[-1] + power // 4)
    return np.array(nodes, dtype=np.int64)


def _neighbours(nodes: list[int], value: float) -> tuple[int, int, float]:
    """The nodes either side of one value and its weight on the upper one (scalar twin of `_bracket`: a Python
    bisection is ~10x faster than NumPy's on one value, and a run asks per iteration)."""
    upper = min(bisect_left(nodes, value), len(nodes) - 1)
    lower = max(bisect_right(nodes, value) - 1, 0)
    low, high = nodes[lower], nodes[upper]
    return low, high, 0.0 if high == low else (value - low) / (high - low)


def _bracket(nodes: np.ndarray, low: float, high: float) -> slice:
    """The nodes spanning [low, high] (one node when both sit on it)."""
    first = max(int(np.searchsorted(nodes, low, side="right")) - 1, 0)
    last = min(int(np.searchsorted(nodes, high, side="left")), len(nodes) - 1)
    return slice(first, last + 1)


class IterationCosts:
    """Decode-step and prefill-chunk times of one (model, accelerator, options), evaluated at grid nodes on demand."""

    def __init__(self, workload: Workload, accelerator: AcceleratorSpec, options: Options | None = None,
                 longest: int = 1 << 16) -> None:
        if workload.model.family != "decoder":
            raise ValueError(f"{workload.model.name} is an {workload.model.family} model: serving runs decoder models")
        self._model, self._scenario = workload.model, workload.scenario
        self._accelerator, self._options = accelerator, options or Options()
        self._nodes = grid_nodes(max(longest, 2))
        self._node_list = self._nodes.tolist()
        self._steps: dict[tuple[int, int], float] = {}
        self._prefills: dict[int, float] = {}

    @property
    def evaluations(self) -> int:
        """How many design points were evaluated so far (the cache's size)."""
        return len(self._steps) + len(self._prefills)

    def _evaluate(self, batch: int, prompt_len: int, generate_len: int) -> tuple[float, float]:
        scenario = Scenario(**{**self._scenario.model_dump(), "batch": batch, "seq_len": None,
                               "prompt_len": prompt_len, "generate_len": generate_len, "allow_longer": True})
        report = evaluate(Workload(model=self._model, scenario=scenario), self._accelerator, self._options)
        return report.ttft_s or 0.0, report.tpot_s or 0.0

    def _step(self, batch: int, kv_len: int) -> float:
        key = (batch, kv_len)
        if key not in self._steps:
            self._steps[key] = self._evaluate(batch, kv_len - 1, 1)[1]
        return self._steps[key]

    def _prefill(self, tokens: int) -> float:
        if tokens not in self._prefills:
            self._prefills[tokens] = self._evaluate(1, tokens, 0)[0]
        return self._prefills[tokens]

    def _steps_at(self, batch: int, kv_lens: np.ndarray) -> np.ndarray:
        span = _bracket(self._nodes, float(kv_lens.min()), float(kv_lens.max()))
        nodes = self._nodes[span]
        return np.interp(kv_lens, nodes, [self._step(batch, int(node)) for node in nodes])

    def decode_steps_s(self, batch: int, kv_lens: np.ndarray) -> np.ndarray:
        """The time of a decode step of `batch` sequences at each mean KV length of `kv_lens` (>= 1)."""
        span = _bracket(self._nodes, batch, batch)
        low, high = (int(node) for node in self._nodes[span][[0, -1]])
        at_low = self._steps_at(low, kv_lens)
        if high == low:
            return at_low
        weight = (batch - low) / (high - low)
        return (1 - weight) * at_low + weight * self._steps_at(high, kv_lens)

    def decode_step_s(self, batch: int, kv_len: float) -> float:
        """One decode step of `batch` sequences at mean KV length `kv_len` (the scalar form of `decode_steps_s`)."""
        b_low, b_high, b_weight = _neighbours(self._node_list, batch)
        k_low, k_high, k_weight = _neighbours(self._node_list, kv_len)

        def at(b: int) -> float:
            return (1 - k_weight) * self._step(b, k_low) + k_weight * self._step(b, k_high)

        return at(b_low) if b_weight == 0 else (1 - b_weight) * at(b_low) + b_weight * at(b_high)

    def prefill_s(self, tokens: float) -> float:
        """Prefill time of the first `tokens` tokens of one prompt (0 for none)."""
        if tokens <= 0:
            return 0.0
        low, high, weight = _neighbours(self._node_list, tokens)
        return self._prefill(low) if weight == 0 else (1 - weight) * self._prefill(low) + weight * self._prefill(high)

    def chunk_s(self, start: int, end: int) -> float:
        """Prefill time of tokens [start, end) of one prompt."""
        return self.prefill_s(end) - self.prefill_s(start)
