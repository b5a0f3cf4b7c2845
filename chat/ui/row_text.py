"""What a message row says in words: its accessible name, its full time, its day's heading."""

from __future__ import annotations

from datetime import date, datetime, tzinfo

from chat.domain import Message, MessageKind, MessageStatus

SYSTEM_AUTHOR = "Confab"
"""Who a system line ("Alice joined") is read as coming from."""
INTEGRATION_MARK = "(integration)"
"""After an integration's name wherever it is shown: a webhook cannot pass for a person."""

TOMBSTONE = "message deleted by a moderator"
"""What a deleted message shows in its place, in every tab and in history."""
OWN_TOMBSTONE = "message deleted"
"""What a message its own author deleted shows in its place."""
EDITED_MARK = "edited"
"""Said under (and after) a message whose author changed its text."""


def tombstone(message: Message) -> str:
    """What a deleted message says in its place: who deleted it, its author or a moderator."""
    return OWN_TOMBSTONE if message.deleted_by_author else TOMBSTONE


def local_time(moment: datetime, tz: tzinfo) -> str:
    """HH:MM in `tz`: the time painted beside a name."""
    return moment.astimezone(tz).strftime("%H:%M")


def full_time(moment: datetime, tz: tzinfo) -> str:
    """'Wednesday 2 December 2026, 14:05': what hovering over (or pressing) a message shows."""
    local = moment.astimezone(tz)
    return f"{local:%A} {local.day} {local:%B %Y, %H:%M}"


def local_day(moment: datetime, tz: tzinfo) -> date:
    return moment.astimezone(tz).date()


def day_heading(day: date, today: date) -> str:
    """'Today', 'Yesterday', or the date ('Monday 30 November', with the year when not this one)."""
    days_ago = (today - day).days
    if days_ago == 0:
        return "Today"
    if days_ago == 1:
        return "Yesterday"
    if day.year == today.year:
        return f"{day:%A} {day.day} {day:%B}"
    return f"{day:%A} {day.day} {day:%B %Y}"


def accessible_name(message: Message, tz: tzinfo, display_name: str | None = None) -> str:
    """What a screen reader says for a row: 'Alice, 14:05: hi Bob!' (the bot's and system lines alike)."""
    return f"{author_name(message, display_name)}, {local_time(message.created_at, tz)}: {spoken_text(message)}"


def author_name(message: Message, display_name: str | None = None) -> str:
    """Who a row is read as coming from (system lines come from Confab)."""
    if message.kind is MessageKind.SYSTEM:
        return SYSTEM_AUTHOR
    if message.kind is MessageKind.INTEGRATION:  # never read as the person it may be named like
        return f"{message.author} {INTEGRATION_MARK}"
    return display_name or message.author


def spoken_text(message: Message) -> str:
    """A row's text in words: a picture and an unfinished or failed reply say so."""
    if message.is_deleted:
        return f"({tombstone(message)})"
    text = message.text
    if message.is_edited:
        text = f"{text} ({EDITED_MARK})"
    if message.meta.image:
        text = f"{text} (a picture)".strip()
    for attachment in message.meta.attachments:
        kind = "a picture" if attachment.is_image else "a file"
        text = f"{text} ({kind}: {attachment.name})".strip()
    status = {
        MessageStatus.STREAMING: "still writing",
        MessageStatus.STOPPED: "stopped",
        MessageStatus.FAILED: "failed",
        MessageStatus.INTERRUPTED: "interrupted",
    }.get(message.status)
    if status is not None:
        text = f"{text} ({status})" if text else f"({status})"
    return text
