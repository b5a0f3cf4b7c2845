"""SIGTERM: stop accepting, settle bot replies in flight within the deadline, exit 0."""

import asyncio
import sqlite3
import time

from tests.app_process import AppProcess
from tests.confab_harness import Person


async def test_sigterm_with_a_reply_streaming(tmp_path, fake_openai):
    fake_openai.reply(" ".join(f"word{i}" for i in range(200)), words_per_second=20)
    server = AppProcess(
        tmp_path,
        {"OPENAI_BASE_URL": fake_openai.base_url, "CHAT_SHUTDOWN_DEADLINE": "1"},
    ).start()
    try:
        alice = await Person.open(server.url)
        await alice.join("Alice")
        await alice.say("@bot please write a long answer")
        await alice.client.wait_for(lambda: any("word3" in b for b in alice.bodies()), timeout=10)
        started = time.monotonic()
        code = await asyncio.to_thread(server.terminate, 20)
        took = time.monotonic() - started
    finally:
        server.kill()
    assert code == 0, server.log()
    assert took < 8, f"shutdown took {took:.1f}s"
    with sqlite3.connect(tmp_path / "confab.db") as db:
        status, text, meta = db.execute(
            "SELECT status, text, meta FROM messages WHERE kind = 'bot'"
        ).fetchone()
    assert status == "interrupted" and "word3" in text, (status, text)
    assert "server stopped" in meta
    assert "Traceback" not in server.log()
