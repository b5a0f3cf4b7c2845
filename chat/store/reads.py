"""The ReadsStore interface: how far each person has read in each room."""

from __future__ import annotations

from typing import Protocol


class ReadsStore(Protocol):
    """Durable read positions, keyed by person id and room; a position only moves forward."""

    async def mark_read(self, person_id: str, room: str, seq: int) -> int:
        """Move `person_id`'s read position in `room` up to `seq` (never back); the position now."""

    async def mark_reads(self, marks: list[tuple[str, str, int]]) -> None:
        """Move many read positions forward at once, `(person_id, room, seq)` each, in one write."""

    async def read_marks(self, person_id: str) -> dict[str, int]:
        """The read position of `person_id` in every room they have read in."""
