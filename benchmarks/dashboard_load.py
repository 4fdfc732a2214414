"""Time to interactive of the sweep view with 100,000 design points in headless Chromium, and bytes moved.

Serves the dashboard as `dse serve` does (its frontend routes, static files and gzip) and answers the sweep
endpoints with synthetic results in the API's columnar shape (tests/browser/fake_api.py), so the figure
measures the dashboard, not the simulator. "Interactive" = the Pareto scatter (with hover) and the front table are
drawn; the parallel coordinates below them draw when scrolled into view and are timed from that scroll.
Hover latency is then measured on real mouse moves.

    .venv/bin/python benchmarks/dashboard_load.py [--points 100000] [--runs 3]
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import uvicorn  # noqa: E402
from fastapi import FastAPI, Response  # noqa: E402
from fastapi.middleware.gzip import GZipMiddleware  # noqa: E402
from fastapi.staticfiles import StaticFiles  # noqa: E402

from backend.api.routes import frontend as frontend_routes  # noqa: E402
from frontend import STATIC_DIR  # noqa: E402
from tests.browser.conftest import launch_chromium  # noqa: E402
from tests.browser.fake_api import FakeSweepApi, synthetic_point  # noqa: E402
from tests.support import free_port  # noqa: E402


def serve_dashboard(fake: FakeSweepApi) -> tuple[str, uvicorn.Server]:
    """The dashboard exactly as `dse serve` ships it (the frontend routes, static files and GZipMiddleware of
    backend.app) with the sweep endpoints answered by the fake over real HTTP. No page.route: Playwright's
    routing turns the browser's HTTP cache off, and warm loads must show Plotly.js coming from the cache."""
    app = FastAPI()
    app.include_router(frontend_routes.router)
    app.add_middleware(GZipMiddleware, minimum_size=2048, compresslevel=5)

    @app.get("/api/health")
    def health() -> dict[str, object]:
        part = {"ok": True, "detail": "benchmark"}
        return {"status": "ok", "database": part, "broker": part, "workers": part}

    @app.get("/api/sweeps/1")
    def sweep() -> dict[str, object]:
        return fake.sweep()

    @app.get("/api/sweeps/1/results")
    def sweep_results() -> Response:
        return Response(fake.results_body, media_type="application/json")

    @app.get("/api/points/{point_id}")
    def point(point_id: int) -> dict[str, object]:
        return synthetic_point(point_id, fake.columns)

    app.mount("/", StaticFiles(directory=STATIC_DIR, html=True), name="frontend")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server


READY = """() => {
  const plot = document.getElementById('pareto-plot');
  const rows = document.querySelectorAll('#front-table tbody tr').length;
  if (!plot || !plot.data || !plot._fullLayout || !rows) return false;
  return performance.now();
}"""

TRACES = """() => document.getElementById('pareto-plot').data
  .filter(t => t.meta === 'points' || t.meta === 'front').map(t => ({meta: t.meta, n: t.x.length}))"""

FRONT_XY = """(k) => {
  const gd = document.getElementById('pareto-plot');
  const t = gd.data.find(t => t.meta === 'front');
  const j = k % t.x.length;
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, box = gd.getBoundingClientRect();
  const px = v => xa.type === 'log' ? Math.log10(v) : v, py = v => ya.type === 'log' ? Math.log10(v) : v;
  return {x: box.left + xa._offset + xa.l2p(px(t.x[j])), y: box.top + ya._offset + ya.l2p(py(t.y[j]))};
}"""


