"""Code blocks (monospace, highlighted, a copy button) and @mentions, as headless tabs receive them."""

from __future__ import annotations

import httpx

from chat.ui.message_body import CODE_FONT, CODE_FONT_FILE
from tests.bot_helpers import close_all, open_people
from tests.confab_harness import Person, serve_confab

CODE = "def add(a, b):\n    return a + b  # `ticks` [i](x)\n"
MESSAGE = f"Try this:\n\n```python\n{CODE}```\n\nand `arr[i](x)` inline."


def markdown_with(person: Person, fragment: str) -> dict:
    return next(m for m in person.client.find("Markdown") if fragment in m.get("value", ""))


def row_of(person: Person, fragment: str) -> dict:
    """The message row (the outermost Container around the Markdown holding `fragment`)."""
    client, markdown = person.client, markdown_with(person, fragment)
    rows = []
    for container in client.find("Container"):
        inside = list(client.iter_controls(container))
        if any(x is markdown for x in inside) and sum(x.get("_c") == "Markdown" for x in inside) == 1:
            rows.append((len(inside), container))
    return max(rows, key=lambda pair: pair[0])[1]  # the row, not the bubble inside an own row


def copied(person: Person) -> dict | None:
    """The clipboard write the server asked this tab for, if any."""
    calls = person.client.method_calls
    return next((c for c in calls if c.get("name") == "set" and "data" in (c.get("args") or {})), None)


def stands_out(row: dict) -> bool:
    left = (row.get("border") or {}).get("left") or {}
    return bool(row.get("bgcolor")) and left.get("width", 0) > 0


async def test_code_blocks_are_monospace_highlighted_and_copyable(tmp_path):
    async with serve_confab(tmp_path) as served:
        alice, bob = await open_people(served, "Alice", "Bob")
        await alice.say(MESSAGE, wait=False)
        for person in (alice, bob):  # Alice's own rows and the rows Bob shares with other readers
            await person.client.wait_for(lambda p=person: any("```python" in b for b in p.bodies()))
            markdown = markdown_with(person, "```python")
            assert f"```python\n{CODE}```" in markdown["value"]  # the code exactly as written
            assert "`arr[i](x)`" in markdown["value"]
            assert markdown["code_theme"] == "atom-one-dark"  # highlighted
            assert markdown["code_style_sheet"]["code_text_style"]["font_family"] == CODE_FONT
            assert markdown["md_style_sheet"]["code_text_style"]["font_family"] == CODE_FONT  # inline too
            assert person.client.page["fonts"] == {CODE_FONT: CODE_FONT_FILE}

            button = person.client.find_one("TextButton", content="Copy python")
            assert button is not None
            await person.client.click(button)
            call = await person.client.wait_for(lambda p=person: copied(p))
            assert call["args"] == {"data": CODE}
            person.client.method_calls.clear()
        await close_all(alice, bob)

        async with httpx.AsyncClient() as http:  # the font comes from the app itself, not a CDN
            font = await http.get(f"{served.url}/{CODE_FONT_FILE}")
        assert font.status_code == 200 and font.content[:4] == b"\x00\x01\x00\x00"


async def test_several_blocks_get_one_button_each(tmp_path):
    async with serve_confab(tmp_path) as served:
        (alice,) = await open_people(served, "Alice")
        await alice.say("```\none\n```\n\n    two\n\n```sh\nthree\n```", wait=False)
        await alice.client.wait_for(lambda: alice.client.find_one("TextButton", content="Copy sh (3)"))
        for label, code in (("Copy code (1)", "one\n"), ("Copy code (2)", "two\n"), ("Copy sh (3)", "three\n")):
            await alice.client.click(alice.client.find_one("TextButton", content=label))
            call = await alice.client.wait_for(lambda: copied(alice))
            assert call["args"] == {"data": code}
            alice.client.method_calls.clear()
        await close_all(alice)


async def test_a_message_that_mentions_you_stands_out_in_your_tab_only(tmp_path):
    async with serve_confab(tmp_path) as served:
        alice, bob, carol = await open_people(served, "Alice", "Bob", "Carol")
        await alice.say("@bob could you look at this?")  # any case
        await alice.say("not for `@Carol` (code) nor carol@example.org")
        for person in (alice, bob, carol):
            await person.sees("not for `@Carol` (code) nor carol@example.org")
            assert "**@bob** could you look at this?" in person.bodies()  # the mention is highlighted
        assert stands_out(row_of(bob, "could you look"))
        assert not stands_out(row_of(carol, "could you look"))
        assert not stands_out(row_of(alice, "could you look"))  # her own message
        assert not stands_out(row_of(carol, "not for"))  # a mention in code is not a mention

        # Carol, a reader until now, is mentioned later: her tab marks it too.
        await bob.say("@Carol welcome!")
        await carol.sees("@Carol welcome!")
        assert stands_out(row_of(carol, "welcome"))
        assert not stands_out(row_of(bob, "welcome"))

        # Someone who joins after being mentioned sees the mention marked.
        await alice.say("@Dave are you coming?")
        late = await Person.open(served.url)
        assert late.bodies() == []  # not joined yet: shown nothing
        await late.join("Dave")
        await late.client.wait_for(lambda: stands_out(row_of(late, "are you coming")))
        assert not stands_out(row_of(late, "could you look"))
        await close_all(alice, bob, carol, late)
