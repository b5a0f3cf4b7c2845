"""The fan-out benchmark's floor (bench/floor.py): one frame per receiver per line, through the benchmark's own clients."""

from __future__ import annotations

import msgpack
import pytest
import websockets

from bench.apps import floor_server
from bench.fanout import fanout
from bench.floor import POLICY_VIOLATION, UNSUPPORTED_DATA, joined_frame
from bench.servers import ServerProcess
from bench.sessions import FloorSession, message_text


@pytest.fixture
def floor(tmp_path):
    server = floor_server(tmp_path).start()
    yield server
    server.stop()


async def test_every_receiver_gets_each_line_as_exactly_one_frame(floor: ServerProcess):
    result = await fanout(
        floor, 3, talkers=2, messages_each=4, compression="deflate", session_type=FloorSession
    )

    assert result["deliveries"] == result["deliveries_expected"] == 3 * 2 * 4
    assert (result["lost"], result["out_of_order"], result["unanswered_sends"]) == (0, 0, 0)
    # Every session saw all 8 lines, and received 8 frames in all while recording: one each.
    assert result["frames_per_session"] == 8


async def test_a_frame_carries_sequence_author_and_text(floor: ServerProcess):
    ws_url = floor.url.replace("http", "ws") + "/ws?name=Ada"
    async with websockets.connect(ws_url, compression="deflate", proxy=None) as socket:
        assert await socket.recv() == joined_frame("Ada")
        await socket.send(msgpack.packb(message_text(0, 0)))
        assert msgpack.unpackb(await socket.recv()) == {
            "seq": 1,
            "author": "Ada",
            "text": message_text(0, 0),
        }


async def test_a_frame_that_is_not_a_msgpack_string_is_refused_with_a_reason(floor: ServerProcess):
    ws_url = floor.url.replace("http", "ws") + "/ws?name=Ada"
    async with websockets.connect(ws_url, proxy=None) as socket:
        await socket.recv()
        await socket.send("plain text, not msgpack")
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await socket.recv()
    assert closed.value.rcvd.code == UNSUPPORTED_DATA
    assert "msgpack string" in closed.value.rcvd.reason


async def test_a_connection_without_a_name_is_told_how_to_join(floor: ServerProcess):
    async with websockets.connect(floor.url.replace("http", "ws") + "/ws", proxy=None) as socket:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await socket.recv()
    assert closed.value.rcvd.code == POLICY_VIOLATION
    assert "name=" in closed.value.rcvd.reason
