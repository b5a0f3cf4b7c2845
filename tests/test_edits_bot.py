"""The bot reads what a message says now: an edit before a mention reaches the model, the old text does not."""

from __future__ import annotations

import json

import pytest

from tests.bot_helpers import bot_room, close_all, final_replies, open_people
from tests.fake_openai import FakeOpenAI

pytestmark = pytest.mark.asyncio


async def test_the_model_is_sent_the_edited_text_and_never_a_deleted_one(
    fake_openai: FakeOpenAI, tmp_path
):
    fake_openai.reply("banana it is")
    async with bot_room(fake_openai, tmp_path) as served:
        (alice,) = await open_people(served, "Alice")
        await alice.say("my code word is apple")
        await alice.say("my pin is 4711")
        service = served.confab.service
        history = await service.history("general")
        word, pin = [m for m in history if m.text.startswith("my ")]
        await service.edits.edit("general", word.id, word.author_id, "my code word is banana")
        await service.edits.delete("general", pin.id, pin.author_id)
        await alice.say("@bot what is my code word?")
        await final_replies(served, 1)
        (request,) = fake_openai.chat_requests
        sent = json.dumps(request.body["messages"])
        assert "banana" in sent and "apple" not in sent and "4711" not in sent
        await close_all(alice)
