"""What each setting may be: checked once at start, so nonsense fails with words, not later."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names the variable."""


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("text", "json")
SIGNUPS = ("open", "invite")
"""Who may claim a new name (CHAT_SIGNUP)."""
OFFLINE_BRAINS = ("fuzzy", "chatterbot")
"""The brains that answer when no LLM is configured (CHAT_OFFLINE_BRAIN)."""


@dataclass(frozen=True, slots=True)
class Between:
    """A number from `low` to `high`; `low_open` excludes `low` itself (a positive duration)."""

    low: float
    high: float = math.inf
    low_open: bool = False

    def allows(self, value: float) -> bool:
        if self.low_open:
            return self.low < value <= self.high
        return self.low <= value <= self.high

    def describe(self) -> str:
        low = f"more than {self.low:g}" if self.low_open else f"at least {self.low:g}"
        if math.isinf(self.high):
            return low
        if not self.low_open:
            return f"{self.low:g} to {self.high:g}"
        return f"{low} and at most {self.high:g}"


@dataclass(frozen=True, slots=True)
class OneOf:
    """One of a few words (compared as given: CHAT_LOG_FORMAT=json, CHAT_LOG_LEVEL=INFO)."""

    choices: tuple[str, ...]
    normalise: Callable[[str], str] = str

    def allows(self, value: str) -> bool:
        return self.normalise(value) in self.choices

    def describe(self) -> str:
        return "one of " + ", ".join(self.choices)


@dataclass(frozen=True, slots=True)
class UrlScheme:
    """A URL starting with one of `prefixes`."""

    prefixes: tuple[str, ...]

    def allows(self, value: str) -> bool:
        return value.lower().startswith(self.prefixes)

    def describe(self) -> str:
        return "a URL starting with " + " or ".join(self.prefixes)


@dataclass(frozen=True, slots=True)
class Matches:
    """Text made only of what `pattern` allows (so it cannot smuggle in more than it should)."""

    pattern: str
    description: str

    def allows(self, value: str) -> bool:
        return re.fullmatch(self.pattern, value) is not None

    def describe(self) -> str:
        return self.description


_HOST_PATTERN = r"\*|(\*\.)?[A-Za-z0-9][A-Za-z0-9.\-]*|\[?[0-9A-Fa-f:.]+\]?"
"""One allowed host: a name or address, a name under *., or * alone (no port, no other wildcard)."""

POSITIVE = Between(0, low_open=True)
AT_LEAST_ONE = Between(1)
NOT_NEGATIVE = Between(0)

