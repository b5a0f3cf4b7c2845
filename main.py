"""Run Confab: `python main.py` serves it on http://127.0.0.1:8550."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import signal
import sys

from chat.config import Settings, SettingsError


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Confab, a realtime chat room.")
    parser.add_argument("--host", help="interface to bind (CHAT_HOST, default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to serve on (CHAT_PORT, default 8550)")
    parser.add_argument(
        "--desktop",
        action="store_true",
        default=None,
        help="open a Flet desktop window instead of serving the web app",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env(host=args.host, port=args.port, desktop=args.desktop)
    except SettingsError as exc:
        print(f"confab: {exc}", file=sys.stderr)
        return 2
    if settings.desktop:
        return run_desktop(settings)
    import uvicorn

    from chat.web import create_app

    # uvicorn shuts down gracefully on SIGTERM (bot replies get their deadline),
    # then re-raises the signal; by then everything is closed, so that is exit 0.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    app = create_app(settings)
    # What is imported and built by now lives as long as the process: keep it out of the
    # collector's full passes, which otherwise stall the event loop for up to ~100 ms
    # once a few hundred tabs' controls are alive (measured with `python -m bench.run`).
    gc.freeze()
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        ws="websockets-sansio",
        log_level="info",
    )
    return 0


def run_desktop(settings: Settings) -> int:
    """The same app in a Flet desktop window (needs the Flet desktop client)."""
    import flet as ft

    from chat.app import Confab
    from chat.web import ASSETS_DIR

    os.environ.pop("FLET_FORCE_WEB_SERVER", None)  # Flet would serve the web app instead
    ft.run(Confab(settings).main, view=ft.AppView.FLET_APP, assets_dir=str(ASSETS_DIR))
    return 0


if __name__ == "__main__":
    sys.exit(main())
