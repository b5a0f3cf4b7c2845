"""What a message carries besides its text: typed, and stored as the flat JSON object of old.

The stores keep `to_json()` in the `meta` column and the bus and exports carry it too, in the
form rows always had: a flat object of strings under the keys in `_KEYS`, the attachments a
JSON string inside it. So rows written before this type read the same, and what it writes
reads the same to a process from before it. Two deliberate differences from the old free-form
dict: an empty string reads as "not set" (so an asker with no person id, once stored as `""`,
is None and is written as no key at all, which the old readers took the same way); and a key
this code does not know, or a known key whose value does not read (not a string, damaged
attachments), is kept as it was in `extra` and written back unchanged, never dropped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields, replace
from typing import Any

from chat.attachments import Attachment

_KEYS = {
    "node": "node",
    "webhook": "webhook",
    "answers": "reply_to",
    "asked_by": "asked_by",
    "asked_by_id": "asked_by_id",
    "bot_name": "display_name",
    "image": "image",
    "error": "error",
    "stopped_by": "stopped_by",
    "asker_utc_offset": "asker_utc_offset",
}
"""Each text field and its key in the stored JSON (the names rows have always used)."""
_ATTACHMENTS = "attachments"


@dataclass(frozen=True, slots=True)
class MessageMeta:
    """A message's metadata; None (or no attachments) means not set."""

    node: str | None = None
    """The server process that wrote it: that process's bot answers it, or writes the reply."""
    webhook: str | None = None
    """The incoming webhook that posted it (an integration's message)."""
    answers: str | None = None
    """A bot reply's mention: the id of the message it answers (not its thread, Message.reply_to)."""
    asked_by: str | None = None
    """A bot reply: the name of who asked, for showing."""
    asked_by_id: str | None = None
    """A bot reply: the person id of who asked (they may stop or regenerate it)."""
    bot_name: str | None = None
    """A bot reply: the display name of the bot that wrote it (several bots may speak)."""
    image: str | None = None
    """A bot's picture kept outside the file store: its URL."""
    error: str | None = None
    """Why a bot reply failed or was interrupted, in words for people."""
    stopped_by: str | None = None
    """The name of who stopped a bot reply."""
    asker_utc_offset: str | None = None
    """A message to a bot: its writer's tab's offset from UTC, in minutes east (chat/asker_zone.py)."""
    attachments: tuple[Attachment, ...] = ()
    """The files on the message, in order."""
    extra: tuple[tuple[str, Any], ...] = ()
    """Keys this code does not read, as stored (sorted by key): kept so that writing the row
    back loses nothing."""

    def merged(self, changes: MessageMeta) -> MessageMeta:
        """A copy with every field `changes` sets (its extra keys win too)."""
        updates: dict[str, Any] = {
            f.name: getattr(changes, f.name)
            for f in fields(self)
            if f.name != "extra" and getattr(changes, f.name) not in (None, ())
        }
        if changes.extra:
            replaced = {key for key, _ in changes.extra}
            kept = tuple(item for item in self.extra if item[0] not in replaced)
            updates["extra"] = tuple(sorted(kept + changes.extra, key=_key))
        return replace(self, **updates) if updates else self

    def to_json(self) -> dict[str, Any]:
        """The flat JSON object rows, events and exports keep (set fields only)."""
        data: dict[str, Any] = dict(self.extra)
        for name, key in _KEYS.items():
            value = getattr(self, name)
            if value is not None:
                data[key] = value
        if self.attachments:
            files = [a.to_json() for a in self.attachments]
            data[_ATTACHMENTS] = json.dumps(files, sort_keys=True)
        return data

    def to_json_text(self) -> str:
        """`to_json()` as the text a store writes (keys sorted, as rows always were)."""
        return json.dumps(self.to_json(), sort_keys=True)

    @classmethod
    def from_json(cls, data: object) -> MessageMeta:
        """The metadata in a stored or sent object (JSON text, or parsed); never raises for
        what it does not understand: see the module's docstring."""
        if isinstance(data, (str, bytes)):
            try:
                data = json.loads(data) if data else {}
            except ValueError:
                data = {}  # a damaged column: the message still shows, without its meta
        if not isinstance(data, dict):
            return cls()
        texts: dict[str, Any] = {}
        extra: list[tuple[str, Any]] = []
        by_key = {key: name for name, key in _KEYS.items()}
        attachments: tuple[Attachment, ...] = ()
        for key, value in data.items():
            name = by_key.get(key)
            if name is not None and isinstance(value, str):
                texts[name] = value or None
            elif key == _ATTACHMENTS and (files := _attachments(value)) is not None:
                attachments = files
            else:
                extra.append((str(key), value))
        return cls(**texts, attachments=attachments, extra=tuple(sorted(extra, key=_key)))


def _key(item: tuple[str, Any]) -> str:
    return item[0]  # extra keys in one order, however the store kept them (JSONB reorders)


def _attachments(raw: object) -> tuple[Attachment, ...] | None:
    """The files a stored `attachments` entry names; None when it does not read."""
    if raw == "":
        return ()
    if not isinstance(raw, str):
        return None
    try:
        items = json.loads(raw)
        return tuple(Attachment.from_json(item) for item in items)
    except (ValueError, TypeError):
        return None


NO_META = MessageMeta()
"""A message with no metadata."""
