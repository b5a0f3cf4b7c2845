"""Limits follow people, not sessions: rejoining, renaming and flapping reset nothing."""

import asyncio
import time

import pytest

from chat.domain import MessageKind
from chat.presence_lines import PresenceLines
from tests.confab_harness import BrowserPrefs, Person, serve_confab


@pytest.fixture(scope="module")
def bot_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("bot")


async def chat_messages(served) -> list:
    return [m for m in await served.confab.service.history("general") if m.kind is MessageKind.CHAT]


async def rejoin_and_spam(url: str, rounds: int, per_round: int, prefs: BrowserPrefs | None) -> float:
    """Open a new tab `rounds` times, join under a new name and send `per_round` messages at once."""
    started = time.monotonic()
    for r in range(rounds):
        spammer = await Person.open(url, on_invoke=prefs or BrowserPrefs())
        if spammer.name_field is not None:
            await spammer.join(f"Spam{r}")
        for i in range(per_round):
            await spammer.say(f"spam {r}.{i}", wait=False)
        await asyncio.sleep(0.3)  # let the server take them before the tab goes
        await spammer.close()
    return time.monotonic() - started


async def test_rejoining_under_new_names_does_not_reset_the_send_limit(bot_dir, tmp_path):
    async with serve_confab(bot_dir, tmp_path, rate_per_second=1.0, rate_burst=5) as served:
        elapsed = await rejoin_and_spam(served.url, rounds=8, per_round=6, prefs=BrowserPrefs())
        await asyncio.sleep(0.5)
        posted = len(await chat_messages(served))
        # One browser, one bucket: 5 at once and 1 a second after that (today: 5 per rejoin, 40).
        assert posted <= 5 + 1.0 * elapsed + 1, (posted, elapsed)


async def test_a_fresh_identity_per_rejoin_still_meets_the_address_limit(bot_dir, tmp_path):
    limits = dict(rate_per_second=1.0, rate_burst=5, address_rate_per_second=2.0, address_rate_burst=10)
    async with serve_confab(bot_dir, tmp_path, **limits) as served:
        elapsed = await rejoin_and_spam(served.url, rounds=8, per_round=6, prefs=None)  # forgets its id each time
        await asyncio.sleep(0.5)
        posted = len(await chat_messages(served))
        assert posted <= 10 + 2.0 * elapsed + 1, (posted, elapsed)


async def test_ten_quick_reconnect_flaps_make_at_most_one_line_per_window(bot_dir, tmp_path, monkeypatch):
    import chat.ui.page

    monkeypatch.setattr(chat.ui.page, "LEAVE_GRACE_SECONDS", 0.2)  # each drop really leaves
    window = 3.0
    async with serve_confab(bot_dir, tmp_path, flap_window=window) as served:
        prefs = BrowserPrefs()
        watcher = await Person.open(served.url)
        await watcher.join("Watcher")
        flapper = await Person.open(served.url, on_invoke=prefs)
        await flapper.join("Flappy")
        for _ in range(10):  # drop, stay away long enough to leave, come back to the same session
            async def away():
                await asyncio.sleep(0.5)

            flapper = await flapper.blip(served.url, while_away=away)
            await flapper.client.wait_for(lambda: "You: Flappy" in flapper.lines(), timeout=5)
        await asyncio.sleep(window + 0.5)  # the last window closes
        lines = [
            m for m in await served.confab.service.history("general")
            if m.kind is MessageKind.SYSTEM and m.text.startswith("Flappy")
        ]
        await watcher.close()
        await flapper.close()
    gaps = [(b.created_at - a.created_at).total_seconds() for a, b in zip(lines, lines[1:])]
    assert all(gap >= window - 0.1 for gap in gaps), [(m.text, str(m.created_at.time())) for m in lines]
    assert lines[0].text == "Flappy joined"
    assert len(lines) % 2 == 1, [m.text for m in lines]  # ends in "joined": the truth, Flappy is here


async def test_presence_lines_sum_up_a_window_and_end_in_the_truth():
    posted = []

    async def post(text):
        posted.append(text)

    lines = PresenceLines(window=0.3, lines_per_address=10, post=post)
    await lines.joined("p1", "1.2.3.4", "Ann")
    await lines.left("p1", "Ann")
    await lines.joined("p1", "1.2.3.4", "Ann")
    await lines.left("p1", "Ann")  # away at the end of the window
    assert posted == ["Ann joined"]
    await asyncio.sleep(0.4)
    assert posted == ["Ann joined", "Ann left"]
    await lines.joined("p1", "1.2.3.4", "Anna")  # back under another name, within the next window
    await lines.left("p1", "Anna")
    await asyncio.sleep(0.4)
    assert posted == ["Ann joined", "Ann left"]  # nothing changed as far as the room knows
    await lines.joined("p2", "1.2.3.4", "Bo")
    await lines.joined("p3", "5.6.7.8", "Cy")
    assert posted[-2:] == ["Bo joined", "Cy joined"]  # other people are not held back


async def test_one_address_causes_a_bounded_number_of_lines():
    posted = []

    async def post(text):
        posted.append(text)

    lines = PresenceLines(window=10.0, lines_per_address=3, post=post)
    for i in range(8):  # a new "person" each time, all from one address
        await lines.joined(f"fake{i}", "6.6.6.6", f"Fake{i}")
    assert len(posted) == 3
    assert lines.pending() == 5  # posted later, as the address's allowance refills
    lines.close()


async def test_people_who_left_are_forgotten_once_their_window_has_passed():
    async def post(text):
        pass

    lines = PresenceLines(window=0.05, lines_per_address=10_000, post=post)
    for i in range(500):
        await lines.joined(f"p{i}", f"10.0.{i // 250}.{i % 250}", f"N{i}")
        await lines.left(f"p{i}", f"N{i}")
        await asyncio.sleep(0.001)  # the window's timers get their turn
    await asyncio.sleep(0.2)
    await lines.joined("last", "10.9.9.9", "Last")
    assert len(lines._people) < 200
    lines.close()
