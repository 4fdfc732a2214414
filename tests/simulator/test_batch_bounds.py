"""`evaluate_batch` agrees with `evaluate` with every numeric accelerator and scenario field at each of its bounds
(issue 30: a model past 2^63 operations once failed every point of a sweep with a NumPy object-dtype error while
`evaluate` answered): the same metrics, or the same refusal."""

from __future__ import annotations

import math
from typing import Any

import pytest
from pydantic import ValidationError

from simulator import Options, evaluate, load_accelerator_preset
from simulator.batch import evaluate_batch
from simulator.catalog import PARAMETERS, Entry
from simulator.workload import Scenario, Workload, load_model_preset

BASE = load_accelerator_preset("gemmini-transformer")
GPT2 = load_model_preset("gpt2")
FIELDS = [e for e in PARAMETERS if e.source in ("accelerator", "scenario") and e.type in ("int", "float")
          and e.minimum is not None and e.maximum is not None]


def _bound(entry: Entry, which: str) -> float:
    value = entry.minimum if which == "min" else entry.maximum
    if which == "min" and entry.exclusive_minimum:
        value = math.nextafter(value, math.inf) if entry.type == "float" else value + 1
    return int(value) if entry.type == "int" else float(value)


def _agree(workload: Workload, accelerator: Any) -> None:
    batch = evaluate_batch([(workload, accelerator, Options())])
    try:
        report = evaluate(workload, accelerator, Options())
    except (ValueError, ArithmeticError) as error:
        assert batch.errors[0] is not None, f"evaluate refused ({error}), evaluate_batch did not"
        assert str(batch.errors[0]) == str(error)
        return
    assert batch.errors[0] is None, f"evaluate_batch refused ({batch.errors[0]}), evaluate did not"
    for name, value in batch.row(0).items():
        expected = getattr(report, name)
        if isinstance(expected, float) and isinstance(value, float):
            both_nan = math.isnan(value) and math.isnan(expected)
            assert both_nan or value == pytest.approx(expected, rel=1e-9, abs=0.0), name
        else:
            assert value == expected, name


@pytest.mark.parametrize("which", ["min", "max"])
@pytest.mark.parametrize("entry", FIELDS, ids=lambda e: e.name)
def test_a_field_at_its_bound_gives_the_same_answer_both_ways(entry: Entry, which: str) -> None:
    value = _bound(entry, which)
    try:
        if entry.source == "accelerator":
            accelerator, scenario = BASE.model_validate({**BASE.model_dump(), entry.name: value}), {}
        else:
            accelerator, scenario = BASE, {entry.name: value}
        lengths = {"generate_len": 2} if entry.name == "seq_len" else {"prompt_len": 16, "generate_len": 2}
        workload = Workload(model=GPT2, scenario=Scenario(**{**lengths, **scenario, "allow_longer": True}))
    except (ValidationError, ValueError):
        return  # a record its own validators refuse is no point (the API answers 422 before any evaluation)
    _agree(workload, accelerator)


def test_the_audits_huge_model_gives_the_same_answer_both_ways() -> None:
    huge = GPT2.model_copy(update={"num_layers": 65_536, "d_model": 1 << 20, "num_heads": 16, "d_ff": 1 << 22,
                                   "vocab_size": 10**12, "max_positions": 1 << 23})
    workload = Workload(model=huge, scenario=Scenario(seq_len=1 << 23, batch=1 << 16, allow_longer=True))
    _agree(workload, BASE.model_copy(update={"memory_gib": 0.0}))  # unlimited memory: it is priced, not refused
    _agree(workload, BASE)  # 16 GiB: refused with the capacity message, both ways
