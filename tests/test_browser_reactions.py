"""Reactions in Debian's Chromium: one person reacts, another's tab shows the count and who.

Desktop with the mouse, the phone with touch (a tap to react, a long press to
see who), and the keyboard: the add button and the picker are reached with Tab
and Enter. The count is read from the screen (OCR of the chip), the names from
the tooltip as it is painted.
"""

from __future__ import annotations

import re
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
    artifacts_dir,
    enable_semantics,
    join,
    open_confab,
    say,
    wait_for_text,
)

pytestmark = pytest.mark.browser

ADD = "Add reaction"


def _chip(page, emoji: str):
    """The chip of `emoji` (a button named by its emoji and count)."""
    return page.get_by_role("button", name=re.compile(rf"^{re.escape(emoji)} \d+"))


def _wait_for_count(page, emoji: str, count: int, timeout: float = 30.0) -> None:
    """Wait until the chip of `emoji` is named with `count` (its painted digit is too small
    for OCR beside a colour emoji; who reacted is read from the painted tooltip instead)."""
    deadline = time.monotonic() + timeout
    chip = page.get_by_role("button", name=re.compile(rf"^{re.escape(emoji)} {count}\b"))
    while chip.count() == 0:
        assert time.monotonic() < deadline, f"no chip {emoji} {count}"
        time.sleep(0.25)


def _read_who(page, emoji: str, touch: bool, who: str) -> None:
    """Hover the chip (or long-press it on a phone) and read who reacted in its tooltip."""
    page.bring_to_front()  # a tab in the background takes no pointer
    box = _chip(page, emoji).first.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    if not touch:
        page.mouse.move(x, y)
        wait_for_text(page, who)
        page.mouse.move(5, 5)  # the tooltip goes with the pointer
        return
    # A long press: the finger stays down while the tooltip (or the line a long press shows)
    # is read. Chromium's touch now and then reaches Flutter as no long press: press again.
    cdp = page.context.new_cdp_session(page)
    for attempt in range(3):
        cdp.send(
            "Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]}
        )
        try:
            wait_for_text(page, who, timeout=15)
            return
        except AssertionError:
            if attempt == 2:
                raise
        finally:
            cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        time.sleep(1)


def _wait_for_picker(page) -> None:
    """The picker is open: its emoji are buttons (OCR misreads its title among so many glyphs)."""
    page.get_by_role("button", name=re.compile("hot beverage")).wait_for(timeout=30_000)


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_reaction_in_one_tab_shows_its_count_and_who_in_the_other(confab, contexts, size):
    touch = size == "phone"
    ann = open_confab(contexts(**SIZES[size]), confab)
    join(ann, "Ann")
    bob = open_confab(contexts(**SIZES[size]), confab)
    join(bob, "Bob")
    say(bob, "Tea or coffee this afternoon?")
    wait_for_text(ann, "Tea or coffee this afternoon?")

    # Ann reacts from the picker (a tap on the phone, a click on the desktop).
    add = ann.get_by_role("button", name=ADD).last
    add.tap() if touch else add.click()
    _wait_for_picker(ann)
    ann.screenshot(path=artifacts_dir() / f"reactions-picker-{size}.png")
    hot = ann.get_by_role("button", name=re.compile("hot beverage"))
    hot.tap() if touch else hot.click()
    _wait_for_count(bob, "☕", 1)
    _read_who(bob, "☕", touch, "Ann reacted with hot beverage")

    # Bob adds his with a click on the chip; both tabs count two.
    chip = _chip(bob, "☕").first
    chip.tap() if touch else chip.click()
    _wait_for_count(ann, "☕", 2)
    _wait_for_count(bob, "☕", 2)
    _read_who(ann, "☕", touch, "Bob and you reacted with hot beverage")
    ann.screenshot(path=artifacts_dir() / f"reactions-tooltip-{size}.png")
    bob.screenshot(path=artifacts_dir() / f"reactions-{size}.png")

    # Ann takes hers back: Bob's tab counts one again.
    mine = _chip(ann, "☕").first
    mine.tap() if touch else mine.click()
    _wait_for_count(bob, "☕", 1)
    _read_who(bob, "☕", touch, "You reacted with hot beverage")
    ann.screenshot(path=artifacts_dir() / f"reactions-taken-back-{size}.png")

    bob.reload(wait_until="load")  # the history brings them
    enable_semantics(bob)
    wait_for_text(bob, "Tea or coffee this afternoon?")
    _wait_for_count(bob, "☕", 1)


def _press_enter_on(page, button, until, attempts: int = 3, seconds: float = 15.0) -> None:
    """Focus `button` and press Enter until `until()` holds: under load a focus can land
    before Flutter's semantics node takes it, and that Enter goes nowhere."""
    for _ in range(attempts):
        if until():
            return
        button.focus()
        page.keyboard.press("Enter")
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if until():
                return
            time.sleep(0.25)
    raise AssertionError(f"Enter on {button} did nothing in {attempts} tries")


def test_the_keyboard_reaches_the_add_button_and_the_picker(confab, contexts):
    ann = open_confab(contexts(**SIZES["desktop"]), confab)
    join(ann, "Ann")
    bob = open_confab(contexts(**SIZES["desktop"]), confab)
    join(bob, "Bob")
    say(ann, "Keyboard people welcome")
    wait_for_text(bob, "Keyboard people welcome")
    popper = bob.get_by_role("button", name=re.compile("party popper"))
    _press_enter_on(bob, bob.get_by_role("button", name=ADD).last, until=lambda: popper.count() > 0)
    _press_enter_on(bob, popper, until=lambda: popper.count() == 0)  # chosen: the picker closed
    _wait_for_count(ann, "🎉", 1)
