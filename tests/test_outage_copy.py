"""The conversation copy a tab keeps in its browser for outages: what it says, and how rarely it is written."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from chat.domain import Message, MessageKind, MessageStatus
from chat.ui.outage_copy import (
    COPY_LINE_CHARS,
    COPY_LINES,
    WRITE_INTERVAL,
    CopyView,
    OutageCopy,
    conversation_copy,
)
from chat.ui.theme import DARK, LIGHT
from tests.confab_harness import BrowserPrefs, Person, serve_confab
from tests.flet_client import FletClient

TOKYO = timezone(timedelta(hours=9))
AT = datetime(2026, 12, 2, 5, 5, tzinfo=UTC)  # 14:05 in Tokyo
VIEW = CopyView("general", TOKYO, "Confab Bot", lambda m: m.author == "Alice")


def message(seq: int, author: str = "Alice", text: str = "hi", **fields) -> Message:
    return Message(id=f"m{seq}", room="general", seq=seq, author=author, text=text, created_at=AT, **fields)


def test_the_copy_names_author_time_and_text_as_plain_strings():
    copy = json.loads(
        conversation_copy(
            [
                message(1, text="<img src=x onerror=alert(1)>"),
                message(2, "bot", "Sure", kind=MessageKind.BOT, status=MessageStatus.STREAMING),
                message(3, "system", "Bob joined", kind=MessageKind.SYSTEM),
                message(4, "Bob", "**bold**"),
            ],
            VIEW,
        )
    )
    assert copy["room"] == "general"
    assert copy["lines"] == [
        {"author": "Alice", "time": "14:05", "text": "<img src=x onerror=alert(1)>", "kind": "chat", "own": True},
        {"author": "Confab Bot", "time": "14:05", "text": "Sure (still writing)", "kind": "bot", "own": False},
        {"author": "Confab", "time": "14:05", "text": "Bob joined", "kind": "system", "own": False},
        {"author": "Bob", "time": "14:05", "text": "**bold**", "kind": "chat", "own": False},
    ]
    assert copy["colours"]["light"]["surface"] == LIGHT["surface"]
    assert copy["colours"]["dark"]["on_surface"] == DARK["on_surface"]


def test_the_copy_keeps_the_newest_lines_and_cuts_long_ones():
    messages = [message(seq, text=f"line {seq}") for seq in range(1, 81)]
    messages.append(message(81, text="x" * 10_000))
    lines = json.loads(conversation_copy(messages, VIEW))["lines"]
    assert len(lines) == COPY_LINES
    assert lines[0]["text"] == f"line {81 - COPY_LINES + 1}"
    assert lines[-1]["text"] == "x" * (COPY_LINE_CHARS - 1) + "\u2026"


async def test_changes_are_written_at_most_once_per_interval_and_only_when_new():
    written: list[str] = []
    shown = ["a"]

    async def write(copy: str) -> None:
        written.append(copy)

    keeper = OutageCopy(write, lambda: shown[-1], interval=0.05)
    for _ in range(20):
        keeper.changed()
    await asyncio.sleep(0.15)
    assert written == ["a"]

    keeper.changed()  # nothing new to say
    await asyncio.sleep(0.15)
    assert written == ["a"]

    shown.append("b")
    keeper.changed()
    await keeper.write_now()  # the room is shown again: written at once, and not again later
    await asyncio.sleep(0.15)
    assert written == ["a", "b"]

    await keeper.write_now()  # a reconnect says so even when nothing changed
    assert written == ["a", "b", "b"]

    shown.append("c")
    keeper.changed()
    keeper.stop()  # the tab closed
    await asyncio.sleep(0.15)
    assert written == ["a", "b", "b"]


@pytest.fixture(scope="module")
def bot_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("bot")


async def test_a_tab_keeps_its_copy_and_rewrites_it_when_it_comes_back(bot_dir, tmp_path):
    writes: list[dict] = []
    prefs = BrowserPrefs()

    def browser(request):
        if request.get("name") == "set" and request["args"]["key"] == "confab.outage":
            writes.append(json.loads(request["args"]["value"]))
        return prefs(request)

    async with serve_confab(bot_dir, tmp_path) as served:
        dana = await Person.open(served.url, on_invoke=browser)
        await dana.client.wait_for(lambda: writes, timeout=5)  # written once the room is shown
        await dana.join("Dana")
        await dana.say("hello <b>there</b>")
        await dana.client.wait_for(lambda: "hello <b>there</b>" in _texts(writes[-1]), timeout=WRITE_INTERVAL + 3)
        assert writes[-1]["lines"][-1] == {
            "author": "Dana",
            "time": writes[-1]["lines"][-1]["time"],
            "text": "hello <b>there</b>",
            "kind": "chat",
            "own": True,
        }
        written = len(writes)
        session_id = dana.client.session_id
        await dana.close()
        back = Person(await FletClient.connect(served.url, session_id=session_id, on_invoke=browser))
        assert back.client.session_id == session_id  # the same session, resumed
        # index.html takes its outage view away on this write: the room is shown again.
        await back.client.wait_for(lambda: len(writes) > written, timeout=5)
        assert _texts(writes[-1]) == _texts(writes[written - 1])
        await back.close()


def _texts(copy: dict) -> list[str]:
    return [line["text"] for line in copy["lines"]]


async def test_the_copy_of_a_tab_in_another_room_names_that_room(bot_dir, tmp_path):
    writes: list[dict] = []
    prefs = BrowserPrefs()

    def browser(request):
        if request.get("name") == "set" and request["args"]["key"] == "confab.outage":
            writes.append(json.loads(request["args"]["value"]))
        return prefs(request)

    async with serve_confab(bot_dir, tmp_path) as served:
        await served.confab.service.directory.create_room("design", "", None)
        dora = await Person.open(served.url, route="/r/design", on_invoke=browser)
        await dora.join("Dora")
        await dora.say("kerning first")
        await dora.client.wait_for(lambda: writes and "kerning first" in _texts(writes[-1]), timeout=WRITE_INTERVAL + 3)
        # The outage screen shows "# <room>" over these lines: design's lines under design's name.
        assert {copy["room"] for copy in writes} == {"design"}
        await dora.close()
