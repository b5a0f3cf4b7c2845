"""Replies over Flet's wire protocol: a reply made in one tab, its count seen in the others."""

from __future__ import annotations

import pytest

from chat.ui.reply_parts import REPLY
from chat.ui.thread_panel import EARLIER_REPLIES, THREAD_FIELD_HINT
from tests.confab_harness import Person, serve_confab

pytestmark = pytest.mark.asyncio


@pytest.fixture(scope="module")
def bot_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("bot")


def buttons_saying(person: Person, words: str) -> list[dict]:
    """The TextButtons whose text (a string, or a Text inside) contains `words`."""

    def says(button: dict) -> bool:
        content = button.get("content")
        text = content.get("value") if isinstance(content, dict) else content
        return isinstance(text, str) and words in text

    return [b for b in person.client.find("TextButton") if says(b)]


async def shows_button(person: Person, words: str) -> dict:
    found = await person.client.wait_for(lambda: buttons_saying(person, words), timeout=10)
    return found[-1]


def thread_ideas(person: Person) -> list[str]:
    """The bodies shown in the thread panel (the innermost Column holding its composer)."""
    client = person.client
    holders = [
        column
        for column in client.find("Column")
        if client.find_one("TextField", hint_text=THREAD_FIELD_HINT) in client.iter_controls(column)
    ]
    bodies = [
        c.get("value", "") for c in client.iter_controls(holders[-1]) if c["_c"] == "Markdown"
    ]
    return [b for b in bodies if b.startswith("idea ")]


async def test_a_reply_shows_its_quote_and_every_tab_counts_it_live_and_the_thread_posts(
    bot_dir, tmp_path
):
    async with serve_confab(bot_dir, tmp_path) as served:
        ann = await Person.open(served.url)
        bob = await Person.open(served.url)
        cy = await Person.open(served.url)
        for person, name in ((ann, "Ann"), (bob, "Bob"), (cy, "Cy")):
            await person.join(name)
        await bob.say("lunch at noon?")
        await ann.sees("lunch at noon?")

        reply = ann.client.find("IconButton", tooltip=REPLY)
        await ann.client.click(reply[-1])
        await ann.client.wait_for(
            lambda: "Replying to Bob: lunch at noon?" in ann.lines(), timeout=10
        )
        await ann.say("noon works")
        # The "Replying to" bar is gone once sent; the reply quotes the original everywhere.
        await ann.client.wait_for(lambda: "Replying to Bob: lunch at noon?" not in ann.lines())
        for person in (ann, bob, cy):
            await shows_button(person, "Bob: lunch at noon?")
            await shows_button(person, "1 reply")  # Cy's tab shows the shared conversation

        # Cy opens the thread and replies there: every tab counts two.
        await cy.client.click(await shows_button(cy, "1 reply"))
        field = await cy.client.wait_for(
            lambda: cy.client.find_one("TextField", hint_text=THREAD_FIELD_HINT), timeout=10
        )
        assert "Thread · 1 reply" in cy.lines()
        await cy.client.submit(field, "one is better")
        await cy.client.wait_for(lambda: "Thread · 2 replies" in cy.lines(), timeout=10)
        for person in (ann, bob):
            await shows_button(person, "2 replies")
            await person.sees("one is better")
        # Ann's tab renders rows of its own (she wrote): her count opens the thread too.
        await ann.client.click(await shows_button(ann, "2 replies"))
        await ann.client.wait_for(lambda: "Thread · 2 replies" in ann.lines(), timeout=10)
        for person in (ann, bob, cy):
            await person.close()


async def test_at_phone_width_the_thread_opens_in_a_sheet_that_posts_and_closes(bot_dir, tmp_path):
    async with serve_confab(bot_dir, tmp_path) as served:
        ann = await Person.open(served.url)
        dan = await Person.open(served.url, width=400, height=800)
        await ann.join("Ann")
        await dan.join("Dan")
        await ann.say("who is in?")
        await dan.sees("who is in?")
        await dan.client.click(dan.client.find("IconButton", tooltip=REPLY)[-1])
        await dan.say("me")
        await dan.client.click(await shows_button(dan, "1 reply"))
        sheet = await dan.client.wait_for(
            lambda: dan.client.find("BottomSheet", open=True), timeout=10
        )
        assert sheet and "Thread · 1 reply" in dan.lines()
        field = dan.client.find_one("TextField", hint_text=THREAD_FIELD_HINT)
        await dan.client.submit(field, "and me")
        await dan.client.wait_for(lambda: "Thread · 2 replies" in dan.lines(), timeout=10)
        await shows_button(ann, "2 replies")
        await dan.client.click(dan.client.find("IconButton", tooltip="Close thread")[-1])
        await dan.client.wait_for(lambda: not dan.client.find("BottomSheet", open=True), timeout=10)
        for person in (ann, dan):
            await person.close()


