"""The asker's zone, kept with a message to a bot: it reads "since 9:00" as the asker's 9:00.

A tab knows its browser's offset from UTC (index.html's `?tz=`); a message that mentions a
bot carries it in its meta, and only such a message does.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone, tzinfo

from chat.domain import Message


def utc_offset(zone: tzinfo | None) -> str | None:
    """`zone`'s offset from UTC now, in minutes east, as MessageMeta keeps it (None for None)."""
    offset = datetime.now(zone).utcoffset() if zone is not None else None
    return None if offset is None else str(int(offset.total_seconds() // 60))


def asker_zone(message: Message) -> timezone | None:
    """The zone of the tab that wrote `message` (None: not kept, or not readable)."""
    if message.meta.asker_utc_offset is None:
        return None
    try:
        return timezone(timedelta(minutes=int(message.meta.asker_utc_offset)))
    except (ValueError, OverflowError):
        return None
