"""Shared pieces of the bot tests: a room wired to the fake model server, and what sessions saw."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import AsyncIterator, Callable

from chat.domain import Message, MessageKind
from tests.confab_harness import Person, Served, serve_confab
from tests.fake_openai import FakeOpenAI
from tests.flet_client import PATCH_CONTROL, decode_frame

KEY = "sk-canary-XYZ"

FAST = dict(
    openai_api_key=KEY,
    bot_model="fake-model-1",
    bot_idle_timeout=0.5,
    bot_total_timeout=5.0,
    bot_max_retries=1,
    bot_mentions_per_minute=100,
)
"""Settings for a room whose bot talks to the fake server and gives up quickly."""


@contextlib.asynccontextmanager
async def bot_room(fake: FakeOpenAI | None, tmp_path: Path, **settings) -> AsyncIterator[Served]:
    """Confab with its bot aimed at `fake` (or at `openai_base_url` in `settings`)."""
    values = dict(FAST)
    if fake is not None:
        values["openai_base_url"] = fake.base_url
    values.update(settings)
    async with serve_confab(tmp_path, **values) as served:
        yield served


@dataclass
class Frames:
    """Every raw frame a session received, and the Markdown texts its patches carried."""

    raw: list[bytes] = field(default_factory=list)
    markdown: list[tuple[float, list[str]]] = field(default_factory=list)
    """(perf_counter, Markdown values in that PATCH_CONTROL frame), one entry per frame."""

    def __call__(self, raw: bytes, received_at: float) -> None:
        self.raw.append(bytes(raw))
        message = decode_frame(raw)
        if message is not None and message[0] == PATCH_CONTROL:
            self.markdown.append((received_at, list(_markdown_values(message[1]))))

    def texts_of(self, belongs: Callable[[str], bool]) -> list[tuple[float, str]]:
        """(time, text) of each frame that carried a Markdown text for which `belongs` is true."""
        out = []
        for at, values in self.markdown:
            mine = [v for v in values if belongs(v)]
            if mine:
                out.append((at, mine[-1]))
        return out


def _markdown_values(value) -> list[str]:
    stack, found = [value], []
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item.get("_c") == "Markdown" and isinstance(item.get("value"), str):
                found.append(item["value"])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


async def open_people(served: Served, *names: str, frames: bool = False) -> list[Person]:
    """A joined session per name, each with a Frames recorder `.frames` (filled if frames=True)."""
    people = []
    for name in names:
        recorder = Frames()
        person = await Person.open(served.url, on_frame=recorder if frames else None)
        person.frames = recorder
        await person.join(name)
        people.append(person)
    return people


async def close_all(*people: Person) -> None:
    for person in people:
        await person.close()


async def all_messages(served: Served) -> list[Message]:
    """Every stored message of the room, oldest first."""
    confab = served.confab
    return await confab.store.history(confab.settings.room, None, 10_000)


async def replies(served: Served) -> list[Message]:
    """The bot's stored replies, oldest first."""
    return [m for m in await all_messages(served) if m.kind is MessageKind.BOT]


async def final_replies(served: Served, count: int, timeout: float = 8.0) -> list[Message]:
    """Wait until the bot has `count` replies stored with a final status; return them all."""
    deadline = time.monotonic() + timeout
    while True:
        found = await replies(served)
        if len(found) >= count and all(m.status.is_final for m in found):
            return found
        assert time.monotonic() < deadline, f"wanted {count} final replies, have {found!r}"
        await asyncio.sleep(0.02)


async def sees_line(
    person: Person, wanted: Callable[[str], bool] | str, timeout: float = 5.0
) -> str:
    """Wait until a visible text matches; return it."""
    test = wanted if callable(wanted) else (lambda text: wanted in text)
    return await person.client.wait_for(
        lambda: next((t for t in person.lines() if test(t)), None), timeout=timeout
    )
