"""ApiStore contract: access tokens and webhooks, the same tests on SQLite and PostgreSQL."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chat.access import AccessToken, Webhook
from chat.person import Person
from tests.test_store import store, stores  # noqa: F401  (the two-backend fixtures)

pytestmark = pytest.mark.asyncio

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


async def a_person(store, name: str) -> Person:
    person = Person(secrets.token_hex(8), name, name.casefold(), NOW)
    await store.add_person(person)
    return person


def token(person: Person, label: str = "", at: datetime = NOW) -> AccessToken:
    return AccessToken(secrets.token_hex(6), person.id, label, at)


async def test_a_token_is_found_by_its_hash_only_until_revoked(store):
    alice, bob = await a_person(store, "Alice"), await a_person(store, "Bob")
    first, second = token(alice, "ci"), token(alice, "laptop", NOW + timedelta(seconds=1))
    await store.add_access_token(first, "hash-1")
    await store.add_access_token(second, "hash-2")
    await store.add_access_token(token(bob), "hash-3")
    assert await store.access_tokens(alice.id) == [first, second]  # oldest first, nothing used yet

    used = NOW + timedelta(minutes=5)
    found = await store.use_access_token("hash-1", used)
    assert found == (replace(first, last_used_at=used), alice)
    assert (await store.access_tokens(alice.id))[0].last_used_at == used
    assert await store.use_access_token("no-such-hash", used) is None

    assert not await store.revoke_access_token(bob.id, first.id, used)  # not Bob's to revoke
    assert await store.revoke_access_token(alice.id, first.id, used)
    assert not await store.revoke_access_token(alice.id, first.id, used)  # once
    assert await store.use_access_token("hash-1", used) is None
    assert (await store.access_tokens(alice.id))[0].revoked_at == used
    assert (await store.use_access_token("hash-2", used))[1] == alice

    assert await store.revoke_access_tokens(alice.id, used) == 1  # only the one still good
    assert await store.use_access_token("hash-2", used) is None
    assert (await store.use_access_token("hash-3", used))[1] == bob


async def test_last_used_is_written_at_most_once_a_minute(store):
    alice = await a_person(store, "Alice")
    await store.add_access_token(token(alice), "h")
    await store.use_access_token("h", NOW)
    await store.use_access_token("h", NOW + timedelta(seconds=30))
    assert (await store.access_tokens(alice.id))[0].last_used_at == NOW
    await store.use_access_token("h", NOW + timedelta(seconds=61))
    assert (await store.access_tokens(alice.id))[0].last_used_at == NOW + timedelta(seconds=61)


async def test_a_token_of_a_forgotten_person_works_no_more(store):
    alice = await a_person(store, "Alice")
    await store.add_access_token(token(alice), "h")
    await store.delete_person(alice.id)
    assert await store.use_access_token("h", NOW) is None


async def test_webhooks_are_found_by_secret_until_revoked_and_listed_per_room(store):
    first = Webhook(secrets.token_hex(6), "general", "Deploys", "p1", NOW)
    second = Webhook(secrets.token_hex(6), "general", "CI", "", NOW + timedelta(seconds=1))
    other = Webhook(secrets.token_hex(6), "ops", "Pager", "p2", NOW)
    for hook, secret in ((first, "s1"), (second, "s2"), (other, "s3")):
        await store.add_webhook(hook, secret)
    assert await store.webhooks("general") == [first, second]
    assert await store.webhook_by_secret("s3") == other
    assert await store.webhook_by_secret("nope") is None

    later = NOW + timedelta(hours=1)
    assert not await store.revoke_webhook("ops", first.id, later)  # not that room's
    assert await store.revoke_webhook("general", first.id, later)
    assert not await store.revoke_webhook("general", first.id, later)
    assert await store.webhook_by_secret("s1") is None
    assert (await store.webhooks("general"))[0].revoked_at == later
    assert await store.webhook_by_secret("s2") == second


async def test_the_api_migration_follows_the_people_ones(store):
    applied = await store.applied_migrations()
    assert "0014_api_tokens" in applied
    assert applied.index("0014_api_tokens") > applied.index("0012_invites")
