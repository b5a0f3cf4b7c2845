"""The command line: `confab` (or `python main.py`, `python -m chat`) serves on http://127.0.0.1:8550."""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import signal
import sys

from chat import __version__, collector
from chat.commands import add_commands, run_command
from chat.config import Settings, SettingsError
from chat.logs import configure_logging


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="confab", description="Confab, a realtime chat room.")
    parser.add_argument("--version", action="version", version=f"confab {__version__}")
    parser.add_argument("--host", help="interface to bind (CHAT_HOST, default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to serve on (CHAT_PORT, default 8550)")
    parser.add_argument(
        "--desktop",
        action="store_true",
        default=None,
        help="open a Flet desktop window instead of serving the web app",
    )
    add_commands(parser)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        settings = Settings.from_env(host=args.host, port=args.port, desktop=args.desktop)
    except SettingsError as exc:
        print(f"confab: {exc}", file=sys.stderr)
        return 2
    log_config = configure_logging(settings.log_level, settings.log_format)
    if args.command:
        return run_command(args, settings)
    if settings.desktop:
        return run_desktop(settings)
    import uvicorn

    from chat.web import create_app

    # uvicorn shuts down gracefully on SIGTERM (bot replies get their deadline),
    # then re-raises the signal; by then everything is closed, so that is exit 0.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    app = create_app(settings)
    # The collector's full passes would stall every room for over a second with 500 tabs.
    collector.keep_pauses_short()
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        ws="websockets-sansio",
        ws_max_size=settings.ws_max_frame_bytes,
        log_config=log_config,
        log_level=settings.log_level.lower(),
        # However a connection misbehaves, it cannot hold the process past the deadline.
        timeout_graceful_shutdown=math.ceil(settings.shutdown_deadline),
    )
    return 0


def run_desktop(settings: Settings) -> int:
    """The same app in a Flet desktop window (needs the Flet desktop client)."""
    import flet as ft

    from chat.app import Confab
    from chat.resources import assets_dir

    os.environ.pop("FLET_FORCE_WEB_SERVER", None)  # Flet would serve the web app instead
    confab = Confab(settings)

    async def serve_window() -> None:
        try:
            await ft.run_async(confab.main, view=ft.AppView.FLET_APP, assets_dir=str(assets_dir()))
        finally:
            # Closed on the app's own loop: the store's connection thread would otherwise keep
            # the process alive after the window closes or SIGTERM arrives.
            await confab.stop()

    asyncio.run(serve_window())
    return 0


if __name__ == "__main__":
    sys.exit(main())
