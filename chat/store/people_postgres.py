"""People on PostgreSQL: the `people` and `devices` tables, mixed into PostgresStore."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import asyncpg

from chat.person import Person
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
            created_at TIMESTAMPTZ NOT NULL,
            role TEXT NOT NULL DEFAULT 'member',
            banned BOOLEAN NOT NULL DEFAULT FALSE,
            password_hash TEXT
        );
        CREATE TABLE devices (
            token_hash TEXT PRIMARY KEY,
            person_id TEXT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
            created_at TIMESTAMPTZ NOT NULL,
            expires_at TIMESTAMPTZ NOT NULL,
            revoked_at TIMESTAMPTZ
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
            created_at TIMESTAMPTZ NOT NULL,
            expires_at TIMESTAMPTZ NOT NULL,
            used_at TIMESTAMPTZ
        );
        """,
    ),
]
"""Appended to the end of PostgresStore's migrations."""

T = TypeVar("T")
_P_COLUMNS = ", ".join(f"p.{c.strip()}" for c in PERSON_COLUMNS.split(","))


class PostgresPeople:
    """PeopleStore over PostgresStore's pool."""

    async def _run(self, action: str, work: Callable[[Any], Awaitable[T]]) -> T:
        raise NotImplementedError  # PostgresStore provides it

    async def _people_write(self, action: str, sql: str, *params: Any) -> str:
        async def write(conn: Any) -> str:
            try:
                return await conn.execute(sql, *params)
            except asyncpg.UniqueViolationError as exc:
                if exc.constraint_name == "people_name_key_key":
                    raise NameTaken(params[2]) from exc
                raise

        return await self._run(action, write)

    async def _people_read(self, sql: str, *params: Any) -> Person | None:
        row = await self._run("read people", lambda conn: conn.fetchrow(sql, *params))
        return row_to_person(row) if row is not None else None

    async def add_person(self, person: Person) -> None:
        await self._people_write(
            "save the person",
            f"INSERT INTO people ({PERSON_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            *_values(person),
        )

    async def update_person(self, person: Person) -> None:
        status = await self._people_write(
            "update the person",
            """UPDATE people SET name = $2, name_key = $3, role = $4, banned = $5,
                   password_hash = $6 WHERE id = $1""",
            person.id,
            person.name,
            person.name_key,
            person.role.value,
            person.banned,
            person.password_hash,
        )
        if status == "UPDATE 0":
            raise KeyError(person.id)

    async def get_person(self, person_id: str) -> Person | None:
        return await self._people_read(
            f"SELECT {PERSON_COLUMNS} FROM people WHERE id = $1", person_id
        )

    async def person_by_name_key(self, name_key: str) -> Person | None:
        return await self._people_read(
            f"SELECT {PERSON_COLUMNS} FROM people WHERE name_key = $1", name_key
        )

    async def count_people(self) -> int:
        return await self._run(
            "count people", lambda conn: conn.fetchval("SELECT COUNT(*) FROM people")
        )

    async def claim_first_admin(self, person_id: str) -> bool:
        # One statement: the claim row and the role change commit together or not at all.
        claimed = await self._run(
            "claim the first admin",
            lambda conn: conn.fetchval(
                """WITH claim AS (
                       INSERT INTO first_admin (only_one, person_id)
                           SELECT 1, $1::text
                           WHERE (SELECT id FROM people ORDER BY created_at, id LIMIT 1) = $1
                       ON CONFLICT DO NOTHING RETURNING person_id)
                   UPDATE people SET role = 'admin' FROM claim
                   WHERE people.id = claim.person_id RETURNING people.id""",
                person_id,
            ),
        )
        return claimed is not None

    async def delete_person(self, person_id: str) -> bool:
        # The devices go with the person (ON DELETE CASCADE).
        status = await self._people_write(
            "forget the person", "DELETE FROM people WHERE id = $1", person_id
        )
        return status != "DELETE 0"

    async def add_device(
        self, person_id: str, token_hash: str, created_at: datetime, expires_at: datetime
    ) -> None:
        await self._people_write(
            "remember the device",
            """INSERT INTO devices (token_hash, person_id, created_at, expires_at)
               VALUES ($1, $2, $3, $4)""",
            token_hash,
            person_id,
            created_at,
            expires_at,
        )

    async def person_by_device(self, token_hash: str, now: datetime) -> Person | None:
        return await self._people_read(
            f"""SELECT {_P_COLUMNS} FROM devices d JOIN people p ON p.id = d.person_id
                WHERE d.token_hash = $1 AND d.revoked_at IS NULL AND d.expires_at > $2""",
            token_hash,
            now,
        )

    async def revoke_device(self, token_hash: str, now: datetime) -> bool:
        status = await self._people_write(
            "revoke the device",
            "UPDATE devices SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL",
            token_hash,
            now,
        )
        return status != "UPDATE 0"

    async def revoke_devices(self, person_id: str, now: datetime) -> int:
        status = await self._people_write(
            "revoke the devices",
            "UPDATE devices SET revoked_at = $2 WHERE person_id = $1 AND revoked_at IS NULL",
            person_id,
            now,
        )
        return int(status.rsplit(" ", 1)[-1])

    async def add_invite(self, token_hash: str, created_at: datetime, expires_at: datetime) -> None:
        await self._people_write(
            "save the invite",
            "INSERT INTO invites (token_hash, created_at, expires_at) VALUES ($1, $2, $3)",
            token_hash,
            created_at,
            expires_at,
        )

    async def use_invite(self, token_hash: str, now: datetime) -> bool:
        status = await self._people_write(
            "use the invite",
            """UPDATE invites SET used_at = $2
               WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2""",
            token_hash,
            now,
        )
        return status != "UPDATE 0"

    async def release_invite(self, token_hash: str) -> None:
        await self._people_write(
            "release the invite",
            "UPDATE invites SET used_at = NULL WHERE token_hash = $1",
            token_hash,
        )


def _values(person: Person) -> tuple[Any, ...]:
    return (
        person.id,
        person.name,
        person.name_key,
        person.created_at,
        person.role.value,
        person.banned,
        person.password_hash,
    )
