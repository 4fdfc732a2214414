"""What each input and output of the simulator is called, in which unit, and how it may vary.

The simulator declares its vocabulary once, as metadata on its own model fields:
`rows: Annotated[int, Knob("Array rows", "PEs", "array")] = Field(16, ge=1)`. Everything else — the result
store's columns, `/api/catalog`, the CLI's flags, the dashboard's forms and axis titles — is derived from it by
`simulator.catalog`, so adding a knob is adding one field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Direction = Literal["min", "max"]


@dataclass(frozen=True, slots=True)
class Knob:
    """An input: its label and unit, the display group it belongs to, and whether a sweep may vary it.

    `column`: stored as a result column (a run switch such as `allow_longer` is not a design parameter).
    `stored_as`: the attribute whose value the column records, when it is not the field itself (`num_kv_heads`
    is None for "as many as num_heads"; the column records the resolved `kv_heads`).
    `text_length`: characters a text column holds, when a value can outgrow the default (a set of fusion groups).
    """

    label: str
    unit: str = ""
    group: str = ""
    sweepable: bool = True
    column: bool = True
    stored_as: str = ""
    text_length: int = 0


@dataclass(frozen=True, slots=True)
class Measure:
    """A scalar output of a `Report`: its label and unit, which way is better (None: not an objective), and
    whether it is a headline metric (loaded and offered first by the dashboard; the others on request)."""

    label: str
    unit: str = ""
    direction: Direction | None = "min"
    headline: bool = False
    text_length: int = 0
