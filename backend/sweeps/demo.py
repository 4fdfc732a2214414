"""The demo sweep `dse serve` queues on an empty database, so the dashboard opens with results to explore."""

from __future__ import annotations

import logging

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from backend.core.db import transaction
from backend.core.settings import Settings
from backend.models import Sweep
from backend.sweeps.service import create_sweep
from backend.sweeps.spec import SweepSpec

log = logging.getLogger("dse.demo")

# The README's first example: 2 scenarios x 9 arrays x 2 scratchpads = 36 points.
DEMO_SPEC = {
    "name": "demo", "models": ["bert-base"], "scenarios": [{"seq_len": 128}, {"seq_len": 512}],
    "accelerator": "gemmini-default", "axes": {"rows": [8, 16, 32], "cols": [8, 16, 32], "scratchpad_kib": [64, 256]},
    "strategy": "grid", "objectives": ["latency_s", "energy_j"],
}


def create_demo_sweep(factory: sessionmaker[Session], settings: Settings) -> int | None:
    """Creates and queues the demo sweep when the database has no sweep yet (`factory` sends jobs); returns its id."""
    if not settings.demo_sweep:
        return None
    with transaction(factory) as session:
        if session.execute(select(func.count()).select_from(Sweep)).scalar_one():
            return None
        sweep = create_sweep(session, SweepSpec.model_validate(DEMO_SPEC), settings)
    log.info("queued the demo sweep %d (%d points)", sweep.id, sweep.total_points)
    return sweep.id
