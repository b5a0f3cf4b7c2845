"""Reading where things are in the real web client: Flutter's semantics nodes and their boxes.

With semantics on (browser_support.enable_semantics) Flutter keeps a DOM
node with an aria-label and a role for what is on screen; its box is where
the thing is painted. A message row's label reads "Author, HH:MM: text".
"""

from __future__ import annotations

import json
import time

from tests.browser_support import COMPOSER, artifacts_dir

# A node's name is its aria-label, or the text Flutter puts inside a node with no child nodes
# (a button's caption, a message's "Author, HH:MM: text").
_BOXES = """(needle) => Array.from(document.querySelectorAll('flt-semantics'))
    .map(e => ({e, name: e.getAttribute('aria-label') || (e.querySelector('flt-semantics') ? '' : e.textContent) || ''}))
    .filter(({name}) => name.includes(needle))
    .map(({e, name}) => { const r = e.getBoundingClientRect();
                return {label: name, role: e.getAttribute('role'),
                        top: r.top, bottom: r.bottom, left: r.left, right: r.right}; })"""


def labelled(page, needle: str) -> list[dict]:
    """Semantics nodes whose accessible name contains `needle`, with their boxes (CSS px)."""
    return page.evaluate(_BOXES, needle)


def list_bounds(page) -> tuple[float, float]:
    """Top and bottom (CSS px) of the area the conversation is painted in: below the app bar, above the composer."""
    composer = page.locator(COMPOSER).bounding_box()
    assert composer is not None, "the composer is not on the page"
    return 56.0, composer["y"] - 8  # the composer sits in an 8 px padding


def in_view(page, needle: str, end_only: bool = False, min_height: float = 2) -> bool:
    """True when something labelled with `needle` is painted wholly inside the conversation area.

    `end_only`: its bottom edge is (a message taller than the window, read to its end).
    `min_height`: at least this tall (a button cut off at the edge is not in view).
    Flutter clips a row's box to the list, so a row cut off at the bottom edge
    ends exactly there; one below the list has no height left.
    """
    top, bottom = list_bounds(page)
    return any(
        (end_only or box["top"] >= top - 1) and top < box["bottom"] <= bottom + 1 and box["bottom"] - box["top"] >= min_height
        for box in labelled(page, needle)
    )


def wait_in_view(page, needle: str, timeout: float = 15.0, end_only: bool = False) -> None:
    """Wait until `needle` is wholly in view; on timeout keep a screenshot and say where it is."""
    deadline = time.monotonic() + timeout
    while not in_view(page, needle, end_only):
        if time.monotonic() > deadline:
            shot = artifacts_dir() / f"not-in-view-{needle[:30].replace(' ', '-')}.png"
            page.screenshot(path=shot)
            raise AssertionError(
                f"{needle!r} is not in view after {timeout} s: boxes {json.dumps(labelled(page, needle))}, "
                f"conversation area {list_bounds(page)} (screenshot: {shot})"
            )
        time.sleep(0.2)


def scroll_conversation(page, delta_y: float) -> None:
    """Turn the mouse wheel over the conversation (negative: up, towards older messages)."""
    top, bottom = list_bounds(page)
    composer = page.locator(COMPOSER).bounding_box()
    assert composer is not None, "the composer is not on the page"
    # Over the conversation, whose left edge is the composer's (a wide window has the rooms beside it).
    page.mouse.move(composer["x"] + 52, (top + bottom) / 2)  # x 60 in a window without them
    page.mouse.wheel(0, delta_y)
