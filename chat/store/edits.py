"""The EditsStore interface: changing a message's text, keeping each earlier text."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from chat.domain import Message
from chat.message_meta import MessageMeta
from chat.message_versions import MessageVersion


class EditsStore(Protocol):
    """Edits in place: the message keeps its id and seq; what it said before goes to message_versions."""

    async def edit_message(
        self, message_id: str, text: str, edited_by: str, at: datetime
    ) -> Message | None:
        """Give a message new text at `at`, keeping the old one as a version, in one transaction.

        None if the message is unknown or a tombstone (a deleted message stays deleted).
        """

    async def reopen_reply(
        self, message_id: str, by: str, at: datetime, meta: MessageMeta
    ) -> Message | None:
        """Empty a finished bot reply to write it again (status streaming, `meta`), keeping its text.

        None unless it is a finished, undeleted bot reply: of two at once, one reopens it.
        """

    async def message_versions(self, message_id: str) -> list[MessageVersion]:
        """The earlier texts of a message, oldest first (empty if it was never edited)."""
