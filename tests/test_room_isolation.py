"""Rooms are apart: a tab showing one room gets no frame for another room's events."""

import asyncio

import pytest

from chat.ui.outage_copy import WRITE_INTERVAL
from tests.confab_harness import Person, serve_confab

pytestmark = pytest.mark.asyncio


@pytest.fixture(scope="module")
def bot_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("bot")


async def quiet(person: Person, for_seconds: float = 0.4) -> int:
    """The tab's frame count once nothing has arrived for `for_seconds`."""
    while True:
        before = person.client.frames_received
        await asyncio.sleep(for_seconds)
        if person.client.frames_received == before:
            return before


async def test_a_tab_in_one_room_gets_no_frame_for_another_rooms_events(bot_dir, tmp_path):
    async with serve_confab(bot_dir, tmp_path) as served:
        service = served.confab.service
        await service.directory.create_room("design", "", None)
        in_general = await Person.open(served.url)  # "/" opens the default room
        await in_general.join("Gina")
        also_general = await Person.open(served.url, route="/r/general")
        await also_general.join("Gus")
        in_design = await Person.open(served.url, route="/r/design?tz=60")
        assert "# design" in in_design.lines() and "# general" in in_general.lines()
        # Quiet for longer than the outage copy's interval: its own copy of general is written.
        frames = await quiet(in_general, for_seconds=WRITE_INTERVAL + 0.5)

        # Everything that happens in "design": a join (presence and a line), messages from
        # the tab and from elsewhere, a reply streaming, and a leave.
        await in_design.join("Dora")
        await in_design.say("only for designers")
        await service.post_message("design", "script", "Dan", "also only for designers")
        await in_design.sees("also only for designers")
        await in_design.say("@bot what is kerning?")
        await in_design.client.wait_for(lambda: len(in_design.bodies()) >= 4, timeout=10)
        await quiet(in_design)
        await in_design.close()
        await asyncio.sleep(0.5)

        assert await quiet(in_general) == frames  # not one frame, row or patch
        assert not any("designers" in body for body in in_general.bodies())
        assert in_general.online() == also_general.online() == "Online · 3"  # Gina, Gus, bot

        # The same tab does get its own room's events, through the shared rendering.
        await service.post_message("general", "script", "Dan", "for everyone in general")
        await in_general.sees("for everyone in general")
        await also_general.sees("for everyone in general")
        assert in_general.client.frames_received > frames
        assert await service.history("design") != []
        assert [m.room for m in await service.history("general")] == ["general"] * len(
            await service.history("general")
        )
        for person in (in_general, also_general):
            assert person.client.errors == []
            await person.close()


async def test_presence_history_and_sequence_numbers_are_per_room(bot_dir, tmp_path):
    async with serve_confab(bot_dir, tmp_path) as served:
        service = served.confab.service
        for name in ("alpha", "beta"):
            await service.directory.create_room(name, "", None)
        ann = await Person.open(served.url, route="/r/alpha")
        await ann.join("Ann")
        bob = await Person.open(served.url, route="/r/beta")
        await bob.join("Bob")
        await ann.say("first in alpha")
        await bob.say("first in beta")
        assert service.online("alpha") == ("Ann", "bot")
        assert service.online("beta") == ("Bob", "bot")
        alpha = [m for m in await service.history("alpha") if m.kind.value == "chat"]
        beta = [m for m in await service.history("beta") if m.kind.value == "chat"]
        assert [m.text for m in alpha] == ["first in alpha"]
        assert [m.text for m in beta] == ["first in beta"]
        # Each room counts from 1: "Ann joined" is alpha's 1, her message its 2.
        assert [m.seq for m in await service.history("alpha")] == [1, 2]
        assert [m.seq for m in await service.history("beta")] == [1, 2]
        assert "Ann" not in bob.online() and ann.online() == "Online · 2"
        for person in (ann, bob):
            await person.close()
