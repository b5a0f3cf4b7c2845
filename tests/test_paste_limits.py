"""A paste too big for one WebSocket frame: the field stops it short, or the tab is told why."""

from __future__ import annotations

import asyncio

import pytest

from tests.confab_harness import Person, serve_confab
from tests.flet_client import FletClient


@pytest.fixture(scope="module")
def bot_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("bot")


async def _closed(client: FletClient) -> None:
    for _ in range(100):  # the client reads what came before the close
        if client.closed:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the socket was not closed")


async def test_the_composer_holds_no_more_than_a_message_may_have(bot_dir, tmp_path):
    # The browser cuts a paste at the field's max_length (and the field says so), so a
    # long paste never becomes a frame the guard closes the socket for.
    async with serve_confab(bot_dir, tmp_path, max_message_chars=500) as served:
        ann = await Person.open(served.url)
        await ann.join("Ann")
        assert ann.composer["max_length"] == 500
        assert ann.composer.get("counter") == ""  # Flutter's "0/500" would show for None
        # The browser stopped a paste at 500 characters: the field says so, and stops saying
        # it once there is room again.
        await ann.client.set_value(ann.composer, "x" * 500)
        await ann.client.send_event(ann.composer, "change", "x" * 500)
        said = await ann.client.wait_for(lambda: ann.composer.get("counter"))
        assert said == "Cut at 500 characters. Send longer text as a file."
        await ann.client.send_event(ann.composer, "change", "x" * 499)
        await ann.client.wait_for(lambda: ann.composer.get("counter") == "")
        await ann.client.send_event(ann.composer, "change", "y" * 500)
        await ann.client.wait_for(lambda: ann.composer.get("counter"))
        await ann.client.send_event(ann.composer, "submit", None)  # Enter: sent, the field emptied
        await ann.sees("y" * 500)
        await ann.client.wait_for(lambda: not ann.composer.get("value"))
        await ann.client.wait_for(lambda: ann.composer.get("counter") == "")
        await ann.close()


async def _paste_a_big_picture(served) -> tuple[Person, str]:
    ann = await Person.open(served.url)
    await ann.join("Ann")
    await ann.say("before the paste")
    await ann.client.wait_for(lambda: ann.client.invokes_answered >= 5)
    # What Flet's web client sends for a pasted picture of 1.5 MB: one event frame.
    await ann.client.send_event(ann.composer, "paste_files", b"\x89PNG" + bytes(1_500_000))
    await _closed(ann.client)
    ws = ann.client._ws
    assert ws.close_code == 1009, (ws.close_code, ws.close_reason)
    return ann, ann.client.session_id


async def _told_when_back(served, session_id: str) -> None:
    """The web client reconnects to the same session at once: the room says why, nothing is lost."""
    back = Person(await FletClient.connect(served.url, session_id=session_id))
    notice = await back.client.wait_for(lambda: back.composer.get("error"))
    assert "1.5 MB" in notice and "more than the server takes" in notice, notice
    assert "before the paste" in back.bodies()
    await back.say("after the paste")
    await back.client.wait_for(lambda: not back.composer.get("error"))  # said until they send
    await back.close()
    guard = served.app.state.socket_guard
    assert guard.closed["too_big"] == 1 and guard.closed["flood"] == 0
    assert guard.cooldowns.remaining("127.0.0.1") == 0  # an honest mistake: no pause


async def test_a_picture_over_the_frame_limit_is_refused_by_uvicorn_and_the_tab_told_when_back(
    bot_dir, tmp_path
):
    # As `python main.py` runs: uvicorn's ws_max_size closes the socket (1009) before the
    # guard sees the frame, so the web client is told nothing then; the page says it once back.
    async with serve_confab(bot_dir, tmp_path) as served:
        _, session_id = await _paste_a_big_picture(served)
        await _told_when_back(served, session_id)


async def test_a_frame_over_the_limit_that_reaches_the_guard_is_told_why_at_once(bot_dir, tmp_path):
    # Behind a server that reads bigger frames, the guard refuses it and says why before closing.
    async with serve_confab(bot_dir, tmp_path, ws_max_size=16 << 20) as served:
        ann, session_id = await _paste_a_big_picture(served)
        shown = ann.client.crash_message
        assert shown is not None, "the tab was closed without a word"
        assert "1.5 MB" in shown and "Attach" in shown, shown
        await _told_when_back(served, session_id)
