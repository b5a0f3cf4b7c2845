"""Render once, send to many: one control tree shown in many tabs, diffed and encoded once.

Flet normally gives every tab its own controls, so a message costs a row,
a diff and an encoding per tab. What every tab shows alike (the
conversation for readers, the people online) can instead be one control
tree placed in every tab's page: an Audience diffs it once per change,
encodes the patch once, and hands the same patch to each tab's connection.

What this relies on in Flet 1.0 (checked by tests/test_broadcast.py):
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
import msgpack
from flet.controls.base_control import BaseControl
from flet.controls.object_patch import ObjectPatch
from flet.messaging.protocol import (
    Message,
    MessageAction,
    PatchControlBody,
    configure_encode_object_for_msgpack,
)

log = logging.getLogger(__name__)

_encode_controls = configure_encode_object_for_msgpack(BaseControl)


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
        # A control marked frozen once sent (see ChatMessage.freeze) is diffed like any
        # other when it is the one being sent: Flet's diff would return at once.
        frozen = control.__dict__.pop("_frozen", None)
        try:
            patch, added, removed = ObjectPatch.from_diff(control, control, control_cls=BaseControl)
        finally:
            if frozen is not None:
                object.__setattr__(control, "_frozen", frozen)
        ops = patch.to_message()
        if len(ops) <= 1:  # only the path tree: nothing changed
            return
        message = _Patch(MessageAction.PATCH_CONTROL, PatchControlBody(control._i, _plain(ops)))
        for session_id, page in list(self._pages.items()):
            session = page.session
            connection = session.connection
            if connection is None:
                continue  # reconnecting: Flet sends the whole page when it is back
            try:
                connection.send_message(message)
            except (RuntimeError, AttributeError) as exc:
                # The tab closed under us (its socket's queue is already torn down).
                log.debug("dropped a closed tab from a shared view: %r", exc)
                self._pages.pop(session_id, None)
                continue
            # What Session.patch_control does for its own tab: events find controls by id.
            index = session.index
            for gone in removed:
                index.pop(gone._i, None)
            for new in added:
                index[new._i] = new
        for gone in removed:
            gone.will_unmount()
        for new in added:
            new.did_mount()


class _Patch(Message):
    """A Message with a short repr: flet_web formats every message it sends into a debug-log
    f-string, even with debug logging off, and the default repr walks the whole patch."""

    def __repr__(self) -> str:
        return f"Message({self.action!r}, patch for control {self.body.id})"


def _plain(ops: list) -> list:
    """The patch as plain msgpack data: controls become dicts once, not once per tab.

    Encoding also records the snapshots the next diff compares with, as
    sending it through a tab would. Each tab's connection then packs plain
    lists and dicts, which msgpack does in C.
    """
    packed = msgpack.packb(ops, default=_encode_controls)
    return msgpack.unpackb(packed, ext_hook=msgpack.ExtType, strict_map_key=False)
