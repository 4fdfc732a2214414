"""Time to interactive of the sweep view with 100,000 real design points in headless Chromium, and bytes moved.

Everything is the product: a scratch PostgreSQL database (`alembic upgrade head`), a real Redis, and `dse serve`
(API, worker, static dashboard with its gzip) as a subprocess. The sweep is real: created with the service's
`create_sweep` and evaluated chunk by chunk by the worker's own code (`backend.sweeps.chunks.run_chunk`: the simulator's
batch evaluation and bulk insert) in two processes against that database, instead of waiting for one queue
worker. "Interactive" = the Pareto scatter (with hover) and the front table are drawn; the parallel coordinates
below them draw when scrolled into view and are timed from that scroll. Hover latency is then measured on real
mouse moves.

    .venv/bin/python benchmarks/dashboard_load.py [--points 100000] [--runs 3] [--keep | --database-url URL]

Seeding 100,000 points takes a few minutes on 2 cores; `--keep` leaves the database for a later
`--database-url` run, which measures its newest sweep.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from benchmarks._bench_db import drop_database, scratch_database
from tests.browser import real_sweeps
from tests.browser.conftest import launch_chromium, start_serve, stop_serve, wait_for_api

REDIS_URL = os.environ.get("DSE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def bench_spec(points: int) -> dict[str, Any]:
    """`points` random draws (seeded) from 2 models x 4 sequence lengths x 5 x 5 arrays x 151 clocks x 6 process
    nodes x 4 DRAM bandwidths (724,800 designs), as a user's strategy-random sweep would."""
    return {
        "name": f"bench-{points}", "owner": "benchmark", "models": ["bert-base", "gpt2"],
        "scenarios": [{"seq_len": 64}, {"seq_len": 128}, {"seq_len": 256}, {"seq_len": 512}],
        "accelerator": "gemmini-default",
        "axes": {"rows": [4, 8, 16, 32, 64], "cols": [4, 8, 16, 32, 64],
                 "clock_ghz": {"start": 0.5, "stop": 2.0, "step": 0.01}, "technology_nm": [7, 16, 22, 28, 45, 65],
                 "dram_bytes_per_cycle": [8, 16, 32, 64]},
        "strategy": "random", "n_points": points, "seed": 7, "objectives": ["latency_s", "energy_j"],
    }


ALL_DRAWN = """() => !document.getElementById('first-view')
  && document.querySelectorAll('#front-table tbody tr').length > 0"""

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


