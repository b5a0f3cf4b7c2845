"""The HTTP API across two processes on PostgreSQL and Redis: a post on one is seen live on the other."""

from __future__ import annotations

import httpx
import pytest

from chat.access_tokens import AccessTokens
from chat.config import Settings
from chat.people import PeopleService
from chat.store.postgres import PostgresStore
from tests.confab_harness import Person
from tests.test_scale_out import cluster  # noqa: F401  (the two-process fixture)

pytestmark = pytest.mark.asyncio


async def test_an_api_post_on_one_process_reaches_a_tab_on_the_other_and_a_revoke_holds_on_both(
    cluster,
):  # noqa: F811
    one, two = await cluster.start(2)
    store = PostgresStore(cluster.database_url)
    await store.open()
    try:
        alice = await PeopleService(Settings(), store).create_person("Alice")
        secret, token = await AccessTokens(store).issue(alice.id, "deploys")
        bob = await Person.open(two.url)
        try:
            await bob.join("Bob")
            async with httpx.AsyncClient(timeout=10) as http:
                auth = {"Authorization": f"Bearer {secret}"}
                sent = await http.post(
                    f"{one.url}/api/v1/rooms/general/messages",
                    json={"text": "from process one"},
                    headers=auth,
                )
                assert sent.status_code == 201
                await bob.sees("from process one")
                read = await http.get(f"{two.url}/api/v1/rooms/general/messages", headers=auth)
                assert "from process one" in [m["text"] for m in read.json()["messages"]]

                assert await AccessTokens(store).revoke(alice.id, token.id)
                for process in (one, two):  # no process keeps a token it was once shown
                    refused = await http.get(f"{process.url}/api/v1/rooms", headers=auth)
                    assert refused.status_code == 401
        finally:
            await bob.close()
    finally:
        await store.close()
