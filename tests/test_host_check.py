"""DNS rebinding: a running server answers only requests that name one of its own hosts.

A rebinding page's requests reach the server over loopback like anyone's, but
carry the page's own name in Host. The requests here are written by hand on a
plain TCP socket, so the Host header is exactly what an attacker's browser
would send; no DNS server is needed for that.
"""

from __future__ import annotations

import asyncio
import base64
import os
from urllib.parse import urlsplit

import pytest

from chat.config import Settings, SettingsError
from chat.http.hosts import allowed_hosts
from tests.confab_harness import serve_confab

ATTACKER = "attacker.example"


async def raw_request(url: str, host: str, path: str = "/", upgrade: bool = False) -> tuple[int, bytes]:
    """Send one GET (a WebSocket upgrade if `upgrade`) with this Host header; the status and what followed."""
    where = urlsplit(url)
    reader, writer = await asyncio.open_connection(where.hostname, where.port)
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}", "User-Agent: rebinding-test"]
    if upgrade:
        key = base64.b64encode(os.urandom(16)).decode()
        lines += ["Upgrade: websocket", "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
    else:
        lines.append("Connection: close")
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    await writer.drain()
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
        status = int(head.split(b" ", 2)[1])
        rest = b""
        if status != 101:  # a refusal is a whole response: read its body
            length = next(
                (int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")),
                None,
            )
            rest = await asyncio.wait_for(reader.readexactly(length) if length is not None else reader.read(), 30)
        return status, head + rest
    finally:
        writer.close()


@pytest.fixture(scope="module")
def bot_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("bot")


async def test_a_foreign_host_is_refused_and_loopback_names_are_served(bot_dir, tmp_path):
    async with serve_confab(bot_dir, tmp_path) as served:
        port = urlsplit(served.url).port
        for path in ("/", "/healthz", "/api/stats"):
            status, answer = await raw_request(served.url, f"{ATTACKER}:{port}", path)
            assert status == 400, (path, answer[:300])
            assert answer.endswith(b"Invalid host header"), answer[-200:]
            assert b"text/plain" in answer
        status, answer = await raw_request(served.url, f"{ATTACKER}:{port}", "/ws", upgrade=True)
        assert status == 400, answer[:300]  # the WebSocket upgrade is refused before Flet sees it
        assert answer.endswith(b"Invalid host header")
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}", "[::1]", "localhost"):
            status, answer = await raw_request(served.url, host, "/healthz")
            assert status == 200, (host, answer[:300])
            status, answer = await raw_request(served.url, host, "/ws", upgrade=True)
            assert status == 101, (host, answer[:300])
        # Names that merely contain or end in an allowed one are someone else's.
        for host in ("localhost.attacker.example", "127.0.0.1.nip.io", "evil-localhost"):
            status, _ = await raw_request(served.url, host, "/")
            assert status == 400, host


async def test_the_admin_names_the_hosts(bot_dir, tmp_path):
    async with serve_confab(bot_dir, tmp_path, allowed_hosts="chat.example.org, *.intranet.example") as served:
        for host, status in (
            ("chat.example.org", 200),
            ("room.intranet.example", 200),
            ("localhost", 400),  # named hosts replace the loopback default
            (ATTACKER, 400),
        ):
            assert (await raw_request(served.url, host, "/healthz"))[0] == status, host
            assert (await raw_request(served.url, host, "/ws", upgrade=True))[0] == (101 if status == 200 else 400), host
    async with serve_confab(bot_dir, tmp_path, allowed_hosts="*") as served:
        assert (await raw_request(served.url, ATTACKER, "/healthz"))[0] == 200  # only when said so


def test_the_default_is_loopback_names_and_the_bound_address():
    assert allowed_hosts("", "127.0.0.1") == ["localhost", "127.0.0.1", "[::1]"]
    assert allowed_hosts("", "0.0.0.0") == ["localhost", "127.0.0.1", "[::1]"]  # never "anything"
    assert allowed_hosts("", "192.0.2.7") == ["localhost", "127.0.0.1", "[::1]", "192.0.2.7"]
    assert allowed_hosts("", "fd00::7") == ["localhost", "127.0.0.1", "[::1]", "[fd00::7]"]
    assert allowed_hosts("Chat.Example.org, ::1", "127.0.0.1") == ["chat.example.org", "[::1]"]


@pytest.mark.parametrize("value", ["a*.example", "example.org:8550", "*.", "two words", "x;y"])
def test_a_host_list_starlette_would_misread_is_refused_with_words(value):
    with pytest.raises(SettingsError, match="CHAT_ALLOWED_HOSTS"):
        Settings.from_env({"CHAT_ALLOWED_HOSTS": value}, env_file=None)
