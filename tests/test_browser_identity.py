"""A name belongs to a person: refused in another browser, then signed into there with the password."""

from __future__ import annotations

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
    ANSWER_TIMEOUT,
    NAME_FIELD,
    artifacts_dir,
    enter_text,
    join,
    missing_tools,
    open_confab,
    say,
    wait_for_text,
)

if (reason := missing_tools()) is not None:
    pytest.skip(reason, allow_module_level=True)

pytestmark = pytest.mark.browser

NEW_PASSWORD = 'input[aria-label="New password"]'
PASSWORD = 'input[aria-label="Password"]'


def test_a_claimed_name_is_refused_elsewhere_then_signed_into_with_the_password(confab, contexts):
    laptop = open_confab(contexts(viewport=DESKTOP), confab)
    join(laptop, "Alice")
    say(laptop, "/password")  # the room's command for the password dialog
    laptop.wait_for_selector(NEW_PASSWORD, timeout=ANSWER_TIMEOUT * 1000)
    enter_text(laptop, NEW_PASSWORD, "correct horse battery")
    laptop.wait_for_selector(NEW_PASSWORD, state="detached", timeout=ANSWER_TIMEOUT * 1000)
    say(laptop, "written on the laptop")

    phone = open_confab(contexts(viewport=DESKTOP), confab)  # another browser: no device token
    enter_text(phone, NAME_FIELD, "alice")
    phone.wait_for_selector(PASSWORD, timeout=ANSWER_TIMEOUT * 1000)  # offered because Alice has a password
    wait_for_text(phone, "belongs to someone else")
    phone.screenshot(path=artifacts_dir() / "identity-refused.png")

    enter_text(phone, PASSWORD, "wrong horse")
    wait_for_text(phone, "do not match")
    assert phone.query_selector(NAME_FIELD) is not None  # still outside

    enter_text(phone, PASSWORD, "correct horse battery")
    phone.wait_for_selector(NAME_FIELD, state="detached", timeout=ANSWER_TIMEOUT * 1000)
    wait_for_text(phone, "You: Alice", "written on the laptop")
    say(phone, "and now from the phone")
    wait_for_text(laptop, "and now from the phone")
    phone.screenshot(path=artifacts_dir() / "identity-signed-in.png")
