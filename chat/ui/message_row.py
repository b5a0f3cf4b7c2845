"""ChatMessage: one row of the conversation."""

from __future__ import annotations

import contextlib
from datetime import timezone, tzinfo
from typing import Any, Awaitable, Callable

import flet as ft

from chat.domain import Message, MessageKind, MessageStatus
from chat.ui.look import avatar_color, initials, safe_markdown

# The dark code theme colours tokens only; plain code text needs a light colour of its own.
CODE_STYLE = ft.MarkdownStyleSheet(
    code_text_style=ft.TextStyle(color="#ABB2BF", font_family="monospace", size=13),
    codeblock_decoration=ft.BoxDecoration(bgcolor="#282C34", border_radius=6),
    codeblock_padding=ft.Padding.all(10),
)

# Flutter's default link blue fails contrast on the own-message bubble (2.4:1);
# the theme's primary colour, underlined, reads in light and dark alike.
LINK_STYLE = ft.MarkdownStyleSheet(
    a_text_style=ft.TextStyle(color=ft.Colors.PRIMARY, decoration=ft.TextDecoration.UNDERLINE),
)

NAME_SIZE = 14
TIME_STYLE = ft.TextStyle(size=11, weight=ft.FontWeight.NORMAL, color=ft.Colors.ON_SURFACE_VARIANT)
"""The time after a name: a span of the name's Text, so it must undo the name's bold."""
AVATAR_WIDTH, AVATAR_GAP = 36, 10
FOLLOW_UP_INDENT = 8 + AVATAR_WIDTH + AVATAR_GAP
"""A follow-up message lines up with the text of the message above it."""


def continues(previous: Message | None, message: Message) -> bool:
    """True when `message` reads as part of `previous` (same author, within 5 minutes)."""
    return (
        previous is not None
        and previous.kind is not MessageKind.SYSTEM
        and message.kind is not MessageKind.SYSTEM
        and previous.author == message.author
        and (message.created_at - previous.created_at).total_seconds() < 300
    )


def has_link(text: str) -> bool:
    """True when Markdown `text` may hold a link (only those rows carry the link style)."""
    return "http" in text or "mailto:" in text or "](" in text


def wants_code_style(text: str) -> bool:
    """True when Markdown `text` may hold code (inline, fenced or indented)."""
    return "`" in text or "~~~" in text or "\n    " in text or "\t" in text or text.startswith("    ")


