"""Validate the GEMM model against SCALE-Sim (PyPI `scalesim`) on the GEMMs of a BERT-Base layer.

SCALE-Sim is installed in a throwaway venv under /tmp (never a project dependency) and driven through its
Python API by a small runner executed in that venv. Both simulators see the same GEMMs, array sizes and
dataflows; the table compares
- compute cycles: SCALE-Sim's total minus its stall cycles, against ours with ideal memory;
- total cycles and DRAM traffic with finite bandwidth, where the memory models are comparable (every
  operand fits on chip in both, so each is fetched from DRAM once; SCALE-Sim's separate ifmap/filter/ofmap
  SRAMs and prefetch policy differ from our scratchpad/accumulator tiling otherwise).

SCALE-Sim is slow, so the default run is bounded (see `cases`): attention GEMMs on 16x16 and 32x32 arrays at
l = 128 and 512, projections on 32x32 and FFN GEMMs on 64x64 at l = 128. Usage:
    .venv/bin/python benchmarks/validate_scalesim.py [--scope quick|default|full]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulator.hardware import AcceleratorSpec
from simulator.mapping import gemm_cost

VENV = Path("/tmp/dse-scalesim-venv")
# scalesim 3.0.0 calls int() on a 1-element array in its read buffer, which NumPy 2 refuses: pin NumPy 1.x there.
PACKAGES = ["scalesim", "numpy<2"]
BANDWIDTH_WORDS_PER_CYCLE = 32  # int8 words, so also bytes/cycle
D_MODEL, D_FF, HEAD_DIM = 768, 3072, 64  # BERT-Base (Devlin et al. 2019; model card)

RUNNER = r'''
import contextlib, io, json, os, shutil, sys, tempfile, time
from scalesim.scale_sim import scalesim

CONFIG = """[general]
run_name = dse
[architecture_presets]
ArrayHeight: {rows}
ArrayWidth: {cols}
IfmapSramSzkB: {ifmap_kb}
FilterSramSzkB: {filter_kb}
OfmapSramSzkB: {ofmap_kb}
IfmapOffset: 0
FilterOffset: 10000000
OfmapOffset: 20000000
Bandwidth: {bandwidth}
Dataflow: {dataflow}
ReadRequestBuffer: 32
WriteRequestBuffer: 32
[layout]
IfmapCustomLayout: False
FilterCustomLayout: False
IfmapSRAMBankBandwidth: 10
IfmapSRAMBankNum: 10
IfmapSRAMBankPort: 2
FilterSRAMBankBandwidth: 10
FilterSRAMBankNum: 10
FilterSRAMBankPort: 2
[sparsity]
SparsitySupport: false
SparseRep: ellpack_block
OptimizedMapping: false
BlockSize: 8
RandomNumberGeneratorSeed: 40
[run_presets]
InterfaceBandwidth: USER
UseRamulatorTrace: False
"""

results = []
for case in json.loads(sys.stdin.read()):
    folder = tempfile.mkdtemp(prefix="dse-scalesim-")
    with open(os.path.join(folder, "arch.cfg"), "w") as f:
        f.write(CONFIG.format(**case))
    topology = os.path.join(folder, "gemm.csv")
    with open(topology, "w") as f:  # GEMM topology: Layer, M, N, K
        f.write("Layer, M, N, K,\ng, {m}, {n}, {k},\n".format(**case))
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        sim = scalesim(save_disk_space=True, verbose=False, config=os.path.join(folder, "arch.cfg"),
                       topology=topology, layout=topology, input_type_gemm=True)
        sim.run_scale(top_path=folder)
    seconds = time.perf_counter() - start
    reports = {}
    for root, _, files in os.walk(folder):
        for name in files:
            if name.endswith("REPORT.csv"):
                with open(os.path.join(root, name)) as f:
                    reports[name] = [float(x) for x in f.read().splitlines()[1].split(",")[:-1]]
    shutil.rmtree(folder, ignore_errors=True)
    compute = reports["COMPUTE_REPORT.csv"]  # id, total incl. prefetch, total, stall, ...
    access = reports["DETAILED_ACCESS_REPORT.csv"]
    results.append({"total_cycles": compute[1], "compute_cycles": compute[2] - compute[3],
                    "dram_read_bytes": access[12] + access[15], "dram_write_bytes": access[18], "seconds": seconds})
    print(json.dumps(results[-1]), file=sys.stderr, flush=True)
print(json.dumps(results))
'''


def ensure_venv() -> Path:
    python = VENV / "bin" / "python"
    probe = [str(python), "-c", "import scalesim, numpy; assert numpy.__version__ < '2'"]
    if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return python
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", *PACKAGES], check=True)
    return python


def cases(scope: str) -> list[dict]:
    """(name, m, k, n) of one BERT-Base layer's GEMMs; K/V/out projections have Q's shape.

    SCALE-Sim's run time grows with cycles x array width, so the default scope is bounded to a few minutes:
    l = 128 all GEMMs (FFN on 64x64, one dataflow each), l = 512 attention GEMMs. `full` adds the rest (~10 min).
    """
    full, quick = scope == "full", scope == "quick"
    out = []
    for seq in (128,) if quick else (128, 512):
        attention = [("qk_matmul", seq, HEAD_DIM, seq), ("av_matmul", seq, seq, HEAD_DIM)]
        for name, m, k, n in attention:
            for rows, cols in ((16, 16), (32, 32)):
                out += [dict(name=name, seq=seq, m=m, k=k, n=n, rows=rows, cols=cols, dataflow=df)
                        for df in ("ws", "os")]
        if seq == 128 or full:
            out += [dict(name="qkv/out_proj", seq=seq, m=seq, k=D_MODEL, n=D_MODEL, rows=32, cols=32, dataflow=df)
                    for df in ("ws", "os")]
        if seq == 128 and not quick:
            for name, k, n, dataflows in (("ffn_up", D_MODEL, D_FF, ("ws", "os") if full else ("ws",)),
                                          ("ffn_down", D_FF, D_MODEL, ("ws", "os") if full else ("os",))):
                out += [dict(name=name, seq=seq, m=seq, k=k, n=n, rows=64, cols=64, dataflow=df) for df in dataflows]
    for case in out:  # SRAMs hold every operand twice (double buffering): each is fetched from DRAM once
        case["ifmap_kb"] = 2 * -(-case["m"] * case["k"] // 1024) + 1
        case["filter_kb"] = 2 * -(-case["k"] * case["n"] // 1024) + 1
        case["ofmap_kb"] = 2 * -(-case["m"] * case["n"] // 1024) + 1
        case["bandwidth"] = BANDWIDTH_WORDS_PER_CYCLE
    return out


def ours(case: dict) -> dict:
    # SCALE-Sim's fold convention (timing "scalesim"), its memory as one level at its bandwidth: no L2, no DMA limit.
    hw = AcceleratorSpec(rows=case["rows"], cols=case["cols"], dataflow=case["dataflow"], timing="scalesim",
                         scratchpad_kib=case["ifmap_kb"] + case["filter_kb"],
                         accumulator_kib=4 * case["ofmap_kb"],  # int32 partial sums
                         dram_bytes_per_cycle=BANDWIDTH_WORDS_PER_CYCLE, dram_latency_cycles=0, l2_kib=0,
                         dma_max_in_flight=0)
    ideal = gemm_cost(case["m"], case["k"], case["n"], hw, ideal_memory=True)
    # SCALE-Sim's fixed schedule streams each operand once when it fits; our least-traffic mapping does too.
    real = gemm_cost(case["m"], case["k"], case["n"], hw, objective="energy")
    return {"compute_cycles": ideal.compute_cycles, "total_cycles": real.cycles,
            "dram_read_bytes": real.dram_read_bytes, "dram_write_bytes": real.dram_write_bytes,
            "mapping": real.mapping.describe()}


def pct(ours_value: float, ref: float) -> float:
    return 100.0 * (ours_value - ref) / ref if ref else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scope", choices=("quick", "default", "full"), default="default",
                        help="quick: l=128 attention + projections (~1 min); default: a few minutes; full: ~10 min")
    args = parser.parse_args()
    todo = cases(args.scope)
    python = ensure_venv()
    print(f"SCALE-Sim: {VENV} ({len(todo)} GEMMs; progress on stderr)", flush=True)
    start = time.perf_counter()
    # SCALE-Sim's per-GEMM results stream to our stderr as progress; the last stdout line is the JSON list.
    run = subprocess.run([str(python), "-c", RUNNER], input=json.dumps(todo), stdout=subprocess.PIPE, text=True)
    if run.returncode:
        sys.exit(f"SCALE-Sim failed (exit {run.returncode}); see its messages above")
    reference = json.loads(run.stdout.strip().splitlines()[-1])
    scalesim_seconds = time.perf_counter() - start

    from simulator.mapping import cache_clear

    cache_clear()
    start = time.perf_counter()
    mine = [ours(case) for case in todo]
    our_seconds = time.perf_counter() - start

    header = (f"{'GEMM':<13}{'l':>4} {'M x K x N':>14} {'array':>6} {'df':>3} | {'compute: SS':>11} {'ours':>9} "
              f"{'err%':>6} | {'total: SS':>9} {'ours':>9} {'err%':>6} | {'DRAM rd: SS':>11} {'ours':>9} "
              f"{'err%':>6} | {'DRAM wr: SS':>11} {'ours':>9} | {'SS s':>6}")
    print(header)
    print("-" * len(header))
    compute_errors, total_errors, read_errors = [], [], []
    for case, ref, us in zip(todo, reference, mine, strict=True):
        ce = pct(us["compute_cycles"], ref["compute_cycles"])
        te = pct(us["total_cycles"], ref["total_cycles"])
        re_ = pct(us["dram_read_bytes"], ref["dram_read_bytes"])
        compute_errors.append(abs(ce))
        total_errors.append(abs(te))
        read_errors.append(abs(re_))
        shape = f"{case['m']}x{case['k']}x{case['n']}"
        print(f"{case['name']:<13}{case['seq']:>4} {shape:>14} {case['rows']:>3}x{case['cols']:<2} "
              f"{case['dataflow']:>3} | {ref['compute_cycles']:>11,.0f} {us['compute_cycles']:>9,.0f} {ce:>6.2f} | "
              f"{ref['total_cycles']:>9,.0f} {us['total_cycles']:>9,.0f} {te:>6.2f} | "
              f"{ref['dram_read_bytes']:>11,.0f} {us['dram_read_bytes']:>9,.0f} {re_:>6.2f} | "
              f"{ref['dram_write_bytes']:>11,.0f} {us['dram_write_bytes']:>9,.0f} | {ref['seconds']:>6.2f}")
    print()
    print(f"compute cycles   |error|: median {statistics.median(compute_errors):.3f}%  "
          f"worst {max(compute_errors):.3f}%  (target: median <= 5%, worst <= 15%)")
    print(f"total cycles     |error|: median {statistics.median(total_errors):.3f}%  worst {max(total_errors):.3f}%"
          "  (SS: 'Total Cycles (incl. prefetch)')")
    print(f"DRAM read bytes  |error|: median {statistics.median(read_errors):.3f}%  worst {max(read_errors):.3f}%")
    print("DRAM writes: OS comparable (outputs written once in both); under WS SCALE-Sim writes a partial sum per "
          "K-fold (no in-place accumulator), ours accumulates in the accumulator and writes each output once.")
    print(f"time: SCALE-Sim {scalesim_seconds:.1f} s (incl. start-up), ours {our_seconds * 1e3:.1f} ms cold "
          f"({scalesim_seconds / max(our_seconds, 1e-9):,.0f}x faster)")
    ok = statistics.median(compute_errors) <= 5 and max(compute_errors) <= 15
    print("compute-cycle target:", "MET" if ok else "NOT MET")


if __name__ == "__main__":
    main()
