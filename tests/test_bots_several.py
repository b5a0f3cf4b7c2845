"""Several bots from one bots file in a real room: each answers its own handle, none answers a bot."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path

import httpx

from chat.config import Settings
from chat.domain import MessageKind, MessageStatus
from tests.bot_helpers import (
    KEY,
    all_messages,
    bot_room,
    close_all,
    final_replies,
    open_people,
    sees_line,
)
from tests.confab_harness import Person
from tests.fake_openai import FakeOpenAI

BOTS = """\
[[bot]]
handle = "sage"
display_name = "Sage"
brain = "openai"
base_url = "{url}"
model = "think-1"
api_key_env = "SAGE_KEY"

[[bot]]
handle = "parrot"
display_name = "Polly"
brain = "openai"
base_url = "{url}"
model = "parrot-1"
{extra}
"""


def roster(fake: FakeOpenAI, tmp_path: Path, extra: str = ""):
    """The bots of a real bots file, read as at start-up."""
    path = tmp_path / "bots.toml"
    path.write_text(BOTS.format(url=fake.base_url, extra=extra), encoding="utf-8")
    env = {"CHAT_BOTS_FILE": str(path), "SAGE_KEY": KEY}
    return Settings.from_env(env, env_file=None).bots


async def settled(served, count: int, quiet: float = 0.8):
    """The replies once `count` are final and no more came for `quiet` seconds."""
    found = await final_replies(served, count)
    await asyncio.sleep(quiet)
    again = [m for m in await all_messages(served) if m.kind is MessageKind.BOT]
    assert len(again) == count, again
    return found


async def test_each_bot_answers_its_own_handle_with_its_own_model_and_is_listed(
    fake_openai: FakeOpenAI, tmp_path
):
    fake_openai.reply("Deep thoughts.", model="think-1")
    fake_openai.reply("Squawk.", model="parrot-1")
    async with bot_room(None, tmp_path, bots=roster(fake_openai, tmp_path)) as served:
        (alice,) = await open_people(served, "Alice")
        await alice.client.wait_for(lambda: alice.online() == "Online · 3")
        assert {"sage", "parrot", "Alice"} <= set(served.confab.service.online("general"))
        await alice.say("@sage what is the meaning of it all?")
        await alice.say("@parrot say something")
        sage, parrot = await settled(served, 2)
        assert (sage.author, sage.text, sage.meta.bot_name) == (
            "sage",
            "Deep thoughts.",
            "Sage",
        )
        assert (parrot.author, parrot.text, parrot.meta.bot_name) == (
            "parrot",
            "Squawk.",
            "Polly",
        )
        await alice.sees("Squawk.")
        assert "Polly" in alice.lines() and "Sage" in alice.lines()  # each shown under its own name
        asked = {r.body["model"]: r.headers["authorization"] for r in fake_openai.chat_requests}
        assert asked == {"think-1": f"Bearer {KEY}", "parrot-1": "Bearer not-needed"}
        await close_all(alice)


async def test_help_lists_every_bot_with_its_model_but_no_address_or_key(
    fake_openai: FakeOpenAI, tmp_path
):
    async with bot_room(None, tmp_path, bots=roster(fake_openai, tmp_path)) as served:
        (alice,) = await open_people(served, "Alice")
        await alice.say("@parrot /help")
        (help_reply,) = await final_replies(served, 1)
        text = help_reply.text
        assert "**Polly**" in text and "parrot-1" in text
        assert "`@sage` (Sage)" in text and "think-1" in text
        assert fake_openai.base_url not in text and "127.0.0.1" not in text and KEY not in text
        assert fake_openai.chat_requests == []
        await close_all(alice)


async def test_two_bots_that_mention_each_other_never_loop(fake_openai: FakeOpenAI, tmp_path):
    for _ in range(3):
        fake_openai.reply("@parrot what do you think?", model="think-1")
        fake_openai.reply("@sage over to you!", model="parrot-1")
    async with bot_room(None, tmp_path, bots=roster(fake_openai, tmp_path)) as served:
        (alice,) = await open_people(served, "Alice")
        await alice.say("@sage start a debate")
        (only,) = await settled(served, 1)
        assert only.author == "sage" and only.text == "@parrot what do you think?"
        await alice.say("@sage @parrot both of you, please")
        replies = await settled(served, 3)
        assert sorted(r.author for r in replies[1:]) == ["parrot", "sage"]
        assert len(fake_openai.chat_requests) == 3
        assert all(r.status is MessageStatus.DONE for r in replies)
        await close_all(alice)


async def test_a_bot_answers_only_in_its_rooms_and_only_whom_it_may(
    fake_openai: FakeOpenAI, tmp_path
):
    extra = 'rooms = ["ideas"]\n'
    bots = roster(fake_openai, tmp_path, extra)
    sage, parrot = bots
    admins_only = replace(sage, wake="admins")
    async with bot_room(None, tmp_path, bots=(admins_only, parrot), admins="Alice") as served:
        alice, bob = await open_people(served, "Alice", "Bob")
        assert "parrot" not in served.confab.service.online("general")
        await bob.say("@parrot are you here?")
        await sees_line(alice, "Bob, @parrot is not in this room.")
        await bob.say("@sage and me?")
        await sees_line(alice, "Bob, only admins may ask @sage.")
        await alice.say("@sage and me?")
        (reply,) = await settled(served, 1)
        assert reply.author == "sage" and reply.meta.asked_by == "Alice"
        assert [r.body["model"] for r in fake_openai.chat_requests] == ["think-1"]
        await close_all(alice, bob)


async def test_nobody_may_take_a_bots_handle_or_name(fake_openai: FakeOpenAI, tmp_path):
    async with bot_room(None, tmp_path, bots=roster(fake_openai, tmp_path)) as served:
        for name in ("parrot", "Polly", "SAGE", "Sage"):
            person = await Person.open(served.url)
            assert any("Write @sage to ask" in line for line in person.lines())
            await person.join(name, expect_ok=False)
            assert "reserved" in await person.name_error(), name
            await person.close()


async def test_in_a_dm_with_one_bot_only_that_bot_answers_every_message(
    fake_openai: FakeOpenAI, tmp_path
):
    fake_openai.reply("Squawk in private.", model="parrot-1")
    bots = roster(fake_openai, tmp_path, 'rooms = ["ideas"]\n')  # a DM needs no room of the list
    async with bot_room(None, tmp_path, bots=bots) as served:
        service = served.confab.service
        alice = await served.confab.people.create_person("Alice")
        with_parrot = await service.directory.direct(alice, "parrot")
        await service.join(with_parrot.name, "session-alice", "Alice", alice.id)
        await service.post_message(with_parrot.name, "session-alice", "Alice", "hello there")
        deadline = asyncio.get_running_loop().time() + 5
        while True:
            found = await served.confab.store.history(with_parrot.name, None, 100)
            bot_replies = [m for m in found if m.kind is MessageKind.BOT]
            if bot_replies and bot_replies[0].status.is_final:
                break
            assert asyncio.get_running_loop().time() < deadline, found
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.5)
        found = await served.confab.store.history(with_parrot.name, None, 100)
        assert [(m.author, m.text) for m in found if m.kind is MessageKind.BOT] == [
            ("parrot", "Squawk in private.")
        ]
        assert [r.body["model"] for r in fake_openai.chat_requests] == ["parrot-1"]


async def test_bots_configured_to_answer_bots_stop_after_one_answer_to_an_answer(
    fake_openai: FakeOpenAI, tmp_path
):
    for _ in range(3):
        fake_openai.reply("@parrot what do you think?", model="think-1")
        fake_openai.reply("@sage over to you!", model="parrot-1")
    sage, parrot = roster(fake_openai, tmp_path)
    both = (replace(sage, answers_bots=True), replace(parrot, answers_bots=True))
    async with bot_room(None, tmp_path, bots=both) as served:
        (alice,) = await open_people(served, "Alice")
        await alice.say("@sage start a debate")
        first, second = await settled(served, 2, quiet=1.0)
        assert (first.author, second.author) == ("sage", "parrot")
        assert second.meta.answers == first.id  # parrot answered sage's reply...
        assert second.text == "@sage over to you!"  # ...which mentions sage, who stays quiet
        assert len(fake_openai.chat_requests) == 2
        await close_all(alice)


async def test_a_members_only_bot_answers_people_who_may_read_the_room(
    fake_openai: FakeOpenAI, tmp_path
):
    sage, _parrot = roster(fake_openai, tmp_path)
    async with bot_room(None, tmp_path, bots=(replace(sage, wake="members"),)) as served:
        (alice,) = await open_people(served, "Alice")
        service = served.confab.service
        await service.post_message("general", "session-script", "Script", "@sage me too?")
        await sees_line(alice, "Script, only members of this room may ask @sage.")
        await alice.say("@sage and me?")
        (reply,) = await settled(served, 1)
        assert reply.meta.asked_by == "Alice"
        await close_all(alice)


async def test_the_api_never_streams_the_key_of_a_bot_from_the_file(
    fake_openai: FakeOpenAI, tmp_path
):
    fake_openai.reply(
        "x", pieces=["the key: ", KEY[:4], KEY[4:], " and the token ", "tok-123456", "."]
    )
    bots = roster(fake_openai, tmp_path)  # sage, first, answers the API with SAGE_KEY
    async with (
        bot_room(None, tmp_path, bots=bots, api_token="tok-123456", openai_api_key="") as served,
        httpx.AsyncClient(base_url=served.url) as http,
    ):
        answer = await http.post(
            "/api/bot/stream",
            json={"messages": [{"role": "user", "content": "the key?"}]},
            headers={"Authorization": "Bearer tok-123456"},
        )
    assert answer.status_code == 200
    assert "the key: [key] and the token [key]." in "".join(
        json.loads(line[6:])["delta"]
        for line in answer.text.splitlines()
        if line.startswith("data: {")
    )
    assert KEY not in answer.text and "tok-123456" not in answer.text
    assert fake_openai.chat_requests[0].body["model"] == "think-1"


async def test_a_bot_woken_by_another_bot_still_answers_only_whom_it_may(
    fake_openai: FakeOpenAI, tmp_path
):
    for _ in range(2):
        fake_openai.reply("@parrot what do you think?", model="think-1")
    fake_openai.reply("Squawk for an admin.", model="parrot-1")
    sage, parrot = roster(fake_openai, tmp_path)
    strict = replace(parrot, answers_bots=True, wake="admins")
    async with bot_room(None, tmp_path, bots=(sage, strict), admins="Alice") as served:
        alice, bob = await open_people(served, "Alice", "Bob")
        await bob.say("@sage ask parrot for me")
        await settled(served, 1)  # parrot stays quiet: Bob may not wake it
        await alice.say("@sage ask parrot for me")
        replies = await settled(served, 3)
        assert [r.author for r in replies] == ["sage", "sage", "parrot"]
        assert replies[2].text == "Squawk for an admin."
        # Alice asked for it: hers are the limits and budget it counts against, and hers the Stop.
        assert replies[2].meta.asked_by_id == replies[1].meta.asked_by_id is not None
        assert not any("only admins" in m.text for m in await all_messages(served))
        await close_all(alice, bob)


async def test_no_bot_shows_any_bots_key(fake_openai: FakeOpenAI, tmp_path):
    fake_openai.reply("sage's key is " + KEY, model="parrot-1")  # parrot has no key of its own
    bots = roster(fake_openai, tmp_path)
    async with bot_room(None, tmp_path, bots=bots, openai_api_key="") as served:
        (alice,) = await open_people(served, "Alice")
        await alice.say("@parrot what is sage's key?")
        (reply,) = await settled(served, 1)
        assert reply.text == "sage's key is [key]"
        await close_all(alice)
