"""Every way the model server fails ends the reply with a short, safe line; the room goes on."""

from __future__ import annotations

import logging
from typing import Callable

import pytest

from chat.domain import MessageStatus
from tests.bot_helpers import KEY, bot_room, close_all, final_replies, open_people, sees_line
from tests.fake_openai import FakeOpenAI
from tests.flet_server import free_port

CUT_TEXT = "one two three four five six seven eight"


def assert_short_and_safe(error: str) -> None:
    assert error and "\n" not in error and len(error) < 200, error
    assert "Traceback" not in error and KEY not in error and "canary" not in error, error


FAULTS: list[tuple[str, Callable[[FakeOpenAI], None], MessageStatus, str, str]] = [
    # name, script, stored status, stored text, words of the error
    ("server error", lambda f: (f.fail(500), f.fail(500)), MessageStatus.FAILED, "", "500"),
    (
        "rate limited, then fine",
        lambda f: (f.rate_limit(0.3), f.reply("after the wait")),
        MessageStatus.DONE,
        "after the wait",
        "",
    ),
    ("hang", lambda f: f.hang(), MessageStatus.FAILED, "", "stopped answering (no data for 0.5 s)"),
    (
        "cut off half way",
        lambda f: f.cut_off(after_words=4, text=CUT_TEXT, words_per_second=20),
        MessageStatus.INTERRUPTED,
        "one two three four ",
        "cut off before the model finished",
    ),
    (
        "refusal that quotes the key",
        lambda f: f.fail(400, message=f"Incorrect API key provided: {KEY}."),
        MessageStatus.FAILED,
        "",
        "refused the request (400): Incorrect API key provided: [key].",
    ),
    ("key rejected", lambda f: f.fail(401), MessageStatus.FAILED, "", "Check OPENAI_API_KEY"),
]


async def test_each_fault_ends_one_reply_and_the_next_mention_works_and_the_key_never_leaks(
    fake_openai: FakeOpenAI, tmp_path, caplog
):
    caplog.set_level(logging.DEBUG)  # every logger, the SDK's and the HTTP client's included
    for name in ("uvicorn", "uvicorn.error"):  # these do not propagate to the root
        logging.getLogger(name).addHandler(caplog.handler)
    try:
        async with bot_room(fake_openai, tmp_path, bot_max_concurrent=1) as served:
            alice, bob = await open_people(served, "Alice", "Bob", frames=True)
            expected = 0
            for number, (name, script, status, text, words) in enumerate(FAULTS):
                script(fake_openai)
                await alice.say(f"@bot question {number}")
                expected += 1
                reply = (await final_replies(served, expected))[-1]
                assert (reply.status, reply.text) == (status, text), name
                if words:
                    error = reply.meta.error
                    assert words in error, (name, error)
                    assert_short_and_safe(error)
                    await sees_line(bob, error)
                else:
                    assert reply.meta.error is None, name
                    await bob.sees(text)

                fake_openai.reply(f"Fine again after the {name}.")
                await bob.say(f"@bot still there after {number}?")
                expected += 1
                after = (await final_replies(served, expected))[-1]
                assert after.status is MessageStatus.DONE, name
                await alice.sees(f"Fine again after the {name}.")
            await close_all(alice, bob)
    finally:
        for name in ("uvicorn", "uvicorn.error"):
            logging.getLogger(name).removeHandler(caplog.handler)

    for person in (alice, bob):
        assert person.frames.raw, "no frames recorded"
        assert not any(KEY.encode() in raw for raw in person.frames.raw)
    databases = list(tmp_path.glob("confab.db*"))
    assert databases and not any(KEY.encode() in path.read_bytes() for path in databases)
    assert any(r.name.startswith("openai") for r in caplog.records), "SDK logs not captured"
    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''} {r.args!r}" for r in caplog.records)
    assert KEY not in logged and "canary" not in logged


@pytest.mark.parametrize(
    "base_url, words",
    [
        ("http://127.0.0.1:{closed}/v1", "Could not reach the model server. Check OPENAI_BASE_URL."),
        ("{fake}/wrong/path", "no such address (404)"),
    ],
    ids=["nothing-listening", "wrong-path"],
)
async def test_a_bad_base_url_is_explained_and_the_room_goes_on(
    fake_openai: FakeOpenAI, tmp_path, base_url, words
):
    closed = free_port()
    url = base_url.format(closed=closed, fake=fake_openai.base_url)
    async with bot_room(None, tmp_path, openai_base_url=url, bot_max_retries=0) as served:
        alice, bob = await open_people(served, "Alice", "Bob")
        await alice.say("@bot anyone home?")
        (reply,) = await final_replies(served, 1)
        assert reply.status is MessageStatus.FAILED and reply.text == ""
        error = reply.meta.error
        assert words in error, error
        # Everyone in the room reads the line: it names the setting, never the server's address.
        assert "127.0.0.1" not in error and str(closed) not in error, error
        assert_short_and_safe(error)
        await sees_line(bob, error)
        await bob.say("the room still works")
        await alice.sees("the room still works")
        await alice.say("@bot second try")
        second = (await final_replies(served, 2))[-1]
        assert second.status is MessageStatus.FAILED  # the same address, the same clear answer
        await close_all(alice, bob)
