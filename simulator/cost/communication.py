"""Cost of the collectives tensor and pipeline parallelism add (ops of class `communication`).

Stated formulas, over the device-to-device links (`link_gb_s` per direction per link, `link_latency_us` per hop), for
a message of S bytes among n devices:
- all-reduce, ring: 2(n−1)/n · S over one link (reduce-scatter then all-gather, each device sending (n−1)/n · S
  twice) plus (n−1) link latencies;
- all-reduce, switch: the same bytes (bandwidth-optimal through a non-blocking switch) plus 2 latencies (one pass
  through the switch for each half);
- all-to-all (expert parallelism), S the bytes a device holds for all: (n−1)/n · S over one link (the links taken as
  not shared: optimistic for a ring) plus (n−1) latencies on a ring, 1 through a switch;
- send to the next pipeline stage: S over one link plus one latency.
Communication does not overlap compute (ops run one after another, as every other op); link energy is not modelled
(no sourced pJ/bit for a Gemmini-class link), so the rows carry time only.
"""

from __future__ import annotations

import numpy as np

from simulator.cost.columns import Columns
from simulator.cost.nonlinear import NonlinearCost
from simulator.workload import Operator


def collective_cost(op: Operator, hw: Columns) -> NonlinearCost:
    """One copy of a collective at every point (see the module's docstring for the formulas)."""
    size, devices = float(op.bytes_written), op.devices
    bytes_per_cycle = hw.of("link_gb_s") * 1e9 / hw.clock_hz
    latency = hw.of("link_latency_us") * 1e-6 * hw.clock_hz
    if op.collective == "all_reduce":
        volume = 2 * (devices - 1) / devices * size
        hops = np.where(hw.equals("topology", "ring"), devices - 1, 2)
    elif op.collective == "all_to_all":
        volume = (devices - 1) / devices * size
        hops = np.where(hw.equals("topology", "ring"), devices - 1, 1)
    else:
        volume, hops = size, np.ones(len(hw))
    cycles = volume / bytes_per_cycle + hops * latency
    zero = np.zeros(len(hw))
    return NonlinearCost("communication", np.ones(len(hw), dtype=bool), cycles, zero, zero, zero, zero, zero,
                         over_link=True)
