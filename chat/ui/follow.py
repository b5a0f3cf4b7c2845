"""FollowLatest: one tab's place in the conversation, and its "N new messages" button.

The list itself follows the end in the browser (ListView `auto_scroll`: it
stays pinned to the bottom while the person has not scrolled away, and
follows a reply growing in place). What the server must know is whether
this tab's reader is at the bottom or reading further up: only then does a
new message count as unseen and the jump button show.

The conversation's rows may be shared by many tabs (shared_view), so the
position is not a property of the list: each tab wraps whatever list it
shows in a Column of its own whose `on_scroll` receives that list's scroll
notifications as they bubble up in this tab's client (a Column without a
scroll mode adds no viewport of its own, so they arrive at depth 0).

Scroll notifications cost the server an event each. A tab at the bottom
produces them on every jump the client makes to follow new content (three
per jump), so while following it asks for few (`FOLLOWING_INTERVAL_MS`).
Moving away from the bottom is still seen at once: a drag or a wheel sends
a "user" notification, a kind the follow jumps never send, so its
throttle slot is free. Reading further up, the tab asks for fine-grained
notifications (`READING_INTERVAL_MS`): nothing else is sending them then.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import flet as ft

AT_BOTTOM_PX = 40
"""Within this distance of the end a tab counts as at the bottom (the client's own threshold)."""
FOLLOWING_INTERVAL_MS = 1000
READING_INTERVAL_MS = 60

ScrollToEnd = Callable[[], Coroutine[Any, Any, None]]
"""Moves this tab's list to its end (the list may be shared: the call goes to this tab only)."""


def new_messages_text(count: int) -> str:
    """'1 new message', '3 new messages'."""
    return f"{count} new message" + ("" if count == 1 else "s")


class FollowLatest:
    """Where one tab's reader is, and what arrived since they scrolled up."""

    def __init__(self, scroll_to_end: ScrollToEnd):
        self._scroll_to_end = scroll_to_end
        self.reading_up = False
        """True while the reader is scrolled away from the newest message."""
        self._last_pixels = 0.0
        self._last_move_up = False
        """Whether the list's last move was towards the start: the client then no longer
        follows the end, even where the move ended at the end."""
        self._pinning: asyncio.Task | None = None
        self.unseen = 0
        """Messages that arrived below the reader's view since they scrolled up."""
        self.moving = False
        """True while the server moves the list (a jump to a message): where the list passes
        on the way says nothing of the reader."""
        self.on_follow: Callable[[], None] | None = None
        """Told once when the reader is back at the end (a jump to an old message waits for it)."""
        self.holder = ft.Column(
            expand=True,
            spacing=0,
            on_scroll=self._on_scroll,
            scroll_interval=FOLLOWING_INTERVAL_MS,
        )
        self.button = ft.FilledTonalButton(
            "",
            icon=ft.Icons.ARROW_DOWNWARD,
            visible=False,
            on_click=self._jump_clicked,
            # The colour pair tests/test_contrast.py checks (the tonal default is another one).
            style=ft.ButtonStyle(
                bgcolor=ft.Colors.PRIMARY_CONTAINER, color=ft.Colors.ON_PRIMARY_CONTAINER
            ),
        )
        self.view = ft.Stack(
            [
                self.holder,
                ft.Container(self.button, bottom=12, left=0, right=0, alignment=ft.Alignment(0, 1)),
            ],
            expand=True,
        )

    def show(self, conversation: ft.Control) -> None:
        """Hold `conversation` (the shared or the tab's own list); the caller sends the holder."""
        self.holder.controls = [conversation]

    # ---- what happens in the room

    def message_arrived(self) -> bool:
        """A message arrived below; True when the button changed (the caller updates it)."""
        if not self.reading_up:
            self._tell_following()  # a jump that did not move the list: the end is in view
            return False
        self.unseen += 1
        self._sync_button()
        return True

    async def bring_latest_into_view(self) -> None:
        """The reader sent something or asked for the latest: go to the end and follow again."""
        changed = self._follow()
        if changed:
            self._send_button()
        await self._scroll_to_end()

    def scrolled_up(self) -> None:
        """The server moved the list away from the end (to "New messages"): new messages
        count as unseen until the reader is back at the bottom (a scroll there says so)."""
        if self._read_up():
            self._send_button()

    # ---- what the reader does

    async def _jump_clicked(self, e: ft.Event) -> None:
        await self.bring_latest_into_view()

    async def _on_scroll(self, e: ft.OnScrollEvent) -> None:
        ft.context.disable_auto_update()  # only the button may change, and it is sent here
        # The client's own rule (Flet's ScrollableControl): any move towards the start
        # unpins it, and it pins again once a move that is not back up ends near the end.
        # A "user" notification going "forward" (Flutter's word for towards the start)
        # is the reader's drag or wheel, even when its first step is tiny.
        moved_up = e.pixels < self._last_pixels - 0.5 or (
            e.event_type is ft.ScrollType.USER and e.direction is ft.ScrollDirection.FORWARD
        )
        if abs(e.pixels - self._last_pixels) > 0.5:
            self._last_move_up = moved_up
        self._last_pixels = e.pixels
        if self.moving:
            return
        if moved_up:
            changed = self._read_up()
        elif e.pixels >= e.max_scroll_extent - AT_BOTTOM_PX:
            changed = self._follow()
            if self._last_move_up:
                # The list is at its end, but it got there going up (the content shrank under
                # it, or a scroll to "New messages" stopped at the end): the client has let go
                # of the end, and a new message would arrive out of sight. Pin it again.
                self._last_move_up = False
                self._pinning = asyncio.create_task(self._scroll_to_end())
        else:
            changed = False
        if changed:
            self._send_button()

    # ---- state

    def _tell_following(self) -> None:
        if self.on_follow is not None:
            told, self.on_follow = self.on_follow, None
            told()

    def _read_up(self) -> bool:
        if self.reading_up:
            return False
        self.reading_up = True
        self.holder.scroll_interval = READING_INTERVAL_MS
        return True

    def _follow(self) -> bool:
        if self.reading_up:
            self._tell_following()
        if not self.reading_up and self.unseen == 0:
            return False
        self.reading_up = False
        self.unseen = 0
        self.holder.scroll_interval = FOLLOWING_INTERVAL_MS
        self._sync_button()
        return True

    def _sync_button(self) -> None:
        self.button.visible = self.reading_up and self.unseen > 0
        if self.unseen:
            self.button.content = new_messages_text(self.unseen)

    def _send_button(self) -> None:
        try:
            self.view.update()
        except (RuntimeError, AttributeError):
            pass  # the tab is gone
