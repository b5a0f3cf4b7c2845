"""Subcommands beside serving: `backup PATH`, `export [PATH]` and `admin ACTION ...`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from chat.admin_cli import add_admin_commands
from chat.config import Settings


def add_commands(parser: argparse.ArgumentParser) -> None:
    """Add the subcommands; without one, the command line serves the app."""
    commands = parser.add_subparsers(dest="command", metavar="{backup,export,admin}")
    backup = commands.add_parser(
        "backup",
        help="copy the SQLite store and the files to a new folder PATH while the app runs "
        "(PostgreSQL: use pg_dump)",
    )
    backup.add_argument("path", type=Path, help="folder to make (must not exist)")
    export = commands.add_parser("export", help="write rooms and messages as JSON Lines")
    export.add_argument("path", type=Path, nargs="?", help="file to write (default: stdout)")
    add_admin_commands(commands)


def run_command(args: argparse.Namespace, settings: Settings) -> int:
    """Run the chosen subcommand; its exit code (2 when it cannot be done as asked)."""
    # Imported here: serving the app does not need them.
    from chat.admin_cli import run_admin
    from chat.backup import BackupError, backup_sqlite
    from chat.rules import Rejected
    from chat.store.base import StoreUnavailable

    try:
        if args.command == "backup":
            count, files = backup_sqlite(settings.database_url, settings.data_dir, args.path)
            print(
                f"confab: backed up {count} messages and {files} files to {args.path}",
                file=sys.stderr,
            )
            return 0
        if args.command == "export":
            return _export(settings, args.path)
        if args.command == "admin":
            print(f"confab: {asyncio.run(run_admin(args, settings))}")
            return 0
    except (BackupError, StoreUnavailable, Rejected) as exc:
        print(f"confab: {exc}", file=sys.stderr)
        return 2
    raise ValueError(f"unknown command {args.command!r}")


def _export(settings: Settings, path: Path | None) -> int:
    from chat.backup import BackupError, export_jsonl

    if path is None:
        rooms, messages = asyncio.run(export_jsonl(settings.database_url, sys.stdout))
    elif path.exists():
        raise BackupError(f"{path} exists already: choose a new name.")
    else:
        with open(path, "x", encoding="utf-8") as out:
            rooms, messages = asyncio.run(export_jsonl(settings.database_url, out))
    print(f"confab: exported {rooms} rooms and {messages} messages", file=sys.stderr)
    return 0
