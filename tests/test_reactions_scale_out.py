"""Reactions across two real server processes on one PostgreSQL and one Redis.

Ann's tab is on one process, Bob's and Cleo's on the other: each reaction
crosses the bus as the message's whole summary, and a reload on either
process reads it from the shared store.
"""

from __future__ import annotations

import pytest

from tests.confab_harness import BrowserPrefs
from tests.test_reactions_integration import chip, react_with_picker, shows
from tests.test_scale_out import Tab, cluster  # noqa: F401  (the two-process fixture)

pytestmark = pytest.mark.asyncio


async def test_reactions_cross_to_the_other_process_and_back(cluster):  # noqa: F811
    first, second = await cluster.start(2)
    ann = await Tab.open(first.url, on_invoke=BrowserPrefs())
    await ann.join("Ann")
    bob = await Tab.open(second.url, on_invoke=BrowserPrefs())
    await bob.join("Bob")
    cleo = await Tab.open(second.url, on_invoke=BrowserPrefs())  # only reads: a shared view
    await cleo.join("Cleo")
    await bob.post(bob.composer["_i"], "react here zq7k1qz")
    for tab in (ann, cleo):
        await tab.client.wait_for(lambda t=tab: "react here zq7k1qz" in t.bodies(), timeout=10)

    await react_with_picker(ann, "face with tears of joy")  # on the first process
    for tab in (ann, bob, cleo):
        await shows(tab, ["😂 1"])
    assert chip(bob, "😂")["tooltip"] == "Ann reacted with face with tears of joy"

    await bob.client.click(chip(bob, "😂"))  # on the second process
    for tab in (ann, bob, cleo):
        await shows(tab, ["😂 2"])
    assert chip(ann, "😂")["tooltip"] == "Bob and you reacted with face with tears of joy"

    await ann.client.click(chip(ann, "😂"))  # taken back, across the bus again
    for tab in (ann, bob, cleo):
        await shows(tab, ["😂 1"])

    for url in (first.url, second.url):  # a reload on either process reads the store
        later = await Tab.open(url, on_invoke=BrowserPrefs())
        await later.join(f"Dee{url[-2:]}")
        await shows(later, ["😂 1"])
        assert chip(later, "😂")["tooltip"] == "Bob reacted with face with tears of joy"
        await later.close()
    for tab in (ann, bob, cleo):
        assert tab.client.errors == []
        await tab.close()
