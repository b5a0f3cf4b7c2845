"""API credentials on PostgreSQL: the `api_tokens` and `webhooks` tables, mixed into PostgresStore."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar

from chat.access import AccessToken, Webhook
from chat.person import Person
from chat.store.api_rows import TOKEN_COLUMNS, WEBHOOK_COLUMNS, row_to_token, row_to_webhook
from chat.store.api_sqlite import LAST_USED_GRAIN
from chat.store.migrations import Migration

API_MIGRATIONS: list[Migration] = [
    (
        "0014_api_tokens",
        """
        CREATE TABLE api_tokens (
            id TEXT PRIMARY KEY,
            token_hash TEXT NOT NULL UNIQUE,
            person_id TEXT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
            label TEXT NOT NULL DEFAULT '',
            created_at TIMESTAMPTZ NOT NULL,
            last_used_at TIMESTAMPTZ,
            revoked_at TIMESTAMPTZ
        );
        CREATE INDEX api_tokens_person ON api_tokens (person_id);
        CREATE TABLE webhooks (
            id TEXT PRIMARY KEY,
            secret_hash TEXT NOT NULL UNIQUE,
            room TEXT NOT NULL,
            name TEXT NOT NULL,
            created_by TEXT NOT NULL DEFAULT '',
            created_at TIMESTAMPTZ NOT NULL,
            revoked_at TIMESTAMPTZ
        );
        CREATE INDEX webhooks_room ON webhooks (room);
        """,
    ),
]
"""Appended to PostgresStore's migrations after the people's."""

T = TypeVar("T")


class PostgresApi:
    """ApiStore over PostgresStore's pool."""

    async def _run(self, action: str, work: Callable[[Any], Awaitable[T]]) -> T:
        raise NotImplementedError  # PostgresStore provides it

    async def get_person(self, person_id: str) -> Person | None:
        raise NotImplementedError  # PostgresPeople provides it

    async def _api_execute(self, action: str, sql: str, *params: Any) -> int:
        status = await self._run(action, lambda conn: conn.execute(sql, *params))
        return int(status.rsplit(" ", 1)[-1])

    async def _api_fetch(self, action: str, sql: str, *params: Any) -> list[Any]:
        return await self._run(action, lambda conn: conn.fetch(sql, *params))

    async def add_access_token(self, token: AccessToken, token_hash: str) -> None:
        await self._api_execute(
            "save the access token",
            f"INSERT INTO api_tokens ({TOKEN_COLUMNS}, token_hash) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            token.id,
            token.person_id,
            token.label,
            token.created_at,
            token.last_used_at,
            token.revoked_at,
            token_hash,
        )

    async def access_tokens(self, person_id: str) -> list[AccessToken]:
        rows = await self._api_fetch(
            "read the access tokens",
            f"SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE person_id = $1 ORDER BY created_at, id",
            person_id,
        )
        return [row_to_token(row) for row in rows]

    async def use_access_token(
        self, token_hash: str, now: datetime
    ) -> tuple[AccessToken, Person] | None:
        rows = await self._api_fetch(
            "check the access token",
            f"SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
            token_hash,
        )
        if not rows:
            return None
        token = row_to_token(rows[0])
        person = await self.get_person(token.person_id)
        if person is None:
            return None
        await self._api_execute(
            "note the access token's use",
            """UPDATE api_tokens SET last_used_at = $2
               WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $3)""",
            token.id,
            now,
            now - LAST_USED_GRAIN,
        )
        return replace(token, last_used_at=now), person

    async def revoke_access_token(self, person_id: str, token_id: str, now: datetime) -> bool:
        return bool(
            await self._api_execute(
                "revoke the access token",
                """UPDATE api_tokens SET revoked_at = $3
                   WHERE id = $1 AND person_id = $2 AND revoked_at IS NULL""",
                token_id,
                person_id,
                now,
            )
        )

    async def revoke_access_tokens(self, person_id: str, now: datetime) -> int:
        return await self._api_execute(
            "revoke the access tokens",
            "UPDATE api_tokens SET revoked_at = $2 WHERE person_id = $1 AND revoked_at IS NULL",
            person_id,
            now,
        )

    async def add_webhook(self, hook: Webhook, secret_hash: str) -> None:
        await self._api_execute(
            "save the webhook",
            f"INSERT INTO webhooks ({WEBHOOK_COLUMNS}, secret_hash) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            hook.id,
            hook.room,
            hook.name,
            hook.created_by,
            hook.created_at,
            hook.revoked_at,
            secret_hash,
        )

    async def webhooks(self, room: str) -> list[Webhook]:
        rows = await self._api_fetch(
            "read the webhooks",
            f"SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE room = $1 ORDER BY created_at, id",
            room,
        )
        return [row_to_webhook(row) for row in rows]

    async def webhook_by_secret(self, secret_hash: str) -> Webhook | None:
        rows = await self._api_fetch(
            "check the webhook",
            f"SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE secret_hash = $1 AND revoked_at IS NULL",
            secret_hash,
        )
        return row_to_webhook(rows[0]) if rows else None

    async def revoke_webhook(self, room: str, hook_id: str, now: datetime) -> bool:
        return bool(
            await self._api_execute(
                "revoke the webhook",
                "UPDATE webhooks SET revoked_at = $3 WHERE id = $1 AND room = $2 AND revoked_at IS NULL",
                hook_id,
                room,
                now,
            )
        )
