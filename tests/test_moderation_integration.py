"""Moderation over Flet's wire protocol: each action seen by the moderator and by the person it touches."""

import asyncio

import pytest

from chat.cli import main
from chat.names import name_key
from tests.confab_harness import BrowserPrefs, Person, serve_confab
from tests.test_room_switching import room_items, shown_room, shows

pytestmark = pytest.mark.asyncio

TOMBSTONE = "message deleted by a moderator"


@pytest.fixture(scope="module")
def bot_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("bot")


async def command(person: Person, text: str) -> None:
    """Write a moderation command; wait until the field is cleared (it was done)."""
    await person.client.submit(person.composer, text)
    await person.client.wait_for(lambda: not person.composer.get("value"), timeout=5)


async def refused(person: Person, text: str, words: str) -> str:
    """Send `text`, wait for the refusal under the field, check it keeps the text and says `words`."""
    await person.client.submit(person.composer, text)
    error = await person.client.wait_for(
        lambda: words in (person.composer.get("error") or "") and person.composer["error"], timeout=5
    )
    assert person.composer["value"] == text
    return error


def delete_buttons(person: Person) -> list[dict]:
    return person.client.find("TextButton", content="Delete")


async def test_a_deleted_message_is_a_tombstone_in_every_tab_and_after_a_reload(bot_dir, tmp_path):
    async with serve_confab(bot_dir, tmp_path) as served:
        ann = await Person.open(served.url)
        bob = await Person.open(served.url)
        cleo = await Person.open(served.url)
        await ann.join("Ann")  # the first person: an admin
        await bob.join("Bob")
        await cleo.join("Cleo")
        await bob.say("something rude")
        await ann.sees("something rude")
        await cleo.sees("something rude")
        assert delete_buttons(ann) == []  # until she asks for them
        await ann.client.click(menu_item(ann, "Show or hide Delete on messages"))
        button = await ann.client.wait_for(lambda: delete_buttons(ann), timeout=5)
        assert delete_buttons(bob) == [] and delete_buttons(cleo) == []  # only moderators get it
        await ann.client.click(button[-1])
        for person in (ann, bob, cleo):
            await person.client.wait_for(lambda p=person: TOMBSTONE in p.lines(), timeout=5)
            assert "something rude" not in person.bodies()
        later = await Person.open(served.url)  # a reload reads the history
        await later.join("Dee")  # nothing of the room shows before joining
        await later.client.wait_for(lambda: TOMBSTONE in later.lines(), timeout=5)
        assert "something rude" not in later.bodies()
        for person in (ann, bob, cleo, later):
            assert person.client.errors == []
            await person.close()


async def test_a_muted_person_is_told_until_when_and_unmuting_lets_them_post(bot_dir, tmp_path):
    async with serve_confab(bot_dir, tmp_path) as served:
        ann, bob = await Person.open(served.url), await Person.open(served.url)
        await ann.join("Ann")
        await bob.join("Bob")
        await command(ann, "/mute Bob 10m shouting")
        await bob.client.wait_for(lambda: "muted you here until" in (bob.composer.get("helper") or ""))
        await refused(bob, "but why", "muted you in this room until")
        await ann.say("Ann may still post")
        await bob.sees("Ann may still post")
        await refused(ann, "/mute Nobody 5m", "Nobody owns the name")
        await refused(bob, "/unmute Bob", "owner or an admin")  # not his to lift
        await command(ann, "/unmute Bob")
        await bob.client.wait_for(lambda: not bob.composer.get("helper"))
        await bob.say("thanks")
        await ann.sees("thanks")
        for person in (ann, bob):
            assert person.client.errors == []
            await person.close()


async def test_a_locked_room_refuses_posts_and_its_composer_says_so(bot_dir, tmp_path):
    async with serve_confab(bot_dir, tmp_path) as served:
        ann, bob = await Person.open(served.url), await Person.open(served.url)
        await ann.join("Ann")
        await bob.join("Bob")
        await refused(bob, "/lock", "owner or an admin")
        await command(ann, "/lock heated")
        await bob.client.wait_for(lambda: "locked" in (bob.composer.get("helper") or ""))
        await bob.client.wait_for(lambda: "Ann locked the room" in " ".join(bob.lines()))
        await refused(bob, "hello?", "locked by a moderator")
        late = await Person.open(served.url)  # a tab opened now sees the lock too
        await late.client.wait_for(lambda: "locked" in (late.composer.get("helper") or ""))
        await command(ann, "/unlock")
        await bob.client.wait_for(lambda: not bob.composer.get("helper"))
        await bob.say("back")
        for person in (ann, bob, late):
            assert person.client.errors == []
            await person.close()


