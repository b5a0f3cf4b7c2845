"""A catch-up across two real server processes on one PostgreSQL and one Redis: the bot of
the asking tab's process writes it once, and it shows in the asker's tabs on both processes,
never in another person's."""

from __future__ import annotations

import asyncio

import pytest

from chat.ui.catch_up_panel import TITLE
from tests.confab_harness import BrowserPrefs
from tests.fake_openai import FakeOpenAI
from tests.test_reads_scale_out import WAIT, shows
from tests.test_scale_out import Tab, cluster  # noqa: F401  (the two-process fixture)

pytestmark = pytest.mark.asyncio


def citations(tab) -> list[dict]:
    return tab.client.find("TextButton", tooltip=lambda t: (t or "").startswith("Citation"))


async def test_a_catch_up_shows_in_the_askers_tabs_on_every_process_only(
    cluster,  # noqa: F811
    fake_openai: FakeOpenAI,
):
    first, second = await cluster.start(2)
    prefs = BrowserPrefs()  # one browser: the same person on both processes
    ann = await Tab.open(first.url, on_invoke=prefs)
    await ann.join("Ann")
    ann_too = await Tab.open(second.url, on_invoke=prefs)
    await shows(ann_too, "general")
    bob = await Tab.open(second.url, on_invoke=BrowserPrefs())
    await bob.join("Bob")
    await bob.post(bob.composer["_i"], "The kiln firing moved to Thursday zq7k1qz")
    await bob.post(bob.composer["_i"], "Glaze samples arrive on Monday zq7k2qz")
    await ann.client.wait_for(lambda: any("zq7k2qz" in b for b in ann.bodies()), timeout=WAIT)

    fake_openai.reply("- The kiln moved to Thursday [1], glaze on Monday [2]")
    await ann.client.submit(ann.composer, "@bot /catchup")
    for tab in (ann, ann_too):
        await tab.client.wait_for(lambda tab=tab: len(citations(tab)) == 2, timeout=WAIT)
        assert TITLE in tab.lines()
        assert "The kiln moved to Thursday, glaze on Monday" in tab.bodies()
    await asyncio.sleep(1.0)
    assert len(fake_openai.chat_requests) == 1  # written once, by the asking tab's process
    assert TITLE not in bob.lines() and citations(bob) == []
    for tab in (ann, ann_too, bob):
        assert tab.client.errors == []
        await tab.close()
