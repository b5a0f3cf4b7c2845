"""The benchmark's verdicts against the targets, and its Markdown summary."""

from __future__ import annotations

from pathlib import Path

from bench.apps import BASELINE, CONFAB, FLOOR

FLOOR_RATIO_KEYS = ("deliveries_per_s", "p50_ms", "p99_ms", "server_cpu_ms_per_delivery")
"""What `floor_ratios` compares: each is the app's figure divided by the floor's."""


def _at(report: dict, app: str, sessions: int) -> dict | None:
    return next((r for r in report.get("sweep", {}).get(app, []) if r["sessions"] == sessions), None)


def _ratio(a, b) -> float | None:
    return round(a / b, 1) if a is not None and b else None


def _floor_ratio(a, b) -> float | None:
    """a / b to three significant figures: throughput shares far below 1 keep their digits."""
    return float(f"{a / b:.3g}") if a is not None and b else None


def floor_ratios(report: dict) -> dict[str, list[dict]]:
    """Each app's fan-out figures divided by the floor's at the same session count, in the same run.

    deliveries_per_s below 1 is the share of the floor's throughput reached;
    p50_ms, p99_ms and server_cpu_ms_per_delivery above 1 are how many times the floor's.
    """
    found: dict[str, list[dict]] = {}
    for count in report.get("settings", {}).get("sweep_sessions", []):
        floor = _at(report, FLOOR, count)
        if floor is None:
            continue
        for app in (CONFAB, BASELINE):
            row = _at(report, app, count)
            if row is not None:
                ratios = {key: _floor_ratio(row[key], floor[key]) for key in FLOOR_RATIO_KEYS}
                found.setdefault(app, []).append({"sessions": count, **ratios})
    return found