def measure(points: int, runs: int) -> None:
    from playwright.sync_api import sync_playwright

    fake = FakeSweepApi(count=points, name=f"bench-{points}")
    results_raw = len(fake.results_body)
    results_gzip = len(gzip.compress(fake.results_body, compresslevel=5))
    base_url, server = serve_dashboard(fake)
    try:
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            context = browser.new_context(viewport={"width": 1440, "height": 900})
            timings: list[float] = []
            parcoords: list[float] = []
            transfers: list[dict[str, int]] = []
            for run in range(runs):
                page = context.new_page()
                sizes: dict[str, int] = {}
                page.on("requestfinished", lambda request, sizes=sizes: sizes.__setitem__(
                    request.url.split("?")[0], request.sizes()["responseBodySize"]
                    + request.sizes()["responseHeadersSize"]))
                page.goto(f"{base_url}/#/sweeps/1", wait_until="commit")
                ready_ms = page.wait_for_function(READY, polling="raf", timeout=120_000).json_value()
                timings.append(ready_ms / 1000)
                scrolled = page.evaluate("() => { document.getElementById('parcoords-plot').scrollIntoView();"
                                         " return performance.now(); }")
                page.locator("#parcoords-plot[data-ready]").wait_for(state="attached", timeout=120_000)
                parcoords_ms = page.evaluate("() => performance.now()") - scrolled
                page.evaluate("() => window.scrollTo(0, 0)")
                parcoords.append(parcoords_ms / 1000)
                stages = page.evaluate("() => window.dseTimings")
                print("   stages (ms): " + ", ".join(f"{k.removesuffix('_ms')} {v:.0f}" for k, v in stages.items()))
                transfers.append(sizes)
                print(f"run {run + 1}: scatter + front table interactive {ready_ms / 1000:.2f} s; parallel "
                      f"coordinates {parcoords_ms / 1000:.2f} s after scrolling to them; "
                      f"{sum(sizes.values()) / 1e6:.2f} MB over HTTP")
                for url, size in sorted(sizes.items(), key=lambda item: -item[1])[:3]:
                    print(f"   {size / 1e6:8.3f} MB  {url.split('/', 3)[3]}")
                if run < runs - 1:
                    page.close()
            traces = page.evaluate(TRACES)
            drawn = sum(t["n"] for t in traces)
            front = next(t["n"] for t in traces if t["meta"] == "front")
            hover_ms = []
            for k in range(15):
                xy = page.evaluate(FRONT_XY, k * 7)
                page.mouse.move(xy["x"] + 40, xy["y"] - 40)
                page.wait_for_timeout(50)
                start = time.perf_counter()
                page.mouse.move(xy["x"], xy["y"])
                page.locator("#point-tooltip").wait_for(state="visible", timeout=10_000)
                hover_ms.append((time.perf_counter() - start) * 1000)
                page.mouse.move(5, 5)
                page.locator("#point-tooltip").wait_for(state="hidden", timeout=10_000)
            browser.close()
    finally:
        server.should_exit = True
    print()
    print(f"points in sweep              {points:,}")
    print(f"drawn (scattergl traces)     {drawn:,} in {len([t for t in traces if t['meta'] == 'points'])} point traces"
          f" + front ({front:,} points, never thinned)")
    print(f"time to interactive          median {statistics.median(timings):.2f} s, max {max(timings):.2f} s over "
          f"{len(timings)} loads (target < 3 s; scatter with hover, front and table usable)")
    print(f"parallel coordinates         {statistics.median(parcoords):.2f} s median from scrolling to them to drawn "
          "(drawn on first view: software WebGL costs ~2 s of set-up here)")
    print(f"results JSON                 {results_raw / 1e6:.1f} MB raw, {results_gzip / 1e6:.1f} MB gzipped "
          "(what GZipMiddleware sends)")
    print(f"all HTTP bytes per load      cold {sum(transfers[0].values()) / 1e6:.2f} MB; warm "
          f"{sum(transfers[-1].values()) / 1e6:.2f} MB (Plotly.js from the browser cache)")
    print(f"hover → tooltip              median {statistics.median(hover_ms):.0f} ms, max {max(hover_ms):.0f} ms "
          f"(15 hovers on front points)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    measure(args.points, args.runs)


if __name__ == "__main__":
    main()
