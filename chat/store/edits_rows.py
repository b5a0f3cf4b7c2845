"""Converters between message_versions rows and MessageVersion; rows never leave store/."""

from __future__ import annotations

from chat.message_versions import MessageVersion
from chat.store.rows import Row, _time

VERSION_COLUMNS = "message_id, number, text, written_at, replaced_at, replaced_by"


def row_to_version(row: Row) -> MessageVersion:
    """A message version from a row of either backend."""
    return MessageVersion(
        message_id=row["message_id"],
        number=int(row["number"]),
        text=row["text"],
        written_at=_time(row["written_at"]),
        replaced_at=_time(row["replaced_at"]),
        replaced_by=row["replaced_by"],
    )
