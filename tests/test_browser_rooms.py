"""Rooms in Debian's Chromium at desktop and phone size: create, switch, reload, and stay apart.

Screenshots of each size go to CHAT_ARTIFACTS_DIR (rooms-desktop-*.png, rooms-phone-*.png).
"""

from __future__ import annotations

import time

import pytest

from tests.browser_fixtures import (  # noqa: F401  (fixtures)
    SIZES,
    bot_dir,
    browser,
    confab,
    contexts,
    playwright,
)
from tests.browser_support import (
    COMPOSER,
    FOCUSED_VALUE,
    artifacts_dir,
    enable_semantics,
    enter_text,
    join,
    ocr,
    open_confab,
    read_screen,
    say,
    wait_for_text,
)

pytestmark = pytest.mark.browser

ROOM_NAME = 'input[aria-label="Room name"]'
TOPIC = 'input[aria-label="Topic"]'


def show_rooms(page, size: str) -> None:
    """At phone width the rooms are in a drawer behind the menu button."""
    if size == "phone":
        page.get_by_role("button", name="Rooms").click()


def type_into(page, field: str, text: str, timeout: float = 10.0) -> None:
    """Put `text` in `field` without pressing Enter (Flutter may reset a field it just attached)."""
    page.click(field)
    deadline = time.monotonic() + timeout
    while page.evaluate(FOCUSED_VALUE) != text:
        assert time.monotonic() < deadline, f"could not type {text!r} into {field}"
        page.keyboard.press("Control+A")
        page.keyboard.insert_text(text)
        time.sleep(0.1)


def shoot(page, size: str, what: str) -> None:
    page.bring_to_front()
    page.screenshot(path=str(artifacts_dir() / f"rooms-{size}-{what}.png"))


@pytest.mark.parametrize("size", ["desktop"])
def test_create_switch_reload_and_rooms_stay_apart(confab, contexts, size):
    alice = open_confab(contexts(**SIZES[size]), confab)
    join(alice, "Alice")
    bob = open_confab(contexts(**SIZES["desktop"]), confab)
    join(bob, "Bob")

    show_rooms(alice, size)
    alice.get_by_role("button", name="New room").click()
    alice.wait_for_selector(ROOM_NAME, timeout=10_000)
    type_into(alice, ROOM_NAME, "Type Crit")
    enter_text(alice, TOPIC, "Kerning and colour")  # Enter in either field creates the room
    alice.wait_for_url("**/r/type-crit**", timeout=10_000)
    wait_for_text(alice, "# type-crit")
    alice.wait_for_selector(COMPOSER, timeout=10_000)  # still Alice: not asked for a name again

    say(alice, "Ligatures go here")
    wait_for_text(alice, "Ligatures go here")
    shoot(alice, size, "new-room")
    say(bob, "Bob stays in general")
    wait_for_text(bob, "Bob stays in general")
    assert "Ligatures" not in read_screen(bob)  # room B's message is not in room A's tab

    alice.reload(wait_until="load")
    enable_semantics(alice)
    alice.wait_for_selector(COMPOSER, timeout=30_000)
    wait_for_text(alice, "# type-crit", "Ligatures go here")  # the reload stayed in the room
    assert "/r/type-crit" in alice.url

    show_rooms(alice, size)
    wait_for_text(alice, "# general", "Kerning and colour")  # the list, with the new room's topic
    shoot(alice, size, "room-list")
    alice.get_by_text("# general").first.click()
    alice.wait_for_url("**/r/general**", timeout=10_000)
    wait_for_text(alice, "Bob stays in general", absent=("Ligatures go here",))
    shoot(alice, size, "back-in-general")


def test_the_join_dialog_shows_nothing_of_the_room_behind_it(confab, contexts):
    alice = open_confab(contexts(**SIZES["desktop"]), confab)
    join(alice, "Alice")
    say(alice, "Whiteboard plans inside")
    wait_for_text(alice, "Whiteboard plans inside")

    lurker = open_confab(contexts(**SIZES["desktop"]), confab)  # at the join dialog
    time.sleep(1.0)  # anything the room would send has arrived
    deadline = time.monotonic() + 20
    seen = ""
    while "Welcome" not in seen or "Rooms" not in seen:  # painted: the dialog and the page behind
        assert time.monotonic() < deadline, seen
        lurker.bring_to_front()
        seen = ocr(lurker.screenshot(), local_threshold=True)  # reads text dimmed behind it
    shoot(lurker, "desktop", "join-dialog")
    assert "Whiteboard" not in seen and "Alice" not in seen, seen

    join(lurker, "Lurker")  # once joined: the conversation and who is here
    wait_for_text(lurker, "Whiteboard plans inside", "Alice")
