"""`dse worker` keeps its Celery worker running: a worker that dies on its own is started again.

Why: kombu's Redis transport can end the worker with an "Unrecoverable error" when a chunk finishes while the
broker connection is down (the acknowledgement finds the connection torn down). Nothing is lost — the chunk is
unacknowledged, so Redis delivers it again after the visibility timeout — but a dead worker would leave the sweep
waiting for a person to restart it. SIGTERM or SIGINT ends the loop with a warm shutdown of the worker.
"""

from __future__ import annotations

import logging
import signal
import sys
import time
from types import FrameType

from backend.core.process import spawn

log = logging.getLogger("dse.worker")

RESTARTS_PER_MINUTE = 10  # more than this and something is wrong that a restart will not cure


def celery_worker_command(worker_args: list[str]) -> list[str]:
    return [sys.executable, "-m", "celery", "--app", "workers.celery_app:app", "worker", *worker_args]


def supervise(command: list[str], env: dict[str, str]) -> int:
    """Run `command` (the Celery worker) until it exits cleanly or is told to stop; returns its exit code."""
    stopping = False
    child = None

    def pass_on(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        if child is not None and child.poll() is None:
            # SIGTERM is Celery's warm shutdown; a terminal's Ctrl-C has reached the child already, and a second
            # SIGINT would make it a cold one
            child.send_signal(signal.SIGTERM)

    previous = {signum: signal.signal(signum, pass_on) for signum in (signal.SIGTERM, signal.SIGINT)}
    starts: list[float] = []
    try:
        while True:
            starts = [*(t for t in starts if time.monotonic() - t < 60), time.monotonic()]
            child = spawn(command, env=env)
            code = child.wait()
            if stopping or code == 0:
                return code
            if len(starts) > RESTARTS_PER_MINUTE:
                log.error("the worker exited with code %d, %d times within a minute: giving up", code, len(starts))
                return code
            log.warning("the worker exited with code %d; starting it again", code)
            time.sleep(1.0)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
