"""Moderation in Debian's Chromium: a moderator deletes a message, and another person's tab shows the tombstone."""

from __future__ import annotations

import pytest

from tests.browser_fixtures import (  # noqa: F401  (fixtures)
    SIZES,
    bot_dir,
    browser,
    confab,
    contexts,
    playwright,
)
from tests.browser_support import artifacts_dir, join, open_confab, say, wait_for_text

pytestmark = pytest.mark.browser


def test_a_deleted_message_becomes_a_tombstone_in_another_persons_tab(confab, contexts):
    ann = open_confab(contexts(**SIZES["desktop"]), confab)
    join(ann, "Ann")  # the first person: an admin
    bob = open_confab(contexts(**SIZES["desktop"]), confab)
    join(bob, "Bob")
    say(bob, "Pineapple belongs on pizza")
    wait_for_text(bob, "Pineapple belongs on pizza")  # posted, before looking at the other tab
    wait_for_text(ann, "Pineapple belongs on pizza")
    assert bob.get_by_role("button", name="Delete").count() == 0  # only moderators get it
    ann.bring_to_front()
    assert ann.get_by_role("button", name="Delete").count() == 0  # until she asks for them
    ann.get_by_role("button", name="Moderate").click()
    ann.get_by_role("menuitem", name="Show or hide Delete on messages").click()
    ann.get_by_role("button", name="Delete").last.click()
    wait_for_text(bob, "message deleted by a moderator", absent=("Pineapple",))
    bob.screenshot(path=str(artifacts_dir() / "moderation-tombstone.png"))
    bob.reload(wait_until="load")  # history keeps the tombstone
    wait_for_text(bob, "message deleted by a moderator", absent=("Pineapple",))
