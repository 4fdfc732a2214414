"""Error bands of Gemmini's measured model (simulator/error_bands.py): the stored file is the current model's, and
the bands read as documented."""

from __future__ import annotations

import pytest

from simulator.error_bands import CV_SOURCE, error_band, stored_bands, training_residuals
from simulator.mapping.gemmini_exec import measured_constants


def test_the_stored_bands_were_computed_under_the_current_model() -> None:
    """A refit or a model change without `python -m simulator.error_bands --write` fails here."""
    stored = stored_bands()
    assert stored["constants"] == {name: c.value for name, c in measured_constants().items()}, (
        "rerun python -m simulator.error_bands --write")
    current = training_residuals(cross_validate=False)["all_rows"]
    assert set(current) == set(stored["all_rows"])
    for name, entry in current.items():
        assert entry["rows"] == stored["all_rows"][name]["rows"], name
        assert entry["low"] == pytest.approx(stored["all_rows"][name]["low"], rel=1e-9), name
        assert entry["high"] == pytest.approx(stored["all_rows"][name]["high"], rel=1e-9), name


def test_a_small_group_falls_back_to_its_kind() -> None:
    """Three matmul rows are array-bound: too few for a band of their own, so the matmul band applies."""
    assert stored_bands()["grouped_cv"]["matmul/array"]["rows"] < 30
    band = error_band("matmul", "array")
    kind = stored_bands()["grouped_cv"]["matmul"]
    assert (band.low, band.high, band.rows) == (kind["low"], kind["high"], kind["rows"])
    assert band.source.startswith(CV_SOURCE) and "331 matmul rows" in band.source
    host = error_band("conv", "host")
    assert host.low < 1 < host.high and "conv host-bound rows" in host.source
