"""API credentials on SQLite: the `api_tokens` and `webhooks` tables, mixed into SQLiteStore."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import aiosqlite

from chat.access import AccessToken, Webhook
from chat.person import Person
from chat.store.api_rows import TOKEN_COLUMNS, WEBHOOK_COLUMNS, row_to_token, row_to_webhook
from chat.store.base import StoreUnavailable
from chat.store.migrations import Migration

LAST_USED_GRAIN = timedelta(minutes=1)
"""`last_used_at` is written at most this often per token: a busy script is not a write per call."""

API_MIGRATIONS: list[Migration] = [
    (
        "0014_api_tokens",
        """
        CREATE TABLE api_tokens (
            id TEXT PRIMARY KEY,
            token_hash TEXT NOT NULL UNIQUE,
            person_id TEXT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
            label TEXT NOT NULL DEFAULT '',
            created_at REAL NOT NULL,
            last_used_at REAL,
            revoked_at REAL
        );
        CREATE INDEX api_tokens_person ON api_tokens (person_id);
        CREATE TABLE webhooks (
            id TEXT PRIMARY KEY,
            secret_hash TEXT NOT NULL UNIQUE,
            room TEXT NOT NULL,
            name TEXT NOT NULL,
            created_by TEXT NOT NULL DEFAULT '',
            created_at REAL NOT NULL,
            revoked_at REAL
        );
        CREATE INDEX webhooks_room ON webhooks (room);
        """,
    ),
]
"""Appended to SQLiteStore's migrations after the people's."""


class SQLiteApi:
    """ApiStore over SQLiteStore's connection."""

    def _connection(self) -> aiosqlite.Connection:
        raise NotImplementedError  # SQLiteStore provides it

    async def get_person(self, person_id: str) -> Person | None:
        raise NotImplementedError  # SQLitePeople provides it

    async def _api_write(self, action: str, sql: str, params: Any) -> int:
        try:
            async with self._connection().execute(sql, params) as cursor:
                return cursor.rowcount
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"could not {action}: {exc}") from exc

    async def _api_read(self, action: str, sql: str, params: Any) -> list[Any]:
        try:
            async with self._connection().execute(sql, params) as cursor:
                return list(await cursor.fetchall())
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"could not {action}: {exc}") from exc

    async def add_access_token(self, token: AccessToken, token_hash: str) -> None:
        await self._api_write(
            "save the access token",
            f"INSERT INTO api_tokens ({TOKEN_COLUMNS}, token_hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                token.id,
                token.person_id,
                token.label,
                token.created_at.timestamp(),
                _stamp(token.last_used_at),
                _stamp(token.revoked_at),
                token_hash,
            ),
        )

    async def access_tokens(self, person_id: str) -> list[AccessToken]:
        rows = await self._api_read(
            "read the access tokens",
            f"SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE person_id = ? ORDER BY created_at, id",
            (person_id,),
        )
        return [row_to_token(row) for row in rows]

    async def use_access_token(
        self, token_hash: str, now: datetime
    ) -> tuple[AccessToken, Person] | None:
        rows = await self._api_read(
            "check the access token",
            f"SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL",
            (token_hash,),
        )
        if not rows:
            return None
        token = row_to_token(rows[0])
        person = await self.get_person(token.person_id)
        if person is None:
            return None
        await self._api_write(
            "note the access token's use",
            """UPDATE api_tokens SET last_used_at = ?
               WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)""",
            (now.timestamp(), token.id, (now - LAST_USED_GRAIN).timestamp()),
        )
        return replace(token, last_used_at=now), person

    async def revoke_access_token(self, person_id: str, token_id: str, now: datetime) -> bool:
        return bool(
            await self._api_write(
                "revoke the access token",
                """UPDATE api_tokens SET revoked_at = ?
                   WHERE id = ? AND person_id = ? AND revoked_at IS NULL""",
                (now.timestamp(), token_id, person_id),
            )
        )

    async def revoke_access_tokens(self, person_id: str, now: datetime) -> int:
        return await self._api_write(
            "revoke the access tokens",
            "UPDATE api_tokens SET revoked_at = ? WHERE person_id = ? AND revoked_at IS NULL",
            (now.timestamp(), person_id),
        )

    async def add_webhook(self, hook: Webhook, secret_hash: str) -> None:
        await self._api_write(
            "save the webhook",
            f"INSERT INTO webhooks ({WEBHOOK_COLUMNS}, secret_hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                hook.id,
                hook.room,
                hook.name,
                hook.created_by,
                hook.created_at.timestamp(),
                _stamp(hook.revoked_at),
                secret_hash,
            ),
        )

    async def webhooks(self, room: str) -> list[Webhook]:
        rows = await self._api_read(
            "read the webhooks",
            f"SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE room = ? ORDER BY created_at, id",
            (room,),
        )
        return [row_to_webhook(row) for row in rows]

    async def webhook_by_secret(self, secret_hash: str) -> Webhook | None:
        rows = await self._api_read(
            "check the webhook",
            f"SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE secret_hash = ? AND revoked_at IS NULL",
            (secret_hash,),
        )
        return row_to_webhook(rows[0]) if rows else None

    async def revoke_webhook(self, room: str, hook_id: str, now: datetime) -> bool:
        return bool(
            await self._api_write(
                "revoke the webhook",
                "UPDATE webhooks SET revoked_at = ? WHERE id = ? AND room = ? AND revoked_at IS NULL",
                (now.timestamp(), hook_id, room),
            )
        )


def _stamp(moment: datetime | None) -> float | None:
    return moment.timestamp() if moment is not None else None
