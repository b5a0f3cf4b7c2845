"""Small signed, expiring tokens (HMAC-SHA256 over compact JSON) for URLs this app hands out."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from typing import Any


class BadToken(ValueError):
    """The token was not made here, was changed, or has expired; the message says which."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    """Signs payloads for `purpose` with `secret` (a random one per process when empty)."""

    def __init__(self, secret: str, purpose: str, clock: Callable[[], float] = time.time) -> None:
        key = secret.encode() if secret else secrets.token_bytes(32)
        self._key = hmac.new(key, purpose.encode(), hashlib.sha256).digest()
        self._clock = clock

    def sign(self, payload: dict[str, Any], seconds: float) -> str:
        """A token carrying `payload`, good for `seconds`."""
        body = dict(payload, exp=int(self._clock() + seconds))
        raw = json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
        return f"{_b64(raw)}.{_b64(self._mac(raw))}"

    def open(self, token: str) -> dict[str, Any]:
        """The payload of a good token; BadToken otherwise."""
        try:
            head, mac = token.split(".", 1)
            raw = _unb64(head)
            given = _unb64(mac)
        except (ValueError, UnicodeEncodeError):
            raise BadToken("This link is not valid.") from None
        if not hmac.compare_digest(given, self._mac(raw)):
            raise BadToken("This link is not valid.")
        payload = json.loads(raw)
        if not isinstance(payload, dict) or payload.get("exp", 0) < self._clock():
            raise BadToken("This link has expired.")
        return payload

    def _mac(self, raw: bytes) -> bytes:
        return hmac.new(self._key, raw, hashlib.sha256).digest()
