"""Several real server processes on one PostgreSQL and one Redis, driven by headless browsers.

Each test gets its own database and Redis channel, and starts `python main.py`
processes (tests/app_process.py). Whatever is stopped on purpose (Redis,
PostgreSQL, a server process) is started again in a `finally`.
"""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from tests.app_process import AppProcess
from tests.confab_harness import BrowserPrefs, Person
from tests.servers import (
    REDIS_URL,
    ensure_postgres,
    ensure_redis,
    fetch_sql,
    new_channel,
    pg_ctl,
    require_redis,
    stop_redis,
    why_pg_cannot_restart,
    why_redis_cannot_restart,
)

TOKEN = re.compile(rb"zq\d+k\d+qz")
"""A message token, zq<sender>k<index>qz: plain bytes in every frame that carries the message."""


def token(sender: int, index: int) -> str:
    return f"zq{sender}k{index}qz"


class Cluster:
    """Confab processes sharing this test's database and Redis channel; all killed at the end."""

    def __init__(self, data_dir: Path, database_url: str, model_url: str):
        self.data_dir = data_dir
        self.database_url = database_url
        self.env = {
            "DATABASE_URL": database_url,
            "BUS_URL": REDIS_URL,
            "CHAT_BUS_CHANNEL": new_channel(),
            # Every row stays rendered and a new page shows the whole test's history.
            "CHAT_RENDER_LIMIT": "5000",
            "CHAT_HISTORY_PAGE": "1000",
            "CHAT_RATE_PER_SECOND": "1000",
            "CHAT_RATE_BURST": "1000",
            "CHAT_MAX_SESSIONS_PER_IP": "1000",
            # The fake model: no offline brain training at start-up.
            "OPENAI_BASE_URL": model_url,
        }
        self.processes: list[AppProcess] = []

    async def start(self, count: int = 2, port: int | None = None) -> list[AppProcess]:
        """Start `count` processes at once (on `port`: a restart); wait until they answer."""
        started = [AppProcess(self.data_dir, self.env, port=port) for _ in range(count)]
        self.processes += started
        await asyncio.gather(*(asyncio.to_thread(p.start, 60) for p in started))
        return started

    def kill_all(self) -> None:
        for process in self.processes:
            process.kill()

    async def health(self, process: AppProcess) -> tuple[int, str]:
        async with httpx.AsyncClient(timeout=10) as http:
            answer = await http.get(process.url + "/healthz")
        return answer.status_code, answer.text

    async def wait_health(self, process: AppProcess, check, seconds: float = 20.0) -> str:
        """Poll /healthz until `check(status, body)`; return the body."""
        async with asyncio.timeout(seconds):
            while True:
                status, body = await self.health(process)
                if check(status, body):
                    return body
                await asyncio.sleep(0.1)

    async def chat_texts(self) -> list[str]:
        """People's messages as the database orders them (by seq)."""
        rows = await fetch_sql(
            self.database_url, "SELECT text FROM messages WHERE kind = 'chat' ORDER BY seq"
        )
        return [row["text"] for row in rows]


async def _cluster(tmp_path: Path, database_url: str, model_url: str):
    await require_redis()
    started = Cluster(tmp_path, database_url, model_url)
    try:
        yield started
    finally:
        started.kill_all()
        await ensure_redis()


@pytest_asyncio.fixture
async def cluster(shared_servers, tmp_path, pg_database, fake_openai):
    """Processes for a test that leaves PostgreSQL and Redis running."""
    async for started in _cluster(tmp_path, pg_database, fake_openai.base_url):
        yield started


@pytest_asyncio.fixture
async def outage_cluster(exclusive_servers, tmp_path, pg_database, fake_openai):
    """Processes for a test that stops PostgreSQL or Redis (no other run uses them meanwhile)."""
    async for started in _cluster(tmp_path, pg_database, fake_openai.base_url):
        yield started


