"""/metrics, /livez and /readyz on the real app, with real failures behind them."""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit

import httpx
from prometheus_client.parser import text_string_to_metric_families

from chat.domain import MessageStatus
from tests.bot_helpers import bot_room, close_all, final_replies, open_people
from tests.confab_harness import serve_confab
from tests.fake_openai import FakeOpenAI
from tests.flet_server import free_port


async def scrape(url: str) -> dict[tuple[str, tuple], float]:
    """Every sample on /metrics, keyed by (name, sorted labels)."""
    async with httpx.AsyncClient() as http:
        response = await http.get(url + "/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def grew(before: dict, after: dict, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


async def test_metrics_count_messages_fanout_and_a_bot_reply(fake_openai: FakeOpenAI, tmp_path):
    fake_openai.reply("four words of answer")
    async with bot_room(fake_openai, tmp_path) as served:
        before = await scrape(served.url)
        alice, bob = await open_people(served, "Alice", "Bob")
        await alice.say("first message")
        await bob.say("second message")
        await alice.say("@bot say four words")
        (reply,) = await final_replies(served, 1)
        assert reply.status is MessageStatus.DONE
        after = await scrape(served.url)

        assert value(after, "confab_sessions") == 2
        assert value(after, "confab_rooms") == 1
        assert grew(before, after, "confab_messages_posted_total", kind="chat") == 3
        assert grew(before, after, "confab_messages_posted_total", kind="bot") == 1
        assert grew(before, after, "confab_messages_posted_total", kind="system") >= 2  # joined
        posted = sum(
            grew(before, after, "confab_messages_posted_total", kind=k) for k in ("chat", "bot", "system")
        )
        # One process: every stored message is relayed here once, and timed.
        assert grew(before, after, "confab_messages_delivered_total") == posted
        assert grew(before, after, "confab_fanout_latency_seconds_count") == posted
        assert grew(before, after, "confab_fanout_latency_seconds_bucket", le="+Inf") == posted
        assert grew(before, after, "confab_fanout_latency_seconds_sum") > 0
        assert grew(before, after, "confab_bot_replies_total", outcome="done") == 1
        # The fake server's usage chunk counts a token a word, and 1 for the prompt.
        assert grew(before, after, "confab_bot_tokens_total", bot="bot", direction="completion") == 4
        assert grew(before, after, "confab_bot_tokens_total", bot="bot", direction="prompt") == 1
        assert grew(before, after, "confab_store_errors_total") == 0
        assert grew(before, after, "confab_bus_errors_total") == 0
        await close_all(alice, bob)


async def test_a_failed_reply_and_store_errors_are_counted(fake_openai: FakeOpenAI, tmp_path):
    fake_openai.fail(500)
    fake_openai.fail(500)  # and its retry
    async with bot_room(fake_openai, tmp_path) as served:
        (alice,) = await open_people(served, "Alice")
        before = await scrape(served.url)
        await alice.say("@bot are you there?")
        (reply,) = await final_replies(served, 1)
        assert reply.status is MessageStatus.FAILED
        await served.confab.store.close()  # the database goes away under the app
        async with httpx.AsyncClient() as http:
            assert (await http.get(served.url + "/readyz")).status_code == 503
        after = await scrape(served.url)
        assert grew(before, after, "confab_bot_replies_total", outcome="failed") == 1
        assert grew(before, after, "confab_store_errors_total") >= 1
        await served.confab.store.open()
        await close_all(alice)


async def test_livez_answers_while_readyz_names_the_store_that_is_down(pg_database, tmp_path):
    real = urlsplit(pg_database)
    proxy = await TcpProxy.start(real.hostname or "127.0.0.1", real.port or 5432)
    database = real._replace(netloc=f"{real.username}@127.0.0.1:{proxy.port}").geturl()
    try:
        async with serve_confab(tmp_path, database_url=database) as served:
            async with httpx.AsyncClient() as http:
                ready = await http.get(served.url + "/readyz")
                assert (ready.status_code, ready.text.splitlines()[0]) == (200, "ready")
                proxy.close()  # PostgreSQL stops answering: connections cut, port closed
                ready = await http.get(served.url + "/readyz", timeout=15)
                live = await http.get(served.url + "/livez")
                health = await http.get(served.url + "/healthz", timeout=15)
        assert ready.status_code == 503
        lines = ready.text.splitlines()
        assert lines[0] == "not ready: store not answering"
        assert lines[1].startswith("store: down") and lines[2] == "bus: ok"
        assert (live.status_code, live.text) == (200, "ok\n")
        assert health.status_code == 503 and health.text.startswith("unavailable\nstore: down")
    finally:
        proxy.close()


async def test_readyz_names_the_bus_when_redis_does_not_answer(tmp_path):
    closed_port = free_port()  # nothing listens there
    async with serve_confab(tmp_path, bus_url=f"redis://127.0.0.1:{closed_port}/0") as served:
        async with httpx.AsyncClient() as http:
            ready = await http.get(served.url + "/readyz", timeout=15)
            live = await http.get(served.url + "/livez")
    assert ready.status_code == 503
    lines = ready.text.splitlines()
    assert lines[0] == "not ready: bus not answering"
    assert lines[1] == "store: ok" and lines[2].startswith("bus: down")
    assert live.status_code == 200


class TcpProxy:
    """Forwards a local port to a server until closed; closing cuts every connection."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @classmethod
    async def start(cls, host: str, port: int) -> TcpProxy:
        proxy = cls((host, port))
        proxy._server = await asyncio.start_server(proxy._accept, "127.0.0.1", 0)
        proxy.port = proxy._server.sockets[0].getsockname()[1]
        return proxy

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in self._writers:
            writer.transport.abort()
        self._writers.clear()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, asyncio.CancelledError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.close()
