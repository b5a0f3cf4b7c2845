"""First load in Chromium: Confab against the textbook Flet chat, cold and warm, in the same run.

    .venv/bin/python -m bench.first_load             # 3 rounds per app and network, about 4 minutes
    .venv/bin/python -m bench.first_load --rounds 1 --networks 0

For each app and round: a fresh browser context (an empty HTTP cache) opens
the app on loopback (cold), then a second tab in the same context opens it
again (warm). Measured per load, through the Chrome DevTools Protocol:
bytes on the wire (encoded, headers included), requests, requests served
from the cache, requests to any host other than the app's own (recorded; they
fail, as on a machine without internet), and the time from navigation
until the name field accepts typing (a typed letter shows in it). Prints JSON
and writes bench/results/first_load.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.apps import BASELINE, CONFAB, baseline_server, confab_server
from bench.servers import machine_description
from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, NAME_FIELD, enable_semantics

OFFLINE_ARGS = ["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
"""Chromium as on a machine without internet: only loopback resolves (outside requests fail, and are counted)."""

RESULTS = Path(__file__).resolve().parent / "results"
NO_MODEL = "http://127.0.0.1:9/v1"  # nothing answers there: page loads never ask the model


def measure_load(context, url: str, mbit: float = 0) -> dict:
    """Open `url` in a new tab of `context`; what went over the wire until the name field takes typing.

    `mbit` > 0 throttles the tab's network to that many megabits per second
    (and 20 ms of latency), as a person on a home connection would see it.
    """
    page = context.new_page()
    outside: list[str] = []
    origin = url.rstrip("/")
    # Not Playwright routing, which turns the HTTP cache off: the browser resolves
    # no host but loopback (OFFLINE_ARGS), and every request is seen here.
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    if mbit:
        cdp.send(
            "Network.emulateNetworkConditions",
            {"offline": False, "latency": 20, "downloadThroughput": mbit * 125_000, "uploadThroughput": mbit * 125_000},
        )
    sent: set[str] = set()
    from_cache: set[str] = set()
    encoded: dict[str, int] = {}

    def on_request(event: dict) -> None:
        sent.add(event["requestId"])
        target = event["request"]["url"]
        if target.startswith(("http:", "https:", "ws:", "wss:")) and not target.startswith(origin):
            outside.append(target)

    cdp.on("Network.requestWillBeSent", on_request)

    def on_response(event: dict) -> None:
        if event["response"].get("fromDiskCache") or event["response"].get("fromPrefetchCache"):
            from_cache.add(event["requestId"])

    cdp.on("Network.responseReceived", on_response)
    cdp.on("Network.loadingFinished", lambda e: encoded.__setitem__(e["requestId"], e["encodedDataLength"]))
    started = time.monotonic()
    page.goto(url, wait_until="commit")
    enable_semantics(page)
    page.wait_for_selector(NAME_FIELD, timeout=120_000)
    page.click(NAME_FIELD)
    page.keyboard.type("x")
    page.wait_for_function(
        "() => document.activeElement && document.activeElement.value === 'x'", timeout=60_000
    )
    typing_after = time.monotonic() - started
    time.sleep(1.0)  # late requests (fonts the first frame asked for) still count
    page.close()
    return {
        "bytes": sum(encoded.values()),
        "requests": len(sent),
        "from_cache": len(from_cache),
        "outside_requests": len(outside),
        "outside_hosts": sorted({u.split("/")[2] for u in outside}),
        "typing_after_s": round(typing_after, 2),
    }


def run(rounds: int, log, networks: list[float]) -> dict:
    """Both apps, `rounds` cold+warm pairs each per network, alternating which goes first."""
    from playwright.sync_api import sync_playwright

    work_dir = Path(tempfile.mkdtemp(prefix="confab-first-load-"))
    servers = {
        BASELINE: baseline_server(work_dir, NO_MODEL),
        # One compression cache for the run: measured loads find it warm, as a running deployment does.
        CONFAB: confab_server(work_dir, NO_MODEL, CHAT_CACHE_DIR=str(work_dir / "cache")),
    }
    label = lambda mbit: f"{mbit:g} Mbit/s" if mbit else "loopback"  # noqa: E731
    loads = {label(m): {app: {"cold": [], "warm": []} for app in servers} for m in networks}
    try:
        for server in servers.values():
            server.start()
        _prime(servers[CONFAB].url)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + OFFLINE_ARGS)
            for mbit in networks:
                for i in range(rounds):
                    for app in list(servers) if i % 2 == 0 else list(servers)[::-1]:
                        context = browser.new_context(viewport={"width": 1280, "height": 800})
                        try:
                            for kind in ("cold", "warm"):
                                result = measure_load(context, servers[app].url + "/", mbit)
                                loads[label(mbit)][app][kind].append(result)
                                log(f"{label(mbit)} {app} {kind}: {json.dumps(result)}")
                        finally:
                            context.close()
            browser.close()
    finally:
        for server in servers.values():
            server.stop()
    return {
        network: {app: {kind: summarize(runs) for kind, runs in kinds.items()} for app, kinds in apps.items()}
        for network, apps in loads.items()
    }


def _prime(url: str) -> None:
    # The server compresses the client at start-up; wait for that, as a deployment's first visitor rarely does.
    for path in ("", "main.dart.wasm", "canvaskit/skwasm.wasm"):
        request = urllib.request.Request(f"{url}/{path}", headers={"Accept-Encoding": "br"})
        with urllib.request.urlopen(request, timeout=300) as answer:
            answer.read()


def summarize(runs: list[dict]) -> dict:
    """Medians over rounds (outside requests: the most seen in any round)."""
    return {
        "rounds": len(runs),
        "bytes": int(statistics.median(r["bytes"] for r in runs)),
        "mb": round(statistics.median(r["bytes"] for r in runs) / 1e6, 2),
        "requests": int(statistics.median(r["requests"] for r in runs)),
        "from_cache": int(statistics.median(r["from_cache"] for r in runs)),
        "outside_requests": max(r["outside_requests"] for r in runs),
        "outside_hosts": sorted({h for r in runs for h in r["outside_hosts"]}),
        "typing_after_s": round(statistics.median(r["typing_after_s"] for r in runs), 2),
        "typing_after_s_all": [r["typing_after_s"] for r in runs],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="cold+warm pairs per app (default 3)")
    parser.add_argument(
        "--networks", default="0,20", help="Mbit/s to throttle to, 0 = loopback unthrottled (default 0,20)"
    )
    parser.add_argument("--output", type=Path, default=RESULTS / "first_load.json")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    log = lambda text: print(f"[first-load {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)  # noqa: E731
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    results = run(args.rounds, log, [float(x) for x in args.networks.split(",")])
    report = {"started": started, "machine": machine_description(), "results": results}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
