"""The typing line in Chromium: Alice types, Bob's tab says so; Alice's own two tabs never do.

Read from the screen with OCR at desktop and phone width. The pause before
"is typing" goes away is set long (CHAT_TYPING_IDLE_SECONDS) so that reading
several tabs on a loaded machine never races it; sending still stops it at once.
"""

from __future__ import annotations

import pytest

from tests.browser_fixtures import (  # noqa: F401  (fixtures)
    SIZES,
    bot_dir,
    browser,
    contexts,
    playwright,
)
from tests.browser_support import (
    COMPOSER,
    NAME_FIELD,
    artifacts_dir,
    enable_semantics,
    join,
    open_confab,
    run_confab,
    wait_for_text,
)

pytestmark = pytest.mark.browser

SLOW_PAUSES = {"CHAT_TYPING_IDLE_SECONDS": "300", "CHAT_TYPING_EXPIRY_SECONDS": "310"}
BOTH = ("are typing", "several people")


def another_tab(context, url: str):
    """A second tab of the person whose browser `context` is: it comes back as them, no dialog."""
    page = context.new_page()
    page.goto(url, wait_until="load")
    enable_semantics(page)
    page.wait_for_selector(COMPOSER, timeout=30_000)
    page.wait_for_selector(NAME_FIELD, state="detached", timeout=30_000)
    return page


def type_in(page, text: str) -> None:
    page.bring_to_front()
    page.click(COMPOSER)
    page.keyboard.type(text, delay=60)


@pytest.mark.parametrize("size", ["desktop"])
def test_typing_shows_in_other_tabs_and_never_in_the_typers_own(
    size,
    bot_dir,  # noqa: F811  (a fixture)
    tmp_path,
    contexts,  # noqa: F811  (a fixture)
    request,
):
    log = artifacts_dir() / f"server-{request.node.name}.log"
    with run_confab(bot_dir, tmp_path, log, **SLOW_PAUSES) as url:
        alices_browser = contexts(**SIZES[size])
        alice = open_confab(alices_browser, url)
        join(alice, "Alice")
        alice_again = another_tab(alices_browser, url)
        bob = open_confab(contexts(**SIZES[size]), url)
        join(bob, "Bob")

        type_in(alice, "see you at")
        wait_for_text(bob, "Alice is typing", absent=BOTH)
        type_in(bob, "ok")
        # Each of Alice's tabs names Bob alone: she is never shown to herself (by person id).
        wait_for_text(alice_again, "Bob is typing", absent=("alice is typing", *BOTH))
        wait_for_text(alice, "Bob is typing", absent=("alice is typing", *BOTH))
        wait_for_text(bob, "Alice is typing", absent=("bob is typing", *BOTH))
        for name, page in (("alice", alice), ("alice-again", alice_again), ("bob", bob)):
            page.bring_to_front()
            page.screenshot(path=artifacts_dir() / f"typing-indicator-{size}-{name}.png")

        alice.bring_to_front()
        alice.keyboard.type(" 3", delay=60)
        alice.keyboard.press("Enter")  # sending says she stopped, at once
        wait_for_text(bob, "see you at 3", absent=("alice is typing",))
        bob.screenshot(path=artifacts_dir() / f"typing-indicator-{size}-bob-after-send.png")
