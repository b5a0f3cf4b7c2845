"""The API dialog in Chromium: a token made and shown once, used over HTTP; a webhook's message painted."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.browser_fixtures import (  # noqa: F401  (fixtures)
    DESKTOP,
    bot_dir,
    browser,
    confab,
    contexts,
    playwright,
)
from tests.browser_support import (
    artifacts_dir,
    enter_text,
    join,
    missing_tools,
    open_confab,
    wait_for_text,
)

if (reason := missing_tools()) is not None:
    pytest.skip(reason, allow_module_level=True)

pytestmark = pytest.mark.browser

LABEL = 'input[aria-label="Token label (what it is for)"]'
HOOK_NAME = 'input[aria-label="Integration name"]'


def _shown_once(page, label_start: str, timeout: float = 10.0) -> str:
    """The value of the read-only field whose label starts with `label_start`.

    Flutter fills a field's DOM input only while it has focus: click it, then read.
    """
    selector = f'input[aria-label^="{label_start}"]'
    page.wait_for_selector(selector, timeout=timeout * 1000)
    deadline = time.monotonic() + timeout
    while not (value := page.input_value(selector)) and time.monotonic() < deadline:
        page.click(selector)
        time.sleep(0.2)
    return value


def test_a_token_and_a_webhook_made_in_the_page_work(confab, contexts):
    page = open_confab(contexts(viewport=DESKTOP), confab)
    join(page, "Alice")
    page.get_by_role("button", name="API tokens and webhooks").click()
    enter_text(page, LABEL, "nightly report")
    token = _shown_once(page, "Your new token")
    assert token.startswith("cfb_"), token
    wait_for_text(page, "nightly report")
    rooms = httpx.get(f"{confab}/api/v1/rooms", headers={"Authorization": f"Bearer {token}"})
    assert rooms.status_code == 200 and rooms.json()["rooms"][0]["name"] == "general"

    enter_text(page, HOOK_NAME, "Deploys")
    url = _shown_once(page, "The webhook's URL")
    assert url.startswith(confab + "/api/v1/hooks/"), url
    page.screenshot(path=artifacts_dir() / "api-dialog.png")
    page.get_by_role("button", name="Close").click()
    assert httpx.post(url, json={"text": "Deployed v1.4"}).status_code == 201
    wait_for_text(page, "Deployed v1.4", "(integration)")
    page.screenshot(path=artifacts_dir() / "api-webhook-message.png")