class ChatMessage(ft.Container):
    """A message row: avatar, name, local time and a Markdown body.

    Every tab builds its own row for every message, so what a row costs is
    paid once per person in the room. Flet visits every field of every
    control it sends (about 60 each) and keeps a copy of each, so a row uses
    as few controls as its look allows: six for a message under its
    author's name, two for a follow-up from the same author.

    Rows are isolated (updating the list does not walk into them), and
    frozen once sent (see freeze()), so appending to the list does not
    re-check old rows either.
    """

    def __init__(
        self,
        message: Message,
        *,
        own: bool,
        grouped: bool,
        tz: tzinfo = timezone.utc,
        display_name: str | None = None,
        on_stop: Callable[[Message, ft.Page], Awaitable[Any]] | None = None,
        on_link: Callable[[str, ft.Page], Awaitable[Any]] | None = None,
        on_image: Callable[[str, ft.Page], Awaitable[Any]] | None = None,
        shared: bool = False,
    ):
        super().__init__()
        self.message = message
        self.own = own
        self.grouped = grouped
        self.shared = shared
        self._tz = tz
        self._display_name = display_name or message.author
        self._on_stop = on_stop
        self._on_link = on_link
        self._on_image = on_image
        self.padding = ft.Padding.only(left=8, right=8, top=1 if grouped else 8, bottom=1)
        self.content = self._build()

    def is_isolated(self) -> bool:
        return True

    def __repr__(self) -> str:
        # Flet formats every message it sends into a debug-log f-string
        # (flet_web's send_message), even with debug logging off; the default
        # dataclass repr of a whole row costs more than building the row.
        return f"ChatMessage({self.message.id!r}, seq={self.message.seq})"

    def freeze(self) -> None:
        """Mark the row as sent: list updates then skip it instead of re-checking its fields.

        Flet's diff returns at once for a control marked `_frozen` that is
        still the same object (the marker it uses for declarative
        components); without it, every list update re-validates every row.
        Flet marks the parts of a frozen control frozen too when it sends it
        within a whole page, so a row shown in many tabs is thawed while a
        joining tab's page goes out (MessageList.unfrozen).
        """
        object.__setattr__(self, "_frozen", True)

    def thaw(self) -> None:
        self.__dict__.pop("_frozen", None)

    @contextlib.contextmanager
    def _thawed(self, *controls: ft.Control):
        frozen = [c for c in (self, *controls) if c.__dict__.pop("_frozen", None) is not None]
        try:
            yield
        finally:
            for control in frozen:
                object.__setattr__(control, "_frozen", True)

    def update(self) -> None:
        """Send this row's own changes (a frozen row is thawed for the duration).

        A shared row (one row shown in many tabs, see shared_view) is sent by
        its owner to all of them at once, never by one tab's update().
        """
        if self.shared:
            return
        with self._thawed():
            super().update()

    def show(self, message: Message) -> ft.Control:
        """Take a newer version of the same message (a growing reply).

        Returns the smallest control whose update() sends the change: the
        text's holder while a reply grows (a fresh Markdown, so the patch
        carries the whole text), the whole row when its layout changes.
        """
        before, self.message = self.message, message
        old = self._markdown
        if (
            old is not None
            and message.status is before.status
            and message.meta == before.meta
            and wants_code_style(message.text) == wants_code_style(before.text)
        ):
            holder = self._markdown_holder
            fresh = self._body()
            with self._thawed(holder):
                if isinstance(holder, ft.Column):
                    holder.controls[holder.controls.index(old)] = fresh
                else:
                    holder.content = fresh
            return holder
        with self._thawed():
            self.content = self._build()
        return self

    def _build(self) -> ft.Control:
        self._markdown: ft.Markdown | None = None
        self._markdown_holder: ft.Control = self
        if self.message.kind is MessageKind.SYSTEM:
            self.alignment = ft.Alignment(0, 0)  # centred; not Flet's shared CENTER, see freeze()
            return self._system_line()
        parts = [self._body()]
        if not self.grouped:
            parts.insert(0, self._header())
        footer = self._footer()
        if footer is not None:
            parts.append(footer)
        text = parts[0] if len(parts) == 1 else ft.Column(parts, spacing=2, tight=True)
        if len(parts) > 1:
            self._markdown_holder = text
        if self.own:
            text = ft.Container(
                content=text,
                bgcolor=ft.Colors.PRIMARY_CONTAINER,
                border_radius=10,
                padding=ft.Padding.symmetric(horizontal=10, vertical=4),
            )
            if len(parts) == 1:
                self._markdown_holder = text
        if self.grouped:
            self.padding = ft.Padding.only(left=FOLLOW_UP_INDENT, right=8, top=1, bottom=1)
            return text
        text.expand = True
        avatar = ft.CircleAvatar(
            content=initials(self._display_name),
            color=ft.Colors.WHITE,
            bgcolor=avatar_color(self.message.author),
            radius=AVATAR_WIDTH // 2,
        )
        return ft.Row(
            [avatar, text],
            vertical_alignment=ft.CrossAxisAlignment.START,
            spacing=AVATAR_GAP,
        )

    def _system_line(self) -> ft.Control:
        return ft.Text(
            f"{self.message.text} · {self._time()}",
            italic=True,
            size=12,
            color=ft.Colors.ON_SURFACE_VARIANT,
            selectable=True,
            text_align=ft.TextAlign.CENTER,
        )

    def _header(self) -> ft.Control:
        name = self._display_name + (" (you)" if self.own else "")
        if self.message.kind is MessageKind.BOT:
            return ft.Row(
                [
                    ft.Text(name, weight=ft.FontWeight.BOLD, size=NAME_SIZE, selectable=True),
                    ft.Icon(ft.Icons.SMART_TOY_OUTLINED, size=14),
                    ft.Text(self._time(), style=TIME_STYLE),
                ],
                spacing=6,
                vertical_alignment=ft.CrossAxisAlignment.CENTER,
            )
        # One Text with the time as a span: a third of the controls of a Row of two Texts.
        return ft.Text(
            name,
            weight=ft.FontWeight.BOLD,
            size=NAME_SIZE,
            selectable=True,
            spans=[ft.TextSpan(f"  {self._time()}", TIME_STYLE)],
        )

    def _body(self) -> ft.Control:
        image = self.message.meta.get("image")
        if image:
            return ft.GestureDetector(
                content=ft.Image(src=image, width=256, height=256, fit=ft.BoxFit.CONTAIN),
                on_tap=self._tap_image,
                mouse_cursor=ft.MouseCursor.CLICK,
            )
        text = self._text()
        # The code style sheet alone is about a hundred more fields to send and
        # keep per row; a message without code looks the same without it.
        style = (
            dict(code_theme=ft.MarkdownCodeTheme.ATOM_ONE_DARK, code_style_sheet=CODE_STYLE)
            if wants_code_style(text)
            else {}
        )
        if has_link(text):
            style["md_style_sheet"] = LINK_STYLE
        self._markdown = ft.Markdown(
            safe_markdown(text),
            selectable=True,
            soft_line_break=True,  # a line written with Shift+Enter shows as its own line
            extension_set=ft.MarkdownExtensionSet.GITHUB_WEB,
            on_tap_link=self._tap_link,
            **style,
        )
        return self._markdown

    def _text(self) -> str:
        return self.message.text or ("…" if not self.message.status.is_final else "")

    def _footer(self) -> ft.Control | None:
        status, meta = self.message.status, self.message.meta
        if status is MessageStatus.DONE:
            return None
        detail = {
            MessageStatus.STREAMING: "writing…",
            MessageStatus.STOPPED: f"stopped by {meta.get('stopped_by', 'someone')}",
            MessageStatus.FAILED: meta.get("error", "failed"),
            MessageStatus.INTERRUPTED: meta.get("error", "interrupted"),
        }[status]
        color = ft.Colors.ERROR if status in (MessageStatus.FAILED, MessageStatus.INTERRUPTED) else ft.Colors.ON_SURFACE_VARIANT
        parts: list[ft.Control] = [ft.Text(detail, size=12, italic=True, color=color, selectable=True)]
        if status is MessageStatus.STREAMING and self._on_stop is not None:
            parts.append(
                ft.TextButton(
                    "Stop",
                    icon=ft.Icons.STOP_CIRCLE_OUTLINED,
                    on_click=self._tap_stop,
                )
            )
        return ft.Row(parts, spacing=8, vertical_alignment=ft.CrossAxisAlignment.CENTER)

    # Callbacks get the tab the tap came from: a shared row sits in many tabs' pages.

    async def _tap_link(self, e: ft.Event) -> None:
        if self._on_link is not None:
            await self._on_link(e.data, e.page)

    async def _tap_image(self, e: ft.Event) -> None:
        if self._on_image is not None:
            await self._on_image(self.message.meta["image"], e.page)

    async def _tap_stop(self, e: ft.Event) -> None:
        if self._on_stop is not None:
            await self._on_stop(self.message, e.page)

    def _time(self) -> str:
        return self.message.created_at.astimezone(self._tz).strftime("%H:%M")
