"""The small per-class and per-phase breakdown a stored point keeps beside its columns (the rest of its report is
recomputed on demand): cycles, energy and DRAM bytes by op class and by phase, as float32 in a fixed layout.

Layout: for each of (cycles, energy_j, dram_bytes), one value per op class in the catalog's order
(simulator.catalog.OP_CLASSES), then one per phase (PHASES): 3 x (14 + 4) float32 = 216 bytes. A row stored before
the `communication` class existed (3 x (13 + 4)) decodes with that class at zero.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simulator.catalog import OP_CLASSES, PHASES

QUANTITIES = ("cycles", "energy_j", "dram_bytes")
_CLASS_INDEX = {name: i for i, name in enumerate(OP_CLASSES)}
_PHASE_INDEX = {name: i for i, name in enumerate(PHASES)}
WIDTH = len(OP_CLASSES) + len(PHASES)
_LEGACY_WIDTH, _COMMUNICATION = WIDTH - 1, _CLASS_INDEX["communication"]  # before the communication class


def encode(ops: Any) -> bytes:
    """The breakdown of a report's operator rows (objects with op_class, phase, cycles, energy_j, dram_bytes)."""
    values = np.zeros((len(QUANTITIES), WIDTH), dtype=np.float64)
    for op in ops:
        for q, quantity in enumerate(QUANTITIES):
            amount = getattr(op, quantity)
            values[q, _CLASS_INDEX[op.op_class]] += amount
            values[q, len(OP_CLASSES) + _PHASE_INDEX[op.phase]] += amount
    return values.astype("<f4").tobytes()


def encode_sums(by_class: np.ndarray, by_phase: np.ndarray) -> bytes:
    """The breakdown from sums already taken: (quantities, classes) and (quantities, phases) arrays."""
    return np.concatenate([by_class, by_phase], axis=1).astype("<f4").tobytes()


def decode(blob: bytes | None) -> dict[str, dict[str, dict[str, float]]] | None:
    """{"by_class": {quantity: {class: value}}, "by_phase": {...}}, the non-zero entries only."""
    if not blob:
        return None
    values = np.frombuffer(blob, dtype="<f4").astype(float)
    if values.size == len(QUANTITIES) * _LEGACY_WIDTH:
        values = np.insert(values.reshape(len(QUANTITIES), _LEGACY_WIDTH), _COMMUNICATION, 0.0, axis=1)
    values = values.reshape(len(QUANTITIES), WIDTH)
    out: dict[str, dict[str, dict[str, float]]] = {"by_class": {}, "by_phase": {}}
    for q, quantity in enumerate(QUANTITIES):
        out["by_class"][quantity] = {name: float(values[q, i]) for name, i in _CLASS_INDEX.items() if values[q, i]}
        out["by_phase"][quantity] = {name: float(values[q, len(OP_CLASSES) + i])
                                     for name, i in _PHASE_INDEX.items() if values[q, len(OP_CLASSES) + i]}
    return out
