"""The real web client in Debian's Chromium: what people see, read back by OCR.

Every run saves screenshots (desktop 1280x800, phone 390x844, the people
sheet, dark mode) to CHAT_ARTIFACTS_DIR (default ./artifacts); with
CHAT_UPDATE_SCREENSHOTS=1 it also refreshes the README's pictures in
assets/screenshots/.
"""

from __future__ import annotations

import json
import re
import sqlite3
import os
import shutil
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from chat.ui.room_chrome import SEED_COLOR
from tests.browser_fixtures import (  # noqa: F401  (fixtures)
    DESKTOP,
    PHONE,
    bot_dir,
    browser,
    contexts,
    playwright,
)
from tests.view_support import labelled
from tests.browser_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    COMPOSER,
    FOCUSED_VALUE,
    REPO,
    artifacts_dir,
    join,
    luminance,
    missing_tools,
    normalize,
    open_confab,
    pixel,
    read_screen,
    run_confab,
    say,
    wait_for_focus,
    wait_for_text,
)

if (reason := missing_tools()) is not None:
    pytest.skip(reason, allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (never `playwright install`)")

pytestmark = pytest.mark.browser

SMALL = {"width": 900, "height": 700}
README_SCREENSHOTS = REPO / "assets" / "screenshots"


@pytest.fixture
def confab(bot_dir, tmp_path, request):
    """A fresh Confab (its own empty room) served by `python main.py`."""
    log = artifacts_dir() / f"server-{request.node.name}.log"
    with run_confab(bot_dir, tmp_path, log) as url:
        yield url


def test_a_line_written_in_one_tab_is_painted_in_another(confab, contexts):
    alice = open_confab(contexts(viewport=SMALL), confab)
    bob = open_confab(contexts(viewport=SMALL), confab)
    join(alice, "Alice")
    join(bob, "Bob")

    say(alice, "Pineapple marmalade on toast")
    wait_for_text(bob, "Alice", "Pineapple marmalade on toast")

    say(bob, "Toast belongs to breakfast")
    seen = wait_for_text(alice, "Toast belongs to breakfast", "Bob joined")
    assert "bob (you)" not in seen  # Alice's tab does not take Bob's message for her own


def test_the_app_is_an_installable_pwa(confab, playwright, tmp_path):
    # Incognito contexts are never installable: this one has a profile on disk.
    context = playwright.chromium.launch_persistent_context(
        tmp_path / "profile", executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
    )
    try:
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(confab + "/", wait_until="load")
        cdp = context.new_cdp_session(page)
        errors = None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
            if errors == []:
                break
            time.sleep(0.25)
        assert errors == [], f"Chromium says the app is not installable: {errors}"
        answer = cdp.send("Page.getAppManifest")
    finally:
        context.close()

    assert answer["url"].endswith("/manifest.json")
    assert answer.get("errors", []) == []
    manifest = json.loads(answer["data"])
    assert manifest["name"] == "Confab"
    assert manifest["short_name"] == "Confab"
    assert manifest["theme_color"].upper() == SEED_COLOR.upper()  # the browser's frame matches the app
    icons = {(icon["sizes"], purpose) for icon in manifest["icons"] for purpose in icon["purpose"].split()}
    for size in ("192x192", "512x512"):
        assert {(size, "any"), (size, "maskable")} <= icons, f"a {size} icon is missing: {icons}"


def test_screenshots_desktop_and_phone_light_and_dark(confab, contexts):
    out = artifacts_dir()
    desktop = open_confab(contexts(viewport=DESKTOP), confab)
    phone = open_confab(contexts(viewport=PHONE, is_mobile=True, has_touch=True), confab)
    join(desktop, "Alice")
    join(phone, "Bob")
    say(desktop, "Morning! Release notes are in [the changelog](https://flet.dev/blog), **please** skim them.")
    say(phone, "Will do. The fix was one line:\n```python\nrows = rows[-limit:]\n```")
    say(desktop, "@bot hello")

    # The bot has answered when its name shows and its reply is no longer being written.
    wait_for_text(desktop, "Confab Bot", "The fix was one line", absent=("writing",))
    desktop.mouse.move(640, 28)  # over the app bar: no message's time tooltip in the picture
    desktop.screenshot(path=out / "desktop.png", scale="css")  # 1280x800
    seen = wait_for_text(phone, "Confab Bot", "the changelog", "3 online", absent=("writing",))
    assert "release notes" in seen
    _assert_composer_at_the_bottom(phone, PHONE)
    _assert_composer_at_the_bottom(desktop, DESKTOP)
    phone.mouse.move(100, 28)  # over the app bar: no message's time tooltip in the picture
    phone.screenshot(path=out / "phone.png")

    # On a phone the people list sits behind the "N online" button.
    phone.get_by_role("button", name="3 online").click()
    wait_for_text(phone, "Online", "Alice", "Bob", "bot")
    phone.screenshot(path=out / "phone-people.png")

    # Dark mode: everything still reads.
    desktop.get_by_role("button", name="Switch light/dark").click()
    desktop.mouse.move(640, 28)  # no tooltip in the picture
    _wait_for_background(desktop, dark=True)
    conversation = {"x": 240, "y": 0, "width": 820, "height": DESKTOP["height"]}  # not the room list
    # (Not "@bot hello": tesseract garbles the mention's tint on a dark background now and then.)
    wait_for_text(desktop, "Release notes", "skim them", "The fix was one line", "Confab Bot", clip=conversation)
    desktop.screenshot(path=out / "desktop-dark.png", scale="css")

    if os.environ.get("CHAT_UPDATE_SCREENSHOTS") == "1":  # refresh the README's pictures
        README_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(out / "desktop.png", README_SCREENSHOTS / "desktop.png")
        shutil.copyfile(out / "phone.png", README_SCREENSHOTS / "phone.png")


def test_the_light_dark_choice_survives_a_reload(confab, contexts):
    page = open_confab(contexts(viewport=SMALL), confab)
    join(page, "Dana")
    _wait_for_background(page, dark=False)  # headless Chromium prefers light

    page.get_by_role("button", name="Switch light/dark").click()
    _wait_for_background(page, dark=True)
    page.reload(wait_until="load")
    _wait_for_background(page, dark=True, timeout=30)  # the reloaded page remembered dark


def test_times_are_painted_in_the_browsers_zone(confab, contexts):
    with urllib.request.urlopen(confab + "/") as answer:
        html = answer.read().decode()
    assert 'id="confab-tz"' in html and "flet.noCdn=true" in html  # ours, patched by Flet

    tokyo = open_confab(contexts(viewport=SMALL, timezone_id="Asia/Tokyo"), confab, "/?ref=docs")
    assert "tz=540" in tokyo.url and "ref=docs" in tokyo.url  # added; other params kept
    new_york = open_confab(contexts(viewport=SMALL, timezone_id="America/New_York"), confab)
    before = datetime.now(timezone.utc)
    join(tokyo, "Kenji")
    join(new_york, "Nora")
    after = datetime.now(timezone.utc)

    # One line, painted in each reader's own zone.
    assert _joined_time(tokyo, "Nora") in _minutes(before, after, ZoneInfo("Asia/Tokyo"))
    assert _joined_time(new_york, "Nora") in _minutes(before, after, ZoneInfo("America/New_York"))


def test_without_the_tz_script_times_fall_back_to_utc(bot_dir, tmp_path, contexts):
    # Flet's own index.html: the same app served without our assets/index.html.
    stock_assets = tmp_path / "stock-assets"
    shutil.copytree(REPO / "assets", stock_assets, ignore=shutil.ignore_patterns("index.html", "screenshots"))
    (tmp_path / "db").mkdir()
    log = artifacts_dir() / "server-stock-index.log"
    with run_confab(bot_dir, tmp_path / "db", log, assets_dir=stock_assets) as url:
        with urllib.request.urlopen(url + "/") as answer:
            assert "confab-tz" not in answer.read().decode()
        tokyo = open_confab(contexts(viewport=SMALL, timezone_id="Asia/Tokyo"), url)
        assert "tz=" not in tokyo.url
        before = datetime.now(timezone.utc)
        join(tokyo, "Yuki")
        after = datetime.now(timezone.utc)
        assert _joined_time(tokyo, "Yuki") in _minutes(before, after, timezone.utc)
        say(tokyo, "Still works without it")
        wait_for_text(tokyo, "Yuki (you)", "Still works without it")


# ---- helpers


def _minutes(start: datetime, end: datetime, zone) -> set[str]:
    """Every HH:MM a clock in `zone` showed between start and end."""
    shown, moment = set(), start.replace(second=0, microsecond=0)
    while moment <= end:
        shown.add(moment.astimezone(zone).strftime("%H:%M"))
        moment += timedelta(minutes=1)
    return shown


def _joined_time(page, name: str, timeout: float = 30.0) -> str:
    """The time of the "<name> joined" line in `page`, as the line reads ("Confab, HH:MM: <name> joined").

    Read from the line's accessible name, built from the same local time as what is
    painted: OCR of the painted digits confuses 1 and 7 now and then.
    """
    deadline = time.monotonic() + timeout
    while True:
        for node in labelled(page, f"{name} joined"):
            found = re.search(r"(\d{2}:\d{2}): " + re.escape(name) + " joined", node["label"])
            if found:
                return found[1]
        if time.monotonic() > deadline:
            page.screenshot(path=artifacts_dir() / f"timeout-joined-{name}.png")
            raise AssertionError(f"no '{name} joined' line in the page")
        time.sleep(0.3)


def _wait_for_background(page, *, dark: bool, timeout: float = 10.0) -> None:
    """Wait until the page's background (top left of the conversation) is dark or light."""
    deadline = time.monotonic() + timeout
    while True:
        page.bring_to_front()
        colour = pixel(page, 4, 70)
        if (luminance(colour) < 60) if dark else (luminance(colour) > 200):
            return
        if time.monotonic() > deadline:
            page.screenshot(path=artifacts_dir() / "timeout-background.png")
            raise AssertionError(f"background is {colour}, expected {'dark' if dark else 'light'}")
        time.sleep(0.2)


def _assert_composer_at_the_bottom(page, viewport: dict) -> None:
    box = page.locator(COMPOSER).bounding_box()
    assert box is not None, "the composer is not on the page"
    assert box["y"] + box["height"] <= viewport["height"], f"the composer is cut off: {box}"
    assert box["y"] > viewport["height"] * 0.75, f"the composer is not at the bottom: {box}"
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], f"composer: {box}"


