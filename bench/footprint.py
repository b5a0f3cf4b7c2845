"""Install size, install time, import time, cold start and RSS: this checkout against a baseline.

    .venv/bin/python -m bench.footprint                   # baseline: the commit before packaging
    .venv/bin/python -m bench.footprint --baseline REV --starts 3

Each version is installed the way the README says (`pip install -r requirements.txt`
into a fresh venv, pip's cache as it is on this machine) and run as `python main.py`
from its own source tree (the baseline comes from `git archive`), one after the other
in the same run. Prints JSON and writes bench/results/footprint.json.

- install: wall and CPU time of the pip command; site-packages size (du; it includes the
  pip and setuptools every new venv has, also reported alone) and package count
  (pip and setuptools left out).
- import: median wall time of importing chat.web plus what the offline brain loads
  (ChatterBot before, the fuzzy brain now), in a fresh interpreter.
- cold start, with an empty data dir: process start to the first HTTP 200 on /, and
  to the first word of the offline bot's answer (POST /api/bot/stream, "hello").
  Also the server's CPU seconds (user + system) up to that first 200, which a busy
  machine inflates far less than wall time.
- RSS of the server process right after that answer.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.flet_server import free_port

ROOT = Path(__file__).resolve().parent.parent
BASELINE = "ac24ae0"
"""The last commit before Confab became a package with a light default."""
TOKEN = "footprint"
BRAIN_IMPORTS = {
    # What the offline brain imports before it can answer, per version.
    "baseline": "import chatterbot, chatterbot.trainers",
    "current": "import chat.bot.fuzzy",
}


def sh(command: list[str], **options) -> subprocess.CompletedProcess:
    done = subprocess.run(command, check=False, capture_output=True, text=True, **options)
    if done.returncode != 0:
        raise RuntimeError(f"{command[:4]} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return done


def export_baseline(revision: str, into: Path) -> Path:
    """The source tree of `revision`, unpacked from git (no checkout is touched)."""
    into.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", revision], cwd=ROOT, capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def install(source: Path, venv: Path) -> dict:
    """A fresh venv with `pip install -r requirements.txt`: time, size, package count."""
    sh([sys._base_executable, "-m", "venv", str(venv)])
    started, cpu_before = time.perf_counter(), _children_cpu_s()
    sh([str(venv / "bin" / "pip"), "install", "-q", "-r", "requirements.txt"], cwd=source)
    seconds, cpu = time.perf_counter() - started, _children_cpu_s() - cpu_before
    site = next((venv / "lib").glob("python3.*/site-packages"))
    kib = int(sh(["du", "-sk", str(site)]).stdout.split()[0])
    tooling = [str(site / n) for n in ("pip", "setuptools", "pkg_resources", "_distutils_hack")]
    tooling_kib = sum(
        int(line.split()[0])
        for line in sh(["du", "-sk", *filter(os.path.exists, tooling)]).stdout.splitlines()
    )
    listed = json.loads(sh([str(venv / "bin" / "pip"), "list", "--format=json"]).stdout)
    packages = [p["name"] for p in listed if p["name"].lower() not in ("pip", "setuptools")]
    return {
        "install_s": round(seconds, 1),
        "install_cpu_s": round(cpu, 1),
        "site_packages_mb": round(kib / 1024, 1),
        "of_which_pip_setuptools_mb": round(tooling_kib / 1024, 1),
        "packages": len(packages),
    }


def import_time(source: Path, venv: Path, brain_import: str, rounds: int = 3) -> float:
    """Median seconds to import the web app and the offline brain in a new interpreter."""
    code = (
        "import time; t = time.perf_counter(); import chat.web; "
        f"{brain_import}; print(time.perf_counter() - t)"
    )
    python = str(venv / "bin" / "python")
    runs = [float(sh([python, "-c", code], cwd=source).stdout) for _ in range(rounds)]
    return round(statistics.median(runs), 2)


def cold_start(source: Path, venv: Path, data_dir: Path, timeout: float = 120) -> dict:
    """Seconds from process start to the first 200 on /, and to the bot's first word."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CHAT_", "OPENAI_"))},
        "CHAT_DATA_DIR": str(data_dir),
        "CHAT_PORT": str(port),
        "CHAT_API_TOKEN": TOKEN,
        "FLET_FORCE_WEB_SERVER": "1",
    }
    with open(data_dir.parent / f"{data_dir.name}.log", "wb") as log:
        started = time.perf_counter()
        process = subprocess.Popen(
            [str(venv / "bin" / "python"), "main.py"],
            cwd=source,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            serving = _until(lambda: _get(url + "/") == 200, process, started, timeout)
            serving_cpu = _cpu_s(process.pid)
            answered = _until(lambda: _first_word(url), process, started, timeout)
            rss_mb = _rss_kib(process.pid) / 1024
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
    return {
        "first_200_s": round(serving, 2),
        "cpu_to_first_200_s": round(serving_cpu, 2),
        "bot_answer_s": round(answered, 2),
        "rss_mb": round(rss_mb, 1),
    }


def _until(check, process: subprocess.Popen, started: float, timeout: float) -> float:
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        if check():
            return time.perf_counter() - started
        if time.perf_counter() - started > timeout:
            raise TimeoutError("no answer in time")
        time.sleep(0.02)


def _get(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def _first_word(url: str) -> bool:
    """True once the offline bot streams a word (before it is ready, the call waits or fails)."""
    body = json.dumps({"messages": [{"role": "user", "content": "hello"}]}).encode()
    request = urllib.request.Request(
        url + "/api/bot/stream",
        data=body,
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            line = response.readline().decode()
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False
    return line.startswith("data: {") and '"delta"' in line


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _cpu_s(pid: int) -> float:
    """User plus system CPU seconds the process has used: what load on the machine cannot inflate."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def measure(name: str, source: Path, work: Path, starts: int) -> dict:
    venv = work / f"venv-{name}"
    result = {"version": name, **install(source, venv)}
    result["import_s"] = import_time(source, venv, BRAIN_IMPORTS[name])
    runs = [cold_start(source, venv, work / f"data-{name}-{i}") for i in range(starts)]
    for key in ("first_200_s", "cpu_to_first_200_s", "bot_answer_s", "rss_mb"):
        result[key] = statistics.median(run[key] for run in runs)
    result["runs"] = runs
    print(json.dumps({k: v for k, v in result.items() if k != "runs"}), file=sys.stderr)
    return result


ROWS = (
    (
        "default install: site-packages (of it, the venv's own pip and setuptools)",
        "{site_packages_mb} MB ({of_which_pip_setuptools_mb} MB)",
        "<= 200 MB",
    ),
    ("packages (without pip and setuptools)", "{packages}", ""),
    (
        "install time, wall / CPU (`pip install -r requirements.txt`, pip's cache warm)",
        "{install_s} / {install_cpu_s} s",
        "<= 30 s",
    ),
    ("import chat.web and the offline brain (median of 3)", "{import_s} s", ""),
    (
        "cold start: first HTTP 200 on /, wall / server CPU",
        "{first_200_s} / {cpu_to_first_200_s} s",
        "<= 2 s",
    ),
    ("cold start: the offline bot's first word", "{bot_answer_s} s", "<= 2 s"),
    ("RSS after that answer", "{rss_mb} MB", ""),
)


def markdown(report: dict) -> str:
    """The README's table: one row per figure, baseline against current."""
    before, now = report["results"]
    lines = [
        (
            f"| {report['when']}, {report['machine']}, load {report['load_average'][0]} | "
            f"before ({report['baseline']}) | now | target |"
        ),
        "|---|---:|---:|---|",
    ]
    for label, cell, target in ROWS:
        lines.append(f"| {label} | {cell.format(**before)} | {cell.format(**now)} | {target} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=BASELINE, help="git revision to compare against")
    parser.add_argument("--starts", type=int, default=3, help="cold starts per version (median)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="confab-footprint-") as tmp:
        work = Path(tmp)
        baseline = export_baseline(args.baseline, work / "baseline")
        results = [
            measure("baseline", baseline, work, args.starts),
            measure("current", ROOT, work, args.starts),
        ]
    report = {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}",
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "baseline": args.baseline,
        "results": results,
    }
    out = ROOT / "bench" / "results" / "footprint.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    json.dump(report, sys.stdout, indent=2)
    print()
    print(markdown(report), file=sys.stderr)


if __name__ == "__main__":
    main()
