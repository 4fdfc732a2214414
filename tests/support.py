"""Plain helpers the tests share (fixtures live in conftest.py)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_health(base_url: str, timeout_s: float = 60.0) -> dict[str, object]:
    """Poll /api/ready until every part is up; fail with the last answer seen."""
    deadline = time.monotonic() + timeout_s
    last: object = None
    while time.monotonic() < deadline:
        try:
            response = httpx.get(f"{base_url}/api/ready", timeout=5)
            last = response.json()
            if response.status_code == 200:
                return response.json()
        except httpx.HTTPError as error:
            last = repr(error)
        time.sleep(0.5)
    raise AssertionError(f"stack not healthy after {timeout_s} s: {last}")


@dataclass
class RunningStack:
    process: subprocess.Popen[bytes]
    base_url: str
    state_dir: Path
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")



BIN = Path(sys.executable).parent


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment without any DSE_* variable, plus `extra`: a child sees only what a test gives."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DSE_")}
    env.update(extra or {})
    return env


def launch_stack(workdir: Path, env: dict[str, str] | None = None) -> RunningStack:
    """The one way tests start `dse serve` (the whole stack) as a real subprocess on a free port."""
    port = free_port()
    log_path = workdir / f"serve-{port}.log"
    process = subprocess.Popen([str(BIN / "dse"), "serve", "--port", str(port)], cwd=workdir, env=clean_env(env),
                               stdout=log_path.open("wb"), stderr=subprocess.STDOUT)
    return RunningStack(process, f"http://127.0.0.1:{port}", workdir / "var", log_path)


def launch_worker(workdir: Path, env: dict[str, str], log_path: Path, concurrency: int = 1) -> subprocess.Popen[bytes]:
    """The one way tests start `dse worker` as a real subprocess (callers wait for its ping)."""
    return subprocess.Popen([str(BIN / "dse"), "worker", "--concurrency", str(concurrency)], env=clean_env(env),
                            cwd=workdir, stdout=log_path.open("wb"), stderr=subprocess.STDOUT)


def stop_process(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout_s: float = 30) -> None:
    """Stop a child (SIGINT for `dse serve`, as Ctrl-C; SIGTERM otherwise), then kill it if it hangs."""
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
