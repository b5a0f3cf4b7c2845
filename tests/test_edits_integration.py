"""Edit and delete one's own message over Flet's wire protocol: seen live in another session and after a reload."""

import pytest

from tests.confab_harness import Person, serve_confab

pytestmark = pytest.mark.asyncio

EDITED = "(edited)"
VERSIONS = "edited · earlier versions"


@pytest.fixture(scope="module")
def bot_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("bot")


def own_item(person: Person, text: str) -> dict:
    """The last own message's Edit or Delete item (the newest message is the last menu)."""
    return [i for i in person.client.find("PopupMenuItem") if i.get("content") == text][-1]


async def edit_last(person: Person, text: str) -> dict:
    """Open Edit on the newest own message, write `text`, press Enter; the dialog's field."""
    await person.client.click(own_item(person, "Edit"))
    field = await person.client.wait_for(
        lambda: person.client.find_one("TextField", label="Edit your message"), timeout=5
    )
    await person.client.submit(field, text)
    return field


async def test_an_edit_is_seen_live_in_another_session_and_after_a_reload(bot_dir, tmp_path):
    async with serve_confab(bot_dir, tmp_path) as served:
        ann, bob = await Person.open(served.url), await Person.open(served.url)
        await ann.join("Ann")
        await bob.join("Bob")
        await bob.say("lunch at noon?")
        await ann.sees("lunch at noon?")
        assert ann.client.find("PopupMenuItem", content="Edit") == []  # not hers to edit
        await bob.client.wait_for(
            lambda: bob.client.find("PopupMenuItem", content="Edit"), timeout=5
        )
        await edit_last(bob, "lunch at one?")
        for person in (bob, ann):
            await person.sees("lunch at one?")
            await person.client.wait_for(lambda p=person: EDITED in p.lines(), timeout=5)
            assert "lunch at noon?" not in person.bodies()
        later = await Person.open(served.url)  # a reload reads the history
        await later.join("Cleo")
        await later.sees("lunch at one?")
        assert EDITED in later.lines() and "lunch at noon?" not in later.bodies()

        # Ann, the first to join, is an admin: with her tools shown she reads the earlier text.
        assert ann.client.find("TextButton", content=VERSIONS) == []
        toggle = [
            item
            for item in ann.client.find("PopupMenuItem")
            if item.get("content") == "Show or hide Delete on messages"
        ]
        await ann.client.click(toggle[0])
        button = await ann.client.wait_for(
            lambda: ann.client.find("TextButton", content=VERSIONS), timeout=5
        )
        await ann.client.click(button[0])
        await ann.client.wait_for(lambda: "lunch at noon?" in ann.lines(), timeout=5)
        assert "Earlier versions" in ann.lines()
        assert bob.client.find("TextButton", content=VERSIONS) == []  # not a moderator
        for person in (ann, bob, later):
            assert person.client.errors == []
            await person.close()


async def test_a_refused_edit_says_why_and_keeps_the_text(bot_dir, tmp_path):
    async with serve_confab(bot_dir, tmp_path, max_message_chars=20) as served:
        bob = await Person.open(served.url)
        await bob.join("Bob")
        await bob.say("short one")
        await bob.client.wait_for(
            lambda: bob.client.find("PopupMenuItem", content="Edit"), timeout=5
        )
        field = await edit_last(bob, "x" * 30)
        error = await bob.client.wait_for(lambda: field.get("error"), timeout=5)
        assert "the limit is 20" in error and field["value"] == "x" * 30
        assert "short one" in bob.bodies()
        await bob.close()


async def test_deleting_ones_own_message_leaves_a_tombstone_everywhere(bot_dir, tmp_path):
    async with serve_confab(bot_dir, tmp_path) as served:
        ann, bob = await Person.open(served.url), await Person.open(served.url)
        await ann.join("Ann")
        await bob.join("Bob")
        await bob.say("wrong room, sorry")
        await ann.sees("wrong room, sorry")
        await bob.client.wait_for(
            lambda: bob.client.find("PopupMenuItem", content="Delete"), timeout=5
        )
        await bob.client.click(own_item(bob, "Delete"))
        confirm = await bob.client.wait_for(
            lambda: bob.client.find_one("Button", content="Delete"), timeout=5
        )
        await bob.client.click(confirm)
        for person in (bob, ann):
            await person.client.wait_for(lambda p=person: "message deleted" in p.lines(), timeout=5)
            assert "wrong room, sorry" not in person.bodies()
            assert "message deleted by a moderator" not in person.lines()
        later = await Person.open(served.url)
        await later.join("Cleo")
        await later.client.wait_for(lambda: "message deleted" in later.lines(), timeout=5)
        assert "wrong room, sorry" not in later.bodies()
        for person in (ann, bob, later):
            assert person.client.errors == []
            await person.close()


async def test_a_tab_that_was_away_sees_the_edits_and_deletions_made_meanwhile(bot_dir, tmp_path):
    """A phone loses its connection for a moment; what changed meanwhile shows when it is back,
    without a reload (a change is not a new message: catching up by sequence number misses it)."""
    async with serve_confab(bot_dir, tmp_path) as served:
        ann, bob = await Person.open(served.url), await Person.open(served.url)
        await ann.join("Ann")
        await bob.join("Bob")
        await bob.say("lunch at noon?")
        await bob.say("wrong room, sorry")
        await ann.sees("wrong room, sorry")
        await bob.client.wait_for(
            lambda: len(bob.client.find("PopupMenuItem", content="Delete")) == 2, timeout=5
        )

        async def bob_changes_both():
            await bob.client.click(own_item(bob, "Delete"))
            confirm = await bob.client.wait_for(
                lambda: bob.client.find_one("Button", content="Delete"), timeout=5
            )
            await bob.client.click(confirm)
            await bob.client.wait_for(lambda: "message deleted" in bob.lines(), timeout=5)
            first_edit = bob.client.find("PopupMenuItem", content="Edit")[0]
            await bob.client.click(first_edit)
            field = await bob.client.wait_for(
                lambda: bob.client.find_one("TextField", label="Edit your message"), timeout=5
            )
            await bob.client.submit(field, "lunch at one?")
            await bob.sees("lunch at one?")

        ann = await ann.blip(served.url, while_away=bob_changes_both)
        await ann.client.wait_for(
            lambda: "message deleted" in ann.lines() and "lunch at one?" in ann.bodies(), timeout=5
        )
        assert "wrong room, sorry" not in ann.bodies() and "lunch at noon?" not in ann.bodies()
        assert EDITED in ann.lines()
        for person in (ann, bob):
            assert person.client.errors == []
            await person.close()
