"""`GET /api/mappings`: the mapping landscape over REST on a preset, with field overrides, or a library accelerator;
bounded input and 422s a person can act on."""

from __future__ import annotations

import pytest

from simulator import load_accelerator_preset
from simulator.mapping.landscape import landscape

pytestmark = pytest.mark.redis
GEMM = "m=512&k=64&n=512"


def test_the_landscape_of_a_gemm_on_a_preset(client) -> None:
    answer = client.get(f"/api/mappings?{GEMM}&sample=3000&seed=2&show=25")
    assert answer.status_code == 200, answer.text
    result = answer.json()
    summary = result["summary"]
    assert result["gemm"] == {"m": 512, "k": 64, "n": 512} and result["accelerator"]["name"] == "gemmini-default"
    assert (summary["evaluated"], summary["sampled"]) == (3000, True) and summary["space_size"] > 3000
    assert set(summary["relative_edp_percentiles"]) == {"10", "50", "90"}
    assert set(summary["share_within"]) == {"2", "3", "10"}
    assert all(0 <= share <= 1 for share in summary["share_within"].values())
    assert {r["mapper"] for r in summary["references"].values()} == {"optimal", "gemmini"}
    assert len(result["mappings"]) == 25 and sum(result["histogram"]["counts"]) == 3000
    # the simulator's own result, served as it is
    direct = landscape(512, 64, 512, load_accelerator_preset("gemmini-default"), limit=3000, seed=2).to_json(shown=25)
    assert summary == direct["summary"]
    assert client.get(f"/api/mappings?{GEMM}&sample=3000&seed=2&show=25").json() == result


def test_accelerator_fields_as_query_parameters_override_the_preset(client) -> None:
    result = client.get(f"/api/mappings?{GEMM}&sample=500&rows=32&cols=32&dataflow=os&scratchpad_kib=64").json()
    hw = result["accelerator"]
    assert (hw["rows"], hw["cols"], hw["dataflow"], hw["scratchpad_kib"]) == (32, 32, "os", 64)
    assert result["space"]["free_dimension"] == "k" and result["space"]["spatial_rows"][-1] == 32


def test_a_library_accelerator_by_name(client) -> None:
    added = client.post("/api/accelerators", json={"name": "chip-8", "preset": "gemmini-default",
                                                   "overrides": {"rows": 8, "cols": 8}})
    assert added.status_code == 201, added.text
    result = client.get(f"/api/mappings?{GEMM}&accelerator=chip-8&sample=500&l2_kib=0").json()
    assert (result["accelerator"]["name"], result["accelerator"]["rows"], result["space"]["l2_keep_sets"]) == (
        "chip-8[l2_kib=0.0]", 8, [""])


@pytest.mark.parametrize(("query", "message"), [
    ("m=64&k=64&n=64&accelerator=gemini-default", "unknown accelerator 'gemini-default': neither a preset nor a "
                                                  "library accelerator; did you mean gemmini-default"),
    ("m=64&k=64&n=64&accelerator=nothing-like-it", "neither a preset nor a library accelerator (GET"),
    ("m=64&k=64&n=64&scratchpad_kib=0.5", "no tile of GEMM 64x64x64 fits on chip"),
    ("m=64&k=64&n=64&rows=0", "rows: '0' is not an integer from 1 to 4,096"),
    ("m=64&k=64&n=64&dataflow=is", "dataflow: 'is' is not"),
    ("m=64&k=64&n=64&softmax_on=accelerator", "nonlinear_elements_per_cycle must be > 0"),
    ("m=64&k=64&n=64&bogus=1", "bogus: not a parameter of this operation"),
    ("m=0&k=64&n=64", "m: must be at least 1"),
    ("m=65537&k=64&n=64", "m: must be at most 65,536"),
    ("k=64&n=64", "m: is required"),
    ("m=64&k=64&n=64&sample=100001", "sample: must be at most 100,000"),
    ("m=64&k=64&n=64&show=1001", "show: must be at most 1,000"),
    ("m=64&k=64&n=64&mapping_objective=speed", "mapping_objective: must be one of"),
    ("m=65536&k=65536&n=65536", "the landscape counts at most 1,048,576: use a smaller GEMM or a larger array"),
])
def test_bad_input_is_a_422_that_says_what_to_change(client, query: str, message: str) -> None:
    answer = client.get(f"/api/mappings?{query}")
    assert answer.status_code == 422, answer.text
    assert message in answer.json()["detail"], answer.json()["detail"]


def test_the_answer_is_bounded_whatever_is_asked(client) -> None:
    """The largest sample and list the bounds allow, on a large GEMM: the answer stays small (a histogram, at most
    1,000 mappings), however large the space."""
    answer = client.get("/api/mappings?m=4096&k=4096&n=11008&sample=100000&show=1000")
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["summary"]["space_size"] > 10**7 and len(result["mappings"]) == 1000
    assert len(answer.content) < 1_500_000 and len(result["histogram"]["counts"]) <= 100
