"""Regenerate (issue 12, point 6): who asked has a finished or failed bot reply written again, in place."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chat.domain import Draft, MessageKind, MessageStatus
from chat.message_meta import MessageMeta
from tests.bot_helpers import bot_room, close_all, final_replies, open_people, sees_line
from tests.confab_harness import Person
from tests.fake_openai import FakeOpenAI
from tests.test_store import store, stores  # noqa: F401  (the two-backend fixtures)

pytestmark = pytest.mark.asyncio

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


async def test_a_finished_reply_reopens_once_empty_and_streaming_with_its_text_kept(store):  # noqa: F811
    question = await store.add_message(Draft("general", "Alice", "@bot hi", author_id="p-alice"))
    draft = Draft("general", "bot", "", kind=MessageKind.BOT, status=MessageStatus.STREAMING)
    reply = await store.add_message(draft)
    done = await store.update_message(
        reply.id, "first answer", MessageStatus.DONE, MessageMeta(error="1")
    )
    meta = MessageMeta(node="n2", asked_by_id="p-alice")
    reopened = await store.reopen_reply(reply.id, "p-alice", NOW, meta)
    assert reopened is not None
    assert (reopened.id, reopened.seq, reopened.text) == (done.id, done.seq, "")
    assert reopened.status is MessageStatus.STREAMING and reopened.meta == meta
    assert reopened.edited_at == NOW
    assert await store.reopen_reply(reply.id, "p-alice", NOW, meta) is None  # once at a time
    versions = await store.message_versions(reply.id)
    assert [(v.number, v.text, v.replaced_by) for v in versions] == [(1, "first answer", "p-alice")]
    assert await store.reopen_reply(question.id, "p-alice", NOW, meta) is None  # not a bot reply
    await store.update_message(reply.id, "second answer", MessageStatus.DONE, meta)
    await store.reopen_reply(reply.id, "p-alice", NOW, meta)
    assert [v.text for v in await store.message_versions(reply.id)] == [
        "first answer",
        "second answer",
    ]


def regenerate_buttons(person: Person) -> list[dict]:
    return person.client.find("TextButton", content="Regenerate")


async def test_the_asker_regenerates_a_reply_in_place_and_a_moderator_sees_the_first(
    fake_openai: FakeOpenAI, tmp_path
):
    fake_openai.reply("alpha answer")
    async with bot_room(fake_openai, tmp_path) as served:
        ann, bob = await open_people(served, "Ann", "Bob")  # Ann, the first, is an admin
        await bob.say("@bot say something")
        (first,) = await final_replies(served, 1)
        await ann.sees("alpha answer")
        button = await bob.client.wait_for(lambda: regenerate_buttons(bob), timeout=5)
        assert regenerate_buttons(ann) == []  # only who asked
        fake_openai.reply("beta answer")
        await bob.client.click(button[-1])
        for person in (bob, ann):
            await person.sees("beta answer")
            await sees_line(person, "(regenerated)")
            assert "alpha answer" not in person.bodies()
        (again,) = await final_replies(served, 1)
        assert (again.id, again.seq, again.text) == (first.id, first.seq, "beta answer")
        assert again.status is MessageStatus.DONE
        assert len(fake_openai.chat_requests) == 2
        service = served.confab.service
        ann_id = (await service.store.person_by_name_key("ann")).id
        versions = await service.edits.versions("general", first.id, ann_id)
        assert [v.text for v in versions] == ["alpha answer"]
        await close_all(ann, bob)


async def test_a_failed_reply_can_be_regenerated(fake_openai: FakeOpenAI, tmp_path):
    fake_openai.fail()
    fake_openai.fail()  # and its retry
    async with bot_room(fake_openai, tmp_path) as served:
        (bob,) = await open_people(served, "Bob")
        await bob.say("@bot are you there?")
        (failed,) = await final_replies(served, 1)
        assert failed.status is MessageStatus.FAILED
        button = await bob.client.wait_for(lambda: regenerate_buttons(bob), timeout=5)
        fake_openai.reply("yes, here now")
        await bob.client.click(button[-1])
        await bob.sees("yes, here now")
        (again,) = await final_replies(served, 1)
        assert again.id == failed.id and again.status is MessageStatus.DONE
        await close_all(bob)
