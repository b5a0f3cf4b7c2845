"""A paste longer than a message may be, in the real web client: cut in the browser, and said so.

Before the composer had a max_length, Chromium with Flutter froze for minutes laying
out a 1 MB paste, then the connection dropped, the tab reconnected, and the paste was
gone without a word.
"""

from __future__ import annotations

import pytest

from tests.browser_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    COMPOSER,
    FOCUSED_VALUE,
    artifacts_dir,
    join,
    missing_tools,
    open_confab,
    run_confab,
    say,
    wait_for_text,
)

if (reason := missing_tools()) is not None:
    pytest.skip(reason, allow_module_level=True)
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="pip install playwright (never `playwright install`)"
)

pytestmark = pytest.mark.browser

LINE = "The quick brown fox jumps over the lazy dog. " * 3 + "\n"
PASTE = LINE * (1_100_000 // len(LINE))
"""About 1.1 MB of text: more than one WebSocket frame may hold (1 MiB)."""


def test_a_paste_longer_than_a_message_is_cut_in_the_browser_and_said_so(tmp_path):
    log = artifacts_dir() / "server-long-paste.log"
    env = {"OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "CHAT_MAX_MESSAGE_CHARS": "4000"}
    with (
        run_confab(tmp_path, tmp_path, log, **env) as url,
        sync_api.sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1000, "height": 700})
            page = open_confab(context, url)
            join(page, "Paster")
            say(page, "before the paste")
            wait_for_text(
                page, "before the paste", absent=("/4000", "/ 4000")
            )  # no counter till then
            page.click(COMPOSER)
            page.keyboard.insert_text(PASTE)
            page.wait_for_function(f"() => ({FOCUSED_VALUE})?.length === 4000", timeout=60_000)
            wait_for_text(page, "Cut at 4,000 characters", "as a file", timeout=30)
            page.screenshot(path=artifacts_dir() / "long-paste-cut.png")
            page.keyboard.press("Enter")
            wait_for_text(page, "the lazy dog", "You: Paster", absent=("Cut at", "/4000", "/4,000"))
        finally:
            browser.close()
    text = log.read_text()
    assert "closed a WebSocket" not in text and "Session reconnected" not in text
