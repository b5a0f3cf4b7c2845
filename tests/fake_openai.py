"""A real OpenAI-compatible HTTP server on loopback, scriptable per request, for tests."""

from __future__ import annotations

import base64
import itertools
import json
import re
import socket
import struct
import threading
import time
import zlib
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Iterator

import pytest

DEFAULT_REPLY = "Hello from the fake model."


def tiny_png() -> bytes:
    """A valid 1x1 red PNG, built by hand so the server needs no imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


def split_words(text: str) -> list[str]:
    """Split text into word chunks, each a word plus the whitespace after it; joined they give text back."""
    pieces = re.findall(r"\S+\s*", text)
    leading = text[: len(text) - len(text.lstrip())]
    if leading:
        pieces = [leading + pieces[0]] if pieces else [leading]
    return pieces


@dataclass
class RecordedRequest:
    """One request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    """Header names lower-cased."""
    body: dict
    at: float = field(default_factory=time.monotonic)
    """time.monotonic() when the request arrived."""


@dataclass(frozen=True)
class _Stream:
    text: str
    words_per_second: float | None = None
    first_token_delay: float = 0.0
    finish_reason: str | None = "stop"
    cut_after: int | None = None
    """Stop after this many words; the connection is then closed or the body ended cleanly."""
    clean_end: bool = False
    pieces: tuple[str, ...] | None = None
    """Stream exactly these content pieces instead of splitting `text` into words."""
    reasoning: tuple[str, ...] = ()
    """reasoning_content pieces sent before the content, one per `reasoning_gap` seconds."""
    reasoning_gap: float = 0.0
    usage: tuple[int, int] | None = None
    """(prompt, completion) tokens of the usage chunk; default 1 and the word count."""
    send_usage: bool = True
    """False: no usage chunk even when the client asks for one (like servers that do not know it)."""


@dataclass
class StreamRecord:
    """What happened to one streamed reply."""

    pieces: int
    """Content pieces it was to send."""
    sent: int = 0
    """Content pieces written before it ended."""
    client_left: bool = False
    """True when the client closed the connection before the stream was over."""


@dataclass(frozen=True)
class _Fail:
    status: int
    message: str
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class _Hang:
    after_headers: bool


@dataclass(frozen=True)
class _ImageAsUrl:
    url: str | None = None


@dataclass(frozen=True)
class _ImageBytes:
    data: bytes


@dataclass(frozen=True)
class _HugeImage:
    size: int


@dataclass
class BodyRecord:
    """How much of a large answer went out before the client stopped reading."""

    size: int
    sent: int = 0
    client_left: bool = False


