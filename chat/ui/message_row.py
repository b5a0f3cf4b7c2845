"""ChatMessage: one row of the conversation."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, tzinfo
from typing import Any

import flet as ft

from chat.domain import Message, MessageKind, MessageStatus
from chat.flet_internals import freeze, thaw, thawed
from chat.ui.attachment_view import OpenFile, attachments_view
from chat.ui.look import avatar_color, initials, ink_on
from chat.ui.markdown_safety import mentions, render
from chat.ui.message_body import MENTION_BAR, MENTION_TINT, markdown_body
from chat.ui.own_message import edited_mark, own_menu, regenerate_button
from chat.ui.reactions_bar import OnReact, ReactionsBar, may_get_reactions
from chat.ui.reply_parts import (
    OnMessage,
    may_get_replies,
    quote_line,
    replies_button,
    reply_button,
)
from chat.ui.row_text import (
    INTEGRATION_MARK,
    accessible_name,
    day_heading,
    full_time,
    local_day,
    local_time,
    tombstone,
)
from chat.ui.unread_divider import unread_divider

NAME_SIZE = 14
TIME_STYLE = ft.TextStyle(size=11, weight=ft.FontWeight.NORMAL, color=ft.Colors.ON_SURFACE_VARIANT)
"""The time after a name: a span of the name's Text, so it must undo the name's bold."""
AVATAR_WIDTH, AVATAR_GAP = 36, 10
FOLLOW_UP_INDENT = 8 + AVATAR_WIDTH + AVATAR_GAP
"""A follow-up message lines up with the text of the message above it."""


def continues(previous: Message | None, message: Message) -> bool:
    """True when `message` reads as part of `previous` (same author, within 5 minutes).

    The same author is the same person: a name alone (two people in turn) is not.
    """
    return (
        previous is not None
        and previous.kind is not MessageKind.SYSTEM
        and message.kind is not MessageKind.SYSTEM
        and previous.kind is message.kind  # an integration never continues a person's message
        and previous.author == message.author
        and previous.author_id == message.author_id
        and (message.created_at - previous.created_at).total_seconds() < 300
    )


TALL_LINES = 16
"""A message longer than this many lines at a phone's width opens a group of its own."""
PHONE_LINE_CHARS = 40
ATTACHMENT_LINES = 10
"""About what a picture or file preview takes, in lines of text."""


