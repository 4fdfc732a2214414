"""Every strategy a spec may name has its implementation behind the one interface the chunks call."""

from __future__ import annotations

from typing import get_args

from backend.sweeps.spec import SweepSpec
from backend.sweeps.strategies import STRATEGIES, GridStrategy, SearchStrategy, strategy_of
from tests.sweeps_support import SEARCH_DEMO_SPEC


def test_each_strategy_a_spec_names_is_implemented() -> None:
    assert set(STRATEGIES) == set(get_args(SweepSpec.model_fields["strategy"].annotation))


def test_a_spec_validated_or_stored_finds_its_strategy() -> None:
    spec = SweepSpec.model_validate(SEARCH_DEMO_SPEC)
    assert isinstance(strategy_of(spec), SearchStrategy)
    assert isinstance(strategy_of(spec.model_dump(mode="json")), SearchStrategy)
    assert isinstance(strategy_of({"name": "stored before strategies existed"}), GridStrategy)