class Tab(Person):
    """A Person whose raw frames are scanned for message tokens: cheap to wait on in a burst."""

    @classmethod
    async def open(cls, url: str, **connect) -> Tab:
        seen: set[bytes] = set()
        waiting: dict[bytes, asyncio.Future] = {}

        def on_frame(raw: bytes, received_at: float) -> None:
            if b"zq" in raw:
                for match in TOKEN.finditer(raw):
                    seen.add(match.group())
                    future = waiting.pop(match.group(), None)
                    if future is not None and not future.done():
                        future.set_result(received_at)

        tab = await super().open(url, on_frame=on_frame, **connect)
        tab.seen, tab.waiting = seen, waiting
        return tab

    async def join(self, name: str, expect_ok: bool = True) -> None:
        # The name dialog goes out in a patch after the composer's: wait for it too.
        await self.client.wait_for(lambda: self.name_field is not None, timeout=10)
        await super().join(name, expect_ok)

    async def post(self, composer_id: int, text: str, seconds: float = 20.0) -> None:
        """Send `text` (carrying a token) and wait until it comes back."""
        mark = TOKEN.search(text.encode()).group()
        arrived = asyncio.get_running_loop().create_future()
        self.waiting[mark] = arrived
        await self.client.submit(composer_id, text)
        if mark in self.seen:
            return
        try:
            await asyncio.wait_for(arrived, seconds)
        except TimeoutError:
            composer = self.client.get(composer_id) or {}
            raise AssertionError(
                f"{text!r} did not come back in {seconds}s; composer: "
                f"value={composer.get('value')!r} error={composer.get('error')!r}"
                f"; last bodies {self.bodies()[-5:]}"
            ) from None

    def shown(self, prefix: str) -> list[str]:
        return [body for body in self.bodies() if body.startswith(prefix)]

    async def shows_count(self, prefix: str, count: int, seconds: float = 30.0) -> list[str]:
        await self.client.wait_for(lambda: len(self.shown(prefix)) >= count, timeout=seconds)
        return self.shown(prefix)


async def open_tabs(processes: list[AppProcess], per_process: int) -> list[Tab]:
    """`per_process` joined tabs on each process, named P<process>-<n>."""

    async def one(process_number: int, n: int) -> Tab:
        tab = await Tab.open(processes[process_number].url)
        await tab.join(f"P{process_number}-{n}")
        return tab

    return list(
        await asyncio.gather(
            *(one(p, n) for p in range(len(processes)) for n in range(per_process))
        )
    )


async def burst(tabs: list[Tab], messages_each: int, prefix: str = "burst") -> list[str]:
    """Every tab sends `messages_each` messages, each once its previous one came back."""
    sent: list[str] = []

    async def speak(number: int, tab: Tab) -> None:
        composer_id = tab.composer["_i"]
        for index in range(messages_each):
            text = f"{prefix} {token(number, index)}"
            sent.append(text)
            await tab.post(composer_id, text)

    await asyncio.gather(*(speak(n, tab) for n, tab in enumerate(tabs)))
    return sent


async def assert_everyone_has(
    cluster: Cluster, tabs: list[Tab], sent: list[str], prefix: str
) -> None:
    """Zero lost, zero duplicated, and every tab in the database's order."""
    stored = [text for text in await cluster.chat_texts() if text.startswith(prefix)]
    assert sorted(stored) == sorted(sent), "the database lost or doubled a message"
    for number, tab in enumerate(tabs):
        shown = await tab.shows_count(prefix, len(sent))
        assert len(shown) == len(set(shown)), f"tab {number} shows a message twice"
        assert shown == stored, f"tab {number} differs from the database's order"


async def assert_the_bus_carries(sender: Tab, receiver: Tab, tag: int) -> None:
    """Messages cross from one process to the other at bus speed, not at the 2 s catch-up's."""
    delays = []
    for index in range(7):
        text = f"ping {token(tag, index)}"
        started = time.perf_counter()
        await sender.post(sender.composer["_i"], text)
        await receiver.client.wait_for(lambda: text in receiver.bodies(), timeout=10)
        delays.append(time.perf_counter() - started)
    assert sorted(delays)[3] < 0.4, f"slow as a store catch-up, not a bus: {delays}"


