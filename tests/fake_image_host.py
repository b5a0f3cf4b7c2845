"""An https server on loopback that hosts pictures the way an image server's URLs point at them.

Its certificate comes from a throw-away CA (trustme); a client that trusts
`ca_context()` can fetch from it. Paths:
  /tiny.png       the fake model's 1x1 PNG
  /big.png        `big_size` bytes, streamed without a Content-Length (see `bodies`)
  /declared.png   a Content-Length of 50 MB (nothing more is sent unless read)
  /slow.png       headers, then nothing until the server closes
  /redirect.png   302 to an http:// address
"""

from __future__ import annotations

import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

import pytest
import trustme

from tests.fake_openai import BodyRecord, tiny_png


class FakeImageHost:
    """The https server; `requests` lists the paths asked for, in order."""

    def __init__(self, big_size: int = 50_000_000) -> None:
        self.big_size = big_size
        self.png = tiny_png()
        self.requests: list[str] = []
        self.bodies: list[BodyRecord] = []
        self.stopping = threading.Event()
        self._ca = trustme.CA()
        cert = self._ca.issue_cert("127.0.0.1", "localhost")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cert.configure_cert(context)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._httpd.daemon_threads = True
        self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    def url(self, path: str) -> str:
        return f"https://127.0.0.1:{self.port}{path}"

    def ca_context(self) -> ssl.SSLContext:
        """A client context that trusts this server's certificate (and nothing else)."""
        context = ssl.create_default_context()
        self._ca.configure_trust(context)
        return context

    def close(self) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


def _make_handler(host: FakeImageHost) -> type[BaseHTTPRequestHandler]:
    class Handler(_Handler):
        served = host

    return Handler


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30
    served: FakeImageHost

    def log_message(self, format: str, *args: object) -> None:
        """Quiet; tests read `requests`."""

    def do_GET(self) -> None:
        self.served.requests.append(self.path)
        routes = {
            "/tiny.png": self._tiny,
            "/big.png": self._big,
            "/declared.png": self._declared,
            "/slow.png": self._slow,
            "/redirect.png": self._redirect,
        }
        routes.get(self.path, self._missing)()

    def _tiny(self) -> None:
        self._headers(200, {"Content-Type": "image/png", "Content-Length": str(len(self.served.png))})
        self.wfile.write(self.served.png)

    def _big(self) -> None:
        record = BodyRecord(size=self.served.big_size)
        self.served.bodies.append(record)
        self._headers(200, {"Content-Type": "image/png", "Connection": "close"})
        self.close_connection = True
        block = b"\x89PNG\r\n\x1a\n" + b"\0" * 65528
        try:
            while record.sent < record.size and not self.served.stopping.is_set():
                self.wfile.write(block)
                record.sent += len(block)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            record.client_left = True

    def _declared(self) -> None:
        self._headers(200, {"Content-Type": "image/png", "Content-Length": "50000000"})
        self.close_connection = True

    def _slow(self) -> None:
        self._headers(200, {"Content-Type": "image/png", "Content-Length": "100"})
        self.served.stopping.wait()
        self.close_connection = True

    def _redirect(self) -> None:
        self._headers(302, {"Location": "http://127.0.0.1:9/secret.png", "Content-Length": "0"})

    def _missing(self) -> None:
        self._headers(404, {"Content-Length": "0"})

    def _headers(self, status: int, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()


@pytest.fixture
def image_host() -> Iterator[FakeImageHost]:
    """A running FakeImageHost, closed after the test."""
    host = FakeImageHost()
    try:
        yield host
    finally:
        host.close()
