"""The simulator's fingerprint: a hash of its code and data files.

A stored point keeps only its columns; its full report is recomputed when someone opens it. The fingerprint of the
simulator that stored a chunk is kept with the chunk (and the sweep), so a point opened under another simulator is
shown as recomputed by a different one, and any metric that moved is named, never silently replaced.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

import simulator

SUFFIXES = (".py", ".yaml", ".yml", ".json", ".csv")


@cache
def simulator_fingerprint() -> str:
    """16 hex digits of SHA-256 over the simulator package's source and data files (path and content, in order)."""
    root = Path(simulator.__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in SUFFIXES
                       and "__pycache__" not in p.parts):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]
