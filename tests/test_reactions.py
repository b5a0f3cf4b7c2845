"""Reactions through the service, on a real SQLite file and the in-process bus."""

from __future__ import annotations

import pytest

from chat.domain import Reactions, ReactionsChanged
from chat.reaction_rules import DEFAULT_REACTIONS, PICKER_EMOJI, clean_emoji
from chat.rules import Rejected
from tests.test_moderation import place, seen  # noqa: F401  (the fixture)
from tests.test_service import eventually

pytestmark = pytest.mark.asyncio


def counts(reactions: Reactions) -> dict[str, int]:
    return {r.emoji: r.count for r in reactions.items}


async def test_a_reaction_toggles_and_every_tab_of_the_room_hears_the_whole_summary(place):
    service, events, _, admin, _, bob = place
    hello = await service.post_message("general", "s-bob", "Bob", "hello")
    after_ada = await service.react("general", hello.id, "s-ada", "👍")
    after_bob = await service.react("general", hello.id, "s-bob", "👍")
    assert counts(after_bob) == {"👍": 2} and after_bob.items[0].names == ("Ada", "Bob")
    removed = await service.react("general", hello.id, "s-ada", "👍")  # again: taken back
    assert (
        counts(removed) == {"👍": 1} and removed.by(bob.id) == {"👍"} and not removed.by(admin.id)
    )
    await eventually(lambda: len(seen(events, ReactionsChanged)) == 3)
    heard = [e for _, e in seen(events, ReactionsChanged)]
    assert {room for room, _ in seen(events, ReactionsChanged)} == {"general"}
    assert [e.reactions for e in heard] == [after_ada, after_bob, removed]
    assert all(e.message_id == hello.id for e in heard)


async def test_history_brings_the_reactions_so_a_reload_shows_them(place):
    service, _, _, _, _, _ = place
    plain = await service.post_message("general", "s-bob", "Bob", "nothing on me")
    liked = await service.post_message("general", "s-bob", "Bob", "like me")
    await service.react("general", liked.id, "s-ada", "❤️")
    await service.react("general", liked.id, "s-olga", "🎉")
    shown = {m.id: m for m in await service.history("general")}
    assert counts(shown[liked.id].reactions) == {"❤️": 1, "🎉": 1}
    assert shown[plain.id].reactions == Reactions()
    after = {m.id: m for m in await service.history_after("general", plain.seq)}
    assert counts(after[liked.id].reactions) == {"❤️": 1, "🎉": 1}


async def test_history_reads_every_reaction_in_one_query(place):
    service, _, _, _, _, _ = place
    for n in range(6):
        message = await service.post_message("general", "s-bob", "Bob", f"m{n}")
        await service.react("general", message.id, "s-ada", "👍")
    calls = []
    real = service.store.reactions_of

    async def counted(ids):
        calls.append(ids)
        return await real(ids)

    service.store.reactions_of = counted  # type: ignore[method-assign]
    shown = await service.history("general")
    assert len(calls) == 1
    assert sum(1 for m in shown if m.reactions.items) == 6


async def test_bots_messages_get_reactions_too(place):
    service, _, _, _, _, _ = place
    reply = await service.begin_reply("general", "Confab Bot", "claim-1")
    await service.finish_reply(reply, "Here you go", reply.status.DONE)
    assert counts(await service.react("general", reply.id, "s-bob", "🙏")) == {"🙏": 1}


async def test_only_people_who_may_read_the_room_react(place):
    service, _, people, _, _, _ = place
    secret = await service.post_message("den", "s-olga", "Olga", "members only")
    eve = await people.create_person("Eve")
    await service.join("general", "s-eve", "Eve", eve.id)
    with pytest.raises(Rejected, match="private"):
        await service.react("den", secret.id, "s-eve", "👍")
    with pytest.raises(Rejected, match="Join the room"):
        await service.react("general", secret.id, "s-nobody", "👍")
    # A message named with the wrong room is refused: reacting reaches no other room's message.
    with pytest.raises(Rejected, match="not in this room"):
        await service.react("general", secret.id, "s-eve", "👍")
    assert await service.store.reactions_of([secret.id]) == {}


async def test_muted_and_banned_people_cannot_react(place):
    service, _, people, admin, owner, _ = place
    hello = await service.post_message("den", "s-olga", "Olga", "hello")
    await service.moderation.mute("den", "Bob", "10m", owner.id)
    with pytest.raises(Rejected, match="muted"):
        await service.react("den", hello.id, "s-bob", "👍")
    mallory = await people.claim("Mallory")
    await service.join("general", "s-mal", "Mallory", mallory.person.id)
    mine = await service.post_message("general", "s-ada", "Ada", "hi")
    await service.moderation.ban("Mallory", admin.id)
    with pytest.raises(Rejected, match="banned"):
        await service.react("general", mine.id, "s-mal", "👍")
    assert await service.store.reactions_of([hello.id, mine.id]) == {}


async def test_a_deleted_message_and_a_system_line_get_no_reactions(place):
    service, _, _, admin, _, _ = place
    rude = await service.post_message("general", "s-bob", "Bob", "rude")
    await service.moderation.delete_message("general", rude.id, admin.id)
    with pytest.raises(Rejected, match="deleted message"):
        await service.react("general", rude.id, "s-ada", "👍")
    line = await service.post_system("general", "Somebody joined")
    with pytest.raises(Rejected, match="notices"):
        await service.react("general", line.id, "s-ada", "👍")


@pytest.mark.parametrize(
    "bad", ["", "  ", "a", "ok", "👍👍", "👍 😂", "<b>", "👍" + "\u200d" * 20, "🙂x"]
)
async def test_a_bad_emoji_is_refused_with_a_clear_message(place, bad):
    service, events, _, _, _, _ = place
    hello = await service.post_message("general", "s-bob", "Bob", "hello")
    with pytest.raises(Rejected, match="emoji"):
        await service.react("general", hello.id, "s-ada", bad)
    assert await service.store.reactions_of([hello.id]) == {}
    assert not seen(events, ReactionsChanged)


@pytest.mark.parametrize("good", ["👍", "❤️", "👍🏽", "👩‍💻", "🇫🇷", "👨‍👩‍👧‍👦"])
async def test_one_emoji_may_be_a_sequence_of_several_code_points(good):
    assert clean_emoji(good) == good


async def test_every_emoji_offered_is_accepted():
    assert len(set(PICKER_EMOJI)) == len(PICKER_EMOJI) >= 30
    assert PICKER_EMOJI[: len(DEFAULT_REACTIONS)] == DEFAULT_REACTIONS
    assert [clean_emoji(e) for e in PICKER_EMOJI] == list(PICKER_EMOJI)
