"""Logging set-up: CHAT_LOG_LEVEL and CHAT_LOG_FORMAT, for Confab's lines and uvicorn's alike."""

from __future__ import annotations

import json
import logging
import logging.config
import re
from datetime import UTC, datetime
from typing import Any

from chat.access import HOOK_PATH

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")

_HOOK_SECRET = re.compile(re.escape(HOOK_PATH) + r"[^/?#\s\"]+")


class HideHookSecrets(logging.Filter):
    """A webhook's URL holds its secret: access lines show the path without it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(
            isinstance(arg, str) and HOOK_PATH in arg for arg in record.args
        ):
            record.args = tuple(
                _HOOK_SECRET.sub(HOOK_PATH + "<secret>", arg) if isinstance(arg, str) else arg
                for arg in record.args
            )
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message (and the traceback, if any)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def log_config(level: str, fmt: str) -> dict[str, Any]:
    """A dictConfig for the root logger, with uvicorn's loggers passing their lines up to it.

    Handed to uvicorn.run(log_config=...) too, which applies it itself; its
    loggers then write through the same handler, in the same format.
    """
    formatter: dict[str, Any] = (
        {"()": JsonFormatter} if fmt.lower() == "json" else {"format": TEXT_FORMAT}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"confab": formatter},
        "filters": {"hide_hook_secrets": {"()": HideHookSecrets}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "confab",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": level.upper(), "handlers": ["stderr"]},
        "loggers": {
            name: {
                "handlers": [],
                "propagate": True,
                "level": level.upper(),
                "filters": ["hide_hook_secrets"] if name == "uvicorn.access" else [],
            }
            for name in UVICORN_LOGGERS
        },
    }


def configure_logging(level: str, fmt: str) -> dict[str, Any]:
    """Apply the configuration now (for lines before uvicorn starts) and return it for uvicorn."""
    config = log_config(level, fmt)
    logging.config.dictConfig(config)
    return config
