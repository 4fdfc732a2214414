"""Functions a reader can hold in mind: none in backend/ or simulator/ longer than 80 lines (ruff's C901 bounds their
complexity at 12, pyproject.toml). A long function is split into named steps, each returning a small record."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 80


def test_no_function_is_longer_than_80_lines() -> None:
    long = []
    for package in ("backend", "simulator"):
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    lines = (node.end_lineno or node.lineno) - node.lineno + 1
                    if lines > MAX_LINES:
                        long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({lines} lines)")
    assert not long, "functions over 80 lines:\n" + "\n".join(long)
