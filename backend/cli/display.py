"""How the CLI shows things: numbers in a unit that keeps them between 1 and 1000, and tables whose name columns are
never cut (a name is what a person types next)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.table import Table

PREFIXES = ((1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, ""), (1e-3, "m"), (1e-6, "µ"), (1e-9, "n"), (1e-12, "p"))


def si(value: float | None, unit: str, digits: int = 4) -> str:
    """`si(11.515334, "J")` -> "11.52 J", `si(0.0112, "s")` -> "11.2 ms": the prefix that puts the number in 1..1000."""
    if value is None or not math.isfinite(value):
        return "–"
    if value == 0:
        return f"0 {unit}"
    scale, prefix = next(((scale, prefix) for scale, prefix in PREFIXES if abs(value) >= scale * (1 - 1e-12)),
                         PREFIXES[-1])
    return f"{value / scale:.{digits}g} {prefix}{unit}"


FREE_TEXT = ("source", "calibration", "tags", "notes")


def table(*headers: str, names: Sequence[str] = (), whole: Sequence[str] = ("name",)) -> Table:
    """A table whose `whole` columns are as wide as their longest value in `names` and never wrap or cut; on a narrow
    terminal the free-text columns give up their width first, then the others."""
    out = Table()
    width = max((len(name) for name in names), default=0)
    for header in headers:
        if header in whole:
            out.add_column(header, no_wrap=True, min_width=max(width, len(header)), overflow="fold")
        elif header in FREE_TEXT:
            out.add_column(header, overflow="fold", max_width=40)  # wraps: it gives up width first
        else:
            out.add_column(header, no_wrap=True)
    return out
