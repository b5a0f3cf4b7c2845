"""Everything Confab does beneath Flet's public API, in one module checked against one version.

Read from flet and flet-web 1.0.5. On an upgrade, re-check (tests/test_broadcast.py,
tests/test_shared_view.py and tests/test_room_isolation.py exercise all of it):
- the pubsub hub: `session.connection.pubsubhub` is the process's hub, and
  `flet_web.fastapi.app_manager.get_pubsubhub(main, loop)` returns the same one;
  `send_all_on_topic` reaches topic subscribers only, `send_all` global ones only;
- the diff: `ObjectPatch.from_diff(c, c, control_cls=BaseControl)` compares `c`
  with the snapshot taken when it was last diffed or encoded, and returns
  (patch, added, removed); `patch.to_message()` is `[path tree, ops...]`;
- `_frozen` in a control's `__dict__` makes the diff skip it;
- `_i` is a control's id on the wire; `session.index` maps ids to controls,
  which is how an event from the browser finds its control;
- `session.invoke_method(control_id, name, args, timeout)` calls a method in
  one tab only;
- `PatchControlBody` / `MessageAction.PATCH_CONTROL` and the msgpack encoder
  `configure_encode_object_for_msgpack(BaseControl)`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from typing import Any

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
from flet.pubsub.pubsub_hub import PubSubHub

from chat.version_check import warn_unless_checked

CHECKED_WITH = "1.0.5"

INSTALLED = warn_unless_checked(
    "flet", CHECKED_WITH, "chat/flet_internals.py", "Re-check what its docstring lists."
)

__all__ = [
    "Patch",
    "PubSubHub",
    "RoomFanout",
    "activity_topic",
    "app_pubsub_hub",
    "control_id",
    "diff",
    "freeze",
    "invoke_in_tab",
    "person_topic",
    "pubsub_hub",
    "room_topic",
    "send_patch",
    "thaw",
    "thawed",
]

_encode_controls = configure_encode_object_for_msgpack(BaseControl)


# ---- the pubsub hub


def pubsub_hub(page: ft.Page) -> PubSubHub:
    """The process's pubsub hub, as `page`'s session sees it."""
    return page.session.connection.pubsubhub


def app_pubsub_hub(main: Callable[..., Any]) -> PubSubHub:
    """The pubsub hub flet-web gives the app whose entry point is `main` (same as every page's)."""
    import flet_web.fastapi as flet_fastapi

    return flet_fastapi.app_manager.get_pubsubhub(main, loop=asyncio.get_running_loop())


def room_topic(room: str) -> str:
    """The pubsub topic of `room`'s viewers."""
    return f"room:{room}"


def person_topic(person_id: str) -> str:
    """The pubsub topic of one person's tabs (what is shown to them alone)."""
    return f"person:{person_id}"


def activity_topic(room: str) -> str:
    """The pubsub topic of tabs that list `room` with its unread count, without showing it."""
    return f"activity:{room}"


class RoomFanout:
    """Hands each room event to that room's viewers only, and to everyone listening to all rooms.

    Viewers subscribe to `room_topic(room)`; whoever follows every room (the
    bot) subscribes globally. A tab showing room B never hears of room A,
    except events of the `activity` types, which also go to `activity_topic(room)`
    (a tab counting room A's unread messages in its list of rooms).
    """

    def __init__(self, hub: PubSubHub, activity: tuple[type, ...] = ()):
        self._hub = hub
        self._activity = activity

    def __call__(self, room: str, event: object) -> None:
        self._hub.send_all_on_topic(room_topic(room), event)
        self._hub.send_all(event)
        if isinstance(event, self._activity):
            self._hub.send_all_on_topic(activity_topic(room), event)


# ---- controls: ids, the frozen marker, the diff


def control_id(control: ft.Control) -> int:
    """`control`'s id on the wire (what events and patches name it by)."""
    return control._i


def freeze(control: ft.Control) -> None:
    """Mark `control` as sent: Flet's diff then returns at once for it (its declarative-component marker)."""
    object.__setattr__(control, "_frozen", True)


def thaw(control: ft.Control) -> bool:
    """Take the mark off `control`; True if it had one."""
    return control.__dict__.pop("_frozen", None) is not None


@contextlib.contextmanager
def thawed(*controls: ft.Control) -> Iterator[None]:
    """Diff `controls` like any others for the duration, then put back the marks they had."""
    frozen = [control for control in controls if thaw(control)]
    try:
        yield
    finally:
        for control in frozen:
            freeze(control)


class Patch(Message):
    """One control's changes, encoded once, ready for any number of tabs' connections.

    Its repr is short: flet_web formats every message it sends into a debug-log
    f-string, even with debug logging off, and the default repr walks the whole patch.
    """

    def __init__(self, control: ft.Control, ops: list, added: list, removed: list):
        super().__init__(MessageAction.PATCH_CONTROL, PatchControlBody(control._i, _plain(ops)))
        self.added = added
        self.removed = removed

    def __repr__(self) -> str:
        return f"Message({self.action!r}, patch for control {self.body.id})"


def diff(control: ft.Control) -> Patch | None:
    """`control`'s changes since it was last diffed or sent (frozen or not), or None if none."""
    with thawed(control):
        patch, added, removed = ObjectPatch.from_diff(control, control, control_cls=BaseControl)
    ops = patch.to_message()
    if len(ops) <= 1:  # only the path tree: nothing changed
        return None
    return Patch(control, ops, added, removed)


def _plain(ops: list) -> list:
    """The patch as plain msgpack data: controls become dicts once, not once per tab.

    Encoding also records the snapshots the next diff compares with, as
    sending it through a tab would. Each tab's connection then packs plain
    lists and dicts, which msgpack does in C.
    """
    packed = msgpack.packb(ops, default=_encode_controls)
    return msgpack.unpackb(packed, ext_hook=msgpack.ExtType, strict_map_key=False)


def send_patch(page: ft.Page, patch: Patch) -> bool:
    """Send `patch` to `page`'s tab; False while it reconnects (Flet then sends the whole page).

    Raises RuntimeError or AttributeError when the tab closed under us.
    """
    session = page.session
    connection = session.connection
    if connection is None:
        return False
    connection.send_message(patch)
    # What Session.patch_control does for its own tab: events find controls by id.
    index = session.index
    for gone in patch.removed:
        index.pop(gone._i, None)
    for new in patch.added:
        index[new._i] = new
    return True


def patch_sent(patch: Patch) -> None:
    """Tell the controls `patch` added and removed that they are mounted or gone."""
    for gone in patch.removed:
        gone.will_unmount()
    for new in patch.added:
        new.did_mount()


async def invoke_in_tab(
    page: ft.Page, control: ft.Control, name: str, args: dict[str, Any], timeout: float
) -> Any:
    """Call `control`'s method `name` in `page`'s tab only, even when other tabs show it too."""
    return await page.session.invoke_method(control._i, name, args, timeout)
