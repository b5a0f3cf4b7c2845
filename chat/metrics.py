"""Prometheus metrics: every metric object Confab exposes on /metrics, in one place.

Call sites sit at the boundaries (service, relay, bot, store and bus
errors) and only increment: the fan-out path pays one counter increment and
one histogram observation per message, not per session.
"""

from __future__ import annotations

import time
from datetime import datetime

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

__all__ = ["CONTENT_TYPE_LATEST", "render"]

disable_created_metrics()  # no *_created series: they double the output and nobody graphs them

SESSIONS = Gauge("confab_sessions", "Browser tabs connected to this process.")
ROOMS = Gauge("confab_rooms", "Rooms in the store.")
MESSAGES_POSTED = Counter(
    "confab_messages_posted", "Messages stored by this process, by kind.", ["kind"]
)
MESSAGES_DELIVERED = Counter(
    "confab_messages_delivered",
    "Messages this process's relay handed to its sessions (once per message, whoever posted it).",
)
FANOUT_SECONDS = Histogram(
    "confab_fanout_latency_seconds",
    "From a message being posted (on any process) to this process's relay delivering it.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
BOT_REPLIES = Counter(
    "confab_bot_replies",
    "Bot replies by outcome (done, failed, interrupted, stopped, rate_limited).",
    ["outcome"],
)
BOT_TOKENS = Counter(
    "confab_bot_tokens",
    "Tokens each bot used, by direction (prompt, completion): the server's count when its stream "
    "carries one, else estimated at 4 characters a token.",
    ["bot", "direction"],
)
BOT_BUDGET_REFUSALS = Counter(
    "confab_bot_budget_refusals",
    "Questions a bot refused because a daily token budget was spent, by budget (person, room).",
    ["bot", "budget"],
)
BUS_ERRORS = Counter("confab_bus_errors", "Times the bus did not answer (publish, receive, ping).")
STORE_ERRORS = Counter(
    "confab_store_errors", "Times the store did not answer (a write, a read, a ping)."
)

_POSTED_BY_KIND: dict[str, Counter] = {}


def message_posted(kind: str) -> None:
    """Count one stored message of `kind` (chat, bot, system)."""
    child = _POSTED_BY_KIND.get(kind)
    if child is None:
        child = _POSTED_BY_KIND[kind] = MESSAGES_POSTED.labels(kind=kind)
    child.inc()


def message_delivered(created_at: datetime) -> None:
    """Count one message fanned out here, and how long after its posting that was."""
    MESSAGES_DELIVERED.inc()
    FANOUT_SECONDS.observe(max(0.0, time.time() - created_at.timestamp()))


def bot_reply_ended(outcome: str) -> None:
    """Count one bot reply by how it ended."""
    BOT_REPLIES.labels(outcome=outcome).inc()


def bot_tokens(bot: str, prompt: int, completion: int) -> None:
    """Add the tokens one reply of `bot` used."""
    BOT_TOKENS.labels(bot=bot, direction="prompt").inc(prompt)
    BOT_TOKENS.labels(bot=bot, direction="completion").inc(completion)


def bot_budget_refused(bot: str, budget: str) -> None:
    """Count one question refused for a spent daily budget ("person" or "room")."""
    BOT_BUDGET_REFUSALS.labels(bot=bot, budget=budget).inc()


def render() -> bytes:
    """The text exposition of every metric (and the process collector's)."""
    return generate_latest()
