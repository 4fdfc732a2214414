"""What each input and output of the simulator is called, in which unit, and how it may vary.

The simulator declares its vocabulary once, as metadata on its own model fields:
`rows: Annotated[int, Knob("Array rows", "PEs", "array")] = Field(16, ge=1)`. Everything else — the result
store's columns, `/api/catalog`, the CLI's flags, the dashboard's forms and axis titles — is derived from it by
`simulator.catalog`, so adding a knob is adding one field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Direction = Literal["min", "max"]
# The pipeline's stages a Knob can say read it (see Knob.reads).
STAGES = frozenset({"lowering", "gemm", "ops", "aggregate"})


@dataclass(frozen=True, slots=True)
class Knob:
    """An input: its label and unit, the display group it belongs to, and whether a sweep may vary it.

    `column`: stored as a result column (a run switch such as `allow_longer` is not a design parameter).
    `stored_as`: the attribute whose value the column records, when it is not the field itself (`num_kv_heads`
    is None for "as many as num_heads"; the column records the resolved `kv_heads`).
    `text_length`: characters a text column holds, when a value can outgrow the default (a set of fusion groups).
    `reads`: the stages whose results depend on the value, so their caches must be keyed by it (None: not declared;
    every accelerator field declares it, tests/simulator/test_stage_keys.py checks each claim):
    - `lowering`: simulator/lower.py, the work of a design point (operand widths, where each lives, fusion); its
      cache is keyed by the fields that read it (`AcceleratorSpec.lowering_key`);
    - `gemm`: simulator/mapping, a GEMM's mapping search and pricing; the mapping cache's key is derived from the
      fields that read it alone (`AcceleratorSpec.gemm_fields` -> `hardware_key`);
    - `ops`: simulator/cost, the other ops' cost rows (non-linear, element-wise, CNN epilogue) and every op's bound;
    - `aggregate`: the design point's totals, area, static energy and per-second figures (simulator/aggregate.py,
      simulator/cost/area.py).
    An empty set: no stage's numbers depend on it (a label).
    """

    label: str
    unit: str = ""
    group: str = ""
    sweepable: bool = True
    column: bool = True
    stored_as: str = ""
    text_length: int = 0
    reads: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if self.reads is not None and not self.reads <= STAGES:
            raise ValueError(f"Knob {self.label!r} reads unknown stages {sorted(self.reads - STAGES)} "
                             f"(stages: {sorted(STAGES)})")


def fields_reading(fields: dict[str, Any], stage: str) -> tuple[str, ...]:
    """The names of the fields (a pydantic model's `model_fields`) whose Knob says `stage` reads them, in
    declaration order: a stage's cache key, derived from the declarations instead of listed by hand."""
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r} (stages: {sorted(STAGES)})")
    return tuple(name for name, info in fields.items()
                 if any(isinstance(meta, Knob) and meta.reads is not None and stage in meta.reads
                        for meta in info.metadata))


@dataclass(frozen=True, slots=True)
class Measure:
    """A scalar output of a `Report`: its label and unit, which way is better (None: not an objective), and
    whether it is a headline metric (loaded and offered first by the dashboard; the others on request)."""

    label: str
    unit: str = ""
    direction: Direction | None = "min"
    headline: bool = False
    text_length: int = 0
