"""The composer keeps the cursor while the room moves around it, in Chromium (issue 8, point 1).

With Flutter's semantics on (a screen reader, and every browser test), any
tooltip that opens or closes (a follow-up row's time, 0.8 s after the
pointer rests on it) made the web client move the page's whole semantics
subtree to a new parent in the DOM, and a moved <textarea> loses focus: the
person's next keystrokes went nowhere. Here the pointer rests on the
conversation, as a reader's does, while Alice types slowly and others join
and talk; every key must land in the composer.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time

import pytest

from tests.browser_fixtures import (  # noqa: F401  (fixtures)
    SIZES,
    bot_dir,
    browser,
    contexts,
    playwright,
)
from tests.browser_support import (
    COMPOSER,
    FOCUSED_VALUE,
    artifacts_dir,
    join,
    open_confab,
    run_confab,
)
from tests.confab_harness import Person

pytestmark = pytest.mark.browser

TALL = "\n\n".join(f"Line {n} of a message taller than the screen" for n in range(40))
"""A message taller than the screen at both sizes (and well within the length limit)."""
TYPED = "still typing while the room fills up"
KEY_DELAY_MS = 110


class Room:
    """Headless people (Flet's protocol) on an event loop of their own: they post, join and talk."""

    def __init__(self, url: str):
        self.url = url
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.people: list[Person] = []

    def run(self, coro, timeout: float = 60.0):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def enter(self, name: str) -> Person:
        async def enter():
            person = await Person.open(self.url)
            await person.join(name)
            return person

        person = self.run(enter())
        self.people.append(person)
        return person

    def say(self, person: Person, text: str) -> None:
        self.run(person.say(text, wait=False))

    def fill(self, name: str) -> None:
        """A long message and 15 multi-line follow-ups: a full list, with a time tooltip on each follow-up."""
        person = self.enter(name)
        self.say(person, TALL)  # (a tab shows it made safe, not as written: no waiting for it)
        for n in range(15):
            self.run(person.say(f"note {n}\nsecond line {n}\nthird line {n}"))

    def close(self) -> None:
        for person in self.people:
            self.run(person.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def served(bot_dir, tmp_path, request):
    log = artifacts_dir() / f"server-{request.node.name}.log"
    with run_confab(bot_dir, tmp_path, log) as url:
        room = Room(url)
        try:
            yield url, room, tmp_path / "confab.db"
        finally:
            room.close()


def _texts_by(db_path, author: str) -> list[str]:
    with sqlite3.connect(db_path) as db:
        query = "SELECT text FROM messages WHERE kind = 'chat' AND author = ? ORDER BY seq"
        return [row[0] for row in db.execute(query, (author,))]


def _focused_tag(page) -> str | None:
    return page.evaluate("document.activeElement?.tagName ?? null")


def _conversation_point(page) -> tuple[float, float]:
    """A point over the middle of the conversation, where follow-up rows sit."""
    size = page.viewport_size
    return size["width"] * 0.3, size["height"] * 0.5


WITHOUT_MOVE_BEFORE = "delete Element.prototype.moveBefore;"
"""A browser without the DOM's state-preserving move (Safari, older Chromium and Firefox)."""


@pytest.mark.parametrize(
    "size, dom", [("desktop", "moveBefore"), ("phone", "moveBefore"), ("desktop", "without moveBefore")]
)
def test_keystrokes_land_while_others_join_and_talk(served, contexts, size, dom):
    url, room, db_path = served
    room.fill("Carol")
    context = contexts(**SIZES[size])
    if dom == "without moveBefore":
        context.add_init_script(WITHOUT_MOVE_BEFORE)
    alice = open_confab(context, url)
    join(alice, "Alice")
    alice.click(COMPOSER)
    alice.mouse.move(*_conversation_point(alice))  # the reader's pointer rests on the conversation

    typed = ""
    for n, char in enumerate(TYPED):
        if n == 4:
            bob = room.enter("Bob")  # a second tab joins while Alice types
        if n in (10, 20, 30):
            room.say(bob, f"bob says {n}")
        if n == 16:
            room.enter("Dana")
        alice.keyboard.type(char)
        typed += char
        time.sleep(KEY_DELAY_MS / 1000)
        held = alice.evaluate(FOCUSED_VALUE)
        if held != typed:
            alice.screenshot(path=artifacts_dir() / f"focus-lost-{size}.png")
            pytest.fail(f"after {typed!r} the focused field holds {held!r} (focus: {_focused_tag(alice)!r})")
    time.sleep(1.5)  # any tooltip has had its time to open
    assert alice.evaluate(FOCUSED_VALUE) == TYPED, "the composer lost the cursor while idle"
    alice.keyboard.press("Enter")

    deadline = time.monotonic() + 10
    while _texts_by(db_path, "Alice") != [TYPED] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _texts_by(db_path, "Alice") == [TYPED]
    alice.screenshot(path=artifacts_dir() / f"focus-kept-{size}.png")


WHAT_IS_OVER_THE_COMPOSER = """() => {
    const field = document.querySelector('textarea');
    const box = field.getBoundingClientRect();
    const top = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
    return top === field || top.contains(field) ? null : `${top.tagName}#${top.id}`;
}"""
"""JavaScript: the element a click on the composer's middle would reach instead of it (null: none)."""


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_message_taller_than_the_screen_leaves_the_composer_reachable(served, contexts, size):
    """A tall message right after another by the same person leaves the composer reachable.

    As a follow-up it named its time in a tooltip over the whole row, and Flutter gave that
    target, taller than the screen, a semantics node as large as the screen, over the
    composer: with semantics on (a screen reader, or these tests) a tap on the composer
    missed it, always on a phone. Such a message now shows its name and time instead
    (chat/ui/message_row.py, looks_tall).
    """
    url, room, db_path = served
    carol = room.enter("Carol")
    room.say(carol, "first")
    room.say(carol, TALL)  # by the same person a moment later, and it fills the list
    alice = open_confab(contexts(**SIZES[size]), url)
    join(alice, "Alice")
    alice.mouse.move(*_conversation_point(alice))  # resting on the tall message
    time.sleep(1.5)  # a tooltip, had it one, would be open now
    alice.screenshot(path=artifacts_dir() / f"tall-message-{size}.png")
    assert alice.evaluate(WHAT_IS_OVER_THE_COMPOSER) is None
    alice.click(COMPOSER, timeout=5_000)
    alice.keyboard.type("over a tall one", delay=60)
    alice.keyboard.press("Enter")
    deadline = time.monotonic() + 10
    while _texts_by(db_path, "Alice") != ["over a tall one"] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _texts_by(db_path, "Alice") == ["over a tall one"]