RULES: dict[str, Any] = {
    "port": Between(1, 65535),
    "database_url": UrlScheme(("sqlite:///", "postgresql://", "postgres://")),
    "bus_url": UrlScheme(("memory://", "redis://", "rediss://")),
    "history_page": AT_LEAST_ONE,
    "render_limit": AT_LEAST_ONE,
    "max_message_chars": AT_LEAST_ONE,
    "max_name_chars": AT_LEAST_ONE,
    "edit_window": NOT_NEGATIVE,  # 0: a message may be edited at any time
    "presence_ttl": Between(0.1),  # below that the presence ticker would spin
    "typing_signal_seconds": POSITIVE,
    "typing_idle_seconds": POSITIVE,
    "typing_expiry_seconds": POSITIVE,
    "rate_per_second": POSITIVE,
    "rate_burst": AT_LEAST_ONE,
    "address_rate_per_second": POSITIVE,
    "address_rate_burst": AT_LEAST_ONE,
    "flap_window": NOT_NEGATIVE,  # 0: a line for every join and leave
    "flap_lines_per_address": AT_LEAST_ONE,
    "ws_frames_per_second": POSITIVE,
    "ws_frame_burst": AT_LEAST_ONE,
    "ws_register_timeout": POSITIVE,
    "ws_max_frame_bytes": AT_LEAST_ONE,
    "ws_flood_cooldown": NOT_NEGATIVE,
    "ws_events_in_flight": AT_LEAST_ONE,
    "max_sessions_per_ip": AT_LEAST_ONE,
    "device_days": POSITIVE,
    "sign_in_per_minute": AT_LEAST_ONE,
    "signup": OneOf(SIGNUPS),
    "invite_days": POSITIVE,
    "bot_temperature": Between(0, 2),
    "bot_max_tokens": AT_LEAST_ONE,
    "bot_idle_timeout": POSITIVE,
    "bot_total_timeout": POSITIVE,
    "bot_max_retries": NOT_NEGATIVE,
    "bot_max_concurrent": AT_LEAST_ONE,
    "bot_mentions_per_minute": NOT_NEGATIVE,  # 0: the bot takes no questions
    "bot_context_messages": AT_LEAST_ONE,
    "bot_context_tokens": AT_LEAST_ONE,
    "bot_vision_images": Between(0, 20),
    "bot_vision_bytes": Between(1, 50_000_000),
    "bot_updates_per_second": NOT_NEGATIVE,  # 0: only the finished reply is shown
    # Bounds on what the bot keeps and shows: zero would switch the bound off, or the bot.
    "bot_max_reply_chars": AT_LEAST_ONE,
    "bot_checkpoint_seconds": POSITIVE,
    "image_max_bytes": AT_LEAST_ONE,
    "image_max_pixels": AT_LEAST_ONE,
    "image_fetch_timeout": POSITIVE,
    "max_upload_mb": Between(1, 1000),
    "upload_grace_hours": POSITIVE,
    "api_max_body_bytes": AT_LEAST_ONE,
    "api_rate_per_minute": AT_LEAST_ONE,
    "api_address_rate_per_minute": AT_LEAST_ONE,
    "shutdown_deadline": NOT_NEGATIVE,
    # A CSP source list: a ; or , would inject further directives into the header.
    "frame_ancestors": Matches(
        r"[A-Za-z0-9'*:/.\- ]+", "CSP sources such as 'none', 'self' or https://example.org"
    ),
    # Host names for the Host check (Starlette's patterns: a name, *.domain, or * alone).
    "allowed_hosts": Matches(
        rf"\s*({_HOST_PATTERN})?\s*(,\s*({_HOST_PATTERN})\s*)*",
        "host names separated by commas: example.org, *.example.org, 192.0.2.7, [::1], or * for any",
    ),
    "offline_brain": OneOf(OFFLINE_BRAINS),
    "log_level": OneOf(LOG_LEVELS, normalise=str.upper),
    "log_format": OneOf(LOG_FORMATS, normalise=str.lower),
}
"""Field name -> what it allows. Float fields must also be finite (no nan, no inf)."""


def check(field_name: str, variable: str, value: Any) -> None:
    """Raise SettingsError naming `variable`, its value and what is allowed."""
    if isinstance(value, float) and not math.isfinite(value):
        raise SettingsError(f"{variable}={value!r} is not allowed (allowed: a finite number)")
    rule = RULES.get(field_name)
    if rule is not None and not rule.allows(value):
        raise SettingsError(f"{variable}={value!r} is not allowed (allowed: {rule.describe()})")


FLET_WHOLE_SECONDS = ("FLET_SESSION_TIMEOUT", "FLET_OAUTH_STATE_TIMEOUT")
"""Flet's knobs that it parses with int() on every connection: a bad one breaks every tab."""


def check_flet_knobs(env: Mapping[str, str]) -> None:
    """Raise SettingsError for a Flet knob Flet itself would fail on later."""
    for variable in FLET_WHOLE_SECONDS:
        raw = env.get(variable)
        if not raw:
            continue
        try:
            ok = int(raw) >= 1
        except ValueError:
            ok = False
        if not ok:
            raise SettingsError(
                f"{variable}={raw!r} is not allowed (allowed: whole seconds, at least 1)"
            )
