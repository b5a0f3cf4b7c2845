"""FollowLatest keeps the browser's list following its end when the server believes it does.

Flet's client (ScrollableControl) lets go of the end on any move towards the start, even
one the content made (a row shrinking under a list at its end, or a scroll to "New
messages" that stopped at the end), and pins it again only on a move that is not towards
the start. A jump to where the list already is moves nothing. These tests replay the
scroll notifications a Chromium tab sent when a new message then arrived out of sight.
"""

from __future__ import annotations

import asyncio

import flet as ft

from chat.ui import broadcast
from chat.ui.follow import FollowLatest


def scrolled(kind: ft.ScrollType, pixels: float, end: float) -> ft.OnScrollEvent:
    return ft.OnScrollEvent(
        name="scroll",
        data=None,
        control=None,  # type: ignore[arg-type]
        event_type=kind,
        pixels=pixels,
        min_scroll_extent=0.0,
        max_scroll_extent=end,
        viewport_dimension=600.0,
        scroll_delta=None,
        direction=None,
        overscroll=None,
        velocity=None,
    )


class Tab:
    def __init__(self) -> None:
        self.scrolls_to_end = 0
        self.follow = FollowLatest(self._scroll_to_end)

    async def _scroll_to_end(self) -> None:
        self.scrolls_to_end += 1

    async def replay(self, *events: tuple[ft.ScrollType, float, float]) -> None:
        for kind, pixels, end in events:
            await self.follow._on_scroll(scrolled(kind, pixels, end))
        await asyncio.sleep(0)  # let a scheduled scroll run


START, UPDATE, END = ft.ScrollType.START, ft.ScrollType.UPDATE, ft.ScrollType.END


async def test_a_list_that_reached_its_end_going_up_is_pinned_to_the_end_again():
    tab = Tab()
    await tab.replay((START, 1188, 1188), (UPDATE, 1188, 1188), (END, 1188, 1188))
    tab.follow.scrolled_up()  # the server scrolled to "New messages", which sat at the end
    # The rows settle a few pixels shorter; the client clamps the list: a move up.
    await tab.replay((UPDATE, 1182, 1181), (UPDATE, 1181, 1181), (END, 1181, 1181))
    assert not tab.follow.reading_up
    assert tab.scrolls_to_end == 1, "the client let go of the end: it must be pinned again"
    assert not tab.follow.message_arrived()  # no "1 new message": it comes into view


async def test_a_reader_scrolling_down_to_the_end_is_not_moved():
    tab = Tab()
    await tab.replay((START, 2000, 2000), (UPDATE, 1500, 2000), (END, 1500, 2000))
    assert tab.follow.reading_up
    await tab.replay(
        (START, 1500, 2000), (UPDATE, 1800, 2000), (UPDATE, 2000, 2000), (END, 2000, 2000)
    )
    assert not tab.follow.reading_up
    assert tab.scrolls_to_end == 0  # the client pinned itself on the way down


async def test_reading_up_is_left_alone():
    tab = Tab()
    await tab.replay((START, 2000, 2000), (UPDATE, 1200, 2000), (END, 1200, 2000))
    assert tab.follow.reading_up and tab.scrolls_to_end == 0
    assert tab.follow.message_arrived()  # counted: the button shows


async def test_a_scroll_to_the_end_moves_down_onto_it(monkeypatch):
    """A jump to the end from the end moves nothing and would leave the client unpinned."""
    sent: list[dict] = []

    async def invoke(page, control, method, args, timeout):
        sent.append(args)

    monkeypatch.setattr(broadcast, "invoke_in_tab", invoke)
    await broadcast.scroll_to_end_in(None, None)  # type: ignore[arg-type]
    assert [args["offset"] for args in sent] == [-2, -1]  # a pixel above the end, then the end


async def test_a_jump_moving_the_list_is_not_taken_for_the_reader():
    """A jump to an old message passes the end on its way (the rows paged in settle): that
    must not pull the list back to the end mid-jump (the search jump landed at the end)."""
    tab = Tab()
    await tab.replay((START, 1188, 1188), (END, 1188, 1188))
    tab.follow.moving = True
    await tab.replay(
        (UPDATE, 300, 20000), (UPDATE, 19000, 19000), (UPDATE, 18990, 18990), (END, 18990, 18990)
    )
    assert tab.scrolls_to_end == 0
    tab.follow.moving = False
    tab.follow.scrolled_up()
    assert tab.follow.message_arrived()  # counted under the button, not followed
