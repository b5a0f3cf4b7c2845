"""`main.py backup` copies a live SQLite store consistently; `main.py export` writes JSON Lines."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sqlite3
import sys

from chat.domain import MessageKind
from tests.app_process import ROOT
from tests.confab_harness import Person, serve_confab


def _env(**extra: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CHAT_", "DATABASE_", "OPENAI_"))}
    return {**clean, **extra}


async def _run_main(*args: str, **env: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "main.py"), *args,
        env=_env(**env), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, out.decode(), err.decode()


async def test_a_backup_taken_while_the_app_writes_restores_everything(tmp_path):
    live_dir, backup_path = tmp_path / "live", tmp_path / "backup"
    async with serve_confab(live_dir) as served:
        service = served.confab.service
        posted: list[str] = []
        stop = asyncio.Event()

        async def keep_writing() -> None:
            while not stop.is_set():
                text = f"message {len(posted)}"
                await service.post_message("general", f"tab-{len(posted)}", "Alice", text)
                posted.append(text)
                await asyncio.sleep(0.002)

        writer = asyncio.create_task(keep_writing())
        while len(posted) < 200:
            await asyncio.sleep(0.01)
        before_backup = list(posted)
        rc, _, err = await _run_main("backup", str(backup_path), CHAT_DATA_DIR=str(live_dir))
        during = len(posted) - len(before_backup)
        await asyncio.sleep(0.1)
        stop.set()
        await writer
        live = await service.store.history_after(service.settings.room, 0, 100_000)

    assert rc == 0, err
    assert during > 0, "the app was not writing while the backup ran"
    with sqlite3.connect(backup_path / "confab.db") as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # one self-contained file
        rows = copy.execute("SELECT seq, id, text FROM messages ORDER BY seq").fetchall()
    assert err.strip() == f"confab: backed up {len(rows)} messages and 0 files to {backup_path}"
    # A consistent snapshot: a prefix of the live log, no holes, nothing half-written.
    assert [seq for seq, _, _ in rows] == list(range(1, len(rows) + 1))
    assert [(m.seq, m.id, m.text) for m in live[: len(rows)]] == rows
    texts = {text for _, _, text in rows}
    assert set(before_backup) <= texts
    assert not list(tmp_path.glob("*.partial"))

    # Restore: the copy becomes a new deployment's database, and the room is all there.
    restored_dir = tmp_path / "restored"
    restored_dir.mkdir()
    shutil.copy(backup_path / "confab.db", restored_dir / "confab.db")
    async with serve_confab(restored_dir) as served:
        store = served.confab.store
        assert await store.count_messages() == len(rows)
        chat = [m.text for m in await store.history_after("general", 0, 100_000) if m.kind is MessageKind.CHAT]
        assert set(before_backup) <= set(chat)
        person = await Person.open(served.url)
        await person.join("Carol")
        await person.sees(rows[-1][2])
        await person.close()


PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
    "0000000c4944415408d763f8cfc0000003010100c9fe92ef0000000049454e44ae426082"
)


async def test_a_backup_holds_the_files_and_a_restore_serves_them(tmp_path):
    live_dir, backup_path = tmp_path / "live", tmp_path / "backup"
    async with serve_confab(live_dir) as served:
        service = served.confab.service
        kept = await service.files.keep("person-1", "general", "notes.txt", b"the minutes")
        await service.post_message("general", "tab", "Alice", "", attachments=[kept])
        (live_dir / "files" / ".part-half-written").write_bytes(b"half")  # a put in progress
        rc, _, err = await _run_main("backup", str(backup_path), CHAT_DATA_DIR=str(live_dir))
    assert rc == 0, err
    copied = sorted(p.name for p in (backup_path / "files").iterdir())
    assert copied == sorted([kept.id, f"{kept.id}.type", f"{kept.id}.json", f"{kept.id}.json.type"])
    with sqlite3.connect(backup_path / "confab.db") as copy:
        (messages,) = copy.execute("SELECT COUNT(*) FROM messages").fetchone()
    assert err.strip() == f"confab: backed up {messages} messages and 2 files to {backup_path}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backup", "live"]  # nothing partial

    # Restore: the folder's contents become a new deployment's data directory.
    restored = tmp_path / "restored"
    shutil.copytree(backup_path, restored)
    async with serve_confab(restored) as served:
        record = await served.confab.uploads.record(kept.id)
        assert record is not None and record.room == "general"
        assert (await served.confab.uploads.file(kept.id)).data == b"the minutes"


def test_a_failed_backup_leaves_nothing_behind(tmp_path, monkeypatch):
    from chat import backup

    async def make() -> None:
        async with serve_confab(tmp_path / "live") as served:
            kept = await served.confab.uploads.keep("person-1", "general", "a.png", PNG)
            await served.confab.service.post_message("general", "tab", "Al", "", attachments=[kept])

    asyncio.run(make())

    def fail(source, target, **kwargs):  # root reads every file here: a disk error is injected
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(backup.shutil, "copy2", fail)
    target = tmp_path / "backup"
    url = f"sqlite:///{tmp_path / 'live' / 'confab.db'}"
    try:
        backup.backup_sqlite(url, tmp_path / "live", target)
    except backup.BackupError as exc:
        assert "No space left on device" in str(exc)
    else:
        raise AssertionError("the backup did not fail")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["live"]


async def test_backup_never_overwrites_and_points_postgres_to_pg_dump(tmp_path):
    async with serve_confab(tmp_path):
        pass  # leaves a database behind
    existing = tmp_path / "taken.db"
    existing.write_text("keep me")
    rc, _, err = await _run_main("backup", str(existing), CHAT_DATA_DIR=str(tmp_path))
    assert rc == 2 and "exists already" in err and existing.read_text() == "keep me"

    rc, _, err = await _run_main("backup", str(tmp_path / "x.db"), CHAT_DATA_DIR=str(tmp_path / "empty"))
    assert rc == 2 and "There is no database at" in err

    rc, _, err = await _run_main(
        "backup", str(tmp_path / "pg.dump"), DATABASE_URL="postgresql://confab:s3cret@db:5432/confab"
    )
    assert rc == 2
    assert "pg_dump --format=custom" in err and "postgresql://confab@db:5432/confab" in err
    assert "s3cret" not in err


async def test_export_writes_rooms_and_messages_as_json_lines(tmp_path):
    async with serve_confab(tmp_path) as served:
        service = served.confab.service
        for i in range(3):
            await service.post_message("general", f"tab-{i}", "Alice", f"line {i}\nwith a break")
    rc, out, err = await _run_main("export", CHAT_DATA_DIR=str(tmp_path))
    assert rc == 0, err
    records = [json.loads(line) for line in out.splitlines()]
    assert records[0] == {"type": "room", "name": "general"}
    messages = records[1:]
    assert all(r["type"] == "message" and r["room"] == "general" for r in messages)
    assert [r["seq"] for r in messages] == list(range(1, len(messages) + 1))
    assert [r["text"] for r in messages if r["kind"] == "chat"] == [f"line {i}\nwith a break" for i in range(3)]
    assert err.strip() == f"confab: exported 1 rooms and {len(messages)} messages"

    target = tmp_path / "export.jsonl"
    rc, out, err = await _run_main("export", str(target), CHAT_DATA_DIR=str(tmp_path))
    assert rc == 0 and out == ""
    assert [json.loads(line) for line in target.read_text().splitlines()] == records
    rc, _, err = await _run_main("export", str(target), CHAT_DATA_DIR=str(tmp_path))
    assert rc == 2 and "exists already" in err


async def test_export_reads_postgresql_too(pg_database, tmp_path):
    async with serve_confab(tmp_path, database_url=pg_database) as served:
        await served.confab.service.post_message("general", "tab", "Alice", "kept in PostgreSQL")
    rc, out, err = await _run_main("export", DATABASE_URL=pg_database)
    assert rc == 0, err
    records = [json.loads(line) for line in out.splitlines()]
    assert records[0] == {"type": "room", "name": "general"}
    assert "kept in PostgreSQL" in [r.get("text") for r in records]
