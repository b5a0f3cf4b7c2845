"""Pytest fixtures for browser tests: Chromium, people's browser contexts, a served Confab.

A test module imports the fixtures it uses by name (`from tests.browser_fixtures import ...`).
"""

from __future__ import annotations

import pytest

from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, artifacts_dir, missing_tools, run_confab

if (reason := missing_tools()) is not None:
    pytest.skip(reason, allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (never `playwright install`)")

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SIZES = {"desktop": {"viewport": DESKTOP}, "phone": {"viewport": PHONE, "is_mobile": True, "has_touch": True}}
"""Browser context options for each size the issue names (a phone has touch)."""


@pytest.fixture(scope="module")
def bot_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("bot")  # the offline brain trains once per module


@pytest.fixture(scope="module")
def playwright():
    with sync_api.sync_playwright() as running:
        yield running


ALWAYS_PAINT_ARGS = [
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
    "--disable-background-timer-throttling",
]
"""Every person's tab keeps painting while another is in front: what a screenshot shows is current.

Without these, a tab brought to the front can show its last frame from
before it went to the back until something makes Flutter paint again."""


@pytest.fixture(scope="module")
def browser(playwright):
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + ALWAYS_PAINT_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture
def contexts(browser):
    """New browser contexts (each one a different person); closed after the test."""
    made = []

    def new(**options):
        context = browser.new_context(**{"device_scale_factor": 2, **options})  # sharp enough for OCR
        made.append(context)
        return context

    yield new
    for context in made:
        context.close()


@pytest.fixture
def confab(bot_dir, tmp_path, request):
    """A fresh Confab (its own empty room, the offline bot) served by `python main.py`."""
    log = artifacts_dir() / f"server-{request.node.name}.log"
    with run_confab(bot_dir, tmp_path, log) as url:
        yield url


@pytest.fixture
def confab_with_model(bot_dir, tmp_path, request, fake_openai):
    """A fresh Confab whose bot streams what `fake_openai` is scripted to answer."""
    log = artifacts_dir() / f"server-{request.node.name}.log"
    env = {"OPENAI_BASE_URL": fake_openai.base_url, "OPENAI_API_KEY": "test-key", "CHAT_BOT_MODEL": "fake-model"}
    with run_confab(bot_dir, tmp_path, log, **env) as url:
        yield url
