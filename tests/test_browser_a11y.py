"""Accessibility in Chromium: the tree a screen reader gets, keyboard focus, and tooltips.

The accessibility tree is Chromium's own (CDP Accessibility.getFullAXTree),
read after Flutter's semantics are switched on as a screen reader would.
"""

from __future__ import annotations

import io
import re
import time
from datetime import datetime, timezone

import pytest
from PIL import Image

from chat.ui.attach import ATTACH_BUTTON_NAME
from chat.ui.theme import FOCUS_WIDTH, LIGHT
from tests.browser_fixtures import (  # noqa: F401  (fixtures)
    DESKTOP,
    SIZES,
    bot_dir,
    browser,
    confab,
    contexts,
    playwright,
    sync_api,
)
from tests.browser_support import (
    COMPOSER,
    artifacts_dir,
    join,
    normalize,
    nudge,
    ocr,
    open_confab,
    run_confab,
    say,
    wait_for_focus,
    wait_for_text,
)
from tests.fake_openai import FakeOpenAI
from tests.view_support import labelled

pytestmark = pytest.mark.browser

FOCUSED_NAME = """() => { const e = document.activeElement;
    if (!e || !(e.matches('flt-semantics, textarea, input'))) return e ? e.tagName.toLowerCase() : null;
    return (e.getAttribute('aria-label') || e.textContent || '').trim(); }"""
"""JavaScript: the name of the control with keyboard focus (or the tag that has it, e.g. "body")."""


