"""Arrival-driven serving speed: 10,000 requests of Llama-3-8B on gemmini-transformer-32x32, cold (every cache
cleared), timed on one core, at three arrival rates (quiet, busy, saturated), with uniform prompt (128..1024) and
output (16..256) lengths. Also prints the quiet run's p50 TPOT beside the batch-1 report's TPOT (issue 29: within
5%; tests/simulator/test_serving.py asserts it at fixed lengths). Usage:
    .venv/bin/python benchmarks/serving_speed.py [requests]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulator import Scenario, Workload, cache_clear, evaluate, load_accelerator_preset, load_model_preset
from simulator.serving import FixedLength, ServingRun, UniformLength, serve

RATES_PER_S = (0.001, 0.2, 5.0)


def main() -> None:
    requests = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    model, hw = load_model_preset("llama-3-8b"), load_accelerator_preset("gemmini-transformer-32x32")
    workload = Workload(model=model, scenario=Scenario(prompt_len=512, generate_len=128))
    print(f"{requests:,} requests, Llama-3-8B on {hw.name}, cold")
    print(f"{'rate/s':>8} {'lengths':>8} {'run s':>7} {'evals':>6} {'iterations':>11} {'peak batch':>10} "
          f"{'TTFT p50':>10} {'TTFT p99':>10} {'TPOT p50':>9} {'TPOT p99':>9} {'tokens/s':>9}")
    for lengths in ("uniform", "fixed"):
        for rate in RATES_PER_S:
            cache_clear()
            prompt, generate = ((UniformLength(low=128, high=1024), UniformLength(low=16, high=256))
                                if lengths == "uniform" else (FixedLength(tokens=512), FixedLength(tokens=128)))
            run = ServingRun(rate_per_s=rate, requests=requests, prompt=prompt, generate=generate, seed=1)
            started = time.process_time()
            result = serve(workload, hw, None, run)
            seconds = time.process_time() - started
            print(f"{rate:>8g} {lengths:>8} {seconds:>7.2f} {result.evaluations:>6} {result.iterations:>11,} "
                  f"{result.peak_batch:>10} {result.ttft_s.p50:>10.3g} {result.ttft_s.p99:>10.3g} "
                  f"{result.tpot_s.p50:>9.4g} {result.tpot_s.p99:>9.4g} {result.throughput_tokens_per_s:>9.3g}")
            if lengths == "fixed" and rate == RATES_PER_S[0]:
                batch_1 = evaluate(workload, hw).tpot_s or 0.0
                print(f"{'':>8} batch-1 TPOT {batch_1:.6g} s; p50 TPOT {result.tpot_s.p50:.6g} s "
                      f"({100 * (result.tpot_s.p50 / batch_1 - 1):+.3f}%)")


if __name__ == "__main__":
    main()
