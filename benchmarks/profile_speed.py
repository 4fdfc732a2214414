"""Milliseconds per in-process profile (workload validation + graph + totals) for every preset and length.

Run: .venv/bin/python benchmarks/profile_speed.py
Target (issue 3): under 10 ms for any preset at any length. Decoders are timed in their heaviest form:
prompt l and l generated tokens (a prefill plus a growing-KV-cache decode, grouped into <= 64 attention groups).
"""

from __future__ import annotations

import statistics
import time

from simulator.workload import Scenario, Workload, list_model_presets, load_model_preset, profile

LENGTHS = (128, 512, 2048, 8192, 32768)
REPEATS = 30
TARGET_MS = 10.0


def scenario_for(family: str, length: int) -> Scenario:
    if family == "decoder":
        return Scenario(prompt_len=length, generate_len=length, allow_longer=True, include_embeddings=True,
                        include_lm_head=True)
    if family == "encoder-decoder":
        return Scenario(seq_len=length, generate_len=length, allow_longer=True)
    return Scenario(seq_len=length, allow_longer=True, include_embeddings=True, include_lm_head=True)


def time_ms(name: str, length: int) -> tuple[float, int]:
    model = load_model_preset(name)
    scenario = scenario_for(model.family, length)
    samples = []
    ops = 0
    for _ in range(REPEATS):
        start = time.perf_counter()
        result = profile(Workload(model=model, scenario=scenario))
        samples.append((time.perf_counter() - start) * 1e3)
        ops = len(result.graph.ops)
    return statistics.median(samples), ops


def main() -> None:
    print(f"ms per profile (median of {REPEATS}; ops in graph in brackets); target < {TARGET_MS:.0f} ms")
    print(f"{'preset':<18}" + "".join(f"{'l=' + str(length):>16}" for length in LENGTHS))
    worst = 0.0
    for name in list_model_presets():
        cells = []
        for length in LENGTHS:
            ms, ops = time_ms(name, length)
            worst = max(worst, ms)
            cells.append(f"{ms:>9.3f} [{ops:>3}]")
        print(f"{name:<18}" + "".join(f"{cell:>16}" for cell in cells))
    print(f"worst: {worst:.3f} ms -> {'OK' if worst < TARGET_MS else 'OVER TARGET'}")


if __name__ == "__main__":
    main()
