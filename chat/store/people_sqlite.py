"""People on SQLite: the `people` and `devices` tables, mixed into SQLiteStore."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

import aiosqlite

from chat.person import Person
from chat.store.base import StoreUnavailable
from chat.store.migrations import Migration
from chat.store.people import NameTaken
from chat.store.people_rows import PERSON_COLUMNS, row_to_person

PEOPLE_MIGRATIONS: list[Migration] = [
    (
        "0010_people",
        """
        CREATE TABLE people (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            name_key TEXT NOT NULL UNIQUE,
            created_at REAL NOT NULL,
            role TEXT NOT NULL DEFAULT 'member',
            banned INTEGER NOT NULL DEFAULT 0,
            password_hash TEXT
        );
        CREATE TABLE devices (
            token_hash TEXT PRIMARY KEY,
            person_id TEXT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
            created_at REAL NOT NULL,
            expires_at REAL NOT NULL,
            revoked_at REAL
        );
        CREATE INDEX devices_person ON devices (person_id);
        """,
    ),
    ("0011_message_author_id", "ALTER TABLE messages ADD COLUMN author_id TEXT;"),
    (
        "0012_invites",
        """
        CREATE TABLE invites (
            token_hash TEXT PRIMARY KEY,
            created_at REAL NOT NULL,
            expires_at REAL NOT NULL,
            used_at REAL
        );
        """,
    ),
]
"""Appended to the end of SQLiteStore's migrations."""


_CLAIM_FIRST_ADMIN = """
    INSERT INTO first_admin (only_one, person_id)
        SELECT 1, ? WHERE (SELECT id FROM people ORDER BY created_at, id LIMIT 1) = ?
    ON CONFLICT DO NOTHING RETURNING person_id
"""


def _is_name_clash(exc: sqlite3.IntegrityError) -> bool:
    return "people.name_key" in str(exc)


class SQLitePeople:
    """PeopleStore over SQLiteStore's connection."""

    def _connection(self) -> aiosqlite.Connection:
        raise NotImplementedError  # SQLiteStore provides it

    async def _people_write(self, action: str, sql: str, params: Any) -> int:
        try:
            async with self._connection().execute(sql, params) as cursor:
                return cursor.rowcount
        except sqlite3.IntegrityError as exc:
            if _is_name_clash(exc):
                raise NameTaken(params["name_key"]) from exc
            raise StoreUnavailable(f"could not {action}: {exc}") from exc
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"could not {action}: {exc}") from exc

    async def _people_read(self, sql: str, params: Any) -> list[Person]:
        try:
            async with self._connection().execute(sql, params) as cursor:
                return [row_to_person(row) async for row in cursor]
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"could not read people: {exc}") from exc

    async def add_person(self, person: Person) -> None:
        await self._people_write(
            "save the person",
            f"INSERT INTO people ({PERSON_COLUMNS}) VALUES "
            "(:id, :name, :name_key, :created_at, :role, :banned, :password_hash)",
            _values(person),
        )

    async def update_person(self, person: Person) -> None:
        changed = await self._people_write(
            "update the person",
            """UPDATE people SET name = :name, name_key = :name_key, role = :role,
                   banned = :banned, password_hash = :password_hash WHERE id = :id""",
            _values(person),
        )
        if not changed:
            raise KeyError(person.id)

    async def get_person(self, person_id: str) -> Person | None:
        found = await self._people_read(
            f"SELECT {PERSON_COLUMNS} FROM people WHERE id = ?", (person_id,)
        )
        return found[0] if found else None

    async def person_by_name_key(self, name_key: str) -> Person | None:
        found = await self._people_read(
            f"SELECT {PERSON_COLUMNS} FROM people WHERE name_key = ?", (name_key,)
        )
        return found[0] if found else None

    async def count_people(self) -> int:
        try:
            async with self._connection().execute("SELECT COUNT(*) FROM people") as cursor:
                row = await cursor.fetchone()
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"could not count people: {exc}") from exc
        return int(row[0]) if row is not None else 0

    async def claim_first_admin(self, person_id: str) -> bool:
        # One statement (its trigger makes the person an admin): atomic on a shared connection.
        try:
            async with self._connection().execute(
                _CLAIM_FIRST_ADMIN, (person_id, person_id)
            ) as cursor:
                return await cursor.fetchone() is not None
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"could not claim the first admin: {exc}") from exc

    async def delete_person(self, person_id: str) -> bool:
        await self._people_write(
            "forget the devices", "DELETE FROM devices WHERE person_id = ?", (person_id,)
        )
        return bool(
            await self._people_write(
                "forget the person", "DELETE FROM people WHERE id = ?", (person_id,)
            )
        )

    async def add_device(
        self, person_id: str, token_hash: str, created_at: datetime, expires_at: datetime
    ) -> None:
        await self._people_write(
            "remember the device",
            "INSERT INTO devices (token_hash, person_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
            (token_hash, person_id, created_at.timestamp(), expires_at.timestamp()),
        )

    async def person_by_device(self, token_hash: str, now: datetime) -> Person | None:
        columns = ", ".join(f"p.{c.strip()}" for c in PERSON_COLUMNS.split(","))
        found = await self._people_read(
            f"""SELECT {columns} FROM devices d JOIN people p ON p.id = d.person_id
                WHERE d.token_hash = ? AND d.revoked_at IS NULL AND d.expires_at > ?""",
            (token_hash, now.timestamp()),
        )
        return found[0] if found else None

    async def revoke_device(self, token_hash: str, now: datetime) -> bool:
        return bool(
            await self._people_write(
                "revoke the device",
                "UPDATE devices SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL",
                (now.timestamp(), token_hash),
            )
        )

    async def revoke_devices(self, person_id: str, now: datetime) -> int:
        return await self._people_write(
            "revoke the devices",
            "UPDATE devices SET revoked_at = ? WHERE person_id = ? AND revoked_at IS NULL",
            (now.timestamp(), person_id),
        )

    async def add_invite(self, token_hash: str, created_at: datetime, expires_at: datetime) -> None:
        await self._people_write(
            "save the invite",
            "INSERT INTO invites (token_hash, created_at, expires_at) VALUES (?, ?, ?)",
            (token_hash, created_at.timestamp(), expires_at.timestamp()),
        )

    async def use_invite(self, token_hash: str, now: datetime) -> bool:
        return bool(
            await self._people_write(
                "use the invite",
                """UPDATE invites SET used_at = ?
                   WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?""",
                (now.timestamp(), token_hash, now.timestamp()),
            )
        )

    async def release_invite(self, token_hash: str) -> None:
        await self._people_write(
            "release the invite",
            "UPDATE invites SET used_at = NULL WHERE token_hash = ?",
            (token_hash,),
        )


def _values(person: Person) -> dict[str, Any]:
    return {
        "id": person.id,
        "name": person.name,
        "name_key": person.name_key,
        "created_at": person.created_at.timestamp(),
        "role": person.role.value,
        "banned": int(person.banned),
        "password_hash": person.password_hash,
    }
