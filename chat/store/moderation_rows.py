"""Converters between audit rows and AuditEntry; rows never leave store/."""

from __future__ import annotations

from chat.audit import AuditEntry, ModAction
from chat.store.rows import Row, _time

AUDIT_COLUMNS = "at, actor_id, actor, action, target_id, target, room, reason"


def audit_values(entry: AuditEntry) -> tuple:
    """The column values of `entry`, in AUDIT_COLUMNS order (`at` as the entry has it)."""
    return (
        entry.at,
        entry.actor_id,
        entry.actor,
        entry.action.value,
        entry.target_id,
        entry.target,
        entry.room,
        entry.reason,
    )


def row_to_audit(row: Row) -> AuditEntry:
    """An audit entry from a row of either backend."""
    return AuditEntry(
        at=_time(row["at"]),
        actor_id=row["actor_id"],
        actor=row["actor"],
        action=ModAction(row["action"]),
        target_id=row["target_id"],
        target=row["target"],
        room=row["room"],
        reason=row["reason"],
    )
