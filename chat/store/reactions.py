"""The ReactionsStore interface: emoji people put on messages."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from chat.domain import Reaction, Reactions
from chat.store.rows import Row

REACTIONS_ROW = "message_id, version, emoji, person_id, name"
"""The columns `summaries` reads: one row per (message, emoji, person), or per message with none."""


class ReactionsStore(Protocol):
    """Durable reactions, one per (message, person, emoji), with a version per message."""

    async def set_reaction(
        self, message_id: str, person_id: str, emoji: str, present: bool
    ) -> Reactions:
        """Add (`present`) or remove person `person_id`'s `emoji` on a message; its reactions now.

        Setting what is already so changes nothing but the version. Each call
        gives a higher version than the calls that finished before it.
        """

    async def reactions_of(self, message_ids: list[str]) -> dict[str, Reactions]:
        """The reactions of each message in `message_ids` that has ever had one, in one query."""


def summaries(rows: Iterable[Row]) -> dict[str, Reactions]:
    """Reactions per message from rows ordered by message, then when each was made.

    Emoji come in the order they were first used on the message.
    """
    grouped: dict[str, tuple[int, dict[str, list[tuple[str, str]]]]] = {}
    for row in rows:
        _, by_emoji = grouped.setdefault(row["message_id"], (int(row["version"]), {}))
        if row["emoji"] is not None:
            by_emoji.setdefault(row["emoji"], []).append((row["person_id"], row["name"] or ""))
    return {
        message_id: Reactions(
            version,
            tuple(_reaction(emoji, people) for emoji, people in by_emoji.items()),
        )
        for message_id, (version, by_emoji) in grouped.items()
    }


def _reaction(emoji: str, people: list[tuple[str, str]]) -> Reaction:
    return Reaction(emoji, tuple(p for p, _ in people), tuple(n for _, n in people))
