"""`confab admin token|tokens|revoke-token|webhook|revoke-webhook`, checked against the stored hashes."""

from __future__ import annotations

import asyncio
import re

import pytest

from chat.access_tokens import AccessTokens, NotSignedIn
from chat.config import Settings
from chat.people import token_hash
from chat.store.sqlite import SQLiteStore
from tests.test_admin import admin, data_dir, run  # noqa: F401  (the fixture and helpers)


def with_store(data_dir, work):
    async def go():
        store = SQLiteStore(Settings(data_dir=data_dir).database_url)
        await store.open()
        try:
            return await work(store)
        finally:
            await store.close()

    return asyncio.run(go())


def caller_of(data_dir, secret: str):
    return with_store(data_dir, lambda store: AccessTokens(store).caller(f"Bearer {secret}"))


def test_an_admin_issues_lists_and_revokes_tokens(data_dir, capsys):
    alice = run(data_dir, lambda people: people.claim("Alice")).person
    code, out, _ = admin(capsys, "token", "alice", "--label", "deploy script")
    assert code == 0
    found = re.search(
        r"access token for Alice \(id (\w+), label “deploy script”\), shown only now: (cfb_\S+)",
        out,
    )
    assert found, out
    token_id, secret = found[1], found[2]
    assert f"Authorization: Bearer {secret}" in out
    assert caller_of(data_dir, secret).person.id == alice.id
    assert secret.encode() not in (data_dir / "confab.db").read_bytes()  # only its hash is kept
    assert token_hash(secret).encode() in (data_dir / "confab.db").read_bytes()

    _, listed, _ = admin(capsys, "tokens", "Alice")
    assert token_id in listed and "deploy script" in listed and "good" in listed

    code, _, err = admin(capsys, "revoke-token", "Alice")
    assert code == 2 and "--all" in err
    code, _, err = admin(capsys, "revoke-token", "Alice", "nosuchid")
    assert code == 2 and "no good token" in err
    assert (
        admin(capsys, "revoke-token", "Alice", token_id)[1]
        == f"confab: revoked access token {token_id} of Alice\n"
    )
    assert "revoked" in admin(capsys, "tokens", "Alice")[1]
    _, out, _ = admin(capsys, "token", "Alice")
    second = re.search(r"(cfb_\S+)", out)[1]
    assert (
        admin(capsys, "revoke-token", "Alice", "--all")[1]
        == "confab: revoked 1 access tokens of Alice\n"
    )
    for gone in (secret, second):
        with pytest.raises(NotSignedIn, match="not valid"):
            caller_of(data_dir, gone)

    code, out, err = admin(capsys, "token", "Nobody")
    assert (code, out) == (2, "") and "Nobody owns" in err


def test_an_admin_adds_and_revokes_a_webhook(data_dir, capsys):
    run(data_dir, lambda people: people.claim("Alice"))
    code, out, _ = admin(
        capsys, "webhook", "general", "Deploys", "--base-url", "https://chat.example/"
    )
    assert code == 0
    found = re.search(
        r"webhook (\w+) posts into general as Deploys .*(https://chat\.example/api/v1/hooks/[\w-]+)$",
        out.strip(),
    )
    assert found, out
    secret = found[2].rsplit("/", 1)[1]
    hook = with_store(data_dir, lambda store: store.webhook_by_secret(token_hash(secret)))
    assert hook.id == found[1] and hook.name == "Deploys" and hook.created_by == ""

    for room, name, why in (
        ("general", "ALICE", "a person here"),
        ("general", "Confab Bot", "reserved"),
        ("nowhere", "X", "no room"),
    ):
        code, _, err = admin(capsys, "webhook", room, name)
        assert code == 2 and why in err, err
    assert (
        admin(capsys, "revoke-webhook", "general", hook.id)[1]
        == f"confab: revoked webhook {hook.id} of general\n"
    )
    assert with_store(data_dir, lambda store: store.webhook_by_secret(token_hash(secret))) is None
    assert admin(capsys, "revoke-webhook", "general", hook.id)[0] == 2
