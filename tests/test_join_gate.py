"""Before a tab joins, the room shows it nothing: no message, no name online, in no frame."""

import asyncio

import pytest

from tests.confab_harness import BrowserPrefs, Person, serve_confab

pytestmark = pytest.mark.asyncio


@pytest.fixture(scope="module")
def bot_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("bot")


async def test_a_tab_that_has_not_joined_receives_no_message_and_no_presence(bot_dir, tmp_path):
    async with serve_confab(bot_dir, tmp_path) as served:
        ann = await Person.open(served.url, on_invoke=BrowserPrefs())
        await ann.join("Annika")
        await ann.say("the plan is on the whiteboard")

        frames: list[bytes] = []
        lurker = await Person.open(
            served.url, on_frame=lambda raw, at: frames.append(raw), on_invoke=BrowserPrefs()
        )
        await ann.say("nobody else is reading this")
        await asyncio.sleep(0.5)
        assert lurker.name_field is not None  # the join dialog is what it shows
        seen = b"".join(frames)
        for secret in (b"whiteboard", b"nobody else is reading", b"Annika"):
            assert secret not in seen, secret
        assert lurker.bodies() == [] and not any("Annika" in t for t in lurker.lines())

        await lurker.join("Lu")  # once joined: the backlog, the people, and what comes next
        await lurker.sees("the plan is on the whiteboard")
        await lurker.sees("nobody else is reading this")
        await lurker.client.wait_for(lambda: "Annika" in lurker.lines())
        await ann.say("welcome, Lu")
        await lurker.sees("welcome, Lu")
        for person in (ann, lurker):
            assert person.client.errors == []
            await person.close()