def measure(base_url: str, sweep_id: int, runs: int) -> None:
    from playwright.sync_api import sync_playwright

    sweep = httpx.get(f"{base_url}/api/sweeps/{sweep_id}", timeout=30).json()
    points = sweep["done_points"]
    seen: dict[str, str] = {}
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        timings: list[float] = []
        parcoords: list[float] = []
        everything: list[float] = []
        transfers: list[dict[str, int]] = []
        for run in range(runs):
            page = context.new_page()
            sizes: dict[str, int] = {}

            def finished(request, sizes=sizes) -> None:
                # The context sees the page's requests and its Web Worker's (the results load there).
                measured = request.sizes()
                sizes[request.url.split("?")[0]] = measured["responseBodySize"] + measured["responseHeadersSize"]
                if request.url.split("?")[0].endswith("/results"):
                    seen["results_url"] = request.url

            context.on("requestfinished", finished)
            page.goto(f"{base_url}/#/sweeps/{sweep_id}", wait_until="commit")
            ready_ms = page.wait_for_function(READY, polling="raf", timeout=120_000).json_value()
            timings.append(ready_ms / 1000)
            # a huge sweep's first view is a sample holding every front point; then every point is drawn
            page.wait_for_function(ALL_DRAWN, polling=100, timeout=300_000)
            everything.append(page.evaluate("() => performance.now()") / 1000)
            scrolled = page.evaluate("() => { document.getElementById('parcoords-plot').scrollIntoView();"
                                     " return performance.now(); }")
            page.locator("#parcoords-plot[data-ready]").wait_for(state="attached", timeout=120_000)
            parcoords_ms = page.evaluate("() => performance.now()") - scrolled
            page.evaluate("() => window.scrollTo(0, 0)")
            parcoords.append(parcoords_ms / 1000)
            stages = page.evaluate("() => window.dseTimings")
            print("   stages (ms): " + ", ".join(f"{k.removesuffix('_ms')} {v:.0f}" for k, v in stages.items()))
            context.remove_listener("requestfinished", finished)
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
    results_url = seen.get("results_url", f"{base_url}/api/sweeps/{sweep_id}/results")
    raw = httpx.get(results_url, headers={"Accept-Encoding": "identity"}, timeout=300)
    with httpx.stream("GET", results_url, headers={"Accept-Encoding": "gzip"}, timeout=300) as response:
        response.read()
        gzipped = response.num_bytes_downloaded
        encoding = response.headers.get("content-encoding", "none")
    print()
    print(f"points in sweep              {points:,}")
    print(f"drawn (scattergl traces)     {drawn:,} in {len([t for t in traces if t['meta'] == 'points'])} point traces"
          f" + front ({front:,} points, never thinned)")
    print(f"time to interactive          median {statistics.median(timings):.2f} s, max {max(timings):.2f} s over "
          f"{len(timings)} loads (target < 3 s; scatter with hover, front and table usable)")
    print(f"every point drawn            median {statistics.median(everything):.2f} s (a sweep above 250,000 points "
          "first draws a sample of 100,000 holding every front point)")
    print(f"parallel coordinates         {statistics.median(parcoords):.2f} s median from scrolling to them to drawn "
          "(drawn on first view: software WebGL costs ~2 s of set-up here)")
    print(f"results as the page loads them {len(raw.content) / 1e6:.1f} MB, {gzipped / 1e6:.1f} MB sent "
          f"(content-encoding {encoding}): {results_url.split('/', 3)[3]}")
    print(f"all HTTP bytes per load      cold {sum(transfers[0].values()) / 1e6:.2f} MB; warm "
          f"{sum(transfers[-1].values()) / 1e6:.2f} MB (Plotly.js from the browser cache)")
    print(f"hover → tooltip              median {statistics.median(hover_ms):.0f} ms, max {max(hover_ms):.0f} ms "
          f"(15 hovers on front points)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--processes", type=int, default=2, help="processes evaluating the sweep's chunks")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database (printed) afterwards")
    parser.add_argument("--database-url", help="a database seeded before (with --keep): measure its newest sweep")
    args = parser.parse_args()
    database_url = args.database_url or scratch_database()
    try:
        if not args.database_url:
            started = time.perf_counter()
            sweep_id = real_sweeps.seed(database_url, bench_spec(args.points), processes=args.processes,
                                        chunk_size=2000)
            print(f"seeded sweep {sweep_id}: {args.points:,} points simulated and stored in "
                  f"{time.perf_counter() - started:.0f} s ({args.processes} processes)")
        workdir = Path(tempfile.mkdtemp(prefix="dse-dashboard-bench-"))
        # Single-user mode on loopback: what is measured is the dashboard, not the sign-in (team mode would
        # otherwise be on, as on any PostgreSQL URL).
        stack = start_serve(workdir, {"DSE_DATABASE_URL": database_url, "DSE_BROKER_URL": REDIS_URL,
                                      "DSE_QUEUE": f"dse-bench-{uuid.uuid4().hex[:8]}", "DSE_DEMO_SWEEP": "false",
                                      "DSE_AUTH": "off"})
        try:
            wait_for_api(stack)
            newest = httpx.get(f"{stack.base_url}/api/sweeps", params={"limit": 1}, timeout=30).json()["items"][0]
            assert newest["status"] == "done", newest
            measure(stack.base_url, int(newest["id"]), args.runs)
        finally:
            stop_serve(stack)
    finally:
        if args.keep or args.database_url:
            print(f"database kept: {database_url}")
        else:
            drop_database(database_url)


if __name__ == "__main__":
    main()
