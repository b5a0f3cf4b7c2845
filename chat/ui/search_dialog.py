"""The search dialog: a query, this room or every room you may read, newest or best first.

Results show their room, author, time and a snippet with the hits in bold. The
snippet is painted as plain text spans, never as Markdown: what people wrote
cannot turn into links, images or markup here. Picking a result hands it to
the tab (`on_pick`), which shows the message in its room, in context.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import tzinfo

import flet as ft

from chat.rules import Rejected
from chat.search_query import SearchHit, SearchOrder

Find = Callable[[str, bool, SearchOrder], Awaitable[list[SearchHit]]]
"""(query, in every room, order) -> results; Rejected with words to show."""
Pick = Callable[[SearchHit], Awaitable[None]]

SEARCH_BUTTON_NAME = "Search messages"
SEARCH_FIELD_LABEL = "Search messages"
EVERY_ROOM = "all"
THIS_ROOM = "room"


def snippet_spans(hit: SearchHit) -> list[ft.TextSpan]:
    """The snippet as spans: hits bold on a tint, the rest plain. Text only, never Markdown."""
    hit_style = ft.TextStyle(weight=ft.FontWeight.BOLD, bgcolor=ft.Colors.TERTIARY_CONTAINER)
    return [
        ft.TextSpan(part.text.replace("\n", " "), style=hit_style if part.hit else None)
        for part in hit.snippet
    ]


def result_heading(hit: SearchHit, tz: tzinfo) -> str:
    """ "# room · author · 2026-12-02 14:05" for one result."""
    when = hit.message.created_at.astimezone(tz)
    return f"# {hit.message.room} · {hit.message.author} · {when:%Y-%m-%d %H:%M}"


class SearchDialog(ft.AlertDialog):
    """Asks for a query, lists what it finds, and opens the result picked."""

    def __init__(self, room: str, find: Find, on_pick: Pick, tz: tzinfo):
        self._find, self._on_pick, self._tz = find, on_pick, tz
        self.field = ft.TextField(
            label=SEARCH_FIELD_LABEL,
            autofocus=True,
            expand=True,
            prefix_icon=ft.Icons.SEARCH,
            on_submit=self._search,
        )
        self.scope = ft.RadioGroup(
            ft.Row(
                [
                    ft.Radio(value=EVERY_ROOM, label="All my rooms"),
                    ft.Radio(value=THIS_ROOM, label=f"# {room}"),
                ],
                wrap=True,
            ),
            value=EVERY_ROOM,
            on_change=self._search,
        )
        self.order = ft.RadioGroup(
            ft.Row(
                [
                    ft.Radio(value=SearchOrder.NEWEST.value, label="Newest first"),
                    ft.Radio(value=SearchOrder.BEST.value, label="Best match"),
                ],
                wrap=True,
            ),
            value=SearchOrder.NEWEST.value,
            on_change=self._search,
        )
        self.status = ft.Text("", size=13)
        self.results = ft.Column(spacing=4, tight=True)
        super().__init__(
            modal=True,  # a stray tap outside must not lose the results
            title=ft.Text("Search"),
            content=ft.Column(
                [
                    ft.Row([self.field]),
                    self.scope,
                    self.order,
                    self.status,
                    self.results,
                ],
                tight=True,
                scroll=ft.ScrollMode.AUTO,
                width=560,
            ),
            actions=[ft.TextButton("Close", on_click=self._close)],
            scrollable=True,
        )

    async def _search(self, e: ft.Event) -> None:
        raw = self.field.value or ""
        if not raw.strip():
            self.status.value = "Type words to look for."
            self.results.controls = []
            self.update()
            return
        try:
            hits = await self._find(
                raw, self.scope.value != THIS_ROOM, SearchOrder(self.order.value or "newest")
            )
        except Rejected as refusal:
            self.status.value = str(refusal)
            self.results.controls = []
        else:
            self.status.value = (
                f"{len(hits)} result" + ("" if len(hits) == 1 else "s")
                if hits
                else "No messages match."
            )
            self.results.controls = [self._result(hit) for hit in hits]
        self.update()

    def _result(self, hit: SearchHit) -> ft.Control:
        async def picked(e: ft.Event) -> None:
            await self._on_pick(hit)

        return ft.Container(
            ft.Column(
                [
                    ft.Text(
                        result_heading(hit, self._tz), size=12, color=ft.Colors.ON_SURFACE_VARIANT
                    ),
                    ft.Text(spans=snippet_spans(hit), size=14, max_lines=3),
                ],
                spacing=2,
                tight=True,
            ),
            padding=8,
            border_radius=8,
            border=ft.Border.all(1, ft.Colors.OUTLINE_VARIANT),
            ink=True,
            on_click=picked,
            tooltip="Show this message in its room",
        )

    async def _close(self, e: ft.Event) -> None:
        e.page.pop_dialog()