async def test_a_removed_member_is_moved_out_of_the_private_room(bot_dir, tmp_path):
    async with serve_confab(bot_dir, tmp_path) as served:
        dora = await Person.open(served.url, on_invoke=BrowserPrefs())
        await dora.join("Dora")  # the first person: an admin (the room's owner would do too)
        await dora.client.click(dora.client.find("IconButton", tooltip="New room")[0])
        field = await dora.client.wait_for(lambda: dora.client.find_one("TextField", label="Room name"))
        await dora.client.update_props(dora.client.find_one("Checkbox"), {"value": True})
        await dora.client.submit(field, "den")
        await shows(dora, "den")
        eli_prefs = BrowserPrefs()
        eli = await Person.open(served.url, on_invoke=eli_prefs)
        await eli.join("Eli")
        owner = await served.confab.store.person_by_name_key(name_key("Dora"))
        await served.confab.service.directory.invite("den", owner, "Eli")
        await eli.close()
        while "Eli" in served.confab.service.online("general"):  # the old tab has gone
            await asyncio.sleep(0.05)
        eli = await Person.open(served.url, route="/r/den", on_invoke=eli_prefs)  # a reload
        await shows(eli, "den")
        await command(dora, "/remove Eli off topic")
        await shows(eli, "general")
        await eli.client.wait_for(lambda: "# den" not in room_items(eli), timeout=5)
        await eli.client.wait_for(
            lambda: any("removed you from # den" in line for line in eli.lines()), timeout=5
        )
        eli_person = await served.confab.store.person_by_name_key(name_key("Eli"))
        assert not await served.confab.service.directory.may_see("den", eli_person.id)
        assert shown_room(dora) == "den"
        for person in (dora, eli):
            assert person.client.errors == []
            await person.close()


async def test_a_ban_cuts_the_live_tab_signs_the_browser_out_and_shows_in_the_audit(bot_dir, tmp_path):
    async with serve_confab(bot_dir, tmp_path) as served:
        ann = await Person.open(served.url)
        await ann.join("Ann")
        frank_prefs = BrowserPrefs()
        frank = await Person.open(served.url, on_invoke=frank_prefs)
        await frank.join("Frank")
        await refused(frank, "/ban Ann", "Only an admin")
        await command(ann, "/ban Frank spam")
        await frank.client.wait_for(lambda: "You were banned" in frank.lines(), timeout=5)
        await frank.client.wait_for(lambda: frank.composer.get("disabled") is True)
        assert "device" not in frank_prefs.values or frank_prefs.values["device"] is None
        await asyncio.sleep(0.1)
        assert "Frank" not in served.confab.service.online("general")
        again = await Person.open(served.url, on_invoke=frank_prefs)  # a reload: signed out
        assert again.name_field is not None
        await command(ann, "/audit")
        await ann.client.wait_for(lambda: "Moderation audit" in ann.lines(), timeout=5)
        assert any("Ann ban Frank: spam" in line for line in ann.lines())
        for person in (ann, frank, again):
            assert person.client.errors == []
            await person.close()


async def test_a_ban_from_the_command_line_cuts_the_live_tab(bot_dir, tmp_path, monkeypatch):
    async with serve_confab(bot_dir, tmp_path) as served:
        ann = await Person.open(served.url)
        await ann.join("Ann")
        frank = await Person.open(served.url)
        await frank.join("Frank")
        monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'confab.db'}")
        assert await asyncio.to_thread(main, ["admin", "ban", "Frank"]) == 0  # another process's work
        await frank.client.wait_for(lambda: "You were banned" in frank.lines(), timeout=10)
        await frank.client.wait_for(lambda: frank.composer.get("disabled") is True)
        assert "You were banned" not in ann.lines()
        for person in (ann, frank):
            assert person.client.errors == []
            await person.close()


def menu_item(person: Person, text: str) -> dict:
    (item,) = [i for i in person.client.find("PopupMenuItem") if i.get("content") == text]
    return item


async def test_the_moderate_menu_is_offered_to_moderators_only_and_acts(bot_dir, tmp_path):
    async with serve_confab(bot_dir, tmp_path) as served:
        ann, bob = await Person.open(served.url), await Person.open(served.url)
        await ann.join("Ann")
        await bob.join("Bob")
        await ann.client.wait_for(lambda: ann.client.find("PopupMenuButton", tooltip="Moderate"))
        assert not bob.client.find("PopupMenuButton", tooltip="Moderate")
        await ann.client.click(menu_item(ann, "Lock the room (read-only)"))
        await bob.client.wait_for(lambda: "locked" in (bob.composer.get("helper") or ""))
        await ann.client.click(menu_item(ann, "Unlock the room"))
        await bob.client.wait_for(lambda: not bob.composer.get("helper"))

        await ann.client.click(menu_item(ann, "Mute someone…"))
        name = await ann.client.wait_for(lambda: ann.client.find_one("TextField", label="Their name"))
        await ann.client.submit(name, "Nobody")
        await ann.client.wait_for(lambda: "Nobody owns" in (ann.client.get(name["_i"]).get("error") or ""))
        await ann.client.submit(name, "Bob")
        await bob.client.wait_for(lambda: "muted you here until" in (bob.composer.get("helper") or ""))
        await ann.client.wait_for(lambda: any("Bob is muted here until" in t for t in ann.lines()))

        await ann.client.click(menu_item(ann, "Audit"))
        await ann.client.wait_for(lambda: "Moderation audit" in ann.lines())
        assert any("Ann mute Bob" in line for line in ann.lines())
        for person in (ann, bob):
            assert person.client.errors == []
            await person.close()
