"""The survey's fusion and memory re-balancing templates and the mapping-landscape page entry: each spec validates,
expands to the intended points, and a few points evaluated in-process go the way the model says they should (a
row-wise fusion loses with Gemmini's tiler at 128 KiB, whole 4096-wide score rows are refused with a reason)."""

from __future__ import annotations

import itertools
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from pydantic import ValidationError

from backend.sweeps.spec import SweepSpec
from backend.sweeps.templates import (
    CASE_STUDY,
    FUSION_STUDY,
    MAPPING_LANDSCAPE,
    MEMORY_REBALANCING,
    REBALANCING_ACCELERATORS,
    SWEEP_TEMPLATE_IDS,
    TEMPLATES,
)
from simulator import evaluate, list_accelerator_presets, load_model_preset
from simulator.report import Report
from simulator.workload import Scenario, Workload, build_graph

PAPER = yaml.safe_load((Path(__file__).parents[3] / "benchmarks" / "data" / "mapping_studies_paper.yaml").read_text())


def _evaluate(spec: SweepSpec, index: int) -> Report:
    resolved = spec.point(index).resolve()
    return evaluate(resolved.workload, resolved.accelerator, resolved.options)


def _points(template: dict) -> tuple[SweepSpec, dict[tuple, int]]:
    """The spec and, per (variant, scenario fields, overrides), the index of its point."""
    spec = SweepSpec.model_validate(template["spec"])
    index = {}
    for i, point in enumerate(spec.points(0, spec.size())):
        index[point.variant, point.scenario.get("seq_len"), tuple(sorted(point.overrides.items()))] = i
    return spec, index


def _group_cycles(report: Report, ops: list[str]) -> float:
    return sum(op.cycles for op in report.ops if op.name in ops)


def test_every_template_is_a_sweep_with_a_valid_spec_or_a_page() -> None:
    assert [t["id"] for t in TEMPLATES][0] == "gemmini-case-study"  # the case study stays first
    for template in TEMPLATES:
        assert template["kind"] in ("sweep", "page") and template["name"] and template["description"]
        if template["kind"] == "sweep":
            spec = SweepSpec.model_validate(template["spec"])
            assert spec.template == template["id"] and "page" not in template
        else:
            assert "spec" not in template and template["page"].startswith("#/")
    assert SWEEP_TEMPLATE_IDS == ("gemmini-case-study", "fusion-study", "memory-rebalancing", "llm-serving")
    with pytest.raises(ValidationError, match="unknown template 'mapping-landscape'"):
        SweepSpec.model_validate({**FUSION_STUDY["spec"], "template": "mapping-landscape"})


def test_the_case_study_fuses_what_upstream_gemminis_bert_fuses() -> None:
    spec = SweepSpec.model_validate(CASE_STUDY["spec"])
    fusion = [point.resolve().options.fusion for point in spec.points(0, 4)]
    assert fusion == ["none", "none", "none", "qk_softmax+ffn1_activation"]
    step4 = _evaluate(spec, 7)  # l = 512, step 4
    assert step4.fused_groups == "qk_softmax+ffn1_activation" and not step4.notes


def test_the_fusion_study_expands_to_each_group_at_each_accumulator_and_length() -> None:
    spec, index = _points(FUSION_STUDY)
    reference = FUSION_STUDY["reference"]
    groups = reference["groups"]
    assert spec.size() == 2 * (1 + len(groups)) * 2
    expected = {(label, seq_len, (("accumulator_kib", acc),))
                for label in [reference["baseline"], *(g["variant"] for g in groups.values())]
                for seq_len in (512, 4096) for acc in (128, 256)}
    assert set(index) == expected
    for point in spec.points(0, spec.size()):
        resolved = point.resolve()
        assert point.accelerator == "gemmini-transformer" and resolved.options.mapper == "gemmini"
        assert resolved.options.gemm_output == "accumulator"  # the preset's options still apply
        assert point.scenario.get("allow_longer", False) == (point.scenario["seq_len"] > 512)
    fusion = {v["label"]: v["options"]["fusion"] for v in spec.model_dump()["variants"]}
    assert fusion[reference["baseline"]] == "none"
    assert {fusion[g["variant"]] for g in groups.values()} == set(groups) == {
        "qk_softmax", "attention", "wout_layernorm", "ffn2_layernorm"}
    # the ops of each group, as the report names them (derived from the roles in simulator/fusion.py)
    assert groups["qk_softmax"]["ops"] == ["qk_matmul", "softmax"]
    assert groups["attention"]["ops"] == ["qk_matmul", "softmax", "av_matmul"]
    assert groups["wout_layernorm"]["ops"] == ["out_proj", "residual_add_1", "layernorm_1"]
    assert groups["ffn2_layernorm"]["ops"] == ["ffn_down", "residual_add_2", "layernorm_2"]