async def watch_channel(channel: str, seen: set[bytes], subscribed: asyncio.Event) -> None:
    """Note every message token published on the Redis `channel`."""
    import redis.asyncio as redis

    client = redis.Redis.from_url(REDIS_URL)
    pubsub = client.pubsub()
    try:
        await pubsub.subscribe(channel)
        subscribed.set()
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if message is not None:
                seen.update(TOKEN.findall(message["data"]))
    finally:
        await pubsub.aclose()
        await client.aclose()


async def test_two_processes_six_senders_same_order_everywhere(cluster):
    processes = await cluster.start(2)
    tabs = await open_tabs(processes, per_process=3)
    on_redis: set[bytes] = set()
    subscribed = asyncio.Event()
    watcher = asyncio.create_task(
        watch_channel(cluster.env["CHAT_BUS_CHANNEL"], on_redis, subscribed)
    )
    try:
        await asyncio.wait_for(subscribed.wait(), 10)
        sent = await burst(tabs, messages_each=50)
        assert len(sent) == 300
        await assert_everyone_has(cluster, tabs, sent, "burst ")
    finally:
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
    # Every message went over Redis (from both processes), and the bus carries them across.
    assert on_redis >= {TOKEN.search(text.encode()).group() for text in sent}
    await assert_the_bus_carries(tabs[0], tabs[-1], tag=90)
    await assert_the_bus_carries(tabs[-1], tabs[0], tag=91)
    for tab in tabs:
        await tab.close()


@pytest.mark.skipif(why_redis_cannot_restart() is not None, reason=str(why_redis_cannot_restart()))
async def test_redis_killed_mid_burst_loses_nothing(outage_cluster):
    cluster = outage_cluster
    processes = await cluster.start(2)
    tabs = await open_tabs(processes, per_process=3)
    sending = asyncio.create_task(burst(tabs, messages_each=50))
    try:
        await tabs[-1].client.wait_for(lambda: len(tabs[-1].seen) >= 60, timeout=30)
        await stop_redis()
        stopped_at = time.monotonic()
        for process in processes:
            body = await cluster.wait_health(process, lambda s, b: "bus: down" in b)
            assert body.startswith("ok") and "store: ok" in body  # the room still works
        assert not sending.done(), "the burst ended before Redis went down; make it longer"
        await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - stopped_at)))
    except BaseException:
        sending.cancel()
        raise
    finally:
        await ensure_redis()
    sent = await sending
    for process in processes:
        await cluster.wait_health(process, lambda s, b: s == 200 and "bus: ok" in b)
    await assert_everyone_has(cluster, tabs, sent, "burst ")

    # Recovered by themselves: each bus reader subscribed again, and the bus carries messages
    # between the processes faster than the 2 s store catch-up could.
    for process in processes:
        async with asyncio.timeout(15):
            while "is back after" not in process.log():
                await asyncio.sleep(0.1)
    await assert_the_bus_carries(tabs[0], tabs[-1], tag=90)
    await assert_the_bus_carries(tabs[-1], tabs[0], tag=91)
    for tab in tabs:
        await tab.close()


