"""Edits and own deletions across two real server processes on one PostgreSQL and one Redis.

The author's tab is on one process, the reader's on the other: the edit and
the tombstone cross the bus as MessageChanged, and a reload on the other
process reads them from the shared store.
"""

from __future__ import annotations

import pytest

from tests.confab_harness import BrowserPrefs
from tests.servers import fetch_sql
from tests.test_scale_out import Tab, cluster  # noqa: F401  (the two-process fixture)

pytestmark = pytest.mark.asyncio


def own_item(tab: Tab, text: str) -> dict:
    return [i for i in tab.client.find("PopupMenuItem") if i.get("content") == text][-1]


async def test_an_edit_and_a_deletion_reach_the_other_process_live_and_after_a_reload(cluster):  # noqa: F811
    first, second = await cluster.start(2)
    ann = await Tab.open(first.url, on_invoke=BrowserPrefs())
    await ann.join("Ann")
    bob = await Tab.open(second.url, on_invoke=BrowserPrefs())
    await bob.join("Bob")

    await ann.post(ann.composer["_i"], "meet at gate zq5k1qz")
    await bob.client.wait_for(lambda: "meet at gate zq5k1qz" in bob.bodies(), timeout=10)
    await ann.client.wait_for(lambda: ann.client.find("PopupMenuItem", content="Edit"), timeout=10)
    await ann.client.click(own_item(ann, "Edit"))
    field = await ann.client.wait_for(
        lambda: ann.client.find_one("TextField", label="Edit your message"), timeout=10
    )
    await ann.client.submit(field, "meet at gate zq5k2qz")
    await bob.client.wait_for(lambda: "meet at gate zq5k2qz" in bob.bodies(), timeout=10)
    assert "meet at gate zq5k1qz" not in bob.bodies() and "(edited)" in bob.lines()

    await ann.post(ann.composer["_i"], "ignore this zq5k3qz")
    await bob.client.wait_for(lambda: "ignore this zq5k3qz" in bob.bodies(), timeout=10)
    await ann.client.click(own_item(ann, "Delete"))
    confirm = await ann.client.wait_for(
        lambda: ann.client.find_one("Button", content="Delete"), timeout=10
    )
    await ann.client.click(confirm)
    await bob.client.wait_for(lambda: "message deleted" in bob.lines(), timeout=10)
    assert "ignore this zq5k3qz" not in bob.bodies()

    cleo = await Tab.open(second.url, on_invoke=BrowserPrefs())  # a reload on the other process
    await cleo.join("Cleo")
    await cleo.client.wait_for(lambda: "meet at gate zq5k2qz" in cleo.bodies(), timeout=10)
    assert "(edited)" in cleo.lines() and "message deleted" in cleo.lines()
    assert "ignore this zq5k3qz" not in cleo.bodies()
    assert "meet at gate zq5k1qz" not in cleo.bodies()
    for tab in (ann, bob, cleo):
        assert tab.client.errors == []
        await tab.close()


async def test_a_regenerated_reply_is_written_once_and_seen_on_the_other_process(
    cluster,  # noqa: F811
    fake_openai,
):
    fake_openai.reply("first take zq6k1qz")
    first, second = await cluster.start(2)
    ann = await Tab.open(first.url, on_invoke=BrowserPrefs())
    await ann.join("Ann")
    bob = await Tab.open(second.url, on_invoke=BrowserPrefs())
    await bob.join("Bob")
    await ann.say("@bot give it a go")
    await bob.client.wait_for(lambda: "first take zq6k1qz" in bob.bodies(), timeout=20)
    button = await ann.client.wait_for(
        lambda: ann.client.find("TextButton", content="Regenerate"), timeout=10
    )
    assert bob.client.find("TextButton", content="Regenerate") == []  # only who asked
    fake_openai.reply("second take zq6k2qz")
    await ann.client.click(button[-1])
    await bob.client.wait_for(
        lambda: "second take zq6k2qz" in bob.bodies() and "writing…" not in bob.lines(),
        timeout=20,
    )
    assert "first take zq6k1qz" not in bob.bodies() and "(regenerated)" in bob.lines()
    rows = await fetch_sql(
        cluster.database_url, "SELECT id, text, status FROM messages WHERE kind = 'bot'"
    )
    assert [(r["text"], r["status"]) for r in rows] == [("second take zq6k2qz", "done")]
    versions = await fetch_sql(
        cluster.database_url, "SELECT message_id, text FROM message_versions"
    )
    assert [(v["message_id"], v["text"]) for v in versions] == [
        (rows[0]["id"], "first take zq6k1qz")
    ]
    assert len(fake_openai.chat_requests) == 2  # one process wrote it again, once
    for tab in (ann, bob):
        assert tab.client.errors == []
        await tab.close()