def test_the_templates_figures_are_the_benchmarks_figures() -> None:
    """The pages and the benchmarks show the same published numbers (each copied with where it was read)."""
    def figures(items: list[dict], keys: tuple[str, ...]) -> set[tuple]:
        return {tuple(item.get(key) for key in keys) for item in items}

    fusion_keys = ("group", "seq_len", "accumulator_kib", "change_percent")
    assert figures(FUSION_STUDY["reference"]["figures"], fusion_keys) == figures(
        PAPER["fusion"]["figures"], fusion_keys)
    cell_keys = ("scratchpad_kib", "accumulator_kib", "change_percent")
    assert figures(MEMORY_REBALANCING["reference"]["figures"], cell_keys) == figures(
        PAPER["memory_rebalancing"]["figures"], cell_keys)
    assert MEMORY_REBALANCING["reference"]["baseline_cell"] == PAPER["memory_rebalancing"]["baseline_cell"]
    for figure in (*FUSION_STUDY["reference"]["figures"], *MEMORY_REBALANCING["reference"]["figures"]):
        assert figure["where"].startswith("Sec ")
        if "group" in figure:
            assert figure["group"] in FUSION_STUDY["reference"]["groups"]


def test_fusion_goes_the_way_the_whole_row_constraint_says() -> None:
    spec, index = _points(FUSION_STUDY)
    reference = FUSION_STUDY["reference"]
    base_label = reference["baseline"]

    def change(group: str, seq_len: int, acc: int) -> tuple[float, Report]:
        about = reference["groups"][group]
        key = (("accumulator_kib", acc),)
        base, fused = (_evaluate(spec, index[label, seq_len, key]) for label in (base_label, about["variant"]))
        return _group_cycles(fused, about["ops"]) / _group_cycles(base, about["ops"]) - 1, fused

    # one 16-row block of 768-wide int32 rows in half of 128 KiB: the weights stream once per 16 rows
    loss, fused = change("wout_layernorm", 512, 128)
    assert fused.fused_groups == "wout_layernorm" and loss > 0.2
    assert "m16" in next(op.mapping for op in fused.ops if op.name == "out_proj")
    # two blocks in half of 256 KiB: the weights stream half as often, so the loss shrinks by more than half; at
    # the DRAM rate fitted to FireSim (3.06 B/cycle) it stays a loss (+56%; -6% at the old assumed 16 B/cycle)
    gain, _ = change("wout_layernorm", 512, 256)
    assert gain < 0.5 * loss
    assert change("ffn2_layernorm", 512, 128)[0] > change("ffn2_layernorm", 512, 256)[0] > 0
    # the scores stay on chip: the group's DRAM round trip of int32 scores disappears
    for group in ("qk_softmax", "attention"):
        assert change(group, 512, 128)[0] < -0.4
    # whole 4096-wide score rows do not fit what Gemmini's tiler may use: refused, with the reason, not a 0% gain
    for group, acc in itertools.product(("qk_softmax", "attention"), (128, 256)):
        refused = _evaluate(spec, index[reference["groups"][group]["variant"], 4096, (("accumulator_kib", acc),)])
        assert refused.fused_groups == "none"
        assert any(note.startswith(f"{group} not applied to qk_matmul") and "whole output rows of 4096" in note
                   for note in refused.notes), refused.notes


