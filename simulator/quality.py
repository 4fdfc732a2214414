"""Published quality (accuracy/perplexity change) of a quantization/sparsity setting, looked up, never estimated.

`simulator/data/quality.yaml` holds rows read from published tables, each with its source. A design point gets
a value only when a row names its model preset and exactly its setting; otherwise None (an empty column).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

from simulator.options import Options


@cache
def quality_rows() -> tuple[dict[str, Any], ...]:
    text = (resources.files("simulator") / "data" / "quality.yaml").read_text(encoding="utf-8")
    return tuple(yaml.safe_load(text).get("rows") or ())


def _setting(options: Options) -> tuple[str | None, str | None, str]:
    return options.weight_precision, options.activation_precision, options.sparsity


def published_quality(model: str, options: Options,
                      rows: tuple[dict[str, Any], ...] | None = None) -> tuple[float, str] | None:
    """(delta, source) of the published row for this model preset and setting, or None.

    The default setting (model's own formats, dense) is the baseline and has no delta. A row matches when its
    `model` equals the preset name and its weight/activation precision and sparsity equal the options'
    (a row's missing field means None / "dense").
    """
    setting = _setting(options)
    if setting == (None, None, "dense"):
        return None
    for row in quality_rows() if rows is None else rows:
        row_setting = (row.get("weight_precision"), row.get("activation_precision"), row.get("sparsity", "dense"))
        if row.get("model") == model and row_setting == setting:
            source = (f"{row['paper']}: {row['model']}, {row['task']}, {row['metric']}"
                      + (f" ({row['note']})" if row.get("note") else ""))
            return float(row["delta"]), source
    return None
