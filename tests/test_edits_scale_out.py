"""Edits and own deletions across two real server processes on one PostgreSQL and one Redis.

The author's tab is on one process, the reader's on the other: the edit and
the tombstone cross the bus as MessageChanged, and a reload on the other
process reads them from the shared store.
"""

from __future__ import annotations

import pytest

from tests.confab_harness import BrowserPrefs
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
