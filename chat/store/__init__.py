"""Message stores, chosen by DATABASE_URL."""

from __future__ import annotations

from chat.store.base import Store, StoreUnavailable

__all__ = ["Store", "StoreUnavailable", "open_store"]


def open_store(url: str) -> Store:
    """A store for `url` (sqlite:///file.db or postgresql://...); drivers load lazily."""
    scheme = url.split(":", 1)[0].lower()
    if scheme == "sqlite":
        from chat.store.sqlite import SQLiteStore

        return SQLiteStore(url)
    if scheme in ("postgres", "postgresql"):
        from chat.store.postgres import PostgresStore

        return PostgresStore(url)
    raise ValueError(f"DATABASE_URL scheme {scheme!r} is not supported (use sqlite or postgresql)")
