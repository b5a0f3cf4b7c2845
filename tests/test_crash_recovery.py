"""kill -9 in the middle of a reply: the restarted room keeps what was written up to the last checkpoint."""

from __future__ import annotations

import asyncio
import sqlite3

from tests.app_process import AppProcess
from tests.bot_helpers import KEY
from tests.confab_harness import Person

WORDS = [f"word{i:03d}" for i in range(400)]
RATE = 10.0
"""Words a second the fake model streams: the whole answer would take 40 s."""


def answer_of(person: Person) -> str | None:
    return next((b for b in person.bodies() if b.startswith("word000")), None)


async def test_kill_9_mid_reply_keeps_the_text_up_to_the_last_checkpoint(tmp_path, fake_openai):
    fake_openai.reply(" ".join(WORDS), words_per_second=RATE)
    env = {
        "OPENAI_BASE_URL": fake_openai.base_url,
        "OPENAI_API_KEY": KEY,
        "CHAT_BOT_TOTAL_TIMEOUT": "120",
        # The restarted process settles replies left by a dead one after 1.5 presence TTLs.
        "CHAT_PRESENCE_TTL": "1.0",
    }
    first = AppProcess(tmp_path, env).start()
    try:
        alice = await Person.open(first.url)
        await alice.join("Alice")
        await alice.say("@bot please write a very long answer")
        # Let it write for a while: more than one checkpoint interval (2 s).
        await alice.client.wait_for(lambda: "word045" in (answer_of(alice) or ""), timeout=20)
        seen = answer_of(alice)
        first.process.kill()  # SIGKILL: no clean-up of any kind
        await asyncio.to_thread(first.process.wait)
        await alice.close()
    finally:
        first.kill()

    with sqlite3.connect(tmp_path / "confab.db") as db:
        status, saved = db.execute("SELECT status, text FROM messages WHERE kind = 'bot'").fetchone()
    assert status == "streaming"  # the process died before it could say anything more
    assert saved and seen.startswith(saved.rstrip()), (saved, seen)
    lost = len(seen.split()) - len(saved.split())
    # A checkpoint at least every 2 s at 10 words/s: at most ~20 words behind what was shown
    # (plus one coalesced update and a save's time on a busy machine).
    assert lost <= 2.0 * RATE + 8, (lost, saved, seen)

    second = AppProcess(tmp_path, env).start()
    try:
        bob = await Person.open(second.url)
        await bob.join("Bob")
        mark = "The server writing this stopped unexpectedly."
        await bob.client.wait_for(lambda: mark in bob.lines(), timeout=15)
        # The text up to the last checkpoint (as rendered: a trailing space does not show), interrupted.
        assert answer_of(bob) == saved.rstrip()
        await bob.close()
        assert "Traceback" not in second.log()
    finally:
        second.kill()
    with sqlite3.connect(tmp_path / "confab.db") as db:
        status, text, meta = db.execute("SELECT status, text, meta FROM messages WHERE kind = 'bot'").fetchone()
    assert (status, text) == ("interrupted", saved) and "stopped unexpectedly" in meta