def targets(report: dict) -> list[dict]:
    """Each target with the measured value and whether it was met."""
    found = []

    def check(name: str, value, goal: str, met: bool | None) -> None:
        found.append({"target": name, "goal": goal, "value": value, "met": met})

    for row in report.get("sweep", {}).get(CONFAB, []):
        check(f"(a) lost / out of order, {row['sessions']} sessions", f"{row['lost']} / {row['out_of_order']}", "0 / 0",
              row["lost"] == 0 and row["out_of_order"] == 0)
    for sessions, limit in ((50, 150), (100, 300)):
        row = _at(report, CONFAB, sessions)
        if row is not None:
            check(f"(a) p99 latency, {sessions} sessions", row["p99_ms"], f"<= {limit} ms", row["p99_ms"] <= limit)
    top = max(report.get("settings", {}).get("sweep_sessions", [0]))
    ours, theirs = _at(report, CONFAB, top), _at(report, BASELINE, top)
    if ours and theirs:
        ratio = _ratio(ours["deliveries_per_s"], theirs["deliveries_per_s"])
        check(f"(a) deliveries/s vs baseline, {top} sessions", ratio, ">= 10x", ratio >= 10)
    idle = report.get("idle", {}).get(CONFAB)
    if idle:
        value = idle["rss_per_idle_session_mb"]
        check("(b) RSS per idle session", value, "<= 1 MB", value <= 1.0)
    stream = report.get("stream", {}).get(CONFAB)
    if stream and "error" not in stream:
        rate = stream["frames_per_session_per_s"]["max"]
        check("(c) frames per second per session (worst session)", rate, "<= 10", rate is not None and rate <= 10)
        first = stream["first_frame_after_first_token_ms"]["max"]
        check("(c) first frame after the model's first token (worst session)", first, "<= 50 ms",
              first is not None and first <= 50)
    hist = report.get("history", {}).get(CONFAB)
    if isinstance(hist, dict):
        p95 = hist["join"]["p95_ms"]
        check(f"(d) join p95 with {hist['stored_messages']} stored", p95, "<= 300 ms", p95 <= 300)
        rows = hist.get("rows_sent_on_join")
        check("(d) rows sent on join (bounded, older paged in)", rows, "one page", rows is not None and rows <= 250)
        growth = hist["rss_growth_vs_empty_room_mb"]
        check("(d) RSS growth vs an empty room", growth, "<= 10 MB", growth <= 10)
    return found


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.2f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _fmt_floor_ratio(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def write_markdown(report: dict, path: Path) -> None:
    """bench/results/latest.md: the machine, the tables, the targets."""
    m = report["machine"]
    s = report["settings"]
    lines = [
        "# Confab benchmark: latest run",
        "",
        f"`{report['command'].strip()}`, finished {report['finished_at']}, took {report['duration_s']} s.",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB RAM, Linux {m['kernel']}, "
        f"Python {m['python']}, Flet {m['flet']}. Load average (1/5/15 min) at start "
        f"{m['load_average_at_start']}, at end {m.get('load_average_at_end')}: the machine is shared, "
        "so compare the apps within this run rather than with other runs.",
        "",
        "Every server runs as its own process with the same uvicorn settings; every client "
        "session is a real WebSocket "
        f"({'with' if s['compression'] else 'without'} permessage-deflate), all in the benchmark process, "
        "speaking Flet's protocol to Confab and the textbook chat, and plain msgpack frames to the floor "
        "(bench/floor.py: a bare Starlette WebSocket relay, one frame per receiver per message). "
        f"Fan-out: {s['talkers']} talkers post {s['messages_each']} messages each, each after their "
        "previous one came back; latency is from send to the first frame carrying the message, in every session.",
        "",
        "## Fan-out (scenario a and the sweep)",
        "",
        "| sessions | app | deliveries/s | p50 ms | p95 ms | p99 ms | max ms | lost | out of order "
        "| server CPU ms/delivery | server RSS MB | frames/session | KB/session |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for count in s.get("sweep_sessions", []):
        rows = {app: _at(report, app, count) for app in (FLOOR, BASELINE, CONFAB)}
        for app, r in rows.items():
            if r is None:
                continue
            lines.append(
                f"| {count} | {app} | {_fmt(r['deliveries_per_s'])} | {_fmt(r['p50_ms'])} | {_fmt(r['p95_ms'])} "
                f"| {_fmt(r['p99_ms'])} | {_fmt(r['max_ms'])} | {r['lost']} | {r['out_of_order']} "
                f"| {_fmt(r['server_cpu_ms_per_delivery'])} | {_fmt(r['server_rss_mb'])} "
                f"| {_fmt(r['frames_per_session'])} | {_fmt(r['bytes_per_session'] / 1024)} |"
            )
        b, c, f = rows[BASELINE], rows[CONFAB], rows[FLOOR]
        if b and c:
            lines.append(
                f"| {count} | **Confab vs textbook** | **{_fmt(_ratio(c['deliveries_per_s'], b['deliveries_per_s']))}x** "
                f"| | | {_fmt(_ratio(b['p99_ms'], c['p99_ms']))}x lower | | | "
                f"| {_fmt(_ratio(b['server_cpu_ms_per_delivery'], c['server_cpu_ms_per_delivery']))}x less | | | |"
            )
        if c and f:
            x = {key: _fmt_floor_ratio(_floor_ratio(c[key], f[key])) for key in FLOOR_RATIO_KEYS}
            lines.append(
                f"| {count} | **Confab / floor** | **{x['deliveries_per_s']}x** | {x['p50_ms']}x | "
                f"| **{x['p99_ms']}x** | | | | {x['server_cpu_ms_per_delivery']}x | | | |"
            )
    lines += _scenario_tables(report)
    lines += ["", "## Targets", "", "| target | goal | measured | met |", "|---|---|---:|---|"]
    for t in report.get("targets", []):
        lines.append(f"| {t['target']} | {t['goal']} | {_fmt(t['value'])} | {'yes' if t['met'] else '**no**'} |")
    lines.append("")
    path.write_text("\n".join(lines))


def _scenario_tables(report: dict) -> list[str]:
    lines: list[str] = []
    idle = report.get("idle")
    if idle:
        lines += ["", "## Idle sessions (scenario b)", "",
                  "| app | idle sessions | RSS before MB | RSS after joins and talk MB | RSS per idle session MB "
                  "| talker's p99 ms (all sessions) | lost |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
        for app, r in idle.items():
            lines.append(f"| {app} | {r['idle_sessions']} | {_fmt(r['rss_before_mb'])} | {_fmt(r['rss_after_talk_mb'])} "
                         f"| {_fmt(r['rss_per_idle_session_mb'])} | {_fmt(r['talk']['p99_ms'])} | {r['talk']['lost']} |")
    stream = report.get("stream")
    if stream:
        lines += ["", "## Bot reply streamed to many sessions (scenario c)", "",
                  "| app | sessions | tokens | frames/s per session p50 / max | first frame after first token ms p50 / max "
                  "| token lag p50 / p99 ms | sessions with whole reply | server CPU s |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for app, r in stream.items():
            if "error" in r:
                lines.append(f"| {app} | {r['sessions']} | - | {r['error']} | | | | |")
                continue
            f, first, lag = r["frames_per_session_per_s"], r["first_frame_after_first_token_ms"], r["token_lag"]
            lines.append(f"| {app} | {r['sessions']} | {r['tokens_streamed']} | {_fmt(f['p50'])} / {_fmt(f['max'])} "
                         f"| {_fmt(first['p50'])} / {_fmt(first['max'])} | {_fmt(lag['p50_ms'])} / {_fmt(lag['p99_ms'])} "
                         f"| {r['sessions_with_whole_reply']} | {_fmt(r['server_cpu_s'])} |")
    hist = report.get("history", {}).get(CONFAB)
    if isinstance(hist, dict):
        e = hist["empty_room"]
        lines += ["", "## A room with stored history (scenario d, Confab only: the textbook chat stores nothing)", "",
                  "| stored messages | joins | join p50 / p95 / max ms | first join after start ms | rows sent on join "
                  "| page back ms | RSS after joins MB | same, empty room MB |",
                  "|---:|---:|---:|---:|---:|---:|---:|---:|",
                  f"| {hist['stored_messages']:,} | {hist['joins']} | {_fmt(hist['join']['p50_ms'])} / "
                  f"{_fmt(hist['join']['p95_ms'])} / {_fmt(hist['join']['max_ms'])} "
                  f"| {_fmt(hist.get('first_join_after_start_ms'))} | {hist.get('rows_sent_on_join')} "
                  f"| {_fmt(hist.get('page_back_ms'))} | {_fmt(hist['rss_after_joins_mb'])} | {_fmt(e['rss_after_joins_mb'])} |"]
    return lines
