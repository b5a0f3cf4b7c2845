"""The catch-up panel: what a bot says this person missed, shown in their tabs alone.

Above the composer: progress while it is written ("Summarising 2 of 5…"), then the
summary's points. A point's words go through the Markdown sanitiser like any message;
its citations do not (the sanitiser escapes "[", and "[3]" would read "\\[3\\]"): each
is a button of its own, named for screen readers, that jumps to the message it cites.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence

import flet as ft

from chat.domain import CatchUpShown, Citation
from chat.ui.markdown_safety import safe_markdown

TITLE = "Catch-up · only you can see this"
CLOSE_NAME = "Close the catch-up"
MAX_HEIGHT = 260
"""The panel scrolls beyond this height: the conversation stays in view."""

_CITATION = re.compile(r"\[(\d{1,5})\]")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([,.;:!?])")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")

OnCite = Callable[[Citation], Awaitable[None]]


def points(text: str) -> list[tuple[str, list[int]]]:
    """Each non-empty line of `text`: its words without bullet or [n] markers, and those n."""
    found = []
    for line in text.splitlines():
        numbers = [int(n) for n in _CITATION.findall(line)]
        words = " ".join(_CITATION.sub(" ", _BULLET.sub("", line)).split())
        words = _SPACE_BEFORE_PUNCTUATION.sub(r"\1", words)  # "Thursday [1], glaze": no " ,"
        if words or numbers:
            found.append((words, numbers))
    return found


def catch_up_handle(text: str, handles: Sequence[str]) -> str | None:
    """The bot `text` asks to catch this person up ("@bot /catchup"), else None."""
    words = text.split()
    if len(words) != 2 or words[1].lower() != "/catchup" or not words[0].startswith("@"):
        return None
    asked = words[0][1:].rstrip(",:").casefold()
    return next((handle for handle in handles if handle.casefold() == asked), None)


def citation_name(citation: Citation) -> str:
    """What a screen reader (and a hover) says of a citation button."""
    return f"Citation {citation.number}: {citation.author}'s message; go to it"


class CatchUpPanel(ft.Container):
    """Hidden until a catch-up arrives; `show` puts the latest state of one in it."""

    def __init__(self, on_cite: OnCite):
        self._on_cite = on_cite
        self.request_id = ""
        """The catch-up shown (a newer request replaces it)."""
        self.body = ft.Column([], spacing=4, tight=True, scroll=ft.ScrollMode.AUTO)
        close = ft.IconButton(
            icon=ft.Icon(ft.Icons.CLOSE, size=18, semantics_label=CLOSE_NAME),
            tooltip=CLOSE_NAME,
            on_click=self._close,
        )
        heading = ft.Row(
            [
                ft.Icon(ft.Icons.AUTO_STORIES_OUTLINED, size=18, color=ft.Colors.PRIMARY),
                ft.Text(TITLE, size=13, weight=ft.FontWeight.BOLD, expand=True),
                close,
            ],
            spacing=8,
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
        )
        self._scroller = ft.Container(self.body)
        super().__init__(
            ft.Column([heading, self._scroller], spacing=2, tight=True),
            visible=False,
            padding=ft.Padding.only(left=12, top=4, right=4, bottom=8),
            border_radius=8,
            bgcolor=ft.Colors.SECONDARY_CONTAINER,
        )

    def waiting(self, request_id: str, handle: str) -> None:
        """A catch-up was asked for: say so until the bot answers."""
        self.request_id = request_id
        self.body.controls = [_note(f"Asking @{handle}…")]
        self.visible = True

    def show(self, shown: CatchUpShown) -> None:
        """Show how far the catch-up is, or the finished summary with its citations."""
        self.request_id = shown.request_id
        self.visible = True
        if not shown.done:
            self.body.controls = [_note(shown.progress or "Summarising…")]
        elif shown.error:
            self.body.controls = [ft.Text(shown.error, color=ft.Colors.ERROR, size=13)]
        else:
            cited = {c.number: c for c in shown.citations}
            self.body.controls = [
                self._point(words, [cited[n] for n in numbers if n in cited])
                for words, numbers in points(shown.text)
            ]
        self._scroller.height = None if len(self.body.controls) < 6 else MAX_HEIGHT

    def note(self, text: str) -> None:
        """Say something about the catch-up (a citation that cannot be shown, say) below it."""
        self.body.controls = [*self.body.controls, _note(text)]

    def _point(self, words: str, citations: list[Citation]) -> ft.Control:
        buttons = [
            ft.TextButton(
                content=ft.Text(f"[{c.number}]", size=13, semantics_label=citation_name(c)),
                tooltip=citation_name(c),
                data=c,
                on_click=self._cite,
                style=ft.ButtonStyle(padding=ft.Padding.symmetric(horizontal=2)),
            )
            for c in citations
        ]
        text = ft.Markdown(safe_markdown(words), soft_line_break=True)
        return ft.Row(
            [ft.Text("•"), ft.Container(text, expand=True), *buttons],
            spacing=4,
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
        )

    async def _cite(self, e: ft.Event) -> None:
        citation = e.control.data
        if isinstance(citation, Citation):
            await self._on_cite(citation)

    async def _close(self, e: ft.Event) -> None:
        self.visible = False
        self.request_id = ""
        self.update()


def _note(text: str) -> ft.Control:
    return ft.Text(text, size=13, italic=True)
