"""Who may do what to a message that is not their own."""

from __future__ import annotations

from chat.domain import Message


def may_stop_reply(reply: Message, person_id: str | None, moderator: bool = False) -> bool:
    """True when person `person_id` may stop `reply`: the one who asked for it, or a moderator.

    Whether they moderate the reply's room is chat.moderation's to say (it asks the store).
    """
    if person_id is None:
        return False
    return person_id == reply.meta.asked_by_id or moderator
