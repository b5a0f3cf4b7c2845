"""The view follows the conversation, in Chromium at desktop and phone sizes.

A tab at the bottom keeps the newest line (and a growing reply's "writing…"
line and Stop) in view; a tab scrolled up stays where it is and offers the
new messages; sending always shows your own message.
"""

from __future__ import annotations

import time

import pytest

from tests.browser_fixtures import (  # noqa: F401  (fixtures)
    SIZES,
    bot_dir,
    browser,
    confab,
    confab_with_model,
    contexts,
    playwright,
)
from tests.browser_support import artifacts_dir, join, open_confab, say, wait_for_text
from tests.fake_openai import FakeOpenAI
from tests.view_support import in_view, labelled, list_bounds, scroll_conversation, wait_in_view

pytestmark = pytest.mark.browser

REPLY_LINES = 40
STOP_HEIGHT = 30
"""CSS px of the Stop button (32): a box clipped shorter is cut off by the list's edge."""


def _long_reply() -> str:
    # One short paragraph per line, each with its own number: easy to find and to read back.
    return "\n\n".join(f"Point{n:02d} stands." for n in range(1, REPLY_LINES + 1)) + "\n\nThat is all."


def _fill(page, count: int, prefix: str) -> None:
    for n in range(count):
        say(page, f"{prefix} {n:02d}\nwith a second line")


def _in_view_within_a_moment(page, needle: str) -> bool:
    """False when `needle` is in view now or within a moment.

    The client follows growth on the frame after it (a post-frame jump), and the
    semantics boxes trail the paint, so one look can catch the row a frame early.
    """
    for wait in (0, 0.1, 0.15, 0.25, 0.5):
        time.sleep(wait)
        if in_view(page, needle, min_height=STOP_HEIGHT) or not labelled(page, needle):
            return True  # in view, or gone with the reply finished meanwhile
    return False


@pytest.mark.parametrize("size", ["desktop"])
def test_a_tab_at_the_bottom_follows_a_growing_reply(size, confab_with_model, fake_openai: FakeOpenAI, contexts):
    fake_openai.reply(_long_reply(), words_per_second=2)  # about 40 s of writing
    alice = open_confab(contexts(**SIZES[size]), confab_with_model)
    reader = open_confab(contexts(**SIZES[size]), confab_with_model)
    join(alice, "Alice")
    join(reader, "Rita")
    _fill(alice, 4, "Before the question")
    say(alice, "@bot tell me everything")

    # While the reply grows past the bottom, both tabs keep its end in view: the
    # "writing…" line and Stop below the newest words. (By its 14th line the reply
    # reaches past the bottom at both sizes.)
    samples = 0
    out_of_view = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for who, page in (("asker", alice), ("reader", reader)):
            stops = labelled(page, "Stop")
            if not stops:
                continue  # not written yet, or finished
            if not labelled(page, "Point14"):
                continue  # the reply does not reach past the bottom yet
            samples += 1
            if not _in_view_within_a_moment(page, "Stop"):
                top, bottom = list_bounds(page)
                shot = artifacts_dir() / f"follow-{size}-{who}-{samples}.png"
                page.screenshot(path=shot)
                out_of_view.append((who, stops, (top, bottom), str(shot)))
        if not labelled(alice, "Stop") and labelled(alice, "That is all"):
            break
        time.sleep(0.3)
    assert samples >= 3, f"the reply was not seen growing past the bottom ({samples} samples)"
    assert not out_of_view, f"Stop was out of view while the reply grew: {out_of_view}"

    # Finished: its last words are in view, and so is what is said next.
    wait_in_view(reader, "That is all", end_only=True)
    wait_for_text(reader, "That is all", absent=("writing",))
    say(alice, "Thanks, that helps")
    wait_in_view(reader, "Thanks, that helps")
    wait_in_view(alice, "Thanks, that helps")
    reader.screenshot(path=artifacts_dir() / f"follow-{size}-reader-after.png")


@pytest.mark.parametrize("size", ["phone"])
def test_a_tab_scrolled_up_stays_put_and_offers_the_latest(size, confab, contexts):
    alice = open_confab(contexts(**SIZES["desktop"]), confab)  # the one talking; the reader has `size`
    reader = open_confab(contexts(**SIZES[size]), confab)
    join(alice, "Alice")
    join(reader, "Rita")
    _fill(alice, 16, "Early words")
    wait_in_view(reader, "Early words 15")

    scroll_conversation(reader, -400)
    wait_in_view(reader, "Early words 08")  # it moved up
    time.sleep(1)
    top, bottom = list_bounds(reader)
    width = reader.viewport_size["width"]
    # The top of the conversation (the button sits at its bottom, the scrollbar at its right).
    clip = {"x": 0, "y": top, "width": width - 40, "height": (bottom - top) * 0.6}
    before = reader.screenshot(clip=clip)

    for n in range(3):
        say(alice, f"Fresh news {n}")
    wait_in_view(alice, "Fresh news 2")
    button = reader.get_by_role("button", name="3 new messages")
    button.wait_for(timeout=15_000)
    assert not in_view(reader, "Fresh news 0")
    time.sleep(0.5)
    after = reader.screenshot(clip=clip)
    if after != before:
        (artifacts_dir() / f"scrolled-up-{size}-before.png").write_bytes(before)
        (artifacts_dir() / f"scrolled-up-{size}-after.png").write_bytes(after)
    assert after == before, "the scrolled-up tab moved while others talked (see scrolled-up-*-before/after.png)"
    reader.screenshot(path=artifacts_dir() / f"scrolled-up-{size}.png")
    wait_for_text(reader, "3 new messages", timeout=5)  # painted, not only named

    button.click()
    wait_in_view(reader, "Fresh news 2")
    reader.get_by_role("button", name="3 new messages").wait_for(state="detached", timeout=10_000)

    # Back at the bottom, it follows again.
    say(alice, "And one more")
    wait_in_view(reader, "And one more")


@pytest.mark.parametrize("size", ["phone"])
def test_sending_from_a_scrolled_up_tab_shows_your_message(size, confab, contexts):
    alice = open_confab(contexts(**SIZES["desktop"]), confab)  # the one talking; Bob has `size`
    bob = open_confab(contexts(**SIZES[size]), confab)
    join(alice, "Alice")
    join(bob, "Bob")
    say(bob, "Hello all")  # Bob has written before: his tab renders its own conversation
    _fill(alice, 16, "Meanwhile")
    wait_in_view(bob, "Meanwhile 15")

    scroll_conversation(bob, -500)
    wait_in_view(bob, "Meanwhile 07")
    time.sleep(0.5)
    say(bob, "Catching up now")
    wait_in_view(bob, "Catching up now")
    say(alice, "Welcome back")
    wait_in_view(bob, "Welcome back")  # and it follows again
