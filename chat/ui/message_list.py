"""MessageList: the rendered conversation, bounded, and what changed since it was last sent."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from datetime import UTC, tzinfo
from typing import cast

import flet as ft

from chat.domain import (
    Message,
    MessageChanged,
    MessagePosted,
    ReactionsChanged,
    RepliesCounted,
    RoomEvent,
)
from chat.flet_internals import control_id
from chat.ui.message_row import ChatMessage, continues
from chat.ui.row_text import local_day

MakeRow = Callable[[Message, bool, bool], ChatMessage]
"""Builds the row for (message, grouped with the one above, first of its day here)."""


class IsolatedColumn(ft.Column):
    """A Column whose contents are sent only by its owner (see SharedConversation).

    Updating the page around it does not look inside, and update() does
    nothing: the control is shown in many tabs and is diffed once for all.
    """

    def is_isolated(self) -> bool:
        return True

    def update(self) -> None:
        """Changes go out through the owner's Audience, never one tab's update()."""

    def __repr__(self) -> str:
        # Each joining tab's page is formatted into a debug-log f-string by flet_web;
        # the default repr would spell out every row.
        return f"IsolatedColumn({control_id(self)})"


class MessageList:
    """Rows for the newest messages (at most `limit`, plus any paged in by hand).

    The caller sends what changed: the list itself when rows were added or
    removed (`list_changed`), and the controls in `take_changed()` for rows
    that changed in place.
    """

    def __init__(
        self,
        make_row: MakeRow,
        limit: int,
        on_load_earlier: Callable[[ft.Event], Awaitable[None]],
        shared: bool = False,
        tz: tzinfo = UTC,
    ):
        self._make_row = make_row
        self._tz = tz
        self.limit = limit
        self.extra_rows = 0
        self.rows: dict[str, ChatMessage] = {}
        self.oldest_seq: int | None = None
        self.list_changed = False
        self._unsent: set[str] = set()
        self._changed: dict[str, ft.Control] = {}
        # Jumps, not the default 1 s glide: a reply growing several times a second stays in view.
        self.view = ft.ListView(
            expand=True, spacing=0, auto_scroll=True, auto_scroll_animation=0, padding=8
        )
        self.load_earlier = ft.TextButton(
            "Load earlier messages", icon=ft.Icons.HISTORY, visible=False, on_click=on_load_earlier
        )
        column = IsolatedColumn if shared else ft.Column
        self.root = column([self.load_earlier, self.view], expand=True, spacing=0)

    # ---- changes

    def apply(self, event: RoomEvent) -> None:
        """Show a MessagePosted, MessageChanged, ReactionsChanged or RepliesCounted (others are not
        about rows)."""
        if isinstance(event, MessagePosted):
            self.posted(event.message)
        elif isinstance(event, MessageChanged):
            self.changed(event.message)
        elif isinstance(event, ReactionsChanged):
            self.reacted(event)
        elif isinstance(event, RepliesCounted):
            self.replies_counted(event)

    def reacted(self, event: ReactionsChanged) -> None:
        """Show a message's new reactions, unless the row shows a newer version already."""
        row = self.rows.get(event.message_id)
        if row is not None and event.reactions.version > row.message.reactions.version:
            self.changed(replace(row.message, reactions=event.reactions))

    def replies_counted(self, event: RepliesCounted) -> None:
        """Show a message's new count of replies (counts only grow: a late, smaller one loses)."""
        row = self.rows.get(event.message_id)
        if row is not None and event.count > row.message.reply_count:
            self.changed(replace(row.message, reply_count=event.count))

    def posted(self, message: Message) -> None:
        if message.id in self.rows:
            self.changed(message)
            return
        row = self._new_row(message, self.last_shown())
        self.rows[message.id] = row
        self.view.controls.append(row)
        self._mark_added(row)

    def changed(self, message: Message) -> None:
        row = self.rows.get(message.id)
        if row is None:
            return
        if message.reactions.version < row.message.reactions.version:
            # A new text (a growing reply, a catch-up) comes without the reactions seen since.
            message = replace(message, reactions=row.message.reactions)
        if message.reply_count < row.message.reply_count:
            message = replace(message, reply_count=row.message.reply_count)  # the same for replies
        if row.message == message:
            return
        control = row.show(message)
        if message.id not in self._unsent:  # an unsent row goes out whole with the list
            self._changed[message.id] = control

    def prepend(self, older: list[Message]) -> None:
        """Put `older` (oldest first, all before what is shown) above the rows."""
        if not older:
            self.load_earlier.visible = False
            self.list_changed = True
            return
        rows, previous = [], None
        for message in older:
            if message.id in self.rows:
                continue
            row = self._new_row(message, previous)
            self.rows[message.id] = row
            self._mark_added(row)
            rows.append(row)
            previous = message
        first = self._shown[0] if self._shown else None
        self.view.controls[0:0] = rows
        if (
            first is not None
            and previous is not None
            and first.starts_day
            and not self._starts_day(first.message, previous)
        ):
            self.replace(
                first, self._make_row(first.message, first.grouped, False)
            )  # one day heading, not two
        self.oldest_seq = older[0].seq
        self.load_earlier.visible = older[0].seq > 1

    def restyled(self, row: ChatMessage) -> None:
        """`row` changed its own look in place (ChatMessage.tint): send it with the next update."""
        if row.message.id not in self._unsent:  # an unsent row goes out whole with the list
            self._changed[row.message.id] = row

    def replace(self, row: ChatMessage, fresh: ChatMessage) -> None:
        """Swap a row for a rebuilt one (the same message, styled anew)."""
        index = self.view.controls.index(row)
        self.view.controls[index] = fresh
        self.rows[fresh.message.id] = fresh
        self._mark_added(fresh)

    def trim(self) -> None:
        """Drop the oldest rows beyond the limit; they can be paged in again."""
        excess = len(self.view.controls) - (self.limit + self.extra_rows)
        if excess > 0:
            for row in self._shown[:excess]:
                self.rows.pop(row.message.id, None)
            del self.view.controls[:excess]
            self.oldest_seq = self._shown[0].message.seq
            self.load_earlier.visible = True
            self.list_changed = True

    # ---- what to send

    def take_changed(self) -> list[ft.Control]:
        """Controls changed in place since the last call, each to update() once."""
        changed, self._changed = list(self._changed.values()), {}
        return changed

    @contextlib.contextmanager
    def unfrozen(self) -> Iterator[None]:
        """Thaw the rows while a whole page holding them goes out; then freeze them all, as sent.

        Sent within a page, a frozen row would have all its parts marked
        frozen by Flet, and a growing reply must stay changeable.
        """
        for row in self.rows.values():
            row.thaw()
        try:
            yield
        finally:
            for row in self.rows.values():
                row.freeze()

    def list_sent(self, freeze: bool) -> None:
        """The list went out: new rows are on the client now (frozen if only this tab shows them)."""
        if freeze:
            for message_id in self._unsent:
                row = self.rows.get(message_id)
                if row is not None:
                    row.freeze()
        self._unsent.clear()
        self.list_changed = False

    # ---- reading

    @property
    def _shown(self) -> list[ChatMessage]:
        """The rows in the list, oldest first (the view holds nothing else)."""
        return cast("list[ChatMessage]", self.view.controls)

    def last_shown(self) -> Message | None:
        return self._shown[-1].message if self._shown else None

    def messages(self) -> list[Message]:
        """The messages shown, oldest first, at their latest version."""
        return [row.message for row in self._shown]

    def _new_row(self, message: Message, previous: Message | None) -> ChatMessage:
        starts_day = self._starts_day(message, previous)
        return self._make_row(message, continues(previous, message) and not starts_day, starts_day)

    def _starts_day(self, message: Message, previous: Message | None) -> bool:
        return previous is None or local_day(previous.created_at, self._tz) != local_day(
            message.created_at, self._tz
        )

    def _mark_added(self, row: ChatMessage) -> None:
        # A row goes out with the next list update; until then changes need no patch of their own.
        self.list_changed = True
        self._unsent.add(row.message.id)
        self._changed.pop(row.message.id, None)
