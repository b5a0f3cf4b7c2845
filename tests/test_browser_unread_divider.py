"""The "New messages" divider in Debian's Chromium at 1280x800 and 390x844.

Bob is a headless tab (tests/confab_harness.py) on a loop of his own; Alice is
Chromium. Bob writes in # design while Alice is in # general; when she enters
# design (by its button, and later by reloading its address) the divider sits
above the first message she had not read, and the list is scrolled to it.
Screenshots go to CHAT_ARTIFACTS_DIR (unread-desktop-*.png, unread-phone-*.png).
"""

from __future__ import annotations

import pytest

from chat.ui.unread_divider import NEW_MESSAGES
from tests.browser_fixtures import (  # noqa: F401  (fixtures)
    SIZES,
    bot_dir,
    browser,
    confab,
    contexts,
    playwright,
)
from tests.browser_support import artifacts_dir, enable_semantics, join, open_confab, wait_for_text
from tests.confab_harness import Person
from tests.test_browser_sidebar import loop, room_button  # noqa: F401  (the loop fixture)
from tests.test_reads_scale_out import create_room

pytestmark = pytest.mark.browser

READ_BEFORE = 10
"""Messages Alice has read in # design."""
UNREAD = 40
"""More than a screen of unread: the tab scrolls to the divider, not to the end."""
FIRST_UNREAD = "apricot jam"
LAST_UNREAD = "zebra crossing"
"""The oldest and newest unread messages (unlike "fresh line N", OCR cannot mistake them)."""
CONVERSATION = {
    "desktop": {"x": 240, "y": 60, "width": 905, "height": 740},
    "phone": {"x": 0, "y": 56, "width": 390, "height": 700},
}
"""The conversation's column in CSS pixels: tesseract reads one column in order."""


def shoot(page, size: str, what: str) -> None:
    page.bring_to_front()
    page.screenshot(path=str(artifacts_dir() / f"unread-{size}-{what}.png"))


def go_to(page, size: str, title: str, path: str) -> None:
    if size == "phone":
        page.get_by_role("button", name="Rooms").click()
    room_button(page, title).click()
    page.wait_for_url(f"**{path}**", timeout=20_000)


def one_divider(seen: str) -> None:
    """One divider on screen, not one per batch. (Tesseract reads the red line's words out of
    order, so that it sits above the first unread message is checked on the screenshots.)"""
    assert seen.count(NEW_MESSAGES.lower()) == 1, seen


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_entering_a_room_shows_new_messages_above_the_first_unread(
    confab,  # noqa: F811
    contexts,  # noqa: F811
    loop,  # noqa: F811
    size,
):
    bob = loop.run(Person.open(confab))
    loop.run(bob.join("Bob"))
    loop.run(create_room(bob, "design", "Pixels"), timeout=60)
    for n in range(1, READ_BEFORE + 1):
        loop.run(bob.say(f"old note {n}"))
    context = contexts(**SIZES[size])
    alice = open_confab(context, confab, "/r/design")
    join(alice, "Alice")  # she has read design to its end
    wait_for_text(alice, f"old note {READ_BEFORE}", timeout=30)
    go_to(alice, size, "# general", "/r/general")

    loop.run(bob.say(FIRST_UNREAD))
    for n in range(2, UNREAD):
        loop.run(bob.say(f"fresh line {n}"))
    loop.run(bob.say(LAST_UNREAD))
    go_to(alice, size, "# design", "/r/design")
    seen = wait_for_text(
        alice,
        NEW_MESSAGES,
        FIRST_UNREAD,
        timeout=30,
        absent=(LAST_UNREAD,),  # scrolled to the divider, not to the end
        clip=CONVERSATION[size],
    )
    shoot(alice, size, "entered")
    one_divider(seen)
    # Reading up there, what arrives does not pull the list down: the jump button counts it.
    loop.run(bob.say("urgent ping"))
    alice.get_by_role("button", name="1 new message").wait_for(timeout=30_000)
    wait_for_text(alice, NEW_MESSAGES, absent=("urgent ping",), clip=CONVERSATION[size])
    shoot(alice, size, "jump-button")

    # Away again; Bob writes more; Alice comes back by reloading the room's address.
    go_to(alice, size, "# general", "/r/general")
    for n in range(1, 4):
        loop.run(bob.say(f"second batch {n}"))
    alice.goto(confab + "/r/design", wait_until="load")
    enable_semantics(alice)
    seen = wait_for_text(alice, NEW_MESSAGES, "second batch 1", timeout=40, clip=CONVERSATION[size])
    shoot(alice, size, "reloaded")
    one_divider(seen)

    # Following the end still works below the divider: a new message comes into view.
    loop.run(bob.say("latest word"))
    wait_for_text(alice, "latest word", NEW_MESSAGES, timeout=30)
    shoot(alice, size, "followed")
    loop.run(bob.close())
