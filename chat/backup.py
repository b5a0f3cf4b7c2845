"""Backup and export of the message store, for `confab backup` and `confab export`."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import asdict
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit, urlunsplit

from chat.domain import Message
from chat.store import open_store
from chat.store.sqlite import BUSY_TIMEOUT, sqlite_path

EXPORT_BATCH = 1000


class BackupError(RuntimeError):
    """The backup could not be made; the message says why and what to do."""


FILE_FOLDERS = ("files", "images")
"""Folders of CHAT_DATA_DIR a backup copies: uploads (the folder BlobStore) and /imagine pictures."""


def backup_sqlite(database_url: str, data_dir: Path, target: Path) -> tuple[int, int]:
    """Back up the SQLite store and the files to a new folder `target`: (messages, files).

    `target` gets `confab.db` (SQLite's online backup API copies a consistent
    snapshot, WAL included, which a plain file copy of a WAL database does not)
    and the file folders of `data_dir`, copied after the snapshot, so every file
    a message in it names is there (files are written before their message).
    It is all made in a folder beside `target` and renamed, so a failed backup
    never leaves half a backup.
    """
    if not database_url.startswith("sqlite:///"):
        raise BackupError(
            "The store is PostgreSQL (files included): back it up with pg_dump, for example\n"
            f"  pg_dump --format=custom --file {target} '{_without_password(database_url)}'\n"
            "and restore it with pg_restore."
        )
    source_path = sqlite_path(database_url)
    if not source_path.is_file():
        raise BackupError(f"There is no database at {source_path} (DATABASE_URL / CHAT_DATA_DIR).")
    if target.exists():
        raise BackupError(
            f"{target} exists already: choose a new name (a backup never overwrites)."
        )
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        partial.mkdir(parents=True)
        count = _snapshot(source_path, partial / "confab.db")
        files = sum(_copy_folder(data_dir / name, partial / name) for name in FILE_FOLDERS)
        if target.exists():
            raise BackupError(f"{target} appeared while the backup ran: choose a new name.")
        os.rename(partial, target)
    except OSError as exc:
        shutil.rmtree(partial, ignore_errors=True)
        raise BackupError(f"The backup could not be written: {exc}") from exc
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return count, files


def _snapshot(source_path: Path, copy_path: Path) -> int:
    """A consistent, checked, self-contained copy of the database; its message count."""
    source = sqlite3.connect(source_path, timeout=BUSY_TIMEOUT)
    try:
        copy = sqlite3.connect(copy_path)
        try:
            source.backup(copy)  # all pages in one step: one consistent snapshot
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            (verdict,) = copy.execute("PRAGMA integrity_check").fetchone()
            if verdict != "ok":
                raise BackupError(f"The copy failed its integrity check: {verdict}")
            (count,) = copy.execute("SELECT COUNT(*) FROM messages").fetchone()
        finally:
            copy.close()
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite could not make the backup: {exc}") from exc
    finally:
        source.close()
    return int(count)


def _copy_folder(source: Path, target: Path) -> int:
    """Copy the whole files of `source` into `target`; how many (a file's `.type` beside it not counted)."""
    if not source.is_dir():
        return 0
    target.mkdir()
    copied = 0
    for path in sorted(source.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue  # a put still being written (.part-*): not a file yet
        try:
            shutil.copy2(path, target / path.name)
        except FileNotFoundError:
            continue  # removed meanwhile (its message was deleted)
        copied += not path.name.endswith(".type")
    return copied


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


async def export_jsonl(database_url: str, out: TextIO) -> tuple[int, int]:
    """Write every room, then its messages in order, as JSON Lines; return (rooms, messages)."""
    if database_url.startswith("sqlite:///") and not sqlite_path(database_url).is_file():
        raise BackupError(f"There is no database at {sqlite_path(database_url)}.")
    store = open_store(database_url)
    await store.open()
    rooms = messages = 0
    try:
        for room in await store.room_names():
            rooms += 1
            out.write(json.dumps({"type": "room", "name": room}, ensure_ascii=False) + "\n")
            async for message in _messages(store, room):
                messages += 1
                out.write(json.dumps(_message_record(message), ensure_ascii=False) + "\n")
    finally:
        await store.close()
    return rooms, messages


async def _messages(store, room: str) -> AsyncIterator[Message]:
    after = 0
    while True:
        batch = await store.history_after(room, after, EXPORT_BATCH)
        for message in batch:
            yield message
        if len(batch) < EXPORT_BATCH:
            return
        after = batch[-1].seq


def _message_record(message: Message) -> dict:
    record = {"type": "message", **asdict(message)}
    record["created_at"] = message.created_at.isoformat()
    record["edited_at"] = message.edited_at.isoformat() if message.edited_at else None
    record["kind"] = message.kind.value
    record["status"] = message.status.value
    record["meta"] = message.meta.to_json()
    return record
