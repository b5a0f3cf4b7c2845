"""Two Chromium tabs while the real server process restarts under them.

While the server is away each tab shows its last conversation (a copy kept in
the browser, painted by index.html over Flet's boot screen), its draft and a
"Reconnecting…" state; afterwards the room works as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from chat.ui.outage_copy import COPY_LINE_CHARS
from tests.app_process import AppProcess
from tests.browser_fixtures import SIZES
from tests.browser_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    COMPOSER,
    artifacts_dir,
    join,
    luminance,
    missing_tools,
    open_confab,
    pixel,
    say,
    wait_for_text,
)
from tests.confab_harness import Person

if (reason := missing_tools()) is not None:
    pytest.skip(reason, allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (never `playwright install`)")

pytestmark = pytest.mark.browser

BANNER = "#confab-reconnecting-banner"
OUTAGE_VIEW = "#confab-outage-view"
HOSTILE = "<img src=x onerror=alert(1)>"
LONG_LINE = "long" + "x" * 9_996
"""10,000 characters with nowhere to break: the copy cuts it, and the view must still fit the screen."""
READ_VIEW = """view => {
    const lines = view.querySelector("#confab-outage-lines");
    const bottom = id => view.querySelector(id).getBoundingClientRect().bottom;
    return {
        text: view.innerText,
        tags: [...new Set([...view.querySelectorAll("*")].map(node => node.tagName.toLowerCase()))],
        fits: view.scrollWidth <= view.clientWidth && lines.scrollWidth <= lines.clientWidth,
        in_sight: bottom("#confab-reconnecting-banner") <= innerHeight && bottom("#confab-outage-draft") <= innerHeight,
    };
}"""
"""JavaScript: what the outage view says, which elements it is made of, and whether it fits the screen."""


def _system_lines(db_path) -> list[str]:
    with sqlite3.connect(db_path) as db:
        return [row[0] for row in db.execute("SELECT text FROM messages WHERE kind = 'system' ORDER BY seq")]


async def _carol_says(url: str, *texts: str) -> None:
    carol = await Person.open(url)
    await carol.join("Carol")
    for text in texts:
        await carol.say(text)
    await carol.close()


def _as_carol(url: str, *texts: str) -> None:
    with ThreadPoolExecutor(1) as other:  # Playwright's loop owns this thread
        other.submit(asyncio.run, _carol_says(url, *texts)).result(60)


def _wait_for_copy(page, text: str) -> None:
    """Wait until the tab's browser keeps `text` (no quotes or backslashes) in its conversation copy.

    The page writes the copy at most every 2 s: a line from the last moments may not be in it yet.
    """
    page.wait_for_function(
        f"() => (localStorage.getItem('flutter.confab.outage') || '').includes({json.dumps(text)})",
        timeout=10_000,
    )


def _wait_for_draft(page, text: str) -> None:
    """Wait until the tab's browser remembers `text` as its unsent draft (after a pause in typing)."""
    page.wait_for_function(
        f"() => localStorage.getItem('flutter.confab.draft') === {json.dumps(json.dumps(text))}",
        timeout=30_000,
    )


def _outage_view(page) -> dict:
    page.wait_for_selector(BANNER, state="visible", timeout=30_000)
    return page.eval_on_selector(OUTAGE_VIEW, READ_VIEW)


