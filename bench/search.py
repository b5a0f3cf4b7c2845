"""Search benchmark: full-text search against LIKE '%term%' over the same SQLite messages.

Fills a fresh SQLite file through the real migrations (so the FTS5 triggers index
every row), with `--messages` chat lines in 20 rooms written with executemany in
one transaction, then times 20 realistic queries through the real store
(SQLiteStore.search_messages, snippets included, as a person who may read every
room) and the same queries as LIKE scans. Prints JSON; --out writes it too.

    .venv/bin/python -m bench.search --messages 1000000 --out bench/results/search.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import statistics
import time
import uuid
from pathlib import Path
from tempfile import TemporaryDirectory

from chat.search_query import SearchOrder, parse
from chat.store.search_sqlite import like_pattern
from chat.store.sqlite import SQLiteStore

ROOMS = [f"room-{i:02d}" for i in range(20)]
COMMON = [
    "the",
    "a",
    "to",
    "and",
    "of",
    "is",
    "in",
    "it",
    "for",
    "on",
    "that",
    "this",
    "we",
    "with",
    "be",
    "can",
    "at",
    "have",
    "just",
    "so",
    "but",
    "not",
    "you",
    "are",
    "was",
    "will",
    "do",
    "if",
    "what",
    "about",
    "all",
    "one",
    "get",
    "there",
    "up",
    "out",
    "like",
    "think",
    "now",
    "need",
    "should",
]
TOPICS = [
    "deploy",
    "release",
    "database",
    "migration",
    "kubernetes",
    "cluster",
    "latency",
    "outage",
    "incident",
    "customer",
    "invoice",
    "password",
    "reset",
    "login",
    "error",
    "bug",
    "fix",
    "refactor",
    "roadmap",
    "meeting",
    "tomorrow",
    "lunch",
    "coffee",
    "holiday",
    "weekend",
    "budget",
    "review",
    "design",
    "docs",
    "api",
    "token",
    "webhook",
    "search",
    "index",
    "cache",
    "redis",
    "postgres",
    "backup",
    "restore",
    "monitoring",
    "alert",
    "dashboard",
    "metrics",
    "python",
    "flet",
    "browser",
    "mobile",
    "tokyo",
    "berlin",
    "paris",
    "café",
    "résumé",
    "naïve",
    "señor",
    "über",
    "déjà",
]
CJK = [
    "東京タワーに行きます",
    "会議は明日です",
    "서울에서 만나요",
    "新しいリリース",
    "バグを直しました",
]
QUERIES = [
    "deploy",
    "database migration",
    '"password reset"',
    "kubernetes latency",
    "outage -incident",
    "invoice customer",
    "lunch tomorrow",
    "error",
    "refactor roadmap",
    "cafe",
    "resume",
    "redis cache",
    "backup restore",
    '"release notes"',
    "webhook token",
    "alert dashboard",
    "東京タワー",
    "berlin meeting",
    "flet browser mobile",
    "zebra",  # in no message: the worst case for a scan
]


def sentence(chance: random.Random, serial: int) -> str:
    """A chat line: common words, two or three topic words, now and then notes or CJK."""
    words = chance.choices(COMMON, k=chance.randint(4, 14))
    for _ in range(chance.randint(1, 3)):
        words.insert(chance.randrange(len(words) + 1), chance.choice(TOPICS))
    if serial % 97 == 0:
        words.append("release notes")
    if serial % 101 == 0:
        words.append(chance.choice(CJK))
    return " ".join(words)


INSERT = """INSERT INTO messages
    (id, room, seq, author, kind, status, text, created_at, client_id, meta, author_id, deleted_by)
    VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"""
"""Named columns: later migrations add columns (edits, replies) that a fill leaves at their defaults."""


async def fill(database: Path, count: int, seed: int = 7) -> float:
    """Store `count` messages (migrations first); the seconds the writing took."""
    store = SQLiteStore(f"sqlite:///{database}")
    await store.open()
    await store.close()
    chance = random.Random(seed)
    started = time.perf_counter()
    db = sqlite3.connect(database, isolation_level=None)
    db.execute("BEGIN")
    seqs = dict.fromkeys(ROOMS, 0)
    rows = []
    now = time.time() - count
    for serial in range(count):
        room = ROOMS[serial % len(ROOMS)]
        seqs[room] += 1
        rows.append(
            (uuid.uuid4().hex, room, seqs[room], f"writer{serial % 50}", "chat", "done",
             sentence(chance, serial), now + serial, None, "{}", None, None)
        )  # fmt: skip
        if len(rows) == 50_000:
            db.executemany(INSERT, rows)
            rows.clear()
    db.executemany(INSERT, rows)
    db.execute("COMMIT")
    db.close()
    return time.perf_counter() - started


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    """p50 and p95 (and the worst) of `samples_ms`."""
    ordered = sorted(samples_ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(p95, 2),
        "max_ms": round(ordered[-1], 2),
    }


def like_sql(raw: str, room_filter: bool = True) -> tuple[str, list[str]]:
    """The LIKE scan a search without an index would do, newest first.

    With `room_filter` it asks what the store asks (the rooms the person may read);
    without, SQLite walks the table newest first and stops at the 20th hit: LIKE's
    best case, fast for common words and a full scan for rare ones.
    """
    query = parse(raw)
    where, params = [], list(ROOMS) if room_filter else []
    for term in query.wanted:
        where.append("text LIKE ? ESCAPE '\\'")
        params.append(like_pattern(term.text))
    for term in query.unwanted:
        where.append("text NOT LIKE ? ESCAPE '\\'")
        params.append(like_pattern(term.text))
    rooms = ",".join("?" * len(ROOMS))
    in_rooms = f"room IN ({rooms}) AND " if room_filter else ""
    return (
        f"""SELECT id, text FROM messages WHERE {in_rooms}deleted_by IS NULL
            AND {" AND ".join(where)} ORDER BY rowid DESC LIMIT 20""",
        params,
    )


async def time_search(database: Path, repeats: int) -> dict:
    store = SQLiteStore(f"sqlite:///{database}")
    await store.open()
    result: dict = {}
    try:
        for order in (SearchOrder.NEWEST, SearchOrder.BEST):
            samples, per_query = [], {}
            for raw in QUERIES:
                await store.search_messages(parse(raw), ROOMS, order, 20)  # warm the cache
                times = []
                for _ in range(repeats):
                    started = time.perf_counter()
                    hits = await store.search_messages(parse(raw), ROOMS, order, 20)
                    times.append((time.perf_counter() - started) * 1000)
                samples += times
                per_query[raw] = {
                    "median_ms": round(statistics.median(times), 2),
                    "hits": len(hits),
                }
            result[f"fts_{order.value}"] = {**percentiles(samples), "queries": per_query}
    finally:
        await store.close()
    return result


def time_like(database: Path, repeats: int, room_filter: bool = True) -> dict:
    db = sqlite3.connect(database)
    samples, per_query = [], {}
    for raw in QUERIES:
        sql, params = like_sql(raw, room_filter)
        times = []  # no warm-up run: a scan reads the whole file either way
        for _ in range(repeats):
            started = time.perf_counter()
            found = db.execute(sql, params).fetchall()
            times.append((time.perf_counter() - started) * 1000)
        samples += times
        per_query[raw] = {"median_ms": round(statistics.median(times), 2), "hits": len(found)}
    db.close()
    return {**percentiles(samples), "queries": per_query}


async def run(messages: int, repeats: int, like_repeats: int, work: Path, reuse: bool) -> dict:
    database = work / "search.db"
    fill_s = None if reuse and database.exists() else await fill(database, messages)
    fts = await time_search(database, repeats)
    like = time_like(database, like_repeats)
    like_unfiltered = time_like(database, like_repeats, room_filter=False)
    newest = fts["fts_newest"]
    return {
        "scenario": "search",
        "messages": messages,
        "rooms": len(ROOMS),
        "queries": len(QUERIES),
        "fill_s": round(fill_s, 1) if fill_s is not None else "reused an earlier fill",
        "database_mb": round(database.stat().st_size / 2**20, 1),
        "sqlite": sqlite3.sqlite_version,
        **fts,
        "like_newest": like,
        "like_newest_without_room_filter": like_unfiltered,
        "speedup_p50_newest_vs_like": round(like["p50_ms"] / newest["p50_ms"], 1),
        "speedup_p95_newest_vs_like": round(like["p95_ms"] / newest["p95_ms"], 1),
        "speedup_p95_best_vs_like": round(like["p95_ms"] / fts["fts_best"]["p95_ms"], 1),
        "speedup_p50_newest_vs_like_without_room_filter": round(
            like_unfiltered["p50_ms"] / newest["p50_ms"], 1
        ),
        "speedup_p95_newest_vs_like_without_room_filter": round(
            like_unfiltered["p95_ms"] / newest["p95_ms"], 1
        ),
        "target": "p95 <= 50 ms and >= 20x faster than LIKE",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=10, help="timed runs of each FTS query")
    parser.add_argument("--like-repeats", type=int, default=1, help="timed runs of each LIKE scan")
    parser.add_argument("--work", type=Path, help="where the database goes (default: a temp dir)")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    parser.add_argument(
        "--reuse", action="store_true", help="time the database already in --work (no new fill)"
    )
    args = parser.parse_args()
    with TemporaryDirectory() as temp:
        work = args.work or Path(temp)
        work.mkdir(parents=True, exist_ok=True)
        result = asyncio.run(run(args.messages, args.repeats, args.like_repeats, work, args.reuse))
    text = json.dumps(result, indent=2, ensure_ascii=False)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
