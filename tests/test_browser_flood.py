"""A flooding tab in the real web client: it is told why, paused, and comes back by itself."""

from __future__ import annotations

import pytest

from tests.browser_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    COMPOSER,
    artifacts_dir,
    join,
    missing_tools,
    open_confab,
    run_confab,
    wait_for_text,
)

if (reason := missing_tools()) is not None:
    pytest.skip(reason, allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (never `playwright install`)")

pytestmark = pytest.mark.browser

# Keeps the page's WebSocket and the last real frame it sent, so the test can replay it.
CAPTURE_SOCKET = """(() => {
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    window.__confabSocket = this;
    window.__framesSent = (window.__framesSent || 0) + 1;
    if (data.byteLength > 20) window.__lastFrame = data;
    return send.call(this, data);
  };
})();"""


def test_a_flooding_tab_is_told_why_and_comes_back_by_itself(tmp_path):
    log = artifacts_dir() / "server-flooding-tab.log"
    env = {"OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "CHAT_WS_FLOOD_COOLDOWN": "8"}
    with run_confab(tmp_path, tmp_path, log, **env) as url, sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1000, "height": 700}, device_scale_factor=2)
            context.add_init_script(CAPTURE_SOCKET)
            page = open_confab(context, url)
            join(page, "Typist")
            page.click(COMPOSER)
            page.keyboard.type("the quick brown fox jumps over the lazy dog", delay=20)  # a fast typist
            page.keyboard.press("Enter")
            wait_for_text(page, "the quick brown fox")
            typed = page.evaluate("window.__framesSent")
            assert "closed a WebSocket" not in log.read_text()

            page.evaluate("() => { for (let i = 0; i < 3000; i++) window.__confabSocket.send(window.__lastFrame); }")
            wait_for_text(page, "too many messages", "reconnects by itself")  # the page says why
            page.screenshot(path=artifacts_dir() / "flooding-tab-paused.png")
            page.wait_for_selector(COMPOSER, timeout=30_000)  # back after the pause, same session
            wait_for_text(page, "the quick brown fox", "You: Typist")
            page.screenshot(path=artifacts_dir() / "flooding-tab-back.png")
        finally:
            browser.close()
    lines = [line for line in log.read_text().splitlines() if "closed a WebSocket" in line]
    assert len(lines) == 1 and "more than 200 messages a second" in lines[0], lines
    assert typed < 200, typed  # about two frames per key: far below the limit
