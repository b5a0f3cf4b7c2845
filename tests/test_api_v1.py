"""/api/v1 over real HTTP against the real app: tokens, rooms, messages, webhooks, limits."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest

from chat.domain import MessageKind
from chat.rules import Rejected
from tests.confab_harness import Person, Served, serve_confab

pytestmark = pytest.mark.asyncio


async def bot_replies(served: Served, at_least: int, timeout: float = 10.0) -> list:
    """The bot's final replies in general, once there are `at_least`."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = [
            m
            for m in await served.confab.store.history("general", None, 100)
            if m.kind is MessageKind.BOT and m.status.is_final
        ]
        if len(found) >= at_least:
            return found
        assert asyncio.get_running_loop().time() < deadline, "the bot did not answer"
        await asyncio.sleep(0.05)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@contextlib.asynccontextmanager
async def api(tmp_path, **settings) -> AsyncIterator[tuple[Served, httpx.AsyncClient]]:
    async with (
        serve_confab(tmp_path, **settings) as served,
        httpx.AsyncClient(base_url=served.url + "/api/v1", timeout=10) as http,
    ):
        yield served, http


async def person_with_token(served: Served, name: str, label: str = "tests") -> tuple:
    person = await served.confab.people.create_person(name)
    secret, token = await served.confab.access.issue(person.id, label)
    return person, secret, token


async def test_tokens_missing_wrong_revoked_or_of_a_banned_person_get_401(tmp_path):
    async with api(tmp_path) as (served, http):
        alice, secret, token = await person_with_token(served, "Alice")
        assert (await http.get("/rooms", headers=bearer(secret))).status_code == 200
        for headers in (
            {},
            bearer(secret + "x"),
            {"Authorization": secret},
            {"Authorization": "Basic abc"},
        ):
            refused = await http.get("/rooms", headers=headers)
            assert refused.status_code == 401, headers
            assert refused.json()["error"] and secret not in refused.text
            assert refused.headers["www-authenticate"] == "Bearer"
        assert "Authorization: Bearer" in (await http.get("/rooms")).json()["error"]

        assert await served.confab.access.revoke(alice.id, token.id)
        revoked = await http.get("/rooms", headers=bearer(secret))
        assert revoked.status_code == 401 and "revoked" in revoked.json()["error"]

        bob, bobs, _ = await person_with_token(served, "Bob")
        await served.confab.people.ban(bob.id)
        banned = await http.post(
            "/rooms/general/messages", json={"text": "hi"}, headers=bearer(bobs)
        )
        # A ban revokes the person's tokens (and a token of a banned person would be refused anyway).
        assert banned.status_code == 401 and "revoked" in banned.json()["error"]
        assert [m.text for m in await served.confab.store.history("general", None, 10)] == []


async def test_the_token_records_its_last_use_and_the_store_keeps_no_secret(tmp_path):
    async with api(tmp_path) as (served, http):
        alice, secret, token = await person_with_token(served, "Alice", "ci")
        assert token.last_used_at is None
        await http.get("/rooms", headers=bearer(secret))
        (listed,) = await served.confab.access.tokens(alice.id)
        assert listed.label == "ci" and listed.last_used_at is not None
    database = (tmp_path / "confab.db").read_bytes()
    assert secret.encode() not in database and token.id.encode() in database


async def test_a_private_room_is_invisible_to_non_members(tmp_path):
    async with api(tmp_path) as (served, http):
        _, alices, _ = await person_with_token(served, "Alice")
        _, bobs, _ = await person_with_token(served, "Bob")
        made = await http.post(
            "/rooms",
            json={"name": "Secret Plans", "topic": "shh", "private": True},
            headers=bearer(alices),
        )
        assert made.status_code == 201 and made.json()["room"]["name"] == "secret-plans"
        assert made.json()["room"]["kind"] == "private"
        posted = await http.post(
            "/rooms/secret-plans/messages", json={"text": "ours"}, headers=bearer(alices)
        )
        assert posted.status_code == 201

        alice_rooms = (await http.get("/rooms", headers=bearer(alices))).json()["rooms"]
        bob_rooms = (await http.get("/rooms", headers=bearer(bobs))).json()["rooms"]
        assert "secret-plans" in [r["name"] for r in alice_rooms]
        assert "secret-plans" not in [r["name"] for r in bob_rooms] and "general" in [
            r["name"] for r in bob_rooms
        ]

        for call in (
            http.get("/rooms/secret-plans/messages", headers=bearer(bobs)),
            http.post(
                "/rooms/secret-plans/messages", json={"text": "let me in"}, headers=bearer(bobs)
            ),
            http.get("/rooms/no-such-room/messages", headers=bearer(bobs)),
        ):
            refused = await call
            assert refused.status_code == 404 and "ours" not in refused.text
        texts = [m.text for m in await served.confab.store.history("secret-plans", None, 10)]
        assert texts == ["ours"]

        taken = await http.post("/rooms", json={"name": "secret-plans"}, headers=bearer(bobs))
        assert taken.status_code == 400 and "exists already" in taken.json()["error"]
        for bad in (
            {"name": 5},
            {"topic": "no name"},
            {"name": "x", "private": "yes"},
            {"name": "!!"},
        ):
            assert (await http.post("/rooms", json=bad, headers=bearer(bobs))).status_code == 400, (
                bad
            )


