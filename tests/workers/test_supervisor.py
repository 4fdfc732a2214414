"""`dse worker`'s supervisor: a worker that dies on its own is started again; a clean exit ends it."""

from __future__ import annotations

import sys
from pathlib import Path

from workers.supervisor import supervise

# Exits 1 on its first run (as a worker ended by an unrecoverable broker error), 0 on its second.
FLAKY = """
import pathlib, sys
runs = pathlib.Path(sys.argv[1])
runs.write_text(runs.read_text() + "x" if runs.exists() else "x")
sys.exit(1 if len(runs.read_text()) == 1 else 0)
"""


def test_a_worker_that_dies_is_started_again(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    assert supervise([sys.executable, "-c", FLAKY, str(runs)], env={}) == 0
    assert runs.read_text() == "xx"


def test_a_clean_exit_is_not_restarted(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    runs.write_text("x")  # as if it had died once already: this run exits 0
    assert supervise([sys.executable, "-c", FLAKY, str(runs)], env={}) == 0
    assert runs.read_text() == "xx"