class FakeOpenAI:
    """The server: script behaviours with reply/fail/..., then read `requests`."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self.streams: list[StreamRecord] = []
        self.bodies: list[BodyRecord] = []
        """One per huge_image answer."""
        """One per streamed chat reply, in the order they started."""
        self.default_reply = DEFAULT_REPLY
        self.png = tiny_png()
        self._script: deque[object] = deque()
        self._by_model: dict[str, deque[object]] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._ids = itertools.count(1)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def port(self) -> int:
        """The TCP port the server listens on."""
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        """What to give the SDK as base_url, ending in /v1."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        """Only the /v1/chat/completions requests, in arrival order."""
        return [r for r in list(self.requests) if r.path.endswith("/chat/completions")]

    @property
    def image_requests(self) -> list[RecordedRequest]:
        """Only the /v1/images/generations requests, in arrival order."""
        return [r for r in list(self.requests) if r.path.endswith("/images/generations")]

    # Scripting: each call queues the behaviour of one future request, first in first out.

    def reply(
        self,
        text: str,
        *,
        words_per_second: float | None = None,
        finish_reason: str = "stop",
        pieces: list[str] | None = None,
        model: str | None = None,
        reasoning: list[str] | tuple[str, ...] = (),
        reasoning_gap: float = 0.0,
        usage: tuple[int, int] | None = None,
        send_usage: bool = True,
    ) -> None:
        """Stream `text` word by word, at `words_per_second` if given, then finish_reason and [DONE].

        With `pieces`, stream exactly those content pieces (their join is the text). With
        `model`, only a request for that model gets this answer (its own line, first in first out).
        `reasoning` pieces go first as reasoning_content deltas, `reasoning_gap` seconds apart.
        The usage chunk (sent when asked for, unless send_usage=False) says `usage` tokens.
        """
        if pieces is not None:
            text = "".join(pieces)
        self._queue(
            _Stream(text, words_per_second, finish_reason=finish_reason,
                    pieces=tuple(pieces) if pieces is not None else None,
                    reasoning=tuple(reasoning), reasoning_gap=reasoning_gap, usage=usage,
                    send_usage=send_usage),
            model,
        )

    def slow_first_token(
        self, seconds: float, text: str = DEFAULT_REPLY, *, words_per_second: float | None = None
    ) -> None:
        """Send headers at once, then wait `seconds` before the first word."""
        self._queue(_Stream(text, words_per_second, first_token_delay=seconds))

    def cut_off(
        self,
        after_words: int = 3,
        text: str = "one two three four five six seven eight",
        *,
        words_per_second: float | None = None,
        clean: bool = False,
    ) -> None:
        """Stream `after_words` words, then stop with no finish_reason and no [DONE].

        By default the connection is dropped mid-body (an incomplete chunked body); with
        clean=True the HTTP body ends properly, like a proxy that gave up.
        """
        self._queue(_Stream(text, words_per_second, finish_reason=None, cut_after=after_words, clean_end=clean))

    def fail(self, status: int = 500, message: str = "The fake server failed on purpose.") -> None:
        """Answer with `status` and an OpenAI-style JSON error body."""
        self._queue(_Fail(status, message))

    def rate_limit(self, retry_after: float = 0.5, message: str = "Rate limit reached.") -> None:
        """Answer 429 with a Retry-After header of `retry_after` seconds."""
        self._queue(_Fail(429, message, (("Retry-After", f"{retry_after:g}"),)))

    def hang(self, *, after_headers: bool = False) -> None:
        """Accept the request and send nothing (or only 200 headers) until the server closes."""
        self._queue(_Hang(after_headers))

    def image_as_url(self, url: str | None = None) -> None:
        """Answer the next image request with a `url` (default: this server's PNG, over http)."""
        self._queue(_ImageAsUrl(url))

    def image_bytes(self, data: bytes) -> None:
        """Answer the next image request with `data`, base64-encoded, whatever it is."""
        self._queue(_ImageBytes(data))

    def huge_image(self, size: int) -> None:
        """Answer the next image request with a "PNG" of `size` bytes, streamed; see `bodies`."""
        self._queue(_HugeImage(size))

    def close(self) -> None:
        """Stop serving and release every request still hanging."""
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def _queue(self, behaviour: object, model: str | None = None) -> None:
        with self._lock:
            if model is None:
                self._script.append(behaviour)
            else:
                self._by_model.setdefault(model, deque()).append(behaviour)

    def _next(self, model: str | None = None) -> object | None:
        with self._lock:
            mine = self._by_model.get(model or "")
            if mine:
                return mine.popleft()
            return self._script.popleft() if self._script else None

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)


