"""The live room list in Debian's Chromium at 1280x800 and 390x844: counts, @ badges, the menu badge.

Bob is a headless tab (tests/confab_harness.py) on a loop of his own; Alice is Chromium.
Screenshots go to CHAT_ARTIFACTS_DIR (sidebar-desktop-*.png, sidebar-phone-*.png).
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Coroutine
from typing import Any

import pytest

from chat.ui.room_chrome import UNREAD_MENTIONS_NAME
from tests.browser_fixtures import (  # noqa: F401  (fixtures)
    SIZES,
    bot_dir,
    browser,
    confab,
    contexts,
    playwright,
)
from tests.browser_support import artifacts_dir, join, open_confab, wait_for_text
from tests.confab_harness import Person
from tests.test_room_switching import create_room

pytestmark = pytest.mark.browser


class Loop:
    """An event loop in a thread, for a headless tab beside Playwright's synchronous API."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine: Coroutine[Any, Any, Any], timeout: float = 20.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def loop():
    running = Loop()
    yield running
    running.close()


def room_button(page, title: str):
    """The room's button in the list the tab shows (the sidebar, or the open drawer)."""
    return page.get_by_role("button", name=re.compile("^" + re.escape(title))).first


def wait_for_label(page, title: str, wanted: str, timeout: float = 20.0) -> str:
    """Wait until the button of `title` is named `wanted` (its title, topic and badges)."""
    deadline = time.monotonic() + timeout
    while True:
        name = re.sub(
            r"\s+",
            " ",
            room_button(page, title).get_attribute("aria-label")
            or room_button(page, title).inner_text(),
        ).strip()
        if name == wanted:
            return name
        assert time.monotonic() < deadline, f"{title!r} is labelled {name!r}, not {wanted!r}"
        time.sleep(0.2)


def shoot(page, size: str, what: str) -> None:
    page.bring_to_front()
    page.screenshot(path=str(artifacts_dir() / f"sidebar-{size}-{what}.png"))


async def write_to(bob: Person, name: str) -> None:
    """Bob opens a DM with `name` from the list's "Direct message" button."""
    button = next(b for b in bob.client.find("TextButton") if b.get("content") == "Direct message")
    await bob.client.click(button)
    field = await bob.client.wait_for(lambda: bob.client.find_one("TextField", label="Their name"))
    await bob.client.submit(field, name)

    def in_the_dm() -> bool:
        appbar = bob.client.find_one("AppBar")
        shown = bob.client.texts(appbar) if appbar else []
        return any(t.startswith("@ ") for t in shown) and not (bob.composer or {}).get(
            "disabled", True
        )

    await bob.client.wait_for(in_the_dm, timeout=10)


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_unread_counts_and_mention_badges_live_in_the_list(confab, contexts, loop, size):
    bob = loop.run(Person.open(confab))
    loop.run(bob.join("Bob"))
    loop.run(create_room(bob, "design", "Pixels"))
    alice = open_confab(contexts(**SIZES[size]), confab, "/r/design")
    join(alice, "Alice")  # she has opened design: it is counted for her from now on
    if size == "phone":
        alice.get_by_role("button", name="Rooms").click()
    room_button(alice, "# general").click()
    alice.wait_for_url("**/r/general**", timeout=10_000)

    loop.run(bob.say("Pixels first"))
    loop.run(bob.say("@Alice is the kerning right?"))
    loop.run(write_to(bob, "Alice"))
    loop.run(bob.say("psst, a word in private"))

    if size == "phone":
        menu = alice.get_by_role("button", name=UNREAD_MENTIONS_NAME)
        menu.wait_for(timeout=20_000)  # the menu button is badged: a mention waits in a room
        shoot(alice, size, "menu-badge")
        menu.click()
    wait_for_label(alice, "# design", "# design Pixels @ 2")
    wait_for_label(alice, "@ Bob and Alice", "@ Bob and Alice @ 1")
    wait_for_text(alice, "# design", "@ Bob and Alice")  # names readable at this size
    shoot(alice, size, "unread")

    room_button(alice, "# design").click()
    alice.wait_for_url("**/r/design**", timeout=10_000)
    wait_for_text(alice, "kerning right")
    if size == "phone":
        alice.get_by_role("button", name=UNREAD_MENTIONS_NAME).click()  # the DM still waits
    wait_for_label(alice, "# general", "# general")
    wait_for_label(alice, "@ Bob and Alice", "@ Bob and Alice @ 1")
    wait_for_text(alice, "# general", "@ Bob and Alice")  # the drawer has finished opening
    shoot(alice, size, "after-reading")
    loop.run(bob.close())
