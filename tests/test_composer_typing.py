"""The composer fed like Chromium feeds it: a report per key, Enter without the text.

Headless sessions replay the two ways a fast typist's keys meet the server's
tidying write (see chat/ui/draft.py), deterministically.
"""

import asyncio

from flet.messaging.session import Session

from tests.confab_harness import Person, serve_confab, server_session
from tests.test_room_integration import bot_dir  # noqa: F401  (the module's trained bot)


async def keys(person: Person, field: dict, start: str, text: str) -> str:
    """Report each key of `text` typed after `start`, as the web client does; return the field's text."""
    value = start
    for key in text:
        value += key
        await person.client.update_props(field, {"value": value})
        await person.client.send_event(field, "change", value)
    return value


async def enter(person: Person, field: dict) -> None:
    await person.client.send_event(field, "submit", None)  # a multi-line field sends no text


async def chat_texts(served) -> list[str]:
    messages = await served.confab.service.history("general")
    return [m.text for m in messages if m.kind.value == "chat"]


async def test_typing_on_after_enter_never_merges_messages(bot_dir, tmp_path):  # noqa: F811
    async with serve_confab(bot_dir, tmp_path) as served:
        alice = await Person.open(served.url)
        await alice.join("Alice")
        field = alice.composer
        shown = ""
        for text in ["yes", "sounds good", "see you\nat 3"]:
            shown = await keys(alice, field, shown, text)  # the field is never cleared in between
            await enter(alice, field)
        await alice.sees("see you\nat 3")
        assert await chat_texts(served) == ["yes", "sounds good", "see you\nat 3"]
        # Once typing pauses, the sent text leaves the field.
        await alice.client.wait_for(lambda: alice.composer.get("value") == "", timeout=5)
        await alice.close()


async def test_keys_erased_by_the_tidy_write_are_sent_and_put_back(bot_dir, tmp_path):  # noqa: F811
    async with serve_confab(bot_dir, tmp_path) as served:
        alice = await Person.open(served.url)
        await alice.join("Alice")
        field = alice.composer
        shown = await keys(alice, field, "", "yes")
        await enter(alice, field)
        await alice.client.wait_for(lambda: alice.composer.get("value") == "", timeout=5)  # the tidy write
        await keys(alice, field, shown, "so")  # typed before that write reached the field...
        shown = await keys(alice, field, "", "unds good")  # ...which then erased "so"
        await asyncio.sleep(0.1)
        await enter(alice, field)
        await alice.sees("sounds good")
        assert await chat_texts(served) == ["yes", "sounds good"]
        await alice.close()


async def test_a_refused_message_comes_back_into_the_field(bot_dir, tmp_path):  # noqa: F811
    async with serve_confab(bot_dir, tmp_path, max_message_chars=10) as served:
        alice = await Person.open(served.url)
        await alice.join("Alice")
        field = alice.composer
        shown = await keys(alice, field, "", "far too long")
        await enter(alice, field)
        await keys(alice, field, shown, "ok")  # typing goes on while the refusal comes back
        error = await alice.client.wait_for(lambda: alice.composer.get("error"), timeout=5)
        assert "limit is 10" in error
        # The refused text is back in front of what was typed since; the error stays in sight.
        await alice.client.wait_for(lambda: alice.composer.get("value") == "far too long\nok", timeout=5)
        assert alice.composer.get("error") == error
        assert await chat_texts(served) == []
        await alice.close()


async def test_a_keystroke_report_diffs_nothing(bot_dir, tmp_path, monkeypatch):  # noqa: F811
    # Flet updates the page after every event unless told not to: a diff of the whole page per
    # key, which was the largest cost of a socket flooding keystrokes.
    patched: list[Session] = []
    original = Session.patch_control

    def counted(self, *args, **kwargs):
        patched.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Session, "patch_control", counted)
    async with serve_confab(bot_dir, tmp_path) as served:
        alice = await Person.open(served.url)
        await alice.join("Alice")
        mine = server_session(alice.client.session_id)
        before = patched.count(mine)
        await keys(alice, alice.composer, "", "a hundred keys, " * 6 + "and more")
        await enter(alice, alice.composer)
        await alice.sees("a hundred keys, " * 6 + "and more")
        # The message arriving and the field emptied: a few patches, not one per key.
        assert patched.count(mine) - before < 10, patched.count(mine) - before
        await alice.close()
