"""LLM serving on one design: the throughput/latency curve over batch sizes with SLO goodput (curve.py), and an
arrival-driven run with continuous batching (simulation.py), both priced by `evaluate` (iteration_costs.py) and
bounded by the largest batch that fits (capacity.py)."""

from simulator.serving.capacity import max_batch
from simulator.serving.curve import CurvePoint, ServingCurve, Slo, curve_batches, goodput, serving_curves
from simulator.serving.iteration_costs import IterationCosts
from simulator.serving.lengths import EmpiricalLength, FixedLength, LengthDistribution, UniformLength
from simulator.serving.point import serving_point
from simulator.serving.simulation import Percentiles, ServingResult, ServingRun, serve, simulate_serving

__all__ = [
    "CurvePoint",
    "EmpiricalLength",
    "FixedLength",
    "IterationCosts",
    "LengthDistribution",
    "Percentiles",
    "ServingCurve",
    "ServingResult",
    "ServingRun",
    "Slo",
    "UniformLength",
    "curve_batches",
    "goodput",
    "max_batch",
    "serve",
    "serving_curves",
    "serving_point",
    "simulate_serving",
]
