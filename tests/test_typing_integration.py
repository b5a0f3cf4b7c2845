"""The typing line as tabs see it: headless sessions on one server, and two processes on Redis."""

from __future__ import annotations

import pytest

from chat.domain import PersonTyping
from tests.confab_harness import BrowserPrefs, Person, serve_confab
from tests.test_room_integration import bot_dir  # noqa: F401  (the module's trained bot)
from tests.test_scale_out import Tab, cluster  # noqa: F401  (the two-process fixture)

pytestmark = pytest.mark.asyncio


def typing_line(person: Person) -> str:
    """What the line above the composer says ("" when nobody else is typing)."""
    said = [t for t in person.lines() if t.endswith("typing…")]
    assert len(said) <= 1, said
    return said[0] if said else ""


async def line_reads(person: Person, words: str, timeout: float = 10.0) -> None:
    await person.client.wait_for(lambda: typing_line(person) == words, timeout=timeout)


async def keys(person: Person, text: str) -> None:
    """Report each key of `text`, as a browser does while someone types."""
    field = person.composer
    for end in range(1, len(text) + 1):
        await person.client.update_props(field, {"value": text[:end]})
        await person.client.send_event(field, "change", text[:end])


async def enter(person: Person) -> None:
    await person.client.send_event(person.composer, "submit", None)  # multi-line: no text


async def test_other_tabs_see_who_types_and_the_typers_own_tabs_never_do(bot_dir, tmp_path):  # noqa: F811
    async with serve_confab(bot_dir, tmp_path) as served:
        alices_browser = BrowserPrefs()
        alice = await Person.open(served.url, on_invoke=alices_browser)
        await alice.join("Alice")
        alice_again = await Person.open(served.url, on_invoke=alices_browser)  # her second tab
        await alice_again.client.wait_for(lambda: alice_again.composer.get("disabled") is False)
        bob = await Person.open(served.url)
        await bob.join("Bob")
        cem = await Person.open(served.url)
        await cem.join("Cem")

        await keys(alice, "hel")
        await line_reads(bob, "Alice is typing…")
        await line_reads(cem, "Alice is typing…")
        await keys(bob, "hi")
        await line_reads(cem, "Alice and Bob are typing…")
        # Alice's tabs got every change Cem's did, and never name her (compared by person id).
        await line_reads(alice, "Bob is typing…")
        await line_reads(alice_again, "Bob is typing…")
        await line_reads(bob, "Alice is typing…")

        await keys(alice, "hello")
        await enter(alice)  # sending says she stopped, at once
        await alice.sees("hello")
        await line_reads(cem, "Bob is typing…")
        await line_reads(bob, "")

        # Nothing of it was written to the store.
        messages = await served.confab.service.history("general")
        assert [m.text for m in messages if m.kind.value == "chat"] == ["hello"]
        for person in (alice, alice_again, bob, cem):
            await person.close()


async def test_a_pause_stops_the_line_and_a_tab_opened_meanwhile_shows_it(bot_dir, tmp_path):  # noqa: F811
    async with serve_confab(bot_dir, tmp_path, typing_idle_seconds=1.0) as served:  # a short pause
        alice = await Person.open(served.url)
        await alice.join("Alice")
        await keys(alice, "thinking about it")
        bob = await Person.open(served.url)
        await bob.join("Bob")  # joins while Alice types: the line is there from the start
        await line_reads(bob, "Alice is typing…")
        await line_reads(bob, "")  # she paused: a stop went out
        await alice.close()
        await bob.close()


async def test_a_typist_whose_tab_crashed_lapses_on_the_receiving_side(bot_dir, tmp_path):  # noqa: F811
    async with serve_confab(bot_dir, tmp_path, typing_expiry_seconds=1.0) as served:
        service = served.confab.service
        bob = await Person.open(served.url)
        await bob.join("Bob")
        # A signal from a process that then died: no stop will ever come.
        await service.bus.publish(PersonTyping("general", "p-gone", "Ghost"))
        await line_reads(bob, "Ghost is typing…")
        await line_reads(bob, "")
        await bob.close()


async def test_a_bot_writing_its_reply_sends_no_typing_signal(bot_dir, tmp_path):  # noqa: F811
    async with serve_confab(bot_dir, tmp_path) as served:
        service = served.confab.service
        signals = []
        publish = service.bus.publish

        async def recording(event):
            if isinstance(event, PersonTyping):
                signals.append(event)
            await publish(event)

        service.bus.publish = recording
        bob = await Person.open(served.url)
        await bob.join("Bob")
        await bob.say("@bot hello there")  # said whole, as a script does: no keystrokes
        await bob.client.wait_for(lambda: len(bob.bodies()) >= 2, timeout=30)  # the bot answered
        await service.typing.drained()
        assert signals == []  # the bot has its own "writing…" row
        assert typing_line(bob) == ""
        await bob.close()


async def test_typing_crosses_to_the_other_process(cluster):  # noqa: F811
    first, second = await cluster.start(2)
    ann = await Tab.open(first.url, on_invoke=BrowserPrefs())
    await ann.join("Ann")
    bob = await Tab.open(second.url, on_invoke=BrowserPrefs())
    await bob.join("Bob")
    await keys(ann, "on my way")
    await line_reads(bob, "Ann is typing…", timeout=20)
    await keys(bob, "ok")
    await line_reads(ann, "Bob is typing…", timeout=20)
    assert typing_line(bob) == "Ann is typing…"  # never himself
    await enter(ann)
    await line_reads(bob, "", timeout=20)
    await ann.close()
    await bob.close()
