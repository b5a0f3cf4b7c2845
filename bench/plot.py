"""Draw bench/results/fanout.png from a benchmark's JSON: p99 latency and deliveries/s against sessions.

    .venv/bin/python -m bench.plot [bench/results/latest.json] [bench/results/fanout.png]

Needs matplotlib (bench/requirements.txt); nothing else imports this module.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
STYLE = {
    "baseline": ("#C62828", "o", "textbook Flet chat"),
    "confab": ("#3949AB", "s", "Confab"),
    "floor": ("#757575", "^", "floor (bare Starlette WebSocket relay)"),
}


def plot(report: dict, out: Path) -> None:
    fig, (latency, throughput) = plt.subplots(1, 2, figsize=(11, 4.2))
    for app, rows in report["sweep"].items():
        rows = sorted(rows, key=lambda r: r["sessions"])
        color, marker, label = STYLE.get(app, ("gray", "x", app))
        sessions = [r["sessions"] for r in rows]
        latency.plot(sessions, [r["p99_ms"] for r in rows], color=color, marker=marker, label=label)
        throughput.plot(sessions, [r["deliveries_per_s"] for r in rows], color=color, marker=marker, label=label)
    latency.set_yscale("log")
    latency.set_title("p99 latency, send to first frame (ms, log scale)")
    throughput.set_title("deliveries per second")
    for axes in (latency, throughput):
        axes.set_xlabel("sessions (5 talking, 20 messages each)")
        axes.grid(True, alpha=0.3, which="both")
        axes.legend()
    machine = report["machine"]
    fig.suptitle(
        f"Fan-out on {machine['cores']} cores ({machine['cpu']}), {report['finished_at'][:10]}; "
        "same run, same load for all",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(out, dpi=110)


def main(argv: list[str]) -> int:
    source = Path(argv[0]) if argv else RESULTS / "latest.json"
    out = Path(argv[1]) if len(argv) > 1 else RESULTS / "fanout.png"
    plot(json.loads(source.read_text()), out)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
