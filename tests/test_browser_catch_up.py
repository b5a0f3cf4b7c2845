"""Catch me up in Debian's Chromium at 1280x800: the divider's button, the summary shown to
Alice alone (Bob, a headless tab in the same room, gets not one frame of it), and a citation
that jumps back to the message it cites. Screenshots go to CHAT_ARTIFACTS_DIR
(catch-up-*.png)."""

from __future__ import annotations

import re

import pytest

from chat.ui.catch_up_panel import TITLE
from chat.ui.outage_copy import WRITE_INTERVAL
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
from tests.test_browser_sidebar import loop, room_button  # noqa: F401  (the loop fixture)
from tests.test_reads_scale_out import create_room
from tests.test_room_isolation import quiet

pytestmark = pytest.mark.browser

CITED = "Apricot kiln firing moved to Thursday morning because the glaze arrives late"
"""The most informative unread message: the summary cites it first."""
FILLER = 30
LAST = f"number {FILLER}"
CONVERSATION = {"x": 240, "y": 60, "width": 905, "height": 560}
"""The conversation's upper part (the catch-up panel sits lower, above the composer)."""


def shoot(page, what: str) -> None:
    page.bring_to_front()
    page.screenshot(path=str(artifacts_dir() / f"catch-up-{what}.png"))


def test_catch_me_up_shows_alice_a_summary_whose_citations_jump(
    confab,  # noqa: F811
    contexts,  # noqa: F811
    loop,  # noqa: F811
):
    bob = loop.run(Person.open(confab))
    loop.run(bob.join("Bob"))
    loop.run(create_room(bob, "design", "Pixels"), timeout=60)
    loop.run(bob.say("old note read by everyone"))
    alice = open_confab(contexts(**SIZES["desktop"]), confab, "/r/design")
    join(alice, "Alice")  # she has read design to its end
    wait_for_text(alice, "old note read", timeout=30)
    room_button(alice, "# general").click()
    alice.wait_for_url("**/r/general**", timeout=20_000)

    loop.run(bob.say(CITED))
    for n in range(2, FILLER + 1):
        loop.run(bob.say(f"note number {n}"))
    room_button(alice, "# design").click()
    alice.wait_for_url("**/r/design**", timeout=20_000)
    # Bob's own writing left his tab's outage copy to be written (a frame), up to
    # WRITE_INTERVAL later: counted before, not taken for Alice's catch-up (a rehearsal, stop 21).
    frames = loop.run(quiet(bob, for_seconds=WRITE_INTERVAL + 0.5), timeout=30)

    alice.get_by_role("button", name=re.compile("Catch me up")).click(timeout=30_000)
    seen = wait_for_text(alice, "only you can see this", "apricot kiln", timeout=40)
    assert "\\[" not in seen and "\\]" not in seen, seen  # no escaped brackets painted
    citation = alice.get_by_role("button", name=re.compile("Citation 1"))
    citation.wait_for(timeout=10_000)
    shoot(alice, "shown")
    assert loop.run(quiet(bob), timeout=30) == frames  # not one frame in Bob's tab
    assert TITLE not in bob.lines()

    # Down at the end, the cited message is out of view; its citation brings it back.
    alice.mouse.move(700, 300)
    for _ in range(6):
        alice.mouse.wheel(0, 4000)
    wait_for_text(alice, LAST, absent=("apricot kiln",), timeout=30, clip=CONVERSATION)
    citation.click()
    wait_for_text(alice, "apricot kiln", absent=(LAST,), timeout=30, clip=CONVERSATION)
    shoot(alice, "jumped")
    loop.run(bob.close())
