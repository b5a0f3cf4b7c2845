"""Render once, send to many: one control tree shown in many tabs, diffed and encoded once.

Flet normally gives every tab its own controls, so a message costs a row,
a diff and an encoding per tab. What every tab shows alike (the
conversation for readers, the people online) can instead be one control
tree placed in every tab's page: an Audience diffs it once per change,
encodes the patch once, and hands the same patch to each tab's connection.

What this relies on in Flet 1.0 (all of it in chat/flet_internals.py):
  * a patch is a [path tree, ops...] list for one control id, and the
    client applies it to that control wherever it sits in its page;
  * a diff compares a control with the snapshot taken when it was last
    diffed or encoded, so the tree must be diffed only here (its owner
    makes update() a no-op and keeps it isolated from page updates);
  * events from a shared control reach the tab that raised them: Flet
    finds the control in that tab's page, so `e.page` is the right page.
"""

from __future__ import annotations

import logging

import flet as ft

from chat.flet_internals import diff, invoke_in_tab, patch_sent, send_patch

log = logging.getLogger(__name__)


class Audience:
    """The tabs showing one shared control tree."""

    def __init__(self) -> None:
        self._pages: dict[str, ft.Page] = {}

    def __len__(self) -> int:
        return len(self._pages)

    def __contains__(self, page: ft.Page) -> bool:
        return page.session.id in self._pages

    def add(self, page: ft.Page) -> None:
        """Start sending to `page`; it must already show the tree (added and sent)."""
        self._pages[page.session.id] = page

    def remove(self, page: ft.Page) -> None:
        self._pages.pop(page.session.id, None)

    def send(self, control: ft.Control) -> None:
        """Send every tab the changes made to `control` (and below it) since it was last sent."""
        patch = diff(control)
        if patch is None:
            return
        for session_id, page in list(self._pages.items()):
            try:
                send_patch(page, patch)
            except (RuntimeError, AttributeError) as exc:
                # The tab closed under us (its socket's queue is already torn down).
                log.debug("dropped a closed tab from a shared view: %r", exc)
                self._pages.pop(session_id, None)
        patch_sent(patch)


SCROLL_TIMEOUT = 10.0
"""Seconds to wait for a tab to answer a scroll request (a tab that never answers must not hang us)."""


async def scroll_to_end_in(page: ft.Page, scrollable: ft.Control) -> None:
    """Jump `scrollable` to its end in `page`'s tab only, even when other tabs show it too,
    and leave it following the end (auto_scroll).

    What `ListView.scroll_to(offset=-1)` does, sent through `page`'s session:
    a shared control's own `page` is whichever tab last sent it. The client pins a list to
    its end only on a move that is not towards the start (Flet's ScrollableControl), and a
    jump to where the list already is moves nothing; so it first goes a pixel above the end.
    """
    for offset in (-2, -1):  # the end is offset -1
        args = {
            "offset": offset,
            "delta": None,
            "scroll_key": None,
            "duration": 0,
            "curve": ft.AnimationCurve.EASE,
        }
        await invoke_in_tab(page, scrollable, "scroll_to", args, SCROLL_TIMEOUT)


async def scroll_to_key_in(page: ft.Page, scrollable: ft.Control, key: str) -> None:
    """Scroll `scrollable` in `page`'s tab only until the control with ScrollKey `key` is at its top."""
    args = {
        "offset": None,
        "delta": None,
        "scroll_key": key,
        "duration": 0,
        "curve": ft.AnimationCurve.EASE,
    }
    await invoke_in_tab(page, scrollable, "scroll_to", args, SCROLL_TIMEOUT)
