"""Moderation across two real server processes on one PostgreSQL and one Redis.

The moderator's tab is on one process, the person it touches on the other:
every action has to cross the bus (or be read from the shared store) to take
effect there at once.
"""

from __future__ import annotations

import pytest

from tests.confab_harness import BrowserPrefs
from tests.test_scale_out import Tab, cluster  # noqa: F401  (the two-process fixture)

pytestmark = pytest.mark.asyncio

TOMBSTONE = "message deleted by a moderator"


async def refused(tab: Tab, text: str, words: str) -> None:
    await tab.client.submit(tab.composer, text)
    await tab.client.wait_for(lambda: words in (tab.composer.get("error") or ""), timeout=10)


async def command(tab: Tab, text: str) -> None:
    await tab.client.submit(tab.composer, text)
    await tab.client.wait_for(lambda: not tab.composer.get("value"), timeout=10)


async def test_moderation_takes_effect_at_once_on_the_other_process(cluster):  # noqa: F811
    first, second = await cluster.start(2)
    ann = await Tab.open(first.url, on_invoke=BrowserPrefs())
    await ann.join("Ann")  # the first person: an admin
    bob_prefs = BrowserPrefs()
    bob = await Tab.open(second.url, on_invoke=bob_prefs)
    await bob.join("Bob")

    # Delete: Bob's tab on the other process shows the tombstone.
    await bob.post(bob.composer["_i"], "rude zq1k1qz")
    await ann.client.wait_for(lambda: "rude zq1k1qz" in ann.bodies(), timeout=10)
    (toggle,) = [
        item
        for item in ann.client.find("PopupMenuItem")
        if item.get("content") == "Show or hide Delete on messages"
    ]
    await ann.client.click(toggle)
    delete = await ann.client.wait_for(
        lambda: ann.client.find("TextButton", content="Delete"), timeout=10
    )
    await ann.client.click(delete[-1])
    await bob.client.wait_for(lambda: TOMBSTONE in bob.lines(), timeout=10)
    assert "rude zq1k1qz" not in bob.bodies()

    # Lock and mute: Bob's composer says so, and his posts are refused.
    await command(ann, "/lock")
    await bob.client.wait_for(lambda: "locked" in (bob.composer.get("helper") or ""), timeout=10)
    await refused(bob, "hello? zq1k2qz", "locked by a moderator")
    await command(ann, "/unlock")
    await bob.client.wait_for(lambda: not bob.composer.get("helper"), timeout=10)
    await command(ann, "/mute Bob 1h")
    await bob.client.wait_for(
        lambda: "muted you here" in (bob.composer.get("helper") or ""), timeout=10
    )
    await refused(bob, "but zq1k3qz", "muted you in this room until")
    await command(ann, "/unmute Bob")
    await bob.client.wait_for(lambda: not bob.composer.get("helper"), timeout=10)

    # Ban: Bob's live tab on the other process is cut off at once.
    await command(ann, "/ban Bob")
    await bob.client.wait_for(lambda: "You were banned" in bob.lines(), timeout=10)
    assert bob.composer.get("disabled") is True
    again = await Tab.open(second.url, on_invoke=bob_prefs)  # his reload: signed out
    assert again.name_field is not None
    for tab in (ann, bob, again):
        assert tab.client.errors == []
        await tab.close()