async def test_messages_after_a_sequence_number_come_in_bounded_pages(tmp_path):
    async with api(tmp_path, history_page=5) as (served, http):
        _, secret, _ = await person_with_token(served, "Alice")
        for i in range(7):
            sent = await http.post(
                "/rooms/general/messages", json={"text": f"m{i}"}, headers=bearer(secret)
            )
            assert sent.status_code == 201 and sent.json()["message"]["seq"] == i + 1
        first = (await http.get("/rooms/general/messages", headers=bearer(secret))).json()
        assert [m["text"] for m in first["messages"]] == ["m0", "m1", "m2", "m3", "m4"]
        assert first["more"] is True and first["next_after"] == 5
        rest = (
            await http.get("/rooms/general/messages", params={"after": 5}, headers=bearer(secret))
        ).json()
        assert [m["text"] for m in rest["messages"]] == ["m5", "m6"] and rest["more"] is False
        assert rest["messages"][0]["author"] == "Alice" and rest["messages"][0]["kind"] == "chat"
        two = await http.get(
            "/rooms/general/messages", params={"after": 1, "limit": 2}, headers=bearer(secret)
        )
        assert [m["seq"] for m in two.json()["messages"]] == [2, 3]
        for params in (
            {"after": -1},
            {"limit": 6},
            {"after": "x"},
            {"after": 10**30},
            {"after": 2**63},
        ):
            bad = await http.get("/rooms/general/messages", params=params, headers=bearer(secret))
            assert bad.status_code == 400 and bad.json()["error"], params


async def test_a_post_follows_the_uis_rules(tmp_path):
    async with api(tmp_path, max_message_chars=20, api_max_body_bytes=200) as (served, http):
        alice, secret, _ = await person_with_token(served, "Alice")
        post = lambda **kw: http.post("/rooms/general/messages", headers=bearer(secret), **kw)
        too_long = await post(json={"text": "x" * 21})
        assert too_long.status_code == 400 and "limit is 20" in too_long.json()["error"]
        assert (await post(json={"text": "   "})).status_code == 400
        assert (await post(json={"words": "hi"})).status_code == 400
        assert (await post(content=b"not json")).status_code == 400
        assert (await post(json={"text": "y" * 300})).status_code == 413
        sent = await post(json={"text": "  tidy  "})
        assert sent.status_code == 201 and sent.json()["message"]["text"] == "tidy"
        (stored,) = await served.confab.store.history("general", None, 10)
        assert stored.text == "tidy" and stored.author_id == alice.id and stored.author == "Alice"


async def test_a_post_may_reply_to_a_message_of_the_room_and_shows_what_it_answers(tmp_path):
    async with api(tmp_path) as (served, http):
        _, secret, _ = await person_with_token(served, "Alice")
        post = lambda **kw: http.post("/rooms/general/messages", headers=bearer(secret), **kw)
        first = (await post(json={"text": "Where shall we meet?"})).json()["message"]
        reply = await post(json={"text": "By the river", "reply_to": first["id"]})
        assert reply.status_code == 201 and reply.json()["message"]["reply_to"] == first["id"]
        missing = await post(json={"text": "Lost words", "reply_to": "no-such-message"})
        assert missing.status_code == 400 and missing.json()["error"]
        wrong = await post(json={"text": "Odd", "reply_to": 7})
        assert wrong.status_code == 400 and "reply_to" in wrong.json()["error"]
        listed = (await http.get("/rooms/general/messages", headers=bearer(secret))).json()
        shown = {m["text"]: m for m in listed["messages"]}
        assert shown["Where shall we meet?"]["reply_count"] == 1
        assert shown["By the river"]["reply_to"] == first["id"]
        assert "Lost words" not in shown and "Odd" not in shown


