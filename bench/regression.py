"""Has the fan-out regressed? The working tree against a git ref, measured alternately in one run.

    .venv/bin/python -m bench.regression                 # against HEAD~1
    .venv/bin/python -m bench.regression --ref main~3    # against any ref
    .venv/bin/python -m bench.regression --quick         # one small repeat each

The ref is checked out into a temporary `git worktree` (removed afterwards);
both servers run with this interpreter (its .venv), each from its own
checkout, under the fan-out scenario of bench/fanout.py (the clients are this
checkout's). The two alternate, ref first on even repeats, so drift in the
machine's load hits both alike; the medians of the repeats are compared.
Prints JSON (ratios working tree / ref) and writes bench/results/regression.json.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.apps import checkout_commit, confab_server
from bench.fanout import fanout
from bench.servers import bench_log, measure_and_report
from bench.stats import rounded
from bench.stream import TimedModel

RESULTS = ROOT / "bench" / "results"
WORKING = "working_tree"
REF = "ref"
HIGHER_IS_BETTER = ("deliveries_per_s",)
LOWER_IS_BETTER = ("p50_ms", "p99_ms", "server_cpu_ms_per_delivery")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="The fan-out of the working tree against a git ref, same run."
    )
    parser.add_argument(
        "--ref", default="HEAD~1", help="the git ref to compare with (default HEAD~1)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="one small repeat each (about a minute)"
    )
    parser.add_argument("--sessions", type=int, help="sessions in the room (default 50, quick 10)")
    parser.add_argument("--talkers", type=int, default=5, help="sessions posting (default 5)")
    parser.add_argument(
        "--messages", type=int, help="messages each talker posts (default 20, quick 5)"
    )
    parser.add_argument(
        "--repeats", type=int, help="runs of each version, alternating (default 3, quick 1)"
    )
    parser.add_argument(
        "--tolerance", type=float, default=0.10, help="allowed regression (default 0.10)"
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when a figure regressed beyond the tolerance"
    )
    parser.add_argument(
        "--output", type=Path, default=RESULTS / "regression.json", help="where to write the JSON"
    )
    return parser.parse_args(argv)


@contextmanager
def checked_out(ref: str) -> Iterator[Path]:
    """`ref` in a temporary detached git worktree of this repository, removed afterwards."""
    parent = Path(tempfile.mkdtemp(prefix="confab-ref-"))
    tree = parent / "checkout"
    added = subprocess.run(
        ["git", "worktree", "add", "--detach", str(tree), ref],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if added.returncode != 0:
        shutil.rmtree(parent, ignore_errors=True)
        raise SystemExit(f"cannot check out {ref!r} into a worktree: {added.stderr.strip()}")
    try:
        yield tree
    finally:
        subprocess.run(
            ["git", "worktree", "remove", "--force", str(tree)],
            check=False,
            cwd=ROOT,
            capture_output=True,
        )
        shutil.rmtree(parent, ignore_errors=True)


async def compare(
    checkouts: dict[str, Path], settings: dict, work_dir: Path, log
) -> dict[str, list[dict]]:
    """Run the fan-out `repeats` times against each checkout, alternating which goes first."""
    model = TimedModel()
    runs: dict[str, list[dict]] = {name: [] for name in checkouts}
    try:
        for repeat in range(settings["repeats"]):
            order = list(checkouts) if repeat % 2 == 0 else list(checkouts)[::-1]
            for name in order:
                server = confab_server(work_dir, model.base_url, root=checkouts[name]).start()
                try:
                    result = await fanout(
                        server,
                        settings["sessions"],
                        settings["talkers"],
                        settings["messages"],
                        "deflate",
                    )
                finally:
                    server.stop()
                runs[name].append(result)
                log(
                    f"{name} #{repeat + 1}: {result['deliveries_per_s']}/s, p99 {result['p99_ms']} ms, lost {result['lost']}"
                )
    finally:
        model.close()
    return runs


def medians(runs: list[dict]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for key in (*HIGHER_IS_BETTER, *LOWER_IS_BETTER, "lost"):
        values = [r[key] for r in runs if r.get(key) is not None]
        out[key] = rounded(statistics.median(values), 3) if values else None
    return out


def verdict(working: dict, ref: dict, tolerance: float) -> dict:
    """Ratios working / ref of each median, and whether each stays within `tolerance` of the ref."""
    ratios, regressed = {}, []
    for key in (*HIGHER_IS_BETTER, *LOWER_IS_BETTER):
        if not working.get(key) or not ref.get(key):
            ratios[key] = None
            continue
        ratio = working[key] / ref[key]
        ratios[key] = round(ratio, 3)
        worse = ratio < 1 - tolerance if key in HIGHER_IS_BETTER else ratio > 1 + tolerance
        if worse:
            regressed.append(key)
    return {
        "ratios_working_over_ref": ratios,
        "regressed": regressed,
        "within_tolerance": not regressed and working.get("lost") == 0,
    }


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    settings = {
        "ref": args.ref,
        "sessions": args.sessions or (10 if args.quick else 50),
        "talkers": args.talkers,
        "messages": args.messages or (5 if args.quick else 20),
        "repeats": args.repeats or (1 if args.quick else 3),
        "tolerance": args.tolerance,
        "python": sys.executable,
    }
    log = bench_log("regression")

    async def measure(work_dir: Path) -> dict:
        with checked_out(args.ref) as tree:
            checkouts = {REF: tree, WORKING: ROOT}
            commits = {REF: checkout_commit(tree), WORKING: checkout_commit(ROOT)}
            log(
                f"fan-out, {settings['sessions']} sessions: {commits[WORKING]} against {args.ref} ({commits[REF]})"
            )
            runs = await compare(checkouts, settings, work_dir, log)
        summary = {name: medians(results) for name, results in runs.items()}
        return {
            "commits": commits,
            "medians": summary,
            **verdict(summary[WORKING], summary[REF], args.tolerance),
            "runs": runs,
        }

    report = measure_and_report(
        "bench.regression " + " ".join(argv), settings, measure, args.output, log
    )
    return 1 if args.strict and not report["within_tolerance"] else 0


if __name__ == "__main__":
    sys.exit(main())
