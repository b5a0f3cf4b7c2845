"""A catch-up in the tabs: asked in the composer, shown in the asker's tab alone (another
person's tab gets not one frame for it), its citations buttons that jump to the message."""

from __future__ import annotations

import asyncio
import re

import flet as ft
import pytest

from chat.domain import CatchUpShown, Citation
from chat.ui.catch_up_panel import TITLE, CatchUpPanel, catch_up_handle, citation_name, points
from chat.ui.jump import MARK_COLOR
from chat.ui.unread_divider import CATCH_ME_UP_NAME, NEW_MESSAGES
from tests.bot_helpers import all_messages, close_all, open_people
from tests.confab_harness import serve_confab
from tests.test_live_rooms import badges
from tests.test_reads_scale_out import open_room
from tests.test_room_isolation import quiet
from tests.test_unread_divider import post


def test_the_composer_command_and_the_points_are_read():
    assert catch_up_handle("@bot /catchup", ["bot", "sage"]) == "bot"
    assert catch_up_handle("  @Sage  /CATCHUP ", ["bot", "sage"]) == "sage"
    assert catch_up_handle("@nobody /catchup", ["bot"]) is None
    assert catch_up_handle("@bot /catchup please", ["bot"]) is None
    assert points("- Deploy moved to *Friday* [1][2].\n\n2. Cake [3]\nno cites") == [
        ("Deploy moved to *Friday*.", [1, 2]),
        ("Cake", [3]),
        ("no cites", []),
    ]


@pytest.mark.asyncio
async def test_only_the_askers_tab_shows_the_catch_up_and_a_citation_jumps(tmp_path):
    async with serve_confab(tmp_path) as served:
        alice, bob = await open_people(served, "Alice", "Bob")
        said = [
            "The database migration moves to Friday after the backup finishes",
            "Who owns the rollback plan for the [migration]?",
            "Carol owns the rollback plan and will write it by Thursday",
        ]
        for text in said:
            await bob.say(text)
        await alice.sees(said[-1])
        frames = await quiet(bob)
        stored_before = len(await all_messages(served))

        await alice.client.submit(alice.composer, "@bot /catchup")
        await alice.client.wait_for(lambda: TITLE in alice.lines(), timeout=10)
        cite = await alice.client.wait_for(
            lambda: alice.client.find_one("TextButton", tooltip=lambda t: "Citation 1" in (t or ""))
        )
        points_shown = [v for v in alice.bodies() if "Bob:" in v]
        # The citations are not in the Markdown (where the sanitiser would escape them).
        assert points_shown and not any(re.search(r"\\?\[\d+\\?\]", v) for v in points_shown)
        assert "[1]" in alice.lines()  # the citation is a button's own text, not Markdown

        await asyncio.sleep(0.5)
        assert await quiet(bob) == frames  # not one frame for Bob
        assert TITLE not in bob.lines()
        assert len(await all_messages(served)) == stored_before  # nothing stored, not the ask

        await alice.client.click(cite)
        marked = await alice.client.wait_for(
            lambda: alice.client.find(bgcolor=MARK_COLOR.value), timeout=5
        )
        assert marked
        await close_all(alice, bob)


@pytest.mark.asyncio
async def test_catch_me_up_on_the_divider_summarises_only_what_came_after_it(tmp_path):
    async with serve_confab(tmp_path) as served:
        service = served.confab.service
        await service.directory.create_room("design", "", None)
        await post(served, "design", "The old logo discussion was settled last week already")
        (ann,) = await open_people(served, "Ann")
        await quiet(ann)  # the lists of rooms settled: a click on one replaced does nothing
        await open_room(ann, "design")
        await quiet(ann)
        await open_room(ann, "general")
        new = [
            "The new palette uses teal for buttons and amber for warnings",
            "Fonts: we switch the headings to a serif typeface next sprint",
        ]
        for text in new:
            await post(served, "design", text)
        await ann.client.wait_for(lambda: badges(ann, "# design") == ["2"], timeout=10)
        await quiet(ann)
        await open_room(ann, "design")
        button = await ann.client.wait_for(
            lambda: ann.client.find_one("TextButton", tooltip=CATCH_ME_UP_NAME), timeout=10
        )
        assert NEW_MESSAGES in ann.lines()
        await ann.client.click(button)
        await ann.client.wait_for(
            lambda: any("Citation 2" in (b.get("tooltip") or "") for b in citations(ann)),
            timeout=10,
        )
        cited = {b["tooltip"] for b in citations(ann)}
        assert len(cited) == 2  # the two new messages, not the one read before
        shown = " ".join(v for v in ann.bodies() if v.startswith("Gus:"))
        assert "palette" in shown and "serif" in shown and "logo" not in shown
        await ann.close()


def citations(person) -> list[dict]:
    return person.client.find("TextButton", tooltip=lambda t: (t or "").startswith("Citation"))


def test_the_panel_shows_progress_then_points_with_citation_buttons_or_the_error():
    cited: list[Citation] = []

    async def on_cite(citation: Citation) -> None:
        cited.append(citation)

    panel = CatchUpPanel(on_cite)
    assert panel.visible is False
    panel.waiting("r1", "bot")
    assert panel.visible and _texts(panel) == ["Asking @bot…"]
    panel.show(CatchUpShown("general", "p1", "r1", "bot", progress="Summarising 2 of 5…"))
    assert _texts(panel) == ["Summarising 2 of 5…"]
    citation = Citation(1, "m7", 7, "Bob")
    panel.show(
        CatchUpShown(
            "general",
            "p1",
            "r1",
            "bot",
            text="- A [link](x) and [b] [1]",
            citations=(citation,),
            done=True,
        )
    )
    (point,) = panel.body.controls
    markdown = next(c for c in _walk(point) if isinstance(c, ft.Markdown))
    assert "[1]" not in markdown.value and "\\[b\\]" in markdown.value  # sanitised words
    (button,) = [c for c in _walk(point) if isinstance(c, ft.TextButton)]
    assert button.data == citation and button.tooltip == citation_name(citation)
    panel.show(CatchUpShown("general", "p1", "r1", "bot", done=True, error="Budget spent."))
    assert _texts(panel) == ["Budget spent."]


def _walk(control):
    yield control
    for child in getattr(control, "controls", None) or []:
        yield from _walk(child)
    content = getattr(control, "content", None)
    if isinstance(content, ft.Control):
        yield from _walk(content)


def _texts(panel) -> list[str]:
    return [c.value for c in panel.body.controls if isinstance(c, ft.Text)]
