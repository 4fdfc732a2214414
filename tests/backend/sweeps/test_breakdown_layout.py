"""The stored breakdown's layout: a row written before the `communication` op class existed still decodes."""

from __future__ import annotations

import numpy as np

from backend.sweeps import breakdown
from simulator.catalog import OP_CLASSES, PHASES


def test_a_breakdown_stored_before_the_communication_class_decodes() -> None:
    legacy = np.arange(3 * (len(OP_CLASSES) - 1 + len(PHASES)), dtype="<f4") + 1
    decoded = breakdown.decode(legacy.tobytes())
    assert decoded is not None and "communication" not in decoded["by_class"]["cycles"]
    assert decoded["by_class"]["cycles"]["quantization"] == legacy[len(OP_CLASSES) - 2]
