"""Reactions over Flet's wire protocol: made in one tab, seen (and taken back) in the others."""

from __future__ import annotations

import pytest

from chat.ui.reaction_picker import PICKER_TITLE
from chat.ui.reactions_bar import ADD_REACTION
from tests.confab_harness import Person, serve_confab

pytestmark = pytest.mark.asyncio


@pytest.fixture(scope="module")
def bot_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("bot")


def _chips(person: Person) -> list[dict]:
    return person.client.find(
        "TextButton", tooltip=lambda t: isinstance(t, str) and "reacted with" in t
    )


def chips(person: Person) -> list[str]:
    """What each reaction chip shows ("👍 2"), in order."""
    return [c["content"]["value"] for c in _chips(person)]


def chip(person: Person, emoji: str) -> dict:
    (found,) = [c for c in _chips(person) if c["content"]["value"].startswith(f"{emoji} ")]
    return found


async def shows(person: Person, expected: list[str]) -> None:
    await person.client.wait_for(lambda: chips(person) == expected, timeout=10)


async def react_with_picker(person: Person, emoji_words: str) -> None:
    """Open the picker on the newest message and pick the emoji called `emoji_words`."""
    add = person.client.find("IconButton", tooltip=ADD_REACTION)
    assert add, "no add-reaction button"
    await person.client.click(add[-1])
    pick = await person.client.wait_for(
        lambda: person.client.find("TextButton", tooltip=emoji_words), timeout=10
    )
    assert PICKER_TITLE in person.lines()
    await person.client.click(pick[0])


async def test_a_reaction_made_in_one_tab_shows_in_the_others_and_so_does_taking_it_back(
    bot_dir, tmp_path
):
    async with serve_confab(bot_dir, tmp_path) as served:
        ann = await Person.open(served.url)
        bob = await Person.open(served.url)
        await ann.join("Ann")
        await bob.join("Bob")
        await bob.say("react to me")
        await ann.sees("react to me")

        await react_with_picker(ann, "thumbs up")
        for person in (ann, bob):
            await shows(person, ["👍 1"])
        # Who reacted: hovering (or a long press) shows it; your own reaction is marked.
        assert chip(ann, "👍")["tooltip"] == "You reacted with thumbs up"
        assert chip(bob, "👍")["tooltip"] == "Ann reacted with thumbs up"
        assert chip(ann, "👍")["style"].get("bgcolor") and not chip(bob, "👍")["style"].get(
            "bgcolor"
        )

        await bob.client.click(chip(bob, "👍"))  # a chip adds your own
        for person in (ann, bob):
            await shows(person, ["👍 2"])
        assert chip(bob, "👍")["tooltip"] == "Ann and you reacted with thumbs up"
        await react_with_picker(bob, "party popper")
        for person in (ann, bob):
            await shows(person, ["👍 2", "🎉 1"])

        await ann.client.click(chip(ann, "👍"))  # ... and takes it back
        for person in (ann, bob):
            await shows(person, ["👍 1", "🎉 1"])
        assert chip(ann, "👍")["tooltip"] == "Bob reacted with thumbs up"
        await bob.client.click(chip(bob, "👍"))
        for person in (ann, bob):
            await shows(person, ["🎉 1"])

        later = await Person.open(served.url)  # a reload reads them with the history
        await later.join("Cleo")
        await shows(later, ["🎉 1"])
        assert chip(later, "🎉")["tooltip"] == "Bob reacted with party popper"
        for person in (ann, bob, later):
            assert person.client.errors == []
            await person.close()


async def test_a_tab_that_only_reads_sees_reactions_live(bot_dir, tmp_path):
    """A tab that never wrote shows the shared conversation: reactions reach it too."""
    async with serve_confab(bot_dir, tmp_path) as served:
        ann = await Person.open(served.url)
        await ann.join("Ann")
        await ann.say("hello all")
        reader = await Person.open(served.url)
        await reader.join("Rae")
        await reader.sees("hello all")
        watcher = await Person.open(served.url)
        await watcher.join("Wes")
        await watcher.sees("hello all")
        await react_with_picker(reader, "red heart")
        for person in (ann, reader, watcher):
            await shows(person, ["❤️ 1"])
        assert chip(reader, "❤️")["tooltip"] == "You reacted with red heart"
        assert chip(watcher, "❤️")["tooltip"] == "Rae reacted with red heart"
        for person in (ann, reader, watcher):
            assert person.client.errors == []
            await person.close()