def _make_handler(server: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(_Handler):
        fake = server

    return Handler


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive and chunked bodies, like real servers
    timeout = 30  # an idle keep-alive connection's thread eventually exits
    fake: FakeOpenAI

    def setup(self) -> None:
        super().setup()
        # Without this, Nagle plus delayed ACKs hold small chunks back ~40 ms and skew timing.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet; tests read `requests` instead."""

    def do_GET(self) -> None:
        """Serve the PNG that image_as_url() points at."""
        self._record({})
        if self.path.endswith("/files/tiny.png"):
            self._send_bytes(200, self.fake.png, "image/png")
        else:
            self._send_json(404, _error_body("No such file."))

    def do_POST(self) -> None:
        """Route the two endpoints the brain uses."""
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {"_unparsed": raw.decode("utf-8", "replace")}
        self._record(body)
        routes: dict[str, Callable[[dict], None]] = {
            "/v1/chat/completions": self._chat,
            "/v1/images/generations": self._image,
        }
        route = routes.get(self.path.split("?")[0])
        if route is None:
            self._send_json(404, _error_body(f"Unknown path {self.path}"))
            return
        route(body)

    def _record(self, body: dict) -> None:
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.fake._record(RecordedRequest(self.command, self.path, headers, body))

    def _chat(self, body: dict) -> None:
        behaviour = self.fake._next(body.get("model")) or _Stream(self.fake.default_reply)
        if self._common(behaviour):
            return
        if not isinstance(behaviour, _Stream):
            self._send_json(400, _error_body(f"Scripted {behaviour!r} for a chat request."))
            return
        if not body.get("stream"):
            self._send_json(400, _error_body("This fake server only streams; send stream=true."))
            return
        self._stream(body, behaviour)

    def _image(self, body: dict) -> None:
        behaviour = self.fake._next()
        if self._common(behaviour):
            return
        if isinstance(behaviour, _ImageAsUrl):
            url = behaviour.url or f"http://127.0.0.1:{self.fake.port}/files/tiny.png"
            self._send_json(200, {"created": int(time.time()), "data": [{"url": url}]})
        elif isinstance(behaviour, _ImageBytes):
            encoded = base64.b64encode(behaviour.data).decode("ascii")
            self._send_json(200, {"created": int(time.time()), "data": [{"b64_json": encoded}]})
        elif isinstance(behaviour, _HugeImage):
            self._huge_image(behaviour.size)
        elif behaviour is None:
            png = base64.b64encode(self.fake.png).decode("ascii")
            self._send_json(200, {"created": int(time.time()), "data": [{"b64_json": png}]})
        else:
            self._send_json(400, _error_body(f"Scripted {behaviour!r} for an image request."))

    def _huge_image(self, size: int) -> None:
        """A JSON answer whose b64_json is a PNG signature and `size` zero bytes, sent in pieces."""
        record = BodyRecord(size=size)
        with self.fake._lock:
            self.fake.bodies.append(record)
        head = b'{"created": 0, "data": [{"b64_json": "' + base64.b64encode(b"\x89PNG\r\n\x1a\n\0")
        tail = b'"}]}'
        block = b"A" * 65536  # base64 of zero bytes
        encoded = -(-size // 3) * 4
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(head) + encoded + len(tail)))
        self.end_headers()
        try:
            self.wfile.write(head)
            left = encoded
            while left > 0 and not self.fake._stopping.is_set():
                piece = block[: min(left, len(block))]
                self.wfile.write(piece)
                left -= len(piece)
                record.sent += len(piece) * 3 // 4
            self.wfile.write(tail)
        except (BrokenPipeError, ConnectionResetError):
            record.client_left = True
            self.close_connection = True

    def _common(self, behaviour: object) -> bool:
        """Handle the behaviours any endpoint can have; True when the request is answered."""
        if isinstance(behaviour, _Fail):
            self._send_json(behaviour.status, _error_body(behaviour.message), behaviour.headers)
            return True
        if isinstance(behaviour, _Hang):
            if behaviour.after_headers:
                self._start_stream()
            self.fake._stopping.wait()
            self.close_connection = True
            return True
        return False

    def _stream(self, body: dict, behaviour: _Stream) -> None:
        model = body.get("model", "fake")
        number = next(self.fake._ids)
        words = list(behaviour.pieces) if behaviour.pieces is not None else split_words(behaviour.text)
        if behaviour.cut_after is not None:
            words = words[: behaviour.cut_after]
        record = StreamRecord(pieces=len(words))
        with self.fake._lock:
            self.fake.streams.append(record)
        self._start_stream()
        try:
            self._event(_chunk(model, number, {"role": "assistant", "content": ""}, None))
            if behaviour.first_token_delay and self.fake._stopping.wait(behaviour.first_token_delay):
                return
            for index, thought in enumerate(behaviour.reasoning):
                if index and behaviour.reasoning_gap and self.fake._stopping.wait(behaviour.reasoning_gap):
                    return
                self._event(_chunk(model, number, {"content": None, "reasoning_content": thought}, None))
            gap = 1.0 / behaviour.words_per_second if behaviour.words_per_second else 0.0
            for index, word in enumerate(words):
                if index and gap and self.fake._stopping.wait(gap):
                    return
                self._event(_chunk(model, number, {"content": word}, None))
                record.sent = index + 1
            if behaviour.cut_after is not None:
                if behaviour.clean_end:
                    self._write_chunk(b"")
                else:
                    self.close_connection = True
                return
            self._event(_chunk(model, number, {}, behaviour.finish_reason))
            if behaviour.send_usage and (body.get("stream_options") or {}).get("include_usage"):
                usage = _chunk(model, number, {}, None)
                usage["choices"] = []
                prompt, completion = behaviour.usage or (1, len(words))
                usage["usage"] = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
                self._event(usage)
            self._write_chunk(b"data: [DONE]\n\n")
            self._write_chunk(b"")
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (an idle timeout, a cancelled reply); nothing left to send.
            record.client_left = True
            self.close_connection = True

    def _start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _event(self, payload: dict) -> None:
        self._write_chunk(b"data: " + json.dumps(payload).encode() + b"\n\n")

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _send_json(self, status: int, payload: dict, headers: tuple[tuple[str, str], ...] = ()) -> None:
        self._send_bytes(status, json.dumps(payload).encode(), "application/json", headers)

    def _send_bytes(
        self, status: int, data: bytes, content_type: str, headers: tuple[tuple[str, str], ...] = ()
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()


def _chunk(model: str, number: int, delta: dict, finish_reason: str | None) -> dict:
    return {
        "id": f"chatcmpl-fake-{number}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": None,
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
    }


def _error_body(message: str) -> dict:
    return {"error": {"message": message, "type": "fake_error", "param": None, "code": None}}


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    """A running FakeOpenAI, closed after the test."""
    server = FakeOpenAI()
    try:
        yield server
    finally:
        server.close()
