"""Text, never markup, in Plotly (issue 30, item 6), in Chromium on a real stack: a sweep named with a link and a
variant labelled with one show as literal text in compare-sweeps' legend and hover and on the sweep's own plot;
no link (Plotly's <a href> renders as a live `target=_blank` anchor) is drawn anywhere."""

from __future__ import annotations

import pytest

from tests.browser import real_sweeps
from tests.support import wait_for_health

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LINK = '<a href="https://evil.example/">x</a>'
VARIANT = '<a href="https://evil.example/v">v</a> 100%{x}'
ANCHORS = "(id) => [...document.getElementById(id).querySelectorAll('a')].map((a) => a.outerHTML)"


def test_names_with_links_are_text_in_every_plot(dashboard, page) -> None:
    wait_for_health(dashboard.base_url, timeout_s=180)
    spec = {"name": LINK, "models": ["bert-base"], "scenarios": [{"seq_len": 128}], "axes": {"rows": [8, 16]},
            "variants": [{"label": VARIANT}, {"label": "plain", "overrides": {"cols": 32}}]}
    first = real_sweeps.submit(dashboard.base_url, spec)
    second = real_sweeps.submit(dashboard.base_url, {**spec, "name": f"{LINK} again"})
    for sweep_id in (first, second):
        real_sweeps.wait_done(dashboard.base_url, sweep_id)
    page.goto(f"{dashboard.base_url}/#/compare-sweeps?ids={first},{second}")
    page.locator("#compare-sweeps-table tbody tr").first.wait_for()
    page.wait_for_function("() => document.querySelector('#compare-sweeps-plot .legendtext')")
    legend = page.evaluate("() => [...document.querySelectorAll('#compare-sweeps-plot .legendtext')]"
                           ".map((t) => t.textContent)")
    # each sweep's front of the shared workload, labelled "<sweep name> · <workload> (<points on it>)"
    assert len(legend) == 2 and sorted(t.split(" · ")[0] for t in legend) == [LINK, f"{LINK} again"], legend
    page.evaluate("() => Plotly.Fx.hover('compare-sweeps-plot', [{curveNumber: 0, pointNumber: 0}])")
    hover = page.locator("#compare-sweeps-plot .hoverlayer").text_content()
    assert LINK in hover, hover
    assert page.evaluate(ANCHORS, "compare-sweeps-plot") == []

    page.goto(f"{dashboard.base_url}/#/sweeps/{first}?c=variant&g=variant")  # fronts and colours by variant
    page.wait_for_function("() => document.querySelector('#pareto-plot .legendtext')")
    legend = page.evaluate("() => [...document.querySelectorAll('#pareto-plot .legendtext')]"
                           ".map((t) => t.textContent)")
    assert sum(VARIANT in text for text in legend) == 2, legend  # its front, and its colour
    assert page.evaluate(ANCHORS, "pareto-plot") == []
