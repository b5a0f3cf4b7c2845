"""POST /api/bot/stream: off by default, bearer-protected, bounded, and streamed as SSE."""

from __future__ import annotations

import json

import httpx

from tests.bot_helpers import KEY, bot_room
from tests.fake_openai import FakeOpenAI

TOKEN = "api-token-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
BAD_BODIES = (
    b"not json",
    b"\xff\xfe",
    b"[]",
    b'{"messages": []}',
    b'{"messages": [{"role": "god", "content": "x"}]}',
    b'{"messages": [{"role": "user", "content": 5}]}',
)
ASK = {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi?"}]}


def events(body: str) -> list[tuple[str | None, str]]:
    """(event name or None, data) of each server-sent event in `body`."""
    found = []
    for block in body.split("\n\n"):
        if not block.strip():
            continue
        name = data = None
        for line in block.split("\n"):
            if line.startswith("event: "):
                name = line[len("event: "):]
            elif line.startswith("data: "):
                data = line[len("data: "):]
        found.append((name, data))
    return found


async def test_the_api_is_off_without_a_token(fake_openai: FakeOpenAI, tmp_path):
    async with bot_room(fake_openai, tmp_path) as served:
        async with httpx.AsyncClient(base_url=served.url) as http:
            off = await http.post("/api/bot/stream", json=ASK, headers=AUTH)
            assert off.status_code == 404 and "CHAT_API_TOKEN" in off.json()["error"]
    assert fake_openai.chat_requests == []


async def test_the_api_refuses_bad_requests(fake_openai: FakeOpenAI, tmp_path):
    async with bot_room(fake_openai, tmp_path, api_token=TOKEN, api_max_body_bytes=1000) as served:
        async with httpx.AsyncClient(base_url=served.url) as http:
            post = http.post
            assert (await post("/api/bot/stream", json=ASK)).status_code == 401
            for given in ("Bearer nope", TOKEN, f"Basic {TOKEN}", f"Bearer {TOKEN}x"):
                wrong = await post("/api/bot/stream", json=ASK, headers={"Authorization": given})
                assert wrong.status_code == 401 and TOKEN not in wrong.text, given

            big = {"messages": [{"role": "user", "content": "x" * 5000}]}
            assert (await post("/api/bot/stream", json=big, headers=AUTH)).status_code == 413

            async def chunks():  # no Content-Length: the limit holds while reading
                for _ in range(10):
                    yield b"x" * 500

            streamed = await post("/api/bot/stream", content=chunks(), headers=AUTH)
            assert streamed.status_code == 413

            for bad in BAD_BODIES:
                refused = await post("/api/bot/stream", content=bad, headers=AUTH)
                assert refused.status_code == 400, bad
                assert refused.json()["error"], bad
    assert fake_openai.chat_requests == []  # nothing refused reached the model


async def test_the_api_streams_an_answer_and_reports_upstream_errors(
    fake_openai: FakeOpenAI, tmp_path
):
    fake_openai.reply("one two three", words_per_second=50)
    fake_openai.fail(500)
    fake_openai.fail(500)
    async with bot_room(fake_openai, tmp_path, api_token=TOKEN) as served:
        async with httpx.AsyncClient(base_url=served.url) as http:
            async with http.stream("POST", "/api/bot/stream", json=ASK, headers=AUTH) as answer:
                assert answer.status_code == 200
                assert answer.headers["content-type"].startswith("text/event-stream")
                assert answer.headers["cache-control"] == "no-cache"
                body = (await answer.aread()).decode()
            streamed = events(body)
            assert streamed[-1] == (None, "[DONE]")
            deltas = [json.loads(data)["delta"] for name, data in streamed[:-1]]
            assert all(name is None for name, _ in streamed)
            assert "".join(deltas) == "one two three" and len(deltas) == 3
            (request,) = fake_openai.chat_requests
            assert request.body["messages"] == ASK["messages"]
            assert request.headers["authorization"] == f"Bearer {KEY}"

            failed = await http.post("/api/bot/stream", json=ASK, headers=AUTH)
            assert failed.status_code == 200  # the stream had begun; the error is its last event
            ((name, data),) = events(failed.text)
            assert name == "error"
            error = json.loads(data)["error"]
            assert "answered 500" in error and KEY not in error and "\n" not in error


async def test_the_api_never_streams_the_api_key(fake_openai: FakeOpenAI, tmp_path):
    fake_openai.reply("x", pieces=["the key: ", KEY[:4], KEY[4:9], KEY[9:], " and the token ", TOKEN, "."])
    async with bot_room(fake_openai, tmp_path, api_token=TOKEN) as served:
        async with httpx.AsyncClient(base_url=served.url) as http:
            answer = await http.post("/api/bot/stream", json=ASK, headers=AUTH)
    deltas = [json.loads(data)["delta"] for name, data in events(answer.text) if data != "[DONE]"]
    assert "".join(deltas) == "the key: [key] and the token [key]."
    assert "canary" not in answer.text and TOKEN not in answer.text