async def test_a_cancelled_reply_sends_a_plain_message(bot_dir, tmp_path):
    async with serve_confab(bot_dir, tmp_path) as served:
        ann = await Person.open(served.url)
        await ann.join("Ann")
        await ann.say("first thought")
        await ann.client.click(ann.client.find("IconButton", tooltip=REPLY)[-1])
        await ann.client.wait_for(lambda: "Replying to Ann: first thought" in ann.lines())
        await ann.client.click(ann.client.find("IconButton", tooltip="Cancel reply")[-1])
        await ann.client.wait_for(lambda: "Replying to Ann: first thought" not in ann.lines())
        await ann.say("second thought")
        stored = await served.confab.service.history("general")
        assert [m.reply_to for m in stored if m.text.endswith("thought")] == [None, None]
        assert not buttons_saying(ann, "Ann: first thought") and not buttons_saying(ann, "reply")
        await ann.close()


async def test_a_count_lost_on_the_bus_is_caught_up_when_a_tab_reconnects(bot_dir, tmp_path):
    async with serve_confab(bot_dir, tmp_path) as served:
        ann = await Person.open(served.url)
        cy = await Person.open(served.url)
        await ann.join("Ann")
        await cy.join("Cy")
        await ann.say("lunch at noon?")
        await cy.sees("lunch at noon?")
        service = served.confab.service
        (plan,) = [m for m in await service.history("general") if m.text == "lunch at noon?"]
        await service.post_message("general", "s-bob", "Bob", "noon", reply_to=plan.id)
        for person in (ann, cy):  # Ann's tab has rows of its own, Cy's the shared ones
            await shows_button(person, "1 reply")

        async def lost(event) -> None:
            pass  # the bus dropped it

        publish, service.replying._publish = service.replying._publish, lost
        await service.post_message("general", "s-bob", "Bob", "or one", reply_to=plan.id)
        service.replying._publish = publish
        for person in (ann, cy):
            await person.sees("or one")
            assert not buttons_saying(person, "2 replies")
            person = await person.blip(served.url)
            await shows_button(person, "2 replies")
            await person.close()


async def test_a_long_thread_opens_on_its_newest_replies_and_pages_in_earlier_ones(
    bot_dir, tmp_path, monkeypatch
):
    import chat.replying

    monkeypatch.setattr(chat.replying, "THREAD_PAGE", 3)
    async with serve_confab(bot_dir, tmp_path) as served:
        ann = await Person.open(served.url)
        await ann.join("Ann")
        await ann.say("ideas for the party?")
        service = served.confab.service
        (plan,) = [m for m in await service.history("general") if m.text.startswith("ideas")]
        for i in range(1, 8):
            await service.post_message("general", "s-bob", "Bob", f"idea {i}", reply_to=plan.id)
        await ann.client.click(await shows_button(ann, "7 replies"))
        await ann.client.wait_for(lambda: "Thread · 7 replies" in ann.lines(), timeout=10)
        assert thread_ideas(ann) == ["idea 5", "idea 6", "idea 7"]
        await ann.client.click(await shows_button(ann, EARLIER_REPLIES))
        await ann.client.wait_for(lambda: len(thread_ideas(ann)) == 6, timeout=10)
        assert thread_ideas(ann) == [f"idea {i}" for i in range(2, 8)]
        await ann.client.click(await shows_button(ann, EARLIER_REPLIES))
        await ann.client.wait_for(lambda: len(thread_ideas(ann)) == 7, timeout=10)
        assert thread_ideas(ann) == [f"idea {i}" for i in range(1, 8)]
        shown = [b for b in buttons_saying(ann, EARLIER_REPLIES) if b.get("visible", True)]
        assert not shown  # nothing before the first reply
        await ann.close()