def looks_tall(message: Message) -> bool:
    """True when `message` may be taller than a phone's list: it then shows its name and time.

    A follow-up row names its time in a tooltip over the whole row instead, and Flutter
    gives a tooltip target taller than the screen a semantics node as large as the
    screen, over the composer, where a screen reader's tap (or a test's click) lands on
    the row (README, Accessibility). An estimate, kept well under a phone's 30 or so lines.
    """
    lines = sum(max(1, -(-len(line) // PHONE_LINE_CHARS)) for line in message.text.split("\n"))
    return lines + ATTACHMENT_LINES * len(message.meta.attachments) > TALL_LINES


def wants_code_style(text: str) -> bool:
    """True when Markdown `text` may hold code (inline, fenced or indented)."""
    return (
        "`" in text or "~~~" in text or "\n    " in text or "\t" in text or text.startswith("    ")
    )


def _under_name(parts: list[ft.Control]) -> list[ft.Control]:
    """`parts` lined up with the text of a row under its author's name (past the avatar)."""
    return [
        ft.Container(part, padding=ft.Padding.only(left=AVATAR_WIDTH + AVATAR_GAP))
        for part in parts
    ]


def unread(control: ft.Control) -> ft.Control:
    """`control`, left out of what screen readers read (the row's name says it already)."""
    return ft.Semantics(content=control, exclude_semantics=True)


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

    No text in a row is selectable: Flutter makes every selectable text a
    stop for Tab that shows no focus and that the browser cannot focus (a
    screen reader hears an empty text box), so Tab got lost between the
    buttons (tests/test_browser_a11y.py).
    """

    def __init__(
        self,
        message: Message,
        *,
        own: bool,
        grouped: bool,
        tz: tzinfo = UTC,
        display_name: str | None = None,
        # Given only for a viewer who may stop the reply: only their row shows Stop.
        on_stop: Callable[[Message, ft.Page], Awaitable[Any]] | None = None,
        on_link: Callable[[str, ft.Page], Awaitable[Any]] | None = None,
        on_image: Callable[[str, ft.Page], Awaitable[Any]] | None = None,
        on_file: OpenFile | None = None,
        on_copy: Callable[[str, ft.Page], Awaitable[Any]] | None = None,
        # Given only for a viewer who may moderate the room: only their row shows Delete.
        on_delete: Callable[[Message, ft.Page], Awaitable[Any]] | None = None,
        # Given only for the author's own message: Edit and Delete (own_message.py), and for
        # a moderator: the earlier versions of an edited one.
        on_edit: Callable[[Message, ft.Page], Awaitable[Any]] | None = None,
        on_delete_own: Callable[[Message, ft.Page], Awaitable[Any]] | None = None,
        on_versions: Callable[[Message, ft.Page], Awaitable[Any]] | None = None,
        # Given only to who asked for a bot reply that has ended.
        on_regenerate: Callable[[Message, ft.Page], Awaitable[Any]] | None = None,
        shared: bool = False,
        viewer: str | None = None,
        starts_day: bool = False,
        # Given where reactions may be added: chips toggle, the add button opens the picker.
        on_react: OnReact | None = None,
        viewer_id: str | None = None,
        first_unread: bool = False,
        # Replies: Reply on the row, "N replies" opens the thread, a reply's quote jumps.
        on_reply: OnMessage | None = None,
        on_thread: OnMessage | None = None,
        on_quote: OnMessage | None = None,
        # Given with first_unread: "Catch me up" on the divider asks a bot what was missed.
        on_catch_up: Callable[[], Awaitable[Any]] | None = None,
    ):
        super().__init__()
        self.message = message
        self.own = own
        self.grouped = grouped and not looks_tall(message)
        self.starts_day = starts_day
        """The first row of its day in this list: a day heading ("Today", ...) sits above it."""
        self.first_unread = first_unread
        """The first message the viewer had not read when they entered: "New messages" above it."""
        self.shared = shared
        self._on_catch_up = on_catch_up
        self._tz = tz
        self._display_name = display_name or message.author
        self._on_stop = on_stop
        self._on_link = on_link
        self._on_image = on_image
        self._on_file = on_file
        self._on_copy = on_copy
        self._on_delete = on_delete
        self._on_edit, self._on_delete_own, self._on_versions = on_edit, on_delete_own, on_versions
        self._on_regenerate = on_regenerate
        self.viewer = viewer
        """The name of the one person this row is shown to (None for a shared row)."""
        self._on_react = on_react
        self._on_reply, self._on_thread, self._on_quote = on_reply, on_thread, on_quote
        self.viewer_id = viewer_id
        """That person's id: their own reactions are tinted (None for a shared row)."""
        self.mentions_viewer = self._mentions_viewer(message)
        self.content = self._build()
        if self.grouped:
            # A follow-up shows no time of its own: hovering or a long press gives it, in full.
            # (A row under a name shows its time, and its day heading the date; a tooltip on
            # every row would cost every tab bytes for what is already painted.)
            self.tooltip = full_time(message.created_at, tz)

    def is_isolated(self) -> bool:
        return True

    @property
    def _offers_own_menu(self) -> bool:
        """The writer's own finished message: Edit and Delete, in the menu beside it."""
        return (
            self._on_edit is not None
            and self._on_delete_own is not None
            and self.message.status is MessageStatus.DONE
            and not self.message.is_deleted
        )

    @property
    def offers_stop(self) -> bool:
        """True when this row was built for a viewer who may stop the reply."""
        return self._on_stop is not None

    @property
    def offers_delete(self) -> bool:
        """True when this row was built for a viewer who may delete the message."""
        return self._on_delete is not None and not self.message.is_deleted

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
        freeze(self)

    def thaw(self) -> None:
        thaw(self)

    def _thawed(self, *controls: ft.Control) -> contextlib.AbstractContextManager[None]:
        return thawed(self, *controls)

    def tint(self, color: str | None, key: str | None = None) -> None:
        """Tint the row (None: its own colour again), and key it for scrolling, in place.

        Its parts stay the same controls, so a click on one of its buttons meanwhile still
        reaches it: Flet drops a click on a control an update has just replaced.
        """
        with self._thawed():
            self.bgcolor = color or self._own_tint()
            if key is not None:
                self.key = ft.ScrollKey(key)  # type: ignore[call-arg]  # Flet's dataclass

    def _own_tint(self) -> str | None:
        """The row's colour when nothing marks it: tinted if it mentions the person reading it."""
        return MENTION_TINT if self.mentions_viewer else None

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
            and message.deleted_by == before.deleted_by
            and message.edited_at == before.edited_at
            and message.reactions == before.reactions
            and message.reply_count == before.reply_count
            and message.quote == before.quote
            and wants_code_style(message.text) == wants_code_style(before.text)
            and self._mentions_viewer(message) == self.mentions_viewer
        ):
            holder, named = self._markdown_holder, self._named
            fresh = self._body()
            with self._thawed(holder, named):
                if isinstance(holder, ft.Column):
                    holder.controls[holder.controls.index(old)] = fresh
                else:
                    assert isinstance(holder, ft.Container)  # the row itself or its bubble
                    holder.content = fresh
                named.label = self._accessible_name()
            return named  # holds the holder: one patch carries the new text and its name
        with self._thawed():
            self.mentions_viewer = self._mentions_viewer(message)
            self.content = self._build()
        return self

    def _mentions_viewer(self, message: Message) -> bool:
        return (
            self.viewer is not None
            and not self.own
            and message.kind is not MessageKind.SYSTEM
            and mentions(message.text, self.viewer)
        )

    def _build(self) -> ft.Control:
        # A message that mentions the person reading it stands out (only in that person's tab).
        self.bgcolor = self._own_tint()
        self.border = MENTION_BAR if self.mentions_viewer else None
        bar = MENTION_BAR.left.width if self.mentions_viewer else 0  # the text stays where it was
        self.padding = ft.Padding.only(
            left=8 - bar, right=8, top=1 if self.grouped else 8, bottom=1
        )
        self._markdown: ft.Control | None = (
            None  # the text's control (Markdown, or with copy buttons)
        )
        self._markdown_holder: ft.Control = self
        if self.message.kind is MessageKind.SYSTEM:
            self.alignment = ft.Alignment(0, 0)  # centred; not Flet's shared CENTER, see freeze()
            return self._with_day(self._system_line())
        # Attachments are buttons too: a picture opens larger, a file downloads.
        buttons = (
            bool(render(self._text()).code_blocks or self.message.meta.attachments)
            and not self.message.meta.image
        )
        parts = [self._body()]
        if not self.grouped:
            parts.insert(0, unread(self._header()) if buttons else self._header())
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
            self.padding = ft.Padding.only(left=FOLLOW_UP_INDENT - bar, right=8, top=1, bottom=1)
            main = text
        else:
            text.expand = True
            colour = avatar_color(self.message.author)
            avatar = ft.CircleAvatar(
                content=initials(self._display_name),
                color=ink_on(colour),
                bgcolor=colour,
                radius=AVATAR_WIDTH // 2,
            )
            main = ft.Row(
                [unread(avatar) if buttons else avatar, text],
                vertical_alignment=ft.CrossAxisAlignment.START,
                spacing=AVATAR_GAP,
            )
        # Read as one line, "Alice, 14:05: text", instead of the avatar's letters and the
        # text in pieces; the status line and Stop stay outside it, reachable on their own.
        # A row with buttons inside (a code block's Copy) keeps them reachable: there only
        # the avatar, the header and the text are left out, one by one.
        self._named = ft.Semantics(
            content=main,
            label=self._accessible_name(),
            container=True,
            exclude_semantics=not buttons,
        )
        if self._markdown_holder is self:
            self._markdown_holder = self._named
        line: ft.Control = self._named
        below = [self._footer()]
        # Outside the named line, which screen readers hear as one: the buttons stay reachable.
        actions: list[ft.Control] = []
        if self._on_reply is not None and may_get_replies(self.message):
            actions.append(reply_button(self.message, self._display_name, self._tap_reply))
        if self._on_thread is not None and self.message.reply_count:
            below.insert(0, replies_button(self.message.reply_count, self._tap_thread))
        if self._on_react is not None and may_get_reactions(self.message):
            reactions = ReactionsBar(
                self.message, self.viewer_id, self._on_react, self._display_name
            )
            actions.append(reactions.add_button())
            below.insert(0, reactions.chips())
        if self._offers_own_menu:
            actions.append(own_menu(self._tap_edit, self._tap_delete_own))
        if actions:
            self._named.expand = True
            line = ft.Row(
                [self._named, *actions],
                spacing=0,
                vertical_alignment=ft.CrossAxisAlignment.START,
            )
        # A reply's quote sits above it (as Discord's does), a button of its own that jumps.
        quote = quote_line(self.message, self._tap_quote) if self._on_quote else None
        above = [quote] if quote is not None else []
        shown: list[ft.Control] = [part for part in below if part is not None]
        if not shown and not above:
            return self._with_day(line)
        if not self.grouped:
            above, shown = _under_name(above), _under_name(shown)
        return self._with_day(ft.Column([*above, line, *shown], spacing=2, tight=True))

    def _with_day(self, content: ft.Control) -> ft.Control:
        above: list[ft.Control] = []
        if self.starts_day:
            today = datetime.now(self._tz).date()
            heading = ft.Text(
                day_heading(local_day(self.message.created_at, self._tz), today),
                size=12,
                weight=ft.FontWeight.BOLD,
                color=ft.Colors.ON_SURFACE_VARIANT,
                text_align=ft.TextAlign.CENTER,
            )
            above.append(
                ft.Container(
                    heading, alignment=ft.Alignment(0, 0), padding=ft.Padding.only(top=4, bottom=4)
                )
            )
        if self.first_unread:
            above.append(unread_divider(self._on_catch_up))
        if not above:
            return content
        return ft.Column(
            [*above, content],
            spacing=2,
            tight=True,
            horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
        )

    def _accessible_name(self) -> str:
        return accessible_name(self.message, self._tz, self._display_name)

    def _system_line(self) -> ft.Control:
        return ft.Text(
            f"{self.message.text} · {self._time()}",
            semantics_label=self._accessible_name(),
            italic=True,
            size=12,
            color=ft.Colors.ON_SURFACE_VARIANT,
            text_align=ft.TextAlign.CENTER,
        )

    def _marks(self) -> list[ft.Control] | None:
        """What follows the name of a row not written by a person: the bot's, an integration's."""
        if self.message.kind is MessageKind.BOT:
            return [ft.Icon(ft.Icons.SMART_TOY_OUTLINED, size=14)]
        if self.message.kind is MessageKind.INTEGRATION:
            return [
                ft.Icon(ft.Icons.WEBHOOK, size=14),
                ft.Text(INTEGRATION_MARK, style=TIME_STYLE, italic=True),
            ]
        return None

    def _header(self) -> ft.Control:
        name = self._display_name + (" (you)" if self.own else "")
        marks = self._marks()
        if marks is not None:
            return ft.Row(
                [
                    ft.Text(name, weight=ft.FontWeight.BOLD, size=NAME_SIZE),
                    *marks,
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
            spans=[ft.TextSpan(f"  {self._time()}", TIME_STYLE)],
        )

    def _body(self) -> ft.Control:
        if self.message.is_deleted:
            self._markdown = ft.Text(
                tombstone(self.message), italic=True, size=13, color=ft.Colors.ON_SURFACE_VARIANT
            )
            return self._markdown
        image = self.message.meta.image
        if image:
            return ft.GestureDetector(
                content=ft.Image(src=image, width=256, height=256, fit=ft.BoxFit.CONTAIN),
                on_tap=self._tap_image,
                mouse_cursor=ft.MouseCursor.CLICK,
            )
        self._markdown = markdown_body(render(self._text()), self._tap_link, self._tap_copy)
        files = list(self.message.meta.attachments)
        if not files:
            return self._markdown
        shown = attachments_view(files, self._on_file)
        if not self.message.text:
            return shown
        # The row's name reads the text; only the files are left for screen readers here.
        text = unread(self._markdown) if isinstance(self._markdown, ft.Markdown) else self._markdown
        return ft.Column([text, shown], spacing=4, tight=True)

    def _text(self) -> str:
        return self.message.text or ("…" if not self.message.status.is_final else "")

    def _footer(self) -> ft.Control | None:
        status, meta = self.message.status, self.message.meta
        if status is MessageStatus.DONE or self.message.is_deleted:
            return self._done_footer()
        detail = {
            MessageStatus.STREAMING: "writing…",
            MessageStatus.STOPPED: f"stopped by {meta.stopped_by or 'someone'}",
            MessageStatus.FAILED: meta.error or "failed",
            MessageStatus.INTERRUPTED: meta.error or "interrupted",
        }[status]
        color = (
            ft.Colors.ERROR
            if status in (MessageStatus.FAILED, MessageStatus.INTERRUPTED)
            else ft.Colors.ON_SURFACE_VARIANT
        )
        asker = meta.asked_by
        if status is MessageStatus.STREAMING and self._on_stop is None and asker:
            # Only the asker (or a moderator) gets Stop; everyone else sees whose reply it is.
            detail = f"{detail} · asked by {asker}"
        parts: list[ft.Control] = [ft.Text(detail, size=12, italic=True, color=color)]
        if status is MessageStatus.STREAMING and self._on_stop is not None:
            parts.append(
                ft.TextButton(
                    "Stop",
                    icon=ft.Icons.STOP_CIRCLE_OUTLINED,
                    on_click=self._tap_stop,
                )
            )
        if self._on_regenerate is not None and status.is_final:
            parts.append(regenerate_button(self._tap_regenerate))
        if self.offers_delete:
            parts.append(self._delete_button())
        return ft.Row(parts, spacing=8, vertical_alignment=ft.CrossAxisAlignment.CENTER)

    def _done_footer(self) -> ft.Control | None:
        parts: list[ft.Control] = []
        if self.message.is_edited:
            parts.append(
                edited_mark(self.message, self._tap_versions if self._on_versions else None)
            )
        if self._on_regenerate is not None and not self.message.is_deleted:
            parts.append(regenerate_button(self._tap_regenerate))
        if self.offers_delete:
            parts.append(self._delete_button())
        if len(parts) < 2:
            return parts[0] if parts else None
        # Wraps at phone width: a moderator's versions button, Regenerate and Delete fit no line.
        return ft.Row(parts, spacing=8, wrap=True, vertical_alignment=ft.CrossAxisAlignment.CENTER)

    def _delete_button(self) -> ft.Control:
        return ft.TextButton(
            "Delete",
            icon=ft.Icon(ft.Icons.DELETE_OUTLINE, size=16),
            tooltip="Delete this message for everyone (moderator)",
            on_click=self._tap_delete,
        )

    # Callbacks get the tab the tap came from: a shared row sits in many tabs' pages.

    async def _tap_link(self, e: ft.Event) -> None:
        if self._on_link is not None and e.data:  # a tap Flet sent without a URL opens nothing
            await self._on_link(e.data, e.page)

    async def _tap_image(self, e: ft.Event) -> None:
        if self._on_image is not None and self.message.meta.image:
            await self._on_image(self.message.meta.image, e.page)

    async def _tap_copy(self, e: ft.Event) -> None:
        blocks = render(self._text()).code_blocks
        index = e.control.data
        if self._on_copy is not None and isinstance(index, int) and index < len(blocks):
            await self._on_copy(blocks[index].code, e.page)

    async def _tap_stop(self, e: ft.Event) -> None:
        if self._on_stop is not None:
            await self._on_stop(self.message, e.page)

    async def _tap_delete(self, e: ft.Event) -> None:
        if self._on_delete is not None:
            await self._on_delete(self.message, e.page)

    async def _tap_edit(self, e: ft.Event) -> None:
        if self._on_edit is not None:
            await self._on_edit(self.message, e.page)

    async def _tap_delete_own(self, e: ft.Event) -> None:
        if self._on_delete_own is not None:
            await self._on_delete_own(self.message, e.page)

    async def _tap_regenerate(self, e: ft.Event) -> None:
        if self._on_regenerate is not None:
            await self._on_regenerate(self.message, e.page)

    async def _tap_reply(self, e: ft.Event) -> None:
        if self._on_reply is not None:
            await self._on_reply(self.message, e.page)

    async def _tap_thread(self, e: ft.Event) -> None:
        if self._on_thread is not None:
            await self._on_thread(self.message, e.page)

    async def _tap_quote(self, e: ft.Event) -> None:
        if self._on_quote is not None:
            await self._on_quote(self.message, e.page)

    async def _tap_versions(self, e: ft.Event) -> None:
        if self._on_versions is not None:
            await self._on_versions(self.message, e.page)

    def _time(self) -> str:
        return local_time(self.message.created_at, self._tz)