async def test_a_post_is_seen_live_by_a_tab_in_the_room_and_the_bot_answers_it(tmp_path):
    async with api(tmp_path) as (served, http):
        _, secret, _ = await person_with_token(served, "Alice")
        bob = await Person.open(served.url)
        try:
            await bob.join("Bob")
            sent = await http.post(
                "/rooms/general/messages",
                json={"text": "hello from a script"},
                headers=bearer(secret),
            )
            assert sent.status_code == 201
            await bob.sees("hello from a script")
            asked = await http.post(
                "/rooms/general/messages",
                json={"text": "@bot what is Confab?"},
                headers=bearer(secret),
            )
            assert asked.status_code == 201
            await bob.client.wait_for(
                lambda: any("Confab Bot" in line for line in bob.lines()), timeout=20
            )
        finally:
            await bob.close()


async def test_a_webhook_posts_as_its_integration_and_is_seen_live(tmp_path):
    async with api(tmp_path) as (served, http):
        alice, _, _ = await person_with_token(served, "Alice")
        secret, hook = await served.confab.webhooks.create("general", "Deploys", alice)
        bob = await Person.open(served.url)
        try:
            await bob.join("Bob")
            sent = await http.post(f"/hooks/{secret}", json={"text": "v1.2 is live"})
            assert sent.status_code == 201 and sent.json()["message"]["kind"] == "integration"
            await bob.sees("v1.2 is live")
            assert any("integration" in line for line in bob.lines())
        finally:
            await bob.close()
        (stored,) = [
            m
            for m in await served.confab.store.history("general", None, 20)
            if m.text == "v1.2 is live"
        ]
        assert stored.kind is MessageKind.INTEGRATION and stored.author == "Deploys"
        assert stored.author_id is None

        # The bot answers people, not integrations (no loops between a bot and a webhook).
        token = await served.confab.access.issue(alice.id)
        assert (
            await http.post(f"/hooks/{secret}", json={"text": "@bot deploy?"})
        ).status_code == 201
        asked = await http.post(
            "/rooms/general/messages", json={"text": "@bot hello"}, headers=bearer(token[0])
        )
        assert asked.status_code == 201
        await bot_replies(served, 1)
        await asyncio.sleep(0.5)  # a reply to the webhook's mention would have started by now
        assert len(await bot_replies(served, 1)) == 1

        wrong = await http.post(f"/hooks/{secret}x", json={"text": "nope"})
        assert wrong.status_code == 404 and wrong.json()["error"]
        assert await served.confab.webhooks.revoke("general", hook.id)
        assert (await http.post(f"/hooks/{secret}", json={"text": "gone"})).status_code == 404


async def test_an_integration_cannot_pass_for_a_person_or_the_bot(tmp_path):
    async with api(tmp_path) as (served, _):
        alice, _, _ = await person_with_token(served, "Alice")
        for name in (
            "Alice",
            "АLICE",
            "bot",
            "ＢＯＴ",
            "Confab\u00a0Bot",
            "system",
            "\u3164",
            "Al\u00adice",
        ):
            with pytest.raises(Rejected):
                await served.confab.webhooks.create("general", name, alice)
        bob, _, _ = await person_with_token(served, "Bob")
        await served.confab.service.directory.create_room("ops", "", alice, private=True)
        with pytest.raises(Rejected, match="Only members"):
            await served.confab.webhooks.create("ops", "Pager", bob)
        with pytest.raises(Rejected, match="no room"):
            await served.confab.webhooks.create("nowhere", "Pager", alice)
        _, hook = await served.confab.webhooks.create("ops", "Pager", alice)
        assert hook.name == "Pager" and hook.created_by == alice.id


