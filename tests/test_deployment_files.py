"""The team deployment file must be valid and name every part the design calls for."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_docker_compose_is_accepted_by_docker_compose() -> None:
    executable = shutil.which("docker-compose")
    assert executable, "Debian's docker-compose is missing: apt-get install -y docker-compose (.ci/run does)"
    result = subprocess.run([executable, "-f", str(ROOT / "docker-compose.yml"), "config"],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    assert {"api", "worker", "redis", "postgres", "migrate"} <= set(services)
    assert services["worker"]["environment"]["DSE_BROKER_URL"].startswith("redis://")
    assert services["api"]["environment"]["DSE_DATABASE_URL"].startswith("postgresql+psycopg://")


def test_ci_runs_the_readme_test_command() -> None:
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