def ax_nodes(page) -> list[dict]:
    """Chromium's accessibility tree for `page`: [{role, name, properties}]."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Accessibility.enable")
    nodes = []
    for node in cdp.send("Accessibility.getFullAXTree")["nodes"]:
        if node.get("ignored"):
            continue
        properties = {p["name"]: p.get("value", {}).get("value") for p in node.get("properties", [])}
        nodes.append(
            {
                "role": node.get("role", {}).get("value"),
                "name": (node.get("name", {}).get("value") or "").strip(),
                "properties": properties,
            }
        )
    return nodes


@pytest.fixture
def busy_room(bot_dir, tmp_path, request, fake_openai: FakeOpenAI):
    """A Confab showing 3 messages a page (so "Load earlier messages" shows) and a model that writes slowly."""
    # Two minutes of writing: Stop must still be there when a loaded machine ends the Tab walk.
    fake_openai.reply(" ".join(["slowly"] * 240), words_per_second=2)
    log = artifacts_dir() / f"server-{request.node.name}.log"
    env = {
        "OPENAI_BASE_URL": fake_openai.base_url,
        "OPENAI_API_KEY": "test-key",
        "CHAT_BOT_MODEL": "fake-model",
        "CHAT_HISTORY_PAGE": "3",
    }
    with run_confab(bot_dir, tmp_path, log, **env) as url:
        yield url


def _settled_ax_nodes(page, ready, timeout: float = 30.0) -> list[dict]:
    """The accessibility tree once `ready(names)` holds: under load Flutter fills it in later."""
    deadline = time.monotonic() + timeout
    while True:
        nodes = ax_nodes(page)
        if ready([n["name"] for n in nodes]) or time.monotonic() > deadline:
            return nodes
        time.sleep(0.5)


def _room_with_a_reply_being_written(url, contexts, **options):
    alice = open_confab(contexts(**options), url)
    join(alice, "Alice")
    for n in range(4):
        say(alice, f"Warm-up {n}")
    say(alice, "hi Bob!")
    # Bob joins later from another zone: his tab loads only the newest page, under "Load earlier messages".
    bob = open_confab(contexts(**options, timezone_id="Asia/Tokyo"), url)
    join(bob, "Bob")
    say(bob, "@bot take your time")  # only the person who asked gets Stop
    bob.get_by_role("button", name="Stop").wait_for(timeout=20_000)
    return alice, bob


def test_the_accessibility_tree_reads_messages_and_names_every_button(busy_room, contexts):
    _, bob = _room_with_a_reply_being_written(busy_room, contexts, viewport=DESKTOP)
    # A message is "Author, HH:MM: text": people's, the bot's and system lines alike.
    # Flutter fills the tree in over several frames: waiting for only the first of these
    # read a tree that had Alice's warm-up but not yet "hi Bob!" (a loaded run, stop 21).
    messages = [r"Alice, \d\d:\d\d: hi Bob!", r"Confab Bot, \d\d:\d\d: slowly.* \(still writing\)", r"Confab, \d\d:\d\d: Bob joined"]

    def all_read(names: list[str]) -> bool:
        return all(any(re.fullmatch(m, n) for n in names) for m in messages)

    nodes = _settled_ax_nodes(bob, all_read)
    names = [n["name"] for n in nodes]
    assert all_read(names), names
    assert not any(re.match(r"A\s+hi Bob!", n) for n in names), "the avatar letter is still read first"

    # Every button has a name, and the ones people need are there.
    buttons = [n for n in nodes if n["role"] == "button"]
    assert all(b["name"] for b in buttons), f"buttons without a name: {buttons}"
    button_names = {b["name"] for b in buttons}
    for needed in ("Send message", "Switch light/dark", "Stop", "Load earlier messages"):
        assert needed in button_names, f"no button named {needed!r}: {sorted(button_names)}"

    # The people online are text, not empty disabled text boxes.
    # (Flutter's own editing element, unnamed, may hold the composer's focus: not a text box.)
    boxes = [n for n in nodes if n["role"] == "textbox" and (n["name"] or not n["properties"].get("focused"))]
    assert [b["name"] for b in boxes] == ["Write a message..."], boxes
    assert {"Alice", "Bob"} <= set(names)


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_tab_walks_every_control_in_reading_order_with_a_visible_focus_ring(busy_room, contexts, size):
    alice, bob = _room_with_a_reply_being_written(busy_room, contexts, **SIZES[size])
    say(alice, "Try this:\n```\nx = 1\n```")  # a Copy button below Bob's Stop
    bob.get_by_role("button", name="Copy code").wait_for(timeout=20_000)
    # Reading order, which Flutter takes from where controls sit: the header, then line by line
    # (at desktop width the room list's rows and the conversation's share lines), the buttons in
    # the messages, the composer, Send. A phone keeps the rooms and the people behind buttons.
    if size == "phone":  # the API button is on wide screens only (/api on a phone)
        above = ["Rooms", "3 online", SEARCH, THEME, "Load earlier messages"]
    else:
        above = [
            API,
            SEARCH,
            THEME,
            "New room",
            "Load earlier messages",
            "Direct message",
            "# general",
        ]
    # Every message row has its Reply and add-reaction buttons, named for its message, on its
    # first line; Bob's own message has its actions, and his question its Stop (Bob asked).
    buttons = [*_reply_buttons(bob), *_add_reaction_buttons(bob), "Message actions", "Stop", "Copy code"]
    order = [*above, *_in_reading_order(bob, buttons), ATTACH_BUTTON_NAME, WRITE, "Send message"]
    bob.bring_to_front()  # Alice's tab was in front to write
    _click_into_composer(bob)
    bob.mouse.move(5, 795)  # beside the composer: no hover highlight anywhere

    # What each button paints in the primary colour without focus (its label may be in it).
    plain = {name: _primary_pixels(bob, name) for name in order if name != WRITE}

    # From the composer round to it again: after Send, the last control, Tab goes on to the first.
    forward, ring = [], {}
    for _ in order:
        forward.append(name := _press(bob, "Tab"))
        if name == order[0]:  # far from the composer: its border is plain again
            plain[WRITE] = _primary_pixels(bob, WRITE)
        if name in plain:
            ring[name] = _wait_for_ring(bob, name, plain[name])
    bob.screenshot(path=artifacts_dir() / f"focus-walk-{size}.png")
    after_send = order.index(WRITE) + 1
    assert forward == order[after_send:] + order[:after_send], f"Tab from the composer went {forward}"
    # Each control shows its focus: a ring (the field: its border) in the primary colour.
    assert all(ring[name] >= RING_PIXELS for name in order), f"primary pixels a ring added: {ring}"
    if size == "desktop":  # the ring round the theme switch keeps clear of the name beside it
        (name_box,) = labelled(bob, "You: Bob")
        gap = bob.evaluate(_BOX_OF, THEME)["x"] - name_box["right"]
        assert gap >= FOCUS_WIDTH + 2, f"the focus ring touches the name: {gap} px apart"

    # Shift+Tab goes back the same way, and from the first control on to Send.
    backward = [_press(bob, "Shift+Tab") for _ in order]
    assert backward == forward[-2::-1] + [WRITE], f"Shift+Tab from the composer went {backward}"


THEME = "Switch light/dark"
API = "API tokens and webhooks"
SEARCH = "Search messages"
WRITE = "Write a message..."
RING_PIXELS = 40
"""Primary-coloured pixels a focus ring adds at least (seen: 180 round the theme switch, 340-810 round text buttons)."""


_BUTTONS_NAMED = """(start) => [...document.querySelectorAll('flt-semantics[tabindex]')]
    .map(e => (e.getAttribute('aria-label') || e.textContent || '').trim())
    .filter(name => name.startsWith(start))"""


def _add_reaction_buttons(page) -> list[str]:
    """The names of the add-reaction buttons on the page ("Add reaction to Alice: hi Bob!")."""
    return _buttons_named(page, "Add reaction")


def _reply_buttons(page) -> list[str]:
    """The names of the Reply buttons on the page ("Reply to Alice: hi Bob!")."""
    return _buttons_named(page, "Reply to")


def _buttons_named(page, start: str) -> list[str]:
    names = page.evaluate(_BUTTONS_NAMED, start)
    assert len(names) == len(set(names)), f"two {start!r} buttons share a name: {names}"
    return names


def _in_reading_order(page, names: list[str]) -> list[str]:
    """`names` of controls in the conversation, top to bottom (left to right on one line)."""
    boxes = {name: page.evaluate(_BOX_OF, name) for name in names}
    missing = [name for name, box in boxes.items() if box is None]
    assert not missing, f"not focusable: {missing}"
    return sorted(names, key=lambda n: (round(boxes[n]["y"]), boxes[n]["x"]))


def _click_into_composer(page, attempts: int = 5) -> None:
    """Click the composer until its labelled field has focus.

    Under load, Flutter sometimes puts the cursor in its own unlabelled editing
    element instead (seen in Chromium here, with or without selectable text).
    """
    for attempt in range(attempts):
        page.click(COMPOSER)
        try:
            wait_for_focus(page, COMPOSER, timeout=10)
            return
        except sync_api.TimeoutError:
            if attempt == attempts - 1:
                raise
            if attempt == 0:  # or the tab stopped painting (tests/browser_support.py, _waited_for)
                print(f"focusing the composer: {nudge(page)}")


def _press(page, key: str, timeout: float = 3.0, settled: float = 0.5) -> str | None:
    """Press `key`; the name of what has keyboard focus once it moved and stayed (or after `timeout`).

    Leaving the composer, focus was seen passing through the flutter-view on its way.
    """
    before = page.evaluate(FOCUSED_NAME)
    page.keyboard.press(key)
    deadline = time.monotonic() + timeout
    now, since = before, time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.05)
        seen = page.evaluate(FOCUSED_NAME)
        if seen != now:
            now, since = seen, time.monotonic()
        elif now != before and time.monotonic() - since >= settled:
            break
    return now


_BOX_OF = """(name) => { const e = [...document.querySelectorAll('flt-semantics[tabindex], textarea')]
    .find(e => (e.getAttribute('aria-label') || e.textContent || '').trim() === name);
    if (!e) return null; const r = e.getBoundingClientRect();
    return {x: r.left, y: r.top, width: r.width, height: r.height}; }"""


def _primary_pixels(page, name: str, margin: int = 3) -> int:
    """How many pixels in and just around the control named `name` are painted in the primary colour."""
    # Polled: Flutter rebuilds parts of its semantics tree as the room changes (a reply streams
    # in here), and a single look once fell between a node's removal and its new one (CI).
    try:
        box = page.wait_for_function(_BOX_OF, arg=name, polling=200, timeout=10_000).json_value()
    except sync_api.TimeoutError:
        raise AssertionError(f"no focusable {name!r} on the page within 10 s") from None
    x, y = max(0, box["x"] - margin), max(0, box["y"] - margin)
    clip = {"x": x, "y": y, "width": box["width"] + 2 * margin, "height": box["height"] + 2 * margin}
    image = Image.open(io.BytesIO(page.screenshot(clip=clip, scale="css"))).convert("RGB")
    return sum(_near(rgb, LIGHT["primary"]) for rgb in image.get_flattened_data())


def _wait_for_ring(page, name: str, plain: int, timeout: float = 5.0) -> int:
    """Primary-coloured pixels focus added to `name` (Flutter may paint it a frame or two after the DOM moved)."""
    deadline = time.monotonic() + timeout
    while (added := _primary_pixels(page, name) - plain) < RING_PIXELS and time.monotonic() < deadline:
        time.sleep(0.1)
    return added


def _near(rgb: tuple[int, int, int], hex_color: str, tolerance: int = 70) -> bool:
    target = tuple(int(hex_color.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4))
    return sum(abs(a - b) for a, b in zip(rgb, target)) <= tolerance


def test_a_tapped_tooltip_does_not_stay_on_a_phone(confab, contexts):
    page = open_confab(contexts(**SIZES["phone"]), confab)
    join(page, "Tess")
    page.get_by_role("button", name="Switch light/dark").tap()
    time.sleep(3)  # longer than any tooltip is meant to stay
    seen = normalize(ocr(page.screenshot()))
    page.screenshot(path=artifacts_dir() / "phone-after-theme-tap.png")
    assert "switch light" not in seen.replace("/", " "), f"the tooltip stayed after a tap: {seen}"


def test_hovering_a_message_shows_its_full_date_and_time(confab, contexts):
    page = open_confab(contexts(viewport=DESKTOP), confab)
    join(page, "Hana")
    say(page, "First thought")
    say(page, "Second thought, grouped under the first")
    # The row itself, not its add-reaction button (named for the message too).
    (box,) = [b for b in labelled(page, "Second thought") if b["role"] != "button"]
    page.mouse.move(box["left"] + 60, (box["top"] + box["bottom"]) / 2)
    # Read only the strip under the row, where the tooltip shows: its small light-on-grey
    # letters, read with the rest of the page, came out as "thursdy 3 decem b82026" on CI.
    under = {"x": box["left"], "y": box["bottom"], "width": box["right"] - box["left"], "height": 48}
    seen = wait_for_text(page, datetime.now(timezone.utc).strftime("%B"), timeout=10, clip=under)
    # Weekday, day, month and year (OCR may misread the small time after them).
    assert re.search(r"(monday|tuesday|wednesday|thursday|friday|saturday|sunday) \d{1,2} \w+ \d{4}", seen), seen
    page.screenshot(path=artifacts_dir() / "hover-time.png")
    # A heading names the day above the first message.
    wait_for_text(page, "Today")


_SET_VISIBILITY = """(hidden) => {
    Object.defineProperty(document, 'visibilityState', {value: hidden ? 'hidden' : 'visible', configurable: true});
    Object.defineProperty(document, 'hidden', {value: hidden, configurable: true});
    document.dispatchEvent(new Event('visibilitychange'));
}"""
"""What the browser does when a tab goes to the background or comes back (headless Chromium
never hides a page by itself: every page is its own visible window)."""


def test_a_hidden_tab_counts_new_messages_in_its_title(confab, contexts):
    alice = open_confab(contexts(viewport=DESKTOP), confab)
    bob = open_confab(contexts(viewport=DESKTOP), confab)
    join(alice, "Alice")
    join(bob, "Bob")
    assert alice.title() == "Confab"

    alice.evaluate(_SET_VISIBILITY, True)
    time.sleep(1)
    for n in range(3):
        say(bob, f"While you were away {n}")
    _wait_for_title(alice, "(3) Confab")

    alice.evaluate(_SET_VISIBILITY, False)
    _wait_for_title(alice, "Confab")
    say(bob, "Now you are here")
    time.sleep(2)
    assert alice.title() == "Confab"  # a visible tab does not count


def _wait_for_title(page, title: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while page.title() != title:
        if time.monotonic() > deadline:
            raise AssertionError(f"the title is {page.title()!r}, not {title!r}, after {timeout} s")
        time.sleep(0.2)
