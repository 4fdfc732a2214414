"""A stand-in for the sweep/point endpoints, installed with Playwright's page.route, in the documented shapes.

The views are tested against real `dse serve` end to end (test_dashboard_e2e.py); this fake lets the
view tests and the 100,000-point benchmark control exactly what the API answers (sizes, running sweeps,
errors) without running a large sweep on a 2-core machine. It speaks the contract: `GET /api/sweeps/{id}`,
`GET /api/sweeps/{id}/results` (columnar `{"columns": {...}, "total": N}`), `GET /api/points/{id}`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlparse

import numpy as np

MODELS = ["bert-base", "bert-large", "gpt2-medium", "llama-7b"]
MODEL_GFLOPS = {"bert-base": 22.0, "bert-large": 78.0, "gpt2-medium": 70.0, "llama-7b": 1700.0}
OP_CLASSES = ["projection", "attention", "ffn", "softmax", "normalization", "activation", "residual"]


def synthetic_results(count: int, seed: int = 0) -> dict[str, list[Any]]:
    """Plausible design points: latency falls with array size and bandwidth, area and power grow with them."""
    rng = np.random.default_rng(seed)
    model = rng.choice(MODELS, count)
    seq_len = rng.choice([128, 256, 512, 1024, 2048], count)
    rows = rng.choice([4, 8, 12, 16, 24, 32, 48, 64, 96, 128], count)
    cols = rng.choice([4, 8, 12, 16, 24, 32, 48, 64, 96, 128], count)
    scratchpad_kib = rng.choice([64, 128, 256, 512, 1024], count)
    bandwidth = rng.choice([4, 8, 12, 16, 24, 32, 48, 64, 96, 128], count).astype(float)
    flops = np.array([MODEL_GFLOPS[m] for m in model]) * 1e9 * seq_len / 128
    noise = rng.lognormal(0, 0.08, count)
    compute_cycles = flops / (2 * rows * cols * 0.85)
    memory_cycles = flops / 40 / bandwidth * (256 / scratchpad_kib) ** 0.3
    latency_cycles = np.maximum(compute_cycles, memory_cycles) * noise + 2e4
    latency_s = latency_cycles / 1e9
    area_mm2 = 0.0021 * rows * cols + 0.0045 * scratchpad_kib / 64 + 0.04 * bandwidth / 16 + 0.3
    power_w = 0.05 + 0.0009 * rows * cols * np.minimum(1, compute_cycles / latency_cycles) + 0.002 * bandwidth
    dram_bytes = flops / 40 * (256 / scratchpad_kib) ** 0.3
    # Bigger arrays and faster DRAM cut latency but cost energy per operation: a real trade-off to explore.
    energy_j = (flops * 0.4e-12 * (1 + 0.25 * np.log2(rows * cols)) + dram_bytes * 8e-12 * (1 + bandwidth / 24)
                + 0.05 * area_mm2 * latency_s) * noise ** 0.5
    utilization = np.minimum(1, compute_cycles / latency_cycles)
    return {
        "id": list(range(1, count + 1)), "model": model.tolist(), "seq_len": seq_len.tolist(), "rows": rows.tolist(),
        "cols": cols.tolist(), "scratchpad_kib": scratchpad_kib.tolist(), "dram_bytes_per_cycle": bandwidth.tolist(),
        "latency_cycles": np.round(latency_cycles).tolist(), "latency_s": _sig(latency_s), "energy_j": _sig(energy_j),
        "edp_j_s": _sig(energy_j * latency_s), "area_mm2": _sig(area_mm2), "power_w": _sig(power_w),
        "throughput_per_s": _sig(1 / latency_s), "utilization": _sig(utilization),
        "dram_bytes": np.round(dram_bytes).tolist(),
        "bottleneck": np.where(compute_cycles >= memory_cycles, "compute", "memory").tolist(),
    }


def _sig(values: np.ndarray) -> list[float]:
    """Six significant digits, as a real API would sensibly serialize floats."""
    return [float(f"{v:.6g}") for v in values]


def synthetic_point(point_id: int, columns: dict[str, list[Any]]) -> dict[str, Any]:
    i = point_id - 1
    rows, cols, bandwidth = columns["rows"][i], columns["cols"][i], columns["dram_bytes_per_cycle"][i]
    ops = []
    for name, op_class, kind, flops, dram in [
        ("q_proj", "projection", "gemm", 1.2e10, 4.7e6), ("k_proj", "projection", "gemm", 1.2e10, 4.7e6),
        ("v_proj", "projection", "gemm", 1.2e10, 4.7e6), ("out_proj", "projection", "gemm", 1.2e10, 4.7e6),
        ("qk_matmul", "attention", "gemm", 6.4e9, 2.5e7), ("av_matmul", "attention", "gemm", 6.4e9, 2.5e7),
        ("softmax", "softmax", "softmax", 1.5e8, 2.5e7), ("ffn_up", "ffn", "gemm", 4.8e10, 1.9e7),
        ("gelu", "activation", "activation", 5e7, 1.2e7), ("ffn_down", "ffn", "gemm", 4.8e10, 1.9e7),
        ("layernorm_1", "normalization", "normalization", 2e7, 6e6),
        ("layernorm_2", "normalization", "normalization", 2e7, 6e6),
        ("residual_1", "residual", "elementwise", 3e6, 6e6), ("residual_2", "residual", "elementwise", 3e6, 6e6),
    ]:
        compute = flops / (2 * rows * cols) if kind == "gemm" else flops / 16
        memory = dram / bandwidth
        cycles = max(compute, memory) * 1.05
        bound = ("compute" if compute >= memory else "memory") if kind == "gemm" else "non-linear"
        ops.append({"name": name, "kind": kind, "op_class": op_class, "phase": "prefill", "count": 12,
                    "shape": "128×768×768" if kind == "gemm" else "128×768", "flops": flops * 12,
                    "dram_bytes": dram * 12, "cycles": cycles * 12, "compute_cycles": compute * 12,
                    "energy_j": (flops * 0.4e-12 + dram * 20e-12) * 12, "utilization": min(1.0, compute / cycles),
                    "where": "array" if kind == "gemm" else "host", "bound": bound,
                    "mapping": f"tile {min(rows, 64)}×{min(cols, 64)}×256, loop order mnk, double-buffered"
                    if kind == "gemm" else "row-wise on host"})
    names = list(columns)
    row = {name: columns[name][i] for name in names}
    parameters = {k: row[k] for k in ["model", "seq_len", "rows", "cols", "scratchpad_kib", "dram_bytes_per_cycle"]}
    metrics = {k: v for k, v in row.items() if k not in parameters and k != "id"}
    return {"id": point_id, "sweep_id": 1, "parameters": {**parameters, "clock_ghz": 1.0}, "metrics": metrics,
            "report": {**metrics, "ops": ops}}


@dataclass
class FakeSweepApi:
    count: int = 2000
    seed: int = 0
    name: str = "fake-bert-gpt"
    status: str = "done"
    columns: dict[str, list[Any]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    results_body: bytes = b""
    visible: int | None = None  # rows the results endpoint returns (a running sweep grows this)

    def __post_init__(self) -> None:
        self.columns = synthetic_results(self.count, self.seed)
        self.results_body = json.dumps({"columns": self.columns, "total": self.count}, separators=(",", ":")).encode()

    def sweep(self) -> dict[str, Any]:
        done = self.count if self.visible is None else self.visible
        return {"id": 1, "name": self.name, "status": self.status, "total": self.count, "done": done,
                "points_per_s": None, "eta_s": None, "created_by": "alice", "created_at": "2026-11-21T22:10:00Z",
                "spec": {"name": self.name, "models": MODELS,
                         "scenarios": [{"seq_len": s} for s in (128, 256, 512, 1024, 2048)],
                         "accelerator": "gemmini-default", "strategy": "grid", "objectives": ["latency_s", "energy_j"],
                         "axes": {"rows": [4, 128], "cols": [4, 128], "scratchpad_kib": [64, 1024],
                                  "dram_bytes_per_cycle": [4, 128]}}}

    def install(self, page) -> None:  # type: ignore[no-untyped-def]
        page.route(re.compile(r".*/api/(sweeps|points)(/.*)?(\?.*)?$"), self._handle)

    def _handle(self, route) -> None:  # type: ignore[no-untyped-def]
        url = urlparse(route.request.url)
        self.requests.append(url.path + ("?" + url.query if url.query else ""))
        path = url.path
        if path == "/api/sweeps":
            return route.fulfill(json=[self.sweep()])
        if path == "/api/sweeps/1":
            return route.fulfill(json=self.sweep())
        if path == "/api/sweeps/1/results":
            if parse_qs(url.query).get("format"):
                return route.fulfill(status=200, body="id\n", content_type="text/csv")
            if self.visible is not None:
                part = {name: values[:self.visible] for name, values in self.columns.items()}
                return route.fulfill(json={"columns": part, "total": self.visible})
            return route.fulfill(status=200, body=self.results_body, content_type="application/json")
        match = re.fullmatch(r"/api/points/(\d+)", path)
        if match and 1 <= int(match.group(1)) <= self.count:
            return route.fulfill(json=synthetic_point(int(match.group(1)), self.columns))
        return route.fulfill(status=404, json={"detail": f"no such resource: {path}"})