async def test_a_process_restarted_under_a_client_replays_the_gap_once(cluster):
    a, b = await cluster.start(2)
    prefs = BrowserPrefs()
    ann = await Tab.open(a.url)
    await ann.join("Ann")
    dana = await Tab.open(b.url, on_invoke=prefs)
    await dana.join("Dana")
    await dana.client.set_value(dana.composer, "half a tho")
    await dana.client.send_event(dana.composer, "change", "half a tho")
    await dana.client.wait_for(lambda: prefs.values.get("confab.draft") == "half a tho", timeout=5)

    sent: list[str] = []
    posting = True

    async def keep_posting() -> None:
        composer_id = ann.composer["_i"]
        while posting and len(sent) < 400:
            sent.append(f"gap {token(0, len(sent))}")
            await ann.post(composer_id, sent[-1])

    poster = asyncio.create_task(keep_posting())
    try:
        await dana.client.wait_for(lambda: len(dana.seen) >= 10, timeout=10)
        await asyncio.to_thread(b.kill)  # SIGKILL: no goodbye to anyone
        await dana.client.wait_for(lambda: dana.client.closed, timeout=10)
        killed_at = len(sent)
        await ann.client.wait_for(lambda: len(sent) >= killed_at + 20, timeout=10)
        (b,) = await cluster.start(1, port=b.port)  # the same address, as a browser expects
        dana = await Tab.open(b.url, on_invoke=prefs)  # the browser reconnects
        await dana.client.wait_for(
            lambda: (
                dana.composer.get("disabled") is False
                and dana.composer.get("value") == "half a tho"
            ),
            timeout=10,
        )
        reconnected_at = len(sent)
        await ann.client.wait_for(lambda: len(sent) >= reconnected_at + 20, timeout=10)
    finally:
        posting = False
        await poster
    assert killed_at < reconnected_at < len(sent)

    shown = await dana.shows_count("gap ", len(sent))
    assert shown == sent == [t for t in await cluster.chat_texts() if t.startswith("gap ")]
    assert "You: Dana" in dana.lines()  # rejoined without the name dialog
    assert dana.composer["value"] == "half a tho"  # the unsent draft survived
    await dana.close()
    await ann.close()


async def test_one_mention_one_reply_streamed_to_every_process(cluster, fake_openai):
    answer = " ".join(f"word{i}" for i in range(24))
    fake_openai.reply(answer, words_per_second=12)
    a, b = await cluster.start(2)
    ann = await Tab.open(a.url)
    await ann.join("Ann")
    bea = await Tab.open(b.url)
    await bea.join("Bea")
    await ann.say("@bot count for us, please")

    partial_texts: set[str] = set()

    def finished_on_b() -> bool:
        replies = [body for body in bea.bodies() if body.startswith("word")]
        partial_texts.update(replies)
        return replies == [answer] and "writing…" not in bea.lines()

    await bea.client.wait_for(finished_on_b, timeout=20)
    assert len(partial_texts - {answer}) >= 2, f"B saw no streaming: {partial_texts}"
    await ann.client.wait_for(lambda: answer in ann.bodies(), timeout=5)

    rows = await fetch_sql(
        cluster.database_url, "SELECT text, status, client_id FROM messages WHERE kind = 'bot'"
    )
    assert [(r["text"], r["status"]) for r in rows] == [(answer, "done")]
    assert rows[0]["client_id"].startswith("reply:")
    assert len(fake_openai.chat_requests) == 1
    await ann.close()
    await bea.close()


@pytest.mark.skipif(why_pg_cannot_restart() is not None, reason=str(why_pg_cannot_restart()))
async def test_postgres_restart_while_the_app_runs(outage_cluster):
    cluster = outage_cluster
    a, b = await cluster.start(2)
    ann = await Tab.open(a.url)
    await ann.join("Ann")
    bea = await Tab.open(b.url)
    await bea.join("Bea")
    await ann.say("before the outage")
    await bea.sees("before the outage")
    try:
        await asyncio.to_thread(pg_ctl, "stop")
        status, body = await cluster.health(a)
        assert status == 503 and "store: down" in body, body
        await ann.say("written while down", wait=False)
        error = await ann.client.wait_for(lambda: ann.composer.get("error"), timeout=15)
        assert "database is not answering" in error
        assert ann.composer["value"] == "written while down"  # the text is kept
    finally:
        await ensure_postgres()
    for process in (a, b):
        await cluster.wait_health(process, lambda s, body: s == 200 and "store: ok" in body)
    # No restart of the app: Enter again sends the kept text, once.
    await ann.say("written while down")
    await bea.sees("written while down", timeout=10)
    await bea.say("and after")
    await ann.sees("and after", timeout=10)

    rows = await fetch_sql(
        cluster.database_url, "SELECT seq, text, status FROM messages ORDER BY seq"
    )
    assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1))  # no gap, no half-saved row
    texts = [r["text"] for r in rows]
    for text in ("before the outage", "written while down", "and after"):
        assert texts.count(text) == 1, (text, texts)
    assert all(r["status"] == "done" for r in rows)
    assert bea.bodies().count("written while down") == 1
    await ann.close()
    await bea.close()
