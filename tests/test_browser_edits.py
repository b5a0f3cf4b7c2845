"""Edit and delete one's own message in Debian's Chromium, read in another person's tab by OCR."""

from __future__ import annotations

import pytest

from tests.browser_fixtures import (  # noqa: F401  (fixtures)
    SIZES,
    bot_dir,
    browser,
    confab,
    confab_with_model,
    contexts,
    playwright,
)
from tests.browser_support import (
    artifacts_dir,
    enter_text,
    join,
    open_confab,
    say,
    wait_for_text,
)

pytestmark = pytest.mark.browser

EDIT_FIELD = 'textarea[aria-label="Edit your message"]'


def open_own_menu(page) -> None:
    page.bring_to_front()
    page.get_by_role("button", name="Message actions").last.click()


@pytest.mark.parametrize("author_size, reader_size", [("desktop", "phone")])
def test_an_edit_and_a_deletion_show_in_another_persons_tab(
    confab,  # noqa: F811
    contexts,  # noqa: F811
    author_size,
    reader_size,
):
    shots = artifacts_dir()
    ann = open_confab(contexts(**SIZES[author_size]), confab)
    join(ann, "Ann")
    bob = open_confab(contexts(**SIZES[reader_size]), confab)
    join(bob, "Bob")
    say(ann, "The meeting is on Monday")
    wait_for_text(bob, "meeting is on Monday")
    assert bob.get_by_role("button", name="Message actions").count() == 0  # not his message

    open_own_menu(ann)
    ann.get_by_role("menuitem", name="Edit").click()
    ann.wait_for_selector(EDIT_FIELD, timeout=10_000)
    wait_for_text(ann, "Edit message", "Save")
    ann.screenshot(path=str(shots / f"edits-dialog-{author_size}.png"))
    enter_text(ann, EDIT_FIELD, "The meeting is on Tuesday")  # Enter saves
    ann.wait_for_selector(EDIT_FIELD, state="detached", timeout=10_000)
    wait_for_text(bob, "meeting is on Tuesday", "edited", absent=("Monday",))
    bob.screenshot(path=str(shots / f"edits-edited-{reader_size}.png"))
    wait_for_text(ann, "meeting is on Tuesday", "edited", absent=("Monday",))
    ann.screenshot(path=str(shots / f"edits-edited-own-{author_size}.png"))

    # Ann, the first to join, is an admin: with her tools shown she reads the earlier text.
    ann.get_by_role("button", name="Moderate").click()
    ann.get_by_role("menuitem", name="Show or hide Delete on messages").click()
    ann.get_by_role("button", name="edited · earlier versions").click()
    wait_for_text(ann, "Earlier versions", "meeting is on Monday", "meeting is on Tuesday")
    ann.screenshot(path=str(shots / f"edits-versions-{author_size}.png"))
    ann.get_by_role("button", name="Close").click()
    ann.get_by_role("button", name="Moderate").click()
    ann.get_by_role("menuitem", name="Show or hide Delete on messages").click()

    # Escape cancels: the dialog goes and nothing changes.
    open_own_menu(ann)
    ann.get_by_role("menuitem", name="Edit").click()
    ann.wait_for_selector(EDIT_FIELD, timeout=10_000)
    ann.click(EDIT_FIELD)
    ann.keyboard.insert_text(" or Wednesday")
    ann.keyboard.press("Escape")
    ann.wait_for_selector(EDIT_FIELD, state="detached", timeout=10_000)
    wait_for_text(bob, "meeting is on Tuesday", absent=("Wednesday",))

    say(ann, "Sorry, wrong room")
    wait_for_text(bob, "wrong room")
    open_own_menu(ann)
    ann.get_by_role("menuitem", name="Delete").click()
    ann.get_by_role("button", name="Delete").click()  # asked first: it cannot be undone
    wait_for_text(bob, "message deleted", absent=("wrong room", "moderator"))
    bob.screenshot(path=str(shots / f"edits-deleted-{reader_size}.png"))
    wait_for_text(ann, "message deleted", absent=("wrong room",))
    ann.screenshot(path=str(shots / f"edits-deleted-own-{author_size}.png"))

    bob.reload(wait_until="load")  # history keeps both
    wait_for_text(bob, "meeting is on Tuesday", "edited", "message deleted", absent=("Monday",))


def test_who_asked_regenerates_a_reply_and_another_tab_reads_the_new_one(
    confab_with_model,  # noqa: F811
    contexts,  # noqa: F811
    fake_openai,
):
    fake_openai.reply("Paris is the capital of France.")
    ann = open_confab(contexts(**SIZES["desktop"]), confab_with_model)
    join(ann, "Ann")
    bob = open_confab(contexts(**SIZES["phone"]), confab_with_model)
    join(bob, "Bob")
    say(ann, "@bot what is the capital of France?")
    wait_for_text(bob, "Paris is the capital")
    assert bob.get_by_role("button", name="Regenerate").count() == 0  # only who asked
    fake_openai.reply("The capital of France is Paris, on the Seine.")
    ann.bring_to_front()
    ann.get_by_role("button", name="Regenerate").click()
    wait_for_text(bob, "on the Seine", "regenerated", absent=("Paris is the capital",))
    bob.screenshot(path=str(artifacts_dir() / "regenerated-phone.png"))
    wait_for_text(ann, "on the Seine", "regenerated", "Regenerate")
    ann.screenshot(path=str(artifacts_dir() / "regenerated-desktop.png"))
