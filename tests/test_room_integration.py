"""The room through headless sessions speaking Flet's real WebSocket protocol."""

import asyncio
import time

import httpx
import pytest

from tests.confab_harness import BrowserPrefs, Person, serve_confab


@pytest.fixture(scope="module")
def bot_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("bot")  # the offline brain trains once per module


async def test_three_people_see_everything_in_order(bot_dir, tmp_path):
    async with serve_confab(bot_dir, tmp_path) as served:
        people = [await Person.open(served.url) for _ in range(3)]
        for person, name in zip(people, ["Ann", "Ben", "Cy"]):
            await person.join(name)
        for round_ in range(2):
            for person, name in zip(people, ["Ann", "Ben", "Cy"]):
                await person.say(f"{name} says {round_}")
        expected = [f"{n} says {r}" for r in range(2) for n in ["Ann", "Ben", "Cy"]]
        for person in people:
            await person.client.wait_for(lambda p=person: p.bodies() == expected, timeout=5)
            assert "Online · 4" in person.online()  # three people and the bot
        for person in people:
            await person.close()


async def test_a_message_reaches_other_tabs_fast(bot_dir, tmp_path):
    async with serve_confab(bot_dir, tmp_path) as served:
        alice, bob = await Person.open(served.url), await Person.open(served.url)
        await alice.join("Alice")
        await bob.join("Bob")
        delays = []
        for i in range(10):
            started = time.perf_counter()
            await alice.say(f"ping {i}", wait=False)
            delays.append(await bob.sees(f"ping {i}") - started)
        assert sorted(delays)[len(delays) // 2] < 0.2, delays
        await alice.close()
        await bob.close()


@pytest.mark.parametrize(
    "name, reason",
    [("   ", "enter a name"), ("x" * 33, "too long"), ("B\x00b", "control"), ("BOT", "reserved"), ("alice", "belongs to someone else")],
)
async def test_bad_names_are_refused_in_the_dialog(bot_dir, tmp_path, name, reason):
    async with serve_confab(bot_dir, tmp_path) as served:
        alice = await Person.open(served.url)
        await alice.join("Alice")
        other = await Person.open(served.url)
        await other.join(name, expect_ok=False)
        assert reason in await other.name_error()
        assert other.composer["disabled"] is True
        await other.join("Someone Else")  # the dialog still works after a refusal
        await alice.close()
        await other.close()


async def test_oversized_message_is_refused_and_kept(bot_dir, tmp_path):
    async with serve_confab(bot_dir, tmp_path) as served:
        alice = await Person.open(served.url)
        await alice.join("Alice")
        text = "y" * 4001
        await alice.say(text, wait=False)
        error = await alice.client.wait_for(lambda: alice.composer.get("error"), timeout=5)
        assert "limit is 4,000" in error
        assert alice.composer["value"] == text  # nothing lost
        assert await served.confab.store.count_messages() == 1  # only "Alice joined"
        await alice.say("   ", wait=False)
        await asyncio.sleep(0.2)
        assert await served.confab.store.count_messages() == 1


async def test_presence_follows_connections(bot_dir, tmp_path):
    async with serve_confab(bot_dir, tmp_path) as served:
        bobs_browser = BrowserPrefs()
        alice, bob = await Person.open(served.url), await Person.open(served.url, on_invoke=bobs_browser)
        await alice.join("Alice")
        await bob.join("Bob")
        await alice.client.wait_for(lambda: alice.online() == "Online · 3")
        closed_at = time.monotonic()
        await bob.close()
        await alice.client.wait_for(lambda: alice.online() == "Online · 2", timeout=10)
        assert time.monotonic() - closed_at < 10
        await alice.client.wait_for(lambda: "Bob left" in " ".join(alice.lines()))
        impostor = await Person.open(served.url)
        await impostor.join("bob", expect_ok=False)  # offline, Bob still owns his name
        assert "belongs to someone else" in await impostor.name_error()
        again = await Person.open(served.url, on_invoke=bobs_browser)  # Bob's own browser is let in
        await again.client.wait_for(lambda: again.composer.get("disabled") is False)
        await alice.client.wait_for(lambda: alice.online() == "Online · 3")
        for person in (alice, impostor, again):
            await person.close()


async def test_history_pages_back_and_survives_a_restart(bot_dir, tmp_path):
    # 130 posts in a row: a burst above the harness's flood limit once the server is quick.
    async with serve_confab(bot_dir, tmp_path, history_page=100, rate_burst=1000) as served:
        writer = await Person.open(served.url)
        await writer.join("Writer")
        for i in range(130):
            await served.confab.service.post_message("general", "direct", "Writer", f"note {i}")
        await writer.close()
    async with serve_confab(bot_dir, tmp_path, history_page=100) as served:  # a restart
        reader = await Person.open(served.url)
        await reader.join("Reader")
        await reader.client.wait_for(lambda: "note 129" in reader.bodies())
        shown = reader.bodies()
        notes = [f"note {i}" for i in range(130)]
        # The newest 100 messages; a "Writer left" line may be one of them.
        assert len(shown) in (99, 100) and shown == notes[-len(shown):]
        more = reader.client.find_one("TextButton", content="Load earlier messages")
        assert more is not None and more.get("visible") is not False
        await reader.client.click(more)
        await reader.client.wait_for(lambda: "note 0" in reader.bodies())
        assert reader.bodies() == [f"note {i}" for i in range(130)]
        await reader.close()


async def test_healthz_and_stats(bot_dir, tmp_path):
    async with serve_confab(bot_dir, tmp_path) as served:
        alice = await Person.open(served.url)
        await alice.join("Alice")
        async with httpx.AsyncClient(base_url=served.url) as http:
            health = await http.get("/healthz")
            assert health.status_code == 200 and health.text.startswith("ok")
            stats = (await http.get("/api/stats")).json()
            assert stats["online"] == 2 and stats["sessions"] >= 1 and stats["messages"] == 1
            await served.confab.store.close()  # the database goes away
            down = await http.get("/healthz")
            assert down.status_code == 503 and "store: down" in down.text
            await served.confab.store.open()
        await alice.close()


async def test_a_returning_browser_gets_its_name_and_draft_back(bot_dir, tmp_path):
    prefs = BrowserPrefs()
    async with serve_confab(bot_dir, tmp_path) as served:
        dana = await Person.open(served.url, on_invoke=prefs)
        await dana.join("Dana")
        await dana.say("first words")
        await dana.client.set_value(dana.composer, "half a tho")
        await dana.client.send_event(dana.composer, "change", "half a tho")
        await asyncio.sleep(1.2)  # the draft is saved once typing pauses
        assert prefs.values.pop("confab.browser")  # the browser's id, which its limits follow
        assert prefs.values.pop("confab.outage")  # the conversation, shown during an outage
        kept = dict(prefs.values)
        assert len(kept.pop("confab.device")) >= 40  # the secret that makes this browser Dana
        assert kept == {"confab.name": "Dana", "confab.draft": "half a tho"}
        await dana.close()
    async with serve_confab(bot_dir, tmp_path) as served:  # the server restarted
        again = await Person.open(served.url, on_invoke=prefs)
        await again.client.wait_for(lambda: again.composer.get("disabled") is False)
        await again.client.wait_for(lambda: again.composer.get("value") == "half a tho")
        assert "You: Dana" in again.lines()
        assert again.bodies().count("first words") == 1
        await again.say("half a thought, finished")
        await asyncio.sleep(0.1)
        assert "confab.draft" not in prefs.values
        await again.close()


async def test_flood_control_tells_the_sender_and_keeps_the_text(bot_dir, tmp_path):
    async with serve_confab(bot_dir, tmp_path, rate_per_second=1.0, rate_burst=5) as served:
        alice = await Person.open(served.url)
        await alice.join("Alice")
        for i in range(5):
            await alice.say(f"burst {i}")
        await alice.say("one too many", wait=False)
        error = await alice.client.wait_for(lambda: alice.composer.get("error"), timeout=5)
        assert "Slow down" in error and alice.composer["value"] == "one too many"
        await asyncio.sleep(1.1)  # a token is back
        await alice.say("one too many")
        await alice.close()


async def test_a_double_submit_stores_one_message(bot_dir, tmp_path):
    async with serve_confab(bot_dir, tmp_path) as served:
        alice = await Person.open(served.url)
        await alice.join("Alice")
        composer = alice.composer
        await alice.client.set_value(composer, "only once")
        await alice.client.send_event(composer, "submit", "only once")
        await alice.client.send_event(composer, "submit", "only once")
        await alice.sees("only once")
        await asyncio.sleep(0.3)
        history = await served.confab.service.history("general")
        assert [m.text for m in history].count("only once") == 1
        assert alice.bodies().count("only once") == 1
        await alice.close()


async def test_sessions_per_address_are_limited(bot_dir, tmp_path):
    async with serve_confab(bot_dir, tmp_path, max_sessions_per_ip=2) as served:
        first, second = await Person.open(served.url), await Person.open(served.url)
        from tests.flet_client import FletClient

        third = await FletClient.connect(served.url)
        await third.wait_for(lambda: any("Too many open sessions" in t for t in third.texts()))
        await third.close()
        await first.close()
        async with httpx.AsyncClient(base_url=served.url) as http:
            for _ in range(50):  # the closed tab stops counting
                if (await http.get("/api/stats")).json()["sessions"] == 1:
                    break
                await asyncio.sleep(0.05)
        fourth = await Person.open(served.url)  # a place is free again
        await fourth.close()
        await second.close()


async def test_a_network_blip_replays_what_was_missed_once(bot_dir, tmp_path):
    async with serve_confab(bot_dir, tmp_path) as served:
        alice, bob = await Person.open(served.url), await Person.open(served.url)
        await alice.join("Alice")
        await bob.join("Bob")
        await bob.say("before the blip")
        await bob.client.set_value(bob.composer, "typed while offline")

        async def alice_talks():
            for i in range(3):
                await alice.say(f"missed {i}")

        back = await bob.blip(served.url, while_away=alice_talks)
        await back.client.wait_for(lambda: "missed 2" in back.bodies())
        bodies = back.bodies()
        assert bodies == ["before the blip", "missed 0", "missed 1", "missed 2"]
        assert back.composer["value"] == "typed while offline"
        await back.say("and I am back")
        await alice.sees("and I am back")
        assert alice.online() == "Online · 3"  # a quick return is not a leave and a rejoin
        assert "Bob left" not in " ".join(alice.lines())
        await alice.close()
        await back.close()
