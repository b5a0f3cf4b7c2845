"""Replies in Chromium: reply, see the quote, jump to an original far back, and reply in its thread."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from chat.domain import Draft
from chat.store.sqlite import SQLiteStore
from chat.ui.thread_panel import THREAD_FIELD_HINT
from tests import browser_fixtures
from tests.browser_fixtures import SIZES
from tests.browser_support import (
    artifacts_dir,
    enter_text,
    join,
    missing_tools,
    open_confab,
    run_confab,
    say,
    wait_for_text,
)

if (reason := missing_tools()) is not None:
    pytest.skip(reason, allow_module_level=True)

playwright = browser_fixtures.playwright
browser = browser_fixtures.browser
contexts = browser_fixtures.contexts
bot_dir = browser_fixtures.bot_dir

pytestmark = pytest.mark.browser

FILLER = 80
"""Lines between the original and its reply: the original is far above what the tab shows."""
THREAD_FIELD = f'textarea[aria-label="{THREAD_FIELD_HINT}"]'


async def seed(db_dir) -> None:
    """general: a question, FILLER lines, then a reply to the question."""
    store = SQLiteStore(f"sqlite:///{db_dir / 'confab.db'}")
    await store.open()
    try:
        question = await store.add_message(
            Draft("general", "Writer", "Where shall we meet Friday?")
        )
        for i in range(1, FILLER + 1):
            await store.add_message(Draft("general", "Writer", f"filler line {i}"))
        await store.add_message(
            Draft("general", "Writer", "the cafe by the river", reply_to=question.id)
        )
    finally:
        await store.close()


def stored_reply(db_dir, text: str, timeout: float = 30.0) -> None:
    """Wait until the server stored `text` as a reply (so a failure after says: not shown)."""
    deadline = time.monotonic() + timeout
    while True:
        with sqlite3.connect(db_dir / "confab.db") as db:
            found = db.execute(
                "SELECT 1 FROM messages WHERE text = ? AND reply_to IS NOT NULL", (text,)
            ).fetchone()
        if found:
            return
        assert time.monotonic() < deadline, f"{text!r} was not stored as a reply"
        time.sleep(0.25)


def click_button(page, name: str, timeout: float = 30.0) -> None:
    """Click the newest button whose name matches `name` (a regex) once there is one."""
    button = page.get_by_role("button", name=re.compile(name))
    deadline = time.monotonic() + timeout
    while button.count() == 0:
        if time.monotonic() > deadline:
            names = page.eval_on_selector_all(
                "[role=button], flt-semantics",
                "els => els.map(e => e.getAttribute('aria-label') || e.textContent)",
            )
            raise AssertionError(f"no button named like {name!r} among {names}")
        time.sleep(0.25)
    page.bring_to_front()
    button.last.click()


def test_reply_quote_jump_and_thread(bot_dir, tmp_path, contexts):
    with ThreadPoolExecutor(1) as thread:  # Playwright's sync API runs a loop in this thread
        thread.submit(asyncio.run, seed(tmp_path)).result()
    log = artifacts_dir() / "server-replies.log"
    with run_confab(bot_dir, tmp_path, log) as url:
        page = open_confab(contexts(**SIZES["desktop"]), url)
        join(page, "Alice")
        wait_for_text(page, "the cafe by the river", f"filler line {FILLER}", timeout=60)

        # Reply to the newest message: the composer says to whom, the reply quotes it.
        click_button(page, "^Reply to Writer: the cafe")
        wait_for_text(page, "Replying to Writer: the cafe by the river")
        page.screenshot(path=artifacts_dir() / "replies-replying-desktop.png")
        say(page, "Sounds good to me")
        stored_reply(tmp_path, "Sounds good to me")
        wait_for_text(page, "Sounds good to me", absent=("Replying to Writer",), timeout=60)
        page.screenshot(path=artifacts_dir() / "replies-quote-desktop.png")

        # The reply now counted under the message it answers opens that message's thread
        # beside the room; a reply posted there is counted and shown in it.
        click_button(page, "^1 reply")
        page.wait_for_selector(THREAD_FIELD, timeout=30_000)
        wait_for_text(page, "Thread", "1 reply")
        enter_text(page, THREAD_FIELD, "Friday at noon then")
        wait_for_text(page, "Thread", "2 replies", "Friday at noon then", timeout=30)
        page.screenshot(path=artifacts_dir() / "replies-thread-desktop.png")
        click_button(page, "^Close thread")
        page.wait_for_selector(THREAD_FIELD, state="detached", timeout=30_000)

        # The seeded reply's quote jumps to its original, paged in from far back.
        click_button(page, "Where shall we meet")
        wait_for_text(
            page,
            "Where shall we meet Friday",
            "1 reply",
            absent=(f"filler line {FILLER}",),
            timeout=30,
        )
        page.screenshot(path=artifacts_dir() / "replies-jumped-desktop.png")
        # Its "1 reply" opens its thread (a click as the jump's mark came off was once lost).
        click_button(page, "^1 reply")
        page.wait_for_selector(THREAD_FIELD, timeout=30_000)
        wait_for_text(page, "Thread", "1 reply", timeout=30)
        page.screenshot(path=artifacts_dir() / "replies-jumped-thread-desktop.png")


def test_a_phone_tab_that_has_not_written_opens_the_thread_of_a_message_jumped_to(
    bot_dir, tmp_path, contexts
):
    # Its rows were the shared ones until the jump gave it its own: the "1 reply" it taps
    # is on a row built for the jump (marked, keyed for the scroll), still settling.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, seed(tmp_path)).result()
    log = artifacts_dir() / "server-replies-phone.log"
    with run_confab(bot_dir, tmp_path, log) as url:
        page = open_confab(contexts(**SIZES["phone"]), url)
        join(page, "Bob")
        wait_for_text(page, "the cafe by the river", timeout=60)
        click_button(page, "Where shall we meet")
        wait_for_text(page, "Where shall we meet Friday", "1 reply", timeout=30)
        click_button(page, "^1 reply")
        page.wait_for_selector(THREAD_FIELD, timeout=30_000)
        wait_for_text(page, "Thread", "1 reply", timeout=30)
        page.screenshot(path=artifacts_dir() / "replies-jumped-thread-phone.png")