def test_shift_enter_adds_a_line_and_the_cursor_comes_back(confab, contexts, tmp_path):
    alice = open_confab(contexts(viewport=SMALL), confab)
    join(alice, "Alice")
    # Joining puts the cursor in the composer: typing goes straight in.
    wait_for_focus(alice, COMPOSER)
    alice.keyboard.type("first line")
    alice.keyboard.press("Shift+Enter")  # a new line, not a send
    alice.keyboard.type("second line")
    alice.wait_for_function(f"() => ({FOCUSED_VALUE}) === 'first line\\nsecond line'", timeout=10_000)
    alice.keyboard.press("Enter")
    alice.wait_for_function(f"() => ({FOCUSED_VALUE}) === ''", timeout=10_000)
    wait_for_text(alice, "first line", "second line")
    # Shift+Enter's line break is painted as one (OCR may join the people panel to a line's end).
    painted_lines = [normalize(line) for line in read_screen(alice).splitlines()]
    assert any(line.startswith("second line") for line in painted_lines), painted_lines
    wait_for_focus(alice, COMPOSER)
    # The send button takes focus from the field when clicked; sending gives it back.
    alice.keyboard.type("third line")
    alice.get_by_role("button", name="Send message").click()
    # Sent: the cursor is back in the field, which is empty (not merely the click not yet handled).
    alice.wait_for_function(f"() => ({FOCUSED_VALUE}) === ''", timeout=10_000)
    alice.keyboard.type("still here")
    alice.wait_for_function(f"() => ({FOCUSED_VALUE}) === 'still here'", timeout=10_000)
    with sqlite3.connect(tmp_path / "confab.db") as db:
        texts = [row[0] for row in db.execute("SELECT text FROM messages WHERE kind = 'chat'")]
    assert texts == ["first line\nsecond line", "third line"]
