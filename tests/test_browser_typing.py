"""A fast typist in Chromium: every keystroke lands in the message it was typed in.

Typing goes on right after Enter, while the server is still handling the
message before: the window where a server-owned TextField used to merge
messages ("yessounds good") or drop letters. Meanwhile another person talks
and a bot reply streams. The texts are read back from the store and from
another tab (a headless client speaking Flet's protocol).
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time

import pytest

from chat.ui.markdown_safety import safe_markdown
from tests.browser_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    COMPOSER,
    FOCUSED_VALUE,
    artifacts_dir,
    join,
    missing_tools,
    open_confab,
    run_confab,
    wait_for_focus,
)
from tests.confab_harness import Person

if (reason := missing_tools()) is not None:
    pytest.skip(reason, allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (never `playwright install`)")

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
BOT_REPLY = " ".join(f"word{i}" for i in range(120))

# What the typist sends: "\n" is Shift+Enter (a line break in the message), each item ends with Enter.
MESSAGES = [
    "yes",
    "sounds good",
    "see you at 3",
    "bring the slides",
    "a",
    "ok\nand the notes",
    "ally bye",
    "yes",
]


@pytest.fixture(scope="module")
def bot_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("bot")


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as running:
        chromium = running.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class OtherTab:
    """A second person in a headless tab on its own event loop: talks, asks the bot, and reads."""

    def __init__(self, url: str):
        self.url = url
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.person: Person = self.run(self._open())
        self._talking: asyncio.Future | None = None

    def run(self, coro, timeout: float = 30.0):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def _open(self) -> Person:
        person = await Person.open(self.url)
        await person.join("Bob")
        return person

    def ask_bot(self) -> None:
        self.run(self.person.say("@bot please tell me a long story", wait=False))

    def start_talking(self, every: float = 0.4) -> None:
        async def talk():
            n = 0
            while True:
                await self.person.say(f"bob line {n}", wait=False)
                n += 1
                await asyncio.sleep(every)

        self._talking = asyncio.run_coroutine_threadsafe(talk(), self.loop)

    def stop_talking(self) -> None:
        if self._talking is not None:
            self._talking.cancel()

    def bodies(self) -> list[str]:
        return self.run(self._bodies())

    async def _bodies(self) -> list[str]:
        return self.person.bodies()

    def wait_for_bodies(self, wanted, timeout: float = 30.0) -> list[str]:
        async def wait():
            await self.person.client.wait_for(lambda: wanted(self.person.bodies()), timeout=timeout)
            return self.person.bodies()

        return self.run(wait(), timeout + 5)

    def close(self) -> None:
        self.stop_talking()
        self.run(self.person.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def _type_fast(page, text: str, delay_ms: int) -> None:
    """Type as a fast person does: Shift+Enter for line breaks, Enter at the end, no pause."""
    for number, line in enumerate(text.split("\n")):
        if number:
            page.keyboard.press("Shift+Enter", delay=delay_ms)
        page.keyboard.type(line, delay=delay_ms)
    page.keyboard.press("Enter", delay=delay_ms)


def _from_alice(bodies: list[str]) -> list[str]:
    """Alice's lines among what a tab shows: everything but Bob's lines, his question and the bot's reply."""
    return [b for b in bodies if not b.startswith(("bob line", "**@bot**", "word"))]


def _alice_texts(db_path) -> list[str]:
    with sqlite3.connect(db_path) as db:
        return [
            row[0]
            for row in db.execute("SELECT text FROM messages WHERE kind = 'chat' AND author = 'Alice' ORDER BY seq")
        ]


@pytest.mark.parametrize("viewport, delay_ms", [(DESKTOP, 30), (PHONE, 20)], ids=["desktop-30ms", "phone-20ms"])
def test_a_fast_typist_sends_exactly_what_was_typed(bot_dir, tmp_path, browser, fake_openai, viewport, delay_ms):
    fake_openai.reply(BOT_REPLY, words_per_second=20)  # streams for about six seconds
    log = artifacts_dir() / f"server-fast-typist-{viewport['width']}-{delay_ms}.log"
    env = {"OPENAI_BASE_URL": fake_openai.base_url, "OPENAI_API_KEY": "test-key"}
    with run_confab(bot_dir, tmp_path, log, **env) as url:
        bob = OtherTab(url)
        context = browser.new_context(viewport=viewport, device_scale_factor=1)
        try:
            alice = open_confab(context, url)
            join(alice, "Alice")
            # The app puts the cursor in the composer once the dialog closes; a loaded machine
            # may still be closing it, and a person would click the field: so does the test.
            alice.click(COMPOSER)
            wait_for_focus(alice, COMPOSER)
            bob.ask_bot()
            bob.start_talking()
            time.sleep(0.5)  # the reply is streaming and Bob is talking

            for text in MESSAGES:
                _type_fast(alice, text, delay_ms)
            expected = list(MESSAGES)

            # The send button too: type, click Send, and go on typing once the cursor is back.
            alice.keyboard.type("by the button", delay=delay_ms)
            alice.get_by_role("button", name="Send message").click()
            # Off the button: in Chromium's semantics mode its tooltip takes the cursor when it shows.
            alice.mouse.move(300, 300)
            wait_for_focus(alice, COMPOSER)
            expected.append("by the button")
            for text in ["after the button", "last one"]:
                _type_fast(alice, text, delay_ms)
            expected += ["after the button", "last one"]

            bob.stop_talking()
            deadline = time.monotonic() + 15
            while _alice_texts(tmp_path / "confab.db") != expected and time.monotonic() < deadline:
                time.sleep(0.2)
            alice.screenshot(path=artifacts_dir() / f"fast-typist-{viewport['width']}-{delay_ms}.png")

            assert _alice_texts(tmp_path / "confab.db") == expected, "the store differs"
            shown = [safe_markdown(text) for text in expected]  # a tab shows each as made safe
            bob.wait_for_bodies(lambda bodies: _from_alice(bodies)[-1:] == shown[-1:])
            assert _from_alice(bob.bodies()) == shown, "the other tab differs"
            # Sent text leaves the field once typing pauses, and the cursor is still in it.
            alice.wait_for_function(f"() => ({FOCUSED_VALUE}) === ''", timeout=10_000)
        finally:
            context.close()
            bob.close()
