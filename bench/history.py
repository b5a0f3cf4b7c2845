"""Scenario (d): a room holding many stored messages: joining it, paging back, and memory."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from bench.apps import confab_server
from bench.servers import ROOT, settle
from bench.sessions import BenchSession, close_sessions, message_token
from bench.stats import latency_summary_ms, rounded
from chat.domain import Draft
from chat.store.sqlite import SQLiteStore

HISTORY_SENDER = 999
"""Stored messages carry tokens zq999k<i>qz, so a session can see which ones arrived."""


async def populate(database: Path, count: int) -> None:
    """Store `count` chat messages through the real store (each its own commit, as in use)."""
    store = SQLiteStore(f"sqlite:///{database}")
    await store.open()
    try:
        for i in range(count):
            author = f"Writer{i % 7}"
            text = f"stored note about the roadmap {message_token(HISTORY_SENDER, i)}"
            await store.add_message(Draft("general", author, text))
    finally:
        await store.close()


async def history(
    work_dir: Path, model_url: str, stored: int, joins: int, compression: str | None, root: Path = ROOT
) -> dict:
    """Join a room with `stored` messages `joins` times, page back once, and compare memory with an empty room."""
    database = work_dir / f"history-{stored}.db"
    started = time.perf_counter()
    await populate(database, stored)
    populate_s = time.perf_counter() - started
    full = await _joins_and_paging(work_dir, model_url, database, stored, joins, compression, root)
    empty = await _joins_and_paging(work_dir, model_url, work_dir / "history-empty.db", 0, joins, compression, root)
    return {
        "stored_messages": stored,
        "populate_s": rounded(populate_s, 1),
        "joins": joins,
        **full,
        "empty_room": {k: empty[k] for k in ("rss_started_mb", "rss_after_joins_mb", "join")},
        "rss_growth_vs_empty_room_mb": rounded(full["rss_after_joins_mb"] - empty["rss_after_joins_mb"]),
    }


async def _joins_and_paging(work_dir, model_url, database, stored, joins, compression, root) -> dict:
    server = confab_server(work_dir, model_url, database=database, root=root).start()
    try:
        await settle(server)
        rss_started = server.rss_bytes()
        newest = message_token(HISTORY_SENDER, stored - 1).encode() if stored else None
        join_times, sessions = [], []
        # Session 0 is the first visitor after a start (imports, the shared view's first
        # backlog read): reported on its own, the rest are the joins of a running server.
        for number in range(joins + 1):
            session = BenchSession(number, compression)
            backlog_seen = session.expect(newest) if newest else None
            await session.open_and_join(server.url, f"Reader{number}")
            if backlog_seen is not None:
                await asyncio.wait_for(backlog_seen, 30)
            join_times.append(max(session.ready_at, backlog_seen.result() if backlog_seen else 0) - session.connected_at)
            sessions.append(session)
        await settle(server)
        result = {
            "rss_started_mb": rounded(rss_started / 2**20),
            "rss_after_joins_mb": rounded(server.rss_bytes() / 2**20),
            "first_join_after_start_ms": rounded(1000 * join_times[0]),
            "join": latency_summary_ms(join_times[1:]),
        }
        if stored:
            result.update(await _page_back(server.url, compression, stored))
        await close_sessions(sessions)
        return result
    finally:
        server.stop()


async def _page_back(url: str, compression: str | None, stored: int) -> dict:
    """One more reader: how many rows it was sent, and how long "Load earlier messages" takes."""
    from tests.flet_client import FletClient

    client = await FletClient.connect(url, compression=compression)
    try:
        newest = message_token(HISTORY_SENDER, stored - 1)
        await client.wait_for(lambda: any(newest in b for b in _bodies(client)), timeout=30)
        rendered = len(_bodies(client))
        oldest_shown = min(_indexes(client))
        button = client.find_one("TextButton", content="Load earlier messages")
        clicked = time.perf_counter()
        await client.click(button)
        await client.wait_for(lambda: min(_indexes(client)) < oldest_shown, timeout=30)
        return {
            "rows_sent_on_join": rendered,
            "page_back_ms": rounded(1000 * (time.perf_counter() - clicked)),
            "rows_after_one_page_back": len(_bodies(client)),
        }
    finally:
        await client.close()


def _bodies(client) -> list[str]:
    return [c.get("value", "") for c in client.find("Markdown")]


def _indexes(client) -> list[int]:
    marker = f"zq{HISTORY_SENDER}k"
    return [int(b.split(marker)[1].split("qz")[0]) for b in _bodies(client) if marker in b] or [10**9]