async def test_every_route_is_rate_limited_per_token_and_per_address(tmp_path):
    async with api(tmp_path, api_rate_per_minute=3, api_address_rate_per_minute=8) as (
        served,
        http,
    ):
        alice, alices, _ = await person_with_token(served, "Alice")
        _, bobs, _ = await person_with_token(served, "Bob")
        for _ in range(3):
            assert (await http.get("/rooms", headers=bearer(alices))).status_code == 200
        limited = await http.get("/rooms", headers=bearer(alices))
        assert limited.status_code == 429 and "try again" in limited.json()["error"]
        assert 1 <= int(limited.headers["retry-after"]) <= 20
        posted = await http.post(
            "/rooms/general/messages", json={"text": "x"}, headers=bearer(alices)
        )
        assert posted.status_code == 429  # every route counts
        assert (await http.get("/rooms", headers=bearer(bobs))).status_code == 200  # Bob's own
        secret, _ = await served.confab.webhooks.create("general", "Deploys", alice)
        assert (await http.post(f"/hooks/{secret}", json={"text": "one"})).status_code == 201
        # 7 requests from this address so far; guessing tokens counts too, then all is refused.
        assert (await http.get("/rooms", headers=bearer("guess"))).status_code == 401
        for headers in (bearer("guess"), bearer(bobs)):
            refused = await http.get("/rooms", headers=headers)
            assert refused.status_code == 429 and "address" in refused.json()["error"]
        assert (await http.post(f"/hooks/{secret}", json={"text": "two"})).status_code == 429


async def test_the_person_limit_of_the_ui_holds_for_the_api_too(tmp_path):
    async with api(tmp_path, rate_per_second=0.1, rate_burst=2) as (served, http):
        _, secret, _ = await person_with_token(served, "Alice")
        for text in ("one", "two"):
            sent = await http.post(
                "/rooms/general/messages", json={"text": text}, headers=bearer(secret)
            )
            assert sent.status_code == 201
        slow = await http.post(
            "/rooms/general/messages", json={"text": "three"}, headers=bearer(secret)
        )
        assert slow.status_code == 429 and "Slow down" in slow.json()["error"]
        assert int(slow.headers["retry-after"]) >= 1


async def test_a_store_that_does_not_answer_gets_503_with_words(tmp_path):
    async with api(tmp_path) as (served, http):
        _, secret, _ = await person_with_token(served, "Alice")
        hook_secret, _ = await served.confab.webhooks.create("general", "Deploys", None)
        await served.confab.store.close()
        for call in (
            http.get("/rooms", headers=bearer(secret)),
            http.post(f"/hooks/{hook_secret}", json={"text": "x"}),
        ):
            down = await call
            assert down.status_code == 503 and "database is not answering" in down.json()["error"]


async def test_a_fault_of_ours_is_json_too_and_logged(tmp_path, caplog):
    async with api(tmp_path) as (served, http):
        _, secret, _ = await person_with_token(served, "Alice")

        async def broken(*args, **kwargs):
            raise ZeroDivisionError("a bug")

        served.confab.service.directory.rooms = broken
        failed = await http.get("/rooms", headers=bearer(secret))
        assert failed.status_code == 500 and "on our side" in failed.json()["error"]
        assert "a bug" not in failed.text
        assert any("ZeroDivisionError" in (r.exc_text or "") for r in caplog.records)


async def test_a_route_the_api_does_not_have_is_a_json_404_not_the_web_page(tmp_path):
    async with api(tmp_path) as (served, http):
        _, secret, _ = await person_with_token(served, "Alice")
        for method, path in (("GET", "/room"), ("DELETE", "/rooms"), ("POST", "/hooks")):
            missing = await http.request(method, path, headers=bearer(secret))
            assert missing.status_code == 404, (method, path)
            assert (
                missing.json()["error"]
                == f"Confab's API has no {method} /api/v1{path}; see the README's HTTP API."
            )


async def test_the_api_works_on_postgresql_too(pg_database, shared_servers, tmp_path):
    async with api(tmp_path, database_url=pg_database) as (served, http):
        alice, secret, _ = await person_with_token(served, "Alice")
        made = await http.post(
            "/rooms", json={"name": "ops", "private": True}, headers=bearer(secret)
        )
        assert made.status_code == 201
        sent = await http.post(
            "/rooms/ops/messages", json={"text": "on postgres"}, headers=bearer(secret)
        )
        assert sent.status_code == 201 and sent.json()["message"]["seq"] == 1
        hook_secret, _ = await served.confab.webhooks.create("ops", "Deploys", alice)
        assert (
            await http.post(f"/hooks/{hook_secret}", json={"text": "hooked"})
        ).status_code == 201
        read = (await http.get("/rooms/ops/messages", headers=bearer(secret))).json()
        assert [(m["author"], m["kind"], m["text"]) for m in read["messages"]] == [
            ("Alice", "chat", "on postgres"),
            ("Deploys", "integration", "hooked"),
        ]
        _, bobs, _ = await person_with_token(served, "Bob")
        assert (await http.get("/rooms/ops/messages", headers=bearer(bobs))).status_code == 404
