"""Rename, tags and notes (PATCH /api/sweeps/{id}), the list filtered by tag and searched by text."""

from __future__ import annotations

import pytest

from tests.sweeps_support import DEMO_SPEC

pytestmark = pytest.mark.redis


def _sweep(client, name: str = "demo") -> int:
    return client.post("/api/sweeps", json={**DEMO_SPEC, "name": name}).json()["id"]


def test_a_sweep_is_renamed_tagged_and_annotated(client) -> None:
    sweep_id = _sweep(client)
    answer = client.patch(f"/api/sweeps/{sweep_id}", json={"name": " memory study ", "tags": ["Memory", "paper:fig7",
                                                                                              "memory"]})
    assert answer.status_code == 200, answer.text
    assert (answer.json()["name"], answer.json()["tags"], answer.json()["notes"]) == (
        "memory study", ["memory", "paper:fig7"], "")
    client.patch(f"/api/sweeps/{sweep_id}", json={"notes": "Scratchpad above 256 KiB buys nothing."})
    stored = client.get(f"/api/sweeps/{sweep_id}").json()
    assert (stored["name"], stored["tags"], stored["notes"]) == (
        "memory study", ["memory", "paper:fig7"], "Scratchpad above 256 KiB buys nothing.")
    assert client.patch(f"/api/sweeps/{sweep_id}", json={"tags": []}).json()["tags"] == []


def test_the_list_filters_by_tag_and_searches_name_tags_and_notes(client) -> None:
    first, second, third = _sweep(client, "alpha_1"), _sweep(client, "beta"), _sweep(client, "gamma")
    client.patch(f"/api/sweeps/{first}", json={"tags": ["memory", "x_y"]})
    client.patch(f"/api/sweeps/{second}", json={"tags": ["memory-2"], "notes": "Checked against FireSim"})
    ids = lambda **params: [s["id"] for s in client.get("/api/sweeps", params=params).json()["items"]]  # noqa: E731
    assert ids(tag="memory") == [first]
    assert ids(tag="MEMORY-2") == [second]
    assert ids(tag="x_y") == [first] and ids(tag="xzy") == []  # `_` is a character, not a wildcard
    assert ids(q="firesim") == [second]
    assert ids(q="memory") == [second, first]
    assert ids(q="gam") == [third]
    assert ids(q="a_1") == [first] and ids(q="%") == []
    assert client.get("/api/sweeps", params={"tag": "no spaces"}).status_code == 422


@pytest.mark.parametrize(("body", "says"), [
    ({}, "nothing to change"),
    ({"name": "   "}, "cannot be blank"),
    ({"tags": ["has space"]}, "letters, digits"),
    ({"tags": ["x" * 41]}, "1 to 40 characters"),
    ({"tags": [f"t{i}" for i in range(21)]}, "at most 20"),
    ({"notes": "x" * 10_001}, "at most 10,000"),
    ({"status": "done"}, "status"),
])
def test_bad_changes_are_refused_with_a_reason(client, body, says) -> None:
    sweep_id = _sweep(client)
    answer = client.patch(f"/api/sweeps/{sweep_id}", json=body)
    assert answer.status_code == 422, answer.text
    assert says in answer.text, answer.text
    assert client.get(f"/api/sweeps/{sweep_id}").json()["name"] == "demo"


def test_a_missing_sweep_is_404(client) -> None:
    assert client.patch("/api/sweeps/987654", json={"name": "x"}).status_code == 404
