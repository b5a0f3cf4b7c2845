"""Ordered, named schema migrations, recorded in a `migrations` table."""

from __future__ import annotations

from collections.abc import Sequence

Migration = tuple[str, str]
"""A (name, SQL script) pair; names sort in the order they must run."""


def pending(migrations: Sequence[Migration], applied: set[str]) -> list[Migration]:
    """The migrations not yet applied, in order; refuses an out-of-order history."""
    names = [name for name, _ in migrations]
    if names != sorted(names) or len(set(names)) != len(names):
        raise ValueError("migration names must be unique and sorted")
    unknown = applied - set(names)
    if unknown:
        raise RuntimeError(
            f"the database has migrations this version does not know: {sorted(unknown)}"
        )
    return [(name, sql) for name, sql in migrations if name not in applied]