def test_the_rebalancing_grid_covers_both_sizes_for_each_accelerator() -> None:
    spec, index = _points(MEMORY_REBALANCING)
    sizes = (64, 128, 256)
    assert REBALANCING_ACCELERATORS[0] == "gemmini-default"
    assert ("gemmini-default-calibrated" in REBALANCING_ACCELERATORS) == (
        "gemmini-default-calibrated" in list_accelerator_presets())
    assert spec.size() == len(REBALANCING_ACCELERATORS) * len(sizes) ** 2
    assert set(index) == {(name, 512, (("accumulator_kib", acc), ("scratchpad_kib", sp)))
                          for name in REBALANCING_ACCELERATORS for sp in sizes for acc in sizes}
    for point in spec.points(0, spec.size()):
        options = point.resolve().options
        assert options.mapper == "gemmini" and options.fusion == "none"
    cell = MEMORY_REBALANCING["reference"]["baseline_cell"]
    baseline = _evaluate(spec, index["gemmini-default", 512, (("accumulator_kib", cell["accumulator_kib"]),
                                                             ("scratchpad_kib", cell["scratchpad_kib"]))])
    rebalanced = _evaluate(spec, index["gemmini-default", 512, (("accumulator_kib", 256), ("scratchpad_kib", 64))])
    assert rebalanced.accelerator.startswith("gemmini-default[scratchpad_kib=64")

    def gemm(report: Report, field: str) -> float:
        return sum(getattr(op, field) for op in report.ops if op.kind == "gemm")

    # Gemmini's tiler sizes its output tiles from the accumulator: a larger one re-fetches A and B less
    assert gemm(rebalanced, "dram_bytes") < 0.7 * gemm(baseline, "dram_bytes")
    assert gemm(rebalanced, "compute_cycles") == pytest.approx(gemm(baseline, "compute_cycles"))


def test_the_landscape_entry_opens_its_page_with_our_graphs_gemms() -> None:
    assert MAPPING_LANDSCAPE["kind"] == "page"
    url = urlsplit(MAPPING_LANDSCAPE["page"].removeprefix("#"))
    assert url.path == "/landscape"
    query = parse_qs(url.query)
    assert query["accelerator"] == ["gemmini-default"]
    shapes = query["gemms"][0].split(",")
    resnet = {op.name: f"{op.m}x{op.k}x{op.n}" for op in build_graph(
        Workload(model=load_model_preset("resnet-50"), scenario=Scenario())).ops if op.kind == "gemm"}
    bert = {op.name: f"{op.m}x{op.k}x{op.n}" for op in build_graph(
        Workload(model=load_model_preset("bert-base"), scenario=Scenario(seq_len=512))).ops if op.kind == "gemm"}
    # 3x3 convolutions as im2col GEMMs: M output pixels, K = 3*3*C_in, N = C_out
    assert shapes[:2] == [f"{56 * 56}x{9 * 64}x64", f"{14 * 14}x{9 * 256}x256"]
    assert shapes[0] == resnet["conv2_2-3.b"] == resnet["conv2_1.b"]
    assert shapes[1] == resnet["conv4_2-6.b"] == resnet["conv4_1.b"]
    assert shapes[2:] == ["512x768x768", "512x768x3072"] == [bert["q_proj"], bert["ffn_up"]]


@pytest.mark.redis
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_get_templates_documents_both_kinds(client) -> None:
    templates = client.get("/api/templates").json()
    assert [t["id"] for t in templates] == [t["id"] for t in TEMPLATES]
    for template in templates:
        assert (template["spec"] is None) == (template["kind"] == "page") == (template["page"] is not None)
    fusion = next(t for t in templates if t["id"] == "fusion-study")
    assert fusion["reference"]["groups"]["qk_softmax"]["ops"] == ["qk_matmul", "softmax"]
    estimate = client.post("/api/sweeps/estimate", json=fusion["spec"])
    assert estimate.status_code == 200 and estimate.json()["points"] == 20, estimate.text
    described = client.get("/openapi.json").json()["paths"]["/api/templates"]["get"]
    assert "`page` templates" in described["description"]
    schema = client.get("/openapi.json").json()["components"]["schemas"]["TemplateOut"]
    assert set(schema["properties"]) >= {"kind", "spec", "page", "reference"}
