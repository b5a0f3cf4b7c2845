"""Turn OpenAI SDK failures into short messages for the room, and decide what to retry."""

from __future__ import annotations

import email.utils
import re
import time
from urllib.parse import urlsplit, urlunsplit

import openai

LONGEST_RETRY_WAIT = 20.0
"""Seconds of Retry-After we will sit through; a person in the room is waiting for the reply."""

_MESSAGE_LIMIT = 160
_SECRET_PATTERNS = (
    re.compile(r"sk-[A-Za-z0-9_\-]{6,}"),
    re.compile(r"(?i)bearer\s+\S+"),
)


class ReplyCutOff(Exception):
    """The stream ended before the model said it was finished."""

    def __init__(self, *, said_a_word: bool = True) -> None:
        super().__init__()
        self.said_a_word = said_a_word
        """False when the stream ended before its first word (and its first thought)."""


def seconds(value: float) -> str:
    """A duration for people: 30 -> "30 s", 0.5 -> "0.5 s"."""
    return f"{value:g} s"


def public_url(url: str) -> str:
    """The URL without credentials or a trailing slash, safe to show."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", "")).rstrip("/")


def scrub(text: str, api_key: str) -> str:
    """`text` with the API key and anything shaped like a secret removed, and kept short."""
    # Very short keys would blank out ordinary letters; those are placeholders, not secrets.
    if len(api_key) >= 4:
        text = text.replace(api_key, "[key]")
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub("[key]", text)
    text = " ".join(text.split())
    if len(text) > _MESSAGE_LIMIT:
        text = text[: _MESSAGE_LIMIT - 1] + "…"
    return text


def retry_delay(error: BaseException, attempt: int) -> float | None:
    """Seconds to wait before retrying after `error` on `attempt` (0-based), or None: do not retry."""
    if isinstance(error, openai.RateLimitError):
        waited = retry_after(error.response.headers)
        if waited is None:
            return _backoff(attempt)
        return waited if waited <= LONGEST_RETRY_WAIT else None
    if isinstance(error, openai.APITimeoutError):
        # A server that hung once will likely hang again, and the idle wait already cost time.
        return None
    if isinstance(error, (openai.InternalServerError, openai.APIConnectionError, ReplyCutOff)):
        return _backoff(attempt)
    return None


def retry_after(headers) -> float | None:
    """Seconds the server asked us to wait, from retry-after-ms or Retry-After (seconds or a date)."""
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass  # a malformed header is no instruction; fall through to Retry-After
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass  # not a number of seconds; HTTP also allows a date
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _backoff(attempt: int) -> float:
    return min(0.25 * 2**attempt, 2.0)


def explain(error: BaseException, *, model: str, api_key: str) -> str:
    """One short sentence for the room saying what went wrong.

    Everyone in the room reads it, so it names the setting to check but never the server's
    address or the key; the operator finds the address in the log line the brain writes.
    """
    if isinstance(error, openai.APIStatusError):
        return _explain_status(error, model=model, api_key=api_key)
    if isinstance(error, openai.APITimeoutError):
        return "The model server did not answer in time."
    if isinstance(error, ReplyCutOff) and not error.said_a_word:
        # llama.cpp's server, streaming, reports a context overflow only in its own log.
        return (
            "The model server ended the reply before its first word. If the conversation is "
            "long, it may not fit the model's context window: lower context_tokens."
        )
    if isinstance(error, ReplyCutOff):
        return "The reply was cut off before the model finished. Try again."
    if isinstance(error, openai.APIConnectionError):
        return "Could not reach the model server. Check OPENAI_BASE_URL."
    if isinstance(error, openai.APIResponseValidationError):
        return "The model server sent a reply we could not read."
    if isinstance(error, openai.APIError):
        detail = scrub(error.message, api_key)
        return f"The model server reported an error: {detail}"
    if isinstance(error, ValueError):
        return "The model server sent a reply we could not read."
    return f"The model failed ({type(error).__name__})."


_STATUS_MESSAGES = {
    401: "The model server rejected the API key (401). Check OPENAI_API_KEY.",
    403: "The model server refused access (403). Check OPENAI_API_KEY and the account's permissions.",
    404: (
        "The model server has no model {model!r} or no such address (404). "
        "Check CHAT_BOT_MODEL and OPENAI_BASE_URL."
    ),
}


def _explain_status(error: openai.APIStatusError, *, model: str, api_key: str) -> str:
    status = error.status_code
    if status in _STATUS_MESSAGES:
        return _STATUS_MESSAGES[status].format(model=model)
    if status == 429:
        waited = retry_after(error.response.headers)
        later = f"Try again in {seconds(round(waited))}." if waited else "Try again in a minute."
        return f"The model server is rate limiting us (429). {later}"
    if status >= 500:
        return f"The model server answered {status} (server error). Try again in a moment."
    if error.code == "context_length_exceeded" or "context length" in (error.message or ""):
        return _too_long(error)
    detail = _server_detail(error, api_key)
    return f"The model server refused the request ({status}){': ' + detail if detail else '.'}"


def _server_detail(error: openai.APIStatusError, api_key: str) -> str:
    body = error.body
    message = body.get("message") if isinstance(body, dict) else None
    return scrub(message, api_key) if isinstance(message, str) else ""


_CONTEXT_SIZE = re.compile(r"context (?:length|window) is (\d+)")


def _too_long(error: openai.APIStatusError) -> str:
    """The conversation did not fit the model's context window: say which settings make it fit."""
    size = _CONTEXT_SIZE.search(error.message or "")
    window = f" ({int(size.group(1)):,} tokens)" if size else ""
    return (
        f"The conversation is too long for the model's context window{window}. "
        "Lower context_tokens or max_tokens (in the bots file, or CHAT_BOT_CONTEXT_TOKENS "
        "and CHAT_BOT_MAX_TOKENS)."
    )