def _check_outage_view(page, name: str, dark: bool) -> None:
    """The tab shows the conversation, readable, in its theme, with the draft and "Reconnecting…"."""
    view = _outage_view(page)
    text = view["text"]
    assert "Reconnecting" in text and "before the restart" in text, text
    assert text.rstrip().endswith("half written") == (name == "alice"), text[-200:]  # Alice's draft
    assert view["fits"] and view["in_sight"], view
    page.bring_to_front()
    page.screenshot(path=artifacts_dir() / f"outage-{name}.png")
    wait_for_text(page, "reconnecting", "before the restart")  # painted, readable
    background = luminance(pixel(page, 5, page.viewport_size["height"] // 2))
    assert (background < 60) if dark else (background > 200), background  # the room's theme


def test_a_restart_under_two_tabs(tmp_path):
    server = AppProcess(tmp_path).start()
    with sync_api.sync_playwright() as running:
        browser = running.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            alice = open_confab(
                browser.new_context(viewport={"width": 1280, "height": 800}, device_scale_factor=2), server.url
            )
            bob = open_confab(
                browser.new_context(
                    viewport={"width": 390, "height": 844}, is_mobile=True, device_scale_factor=2, color_scheme="dark"
                ),
                server.url,
            )
            join(alice, "Alice")
            join(bob, "Bob")
            say(alice, "before the restart")
            wait_for_text(bob, "before the restart")
            alice.click(COMPOSER)
            alice.keyboard.type("half written", delay=30)
            _wait_for_draft(alice, "half written")  # remembered once typing pauses
            for page in (alice, bob):
                _wait_for_copy(page, "before the restart")

            server.terminate()
            for name, page in (("alice", alice), ("bob", bob)):
                _check_outage_view(page, name, dark=page is bob)

            server = AppProcess(tmp_path, port=server.port).start()
            _as_carol(server.url, "while you were away")
            for page in (alice, bob):
                page.wait_for_selector(OUTAGE_VIEW, state="detached", timeout=30_000)
            wait_for_text(bob, "before the restart", timeout=30)
            alice.bring_to_front()
            alice.screenshot(path=artifacts_dir() / "after-restart-alice.png")
            # The composer got its text back: read the field alone (beside a moderator's menu
            # button and the field's border, tesseract misread the whole band).
            wait_for_text(alice, "half written", clip={"x": 290, "y": 750, "width": 700, "height": 36})
            for page in (alice, bob):
                seen = wait_for_text(page, "before the restart", "while you were away")
                assert seen.count("while you were away") == 1, seen  # once, after the older line
                assert seen.index("before the restart") < seen.index("while you were away"), seen
            time.sleep(2)
            lines = _system_lines(tmp_path / "confab.db")
            assert lines.count("Alice joined") == 1, lines
            assert lines.count("Bob joined") == 1, lines
            online = httpx.get(server.url + "/api/stats").json()["online"]
            assert online == 3, f"online: {online}"  # Alice, Bob and the bot, once each (Carol has left)
        finally:
            browser.close()
            server.terminate()


def test_hostile_lines_stay_plain_text_in_the_outage_view(tmp_path):
    server = AppProcess(tmp_path, {"CHAT_MAX_MESSAGE_CHARS": "10000"}).start()
    _as_carol(server.url, HOSTILE, LONG_LINE)
    with sync_api.sync_playwright() as running:
        browser = running.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            tabs = {
                size: open_confab(browser.new_context(**options, device_scale_factor=2), server.url)
                for size, options in SIZES.items()
            }
            alerts: list[str] = []
            for tab, name in zip(tabs.values(), ("Dora", "Phoebe")):
                tab.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))
                join(tab, name)  # a tab shows (and keeps a copy of) the room once joined
                _wait_for_copy(tab, HOSTILE)

            server.terminate()
            for size, tab in tabs.items():
                view = _outage_view(tab)
                assert view["tags"] and set(view["tags"]) <= {"div", "strong", "span"}, view["tags"]  # no <img>
                assert HOSTILE in view["text"], view["text"]  # the characters Carol typed
                assert LONG_LINE[: COPY_LINE_CHARS - 1] + "\u2026" in view["text"].replace("\n", "")
                assert view["fits"] and view["in_sight"], view  # nothing pushed sideways or off the screen
                tab.bring_to_front()
                tab.screenshot(path=artifacts_dir() / f"outage-hostile-{size}.png")
            assert alerts == []

            server = AppProcess(tmp_path, port=server.port).start()
            for tab in tabs.values():
                tab.wait_for_selector(OUTAGE_VIEW, state="detached", timeout=30_000)
            wait_for_text(tabs["phone"], "Carol")  # the room is back, and the tab in it again
        finally:
            browser.close()
            server.terminate()


class CuttableLink:
    """A TCP forwarder on its own thread: `cut()` drops every connection and refuses new ones until `mend()`."""

    def __init__(self, target_port: int):
        self._target = target_port
        self._up = True
        self._writers: set[asyncio.StreamWriter] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._accept, "127.0.0.1", 0), self._loop
        ).result(10)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def _accept(self, reader, writer) -> None:
        if not self._up:
            writer.transport.abort()
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self._target)
        self._writers |= {writer, up_writer}
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    @staticmethod
    async def _pipe(reader, writer) -> None:
        with contextlib.suppress(OSError, asyncio.CancelledError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    def _set(self, up: bool) -> None:
        self._up = up
        if not up:
            for writer in self._writers:
                writer.transport.abort()
            self._writers.clear()

    def cut(self) -> None:
        self._loop.call_soon_threadsafe(self._set, False)

    def mend(self) -> None:
        self._loop.call_soon_threadsafe(self._set, True)

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._server.close)
        self.cut()
        self._loop.call_soon_threadsafe(self._loop.stop)


def test_a_dropped_connection_keeps_the_conversation_and_resumes_the_session(tmp_path):
    server = AppProcess(tmp_path).start()
    link = CuttableLink(server.port)
    with sync_api.sync_playwright() as running:
        browser = running.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            tab = open_confab(browser.new_context(**SIZES["desktop"], device_scale_factor=2), link.url)
            join(tab, "Alice")
            say(tab, "before the cut")
            _wait_for_copy(tab, "before the cut")
            session = tab.evaluate("JSON.stringify(sessionStorage)")

            link.cut()
            view = _outage_view(tab)
            assert "Reconnecting" in view["text"] and "before the cut" in view["text"], view["text"]
            tab.screenshot(path=artifacts_dir() / "outage-cut.png")
            time.sleep(1)
            link.mend()
            tab.wait_for_selector(OUTAGE_VIEW, state="detached", timeout=30_000)
            wait_for_text(tab, "before the cut", "you: alice")
            # The same server session (whether "Alice left" was said depends on the reconnect's
            # timing against the server's grace period, which is not what this test is about).
            assert tab.evaluate("JSON.stringify(sessionStorage)") == session
        finally:
            browser.close()
            link.close()
            server.terminate()
