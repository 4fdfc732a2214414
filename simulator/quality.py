"""Published quality loss (accuracy or perplexity) of a quantization/sparsity setting, looked up, never estimated.

`simulator/data/quality.yaml` holds rows read from published tables, each with its paper, table and where it was
read. A design point gets a value only when a row names its model preset and exactly its effective setting
(the weight and activation formats it runs at, and its sparsity); otherwise None, an empty column.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

# A setting as the evaluator runs it: (weight format, activation format, sparsity), e.g. ("int4", "fp16", "dense").
Setting = tuple[str, str, str]


@dataclass(frozen=True)
class PublishedQuality:
    """One published row's verdict on a setting: how much quality it loses against the paper's own baseline.

    `loss` is in the paper's metric and positive when worse: accuracy points lost, or perplexity gained.
    """

    loss: float
    source: str


@cache
def quality_rows() -> tuple[dict[str, Any], ...]:
    text = (resources.files("simulator") / "data" / "quality.yaml").read_text(encoding="utf-8")
    return tuple(yaml.safe_load(text).get("rows") or ())


def _loss(row: dict[str, Any]) -> float:
    change = float(row["value"]) - float(row["baseline"])
    return -change if row["higher_is_better"] else change


def published_quality(model: str, setting: Setting,
                      rows: tuple[dict[str, Any], ...] | None = None) -> PublishedQuality | None:
    """The first published row for this model preset and setting, or None.

    A row matches when its `model` equals the preset name and its weight/activation precision and sparsity equal
    the setting's (a row without `sparsity` is dense). A model with changed dimensions has another name
    (`bert-base[num_layers=6]`), so the preset's rows never apply to it.
    """
    for row in quality_rows() if rows is None else rows:
        row_setting = (row["weight_precision"], row["activation_precision"], row.get("sparsity", "dense"))
        if row["model"] == model and row_setting == setting:
            source = (f"{row['paper']}, {row['table']}: {row['task']}, {row['metric']} "
                      f"{row['baseline']} -> {row['value']} ({row['method']})")
            return PublishedQuality(round(_loss(row), 6), source)
    return None
