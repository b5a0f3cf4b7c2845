"""All settings, read once from the environment and the command line."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Mapping


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names the variable."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything Confab can be told, each field with the variable that sets it."""

    host: str = "127.0.0.1"
    """CHAT_HOST: interface the web server binds to."""
    port: int = 8550
    """CHAT_PORT: TCP port of the web server."""
    desktop: bool = False
    """CHAT_DESKTOP: open a Flet desktop window instead of serving the web app."""
    data_dir: Path = Path("data")
    """CHAT_DATA_DIR: where the SQLite database and the bot's files live."""
    database_url: str = ""
    """DATABASE_URL: sqlite:///path.db or postgresql://...; default sqlite under CHAT_DATA_DIR."""
    bus_url: str = "memory://"
    """BUS_URL: memory:// (one process) or redis://host:port/db (many processes)."""
    bus_channel: str = "confab:events"
    """CHAT_BUS_CHANNEL: Redis channel of this deployment (two deployments may share a Redis)."""
    room: str = "general"
    """CHAT_ROOM: the room everybody joins."""
    history_page: int = 100
    """CHAT_HISTORY_PAGE: messages shown on joining and per "Load earlier messages"."""
    render_limit: int = 200
    """CHAT_RENDER_LIMIT: most message rows a page keeps rendered; older ones page in on demand."""
    max_message_chars: int = 4000
    """CHAT_MAX_MESSAGE_CHARS: longest message accepted."""
    max_name_chars: int = 32
    """CHAT_MAX_NAME_CHARS: longest name accepted."""
    presence_ttl: float = 6.0
    """CHAT_PRESENCE_TTL: seconds a process's presence report stays valid without a refresh."""
    rate_per_second: float = 1.0
    """CHAT_RATE_PER_SECOND: messages a session may send per second, sustained."""
    rate_burst: int = 5
    """CHAT_RATE_BURST: messages a session may send at once before throttling."""
    max_sessions_per_ip: int = 50
    """CHAT_MAX_SESSIONS_PER_IP: connected sessions allowed from one client address."""
    bot_name: str = "bot"
    """CHAT_BOT_NAME: the bot's handle; people write @<handle> to ask it."""
    bot_display_name: str = "Confab Bot"
    """CHAT_BOT_DISPLAY_NAME: the name shown on the bot's messages."""
    openai_api_key: str = field(default="", repr=False)
    """OPENAI_API_KEY: key for the OpenAI-compatible server; enables the LLM brain."""
    openai_base_url: str = ""
    """OPENAI_BASE_URL: base URL of an OpenAI-compatible server (Ollama, vLLM, ...)."""
    bot_model: str = "gpt-4o-mini"
    """CHAT_BOT_MODEL: chat model name."""
    bot_system_prompt: str = (
        "You are a helpful participant in a group chat room called Confab. "
        "Answer the person who mentioned you, briefly, in Markdown."
    )
    """CHAT_BOT_SYSTEM_PROMPT: the system prompt."""
    bot_temperature: float = 0.7
    """CHAT_BOT_TEMPERATURE: sampling temperature."""
    bot_max_tokens: int = 800
    """CHAT_BOT_MAX_TOKENS: longest reply, in tokens."""
    bot_idle_timeout: float = 30.0
    """CHAT_BOT_IDLE_TIMEOUT: seconds to wait for the next chunk before giving up."""
    bot_total_timeout: float = 180.0
    """CHAT_BOT_TOTAL_TIMEOUT: seconds a whole reply may take."""
    bot_max_retries: int = 2
    """CHAT_BOT_MAX_RETRIES: retries of a failed request before the first token."""
    bot_max_concurrent: int = 2
    """CHAT_BOT_MAX_CONCURRENT: replies written at once; later mentions wait in line."""
    bot_mentions_per_minute: int = 5
    """CHAT_BOT_MENTIONS_PER_MINUTE: mentions one person may make per minute."""
    bot_context_messages: int = 30
    """CHAT_BOT_CONTEXT_MESSAGES: recent room messages the model sees."""
    bot_context_tokens: int = 3000
    """CHAT_BOT_CONTEXT_TOKENS: rough token budget for that context."""
    bot_updates_per_second: float = 8.0
    """CHAT_BOT_UPDATES_PER_SECOND: most updates per second a streaming reply sends."""
    image_model: str = "gpt-image-1"
    """CHAT_IMAGE_MODEL: model for @bot /imagine."""
    api_token: str = field(default="", repr=False)
    """CHAT_API_TOKEN: enables POST /api/bot/stream, which then requires this bearer token."""
    api_max_body_bytes: int = 64_000
    """CHAT_API_MAX_BODY_BYTES: largest request body /api/bot/stream accepts."""
    shutdown_deadline: float = 10.0
    """CHAT_SHUTDOWN_DEADLINE: seconds in-flight bot replies get to finish on SIGTERM."""

    def __post_init__(self) -> None:
        if not self.database_url:
            object.__setattr__(
                self, "database_url", f"sqlite:///{self.data_dir / 'confab.db'}"
            )

    @property
    def uses_llm(self) -> bool:
        """True when an OpenAI-compatible server is configured."""
        return bool(self.openai_api_key or self.openai_base_url)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides) -> Settings:
        """Build settings from environment variables, then apply explicit overrides."""
        env = os.environ if env is None else env
        values = {}
        for f in fields(cls):
            var = _variable_name(f.name)
            raw = env.get(var)
            if raw is None or raw == "":
                continue
            values[f.name] = _parse(var, raw, f.default)
        settings = cls(**values)
        given = {k: v for k, v in overrides.items() if v is not None}
        return replace(settings, **given) if given else settings


_PLAIN_NAMES = {
    "database_url": "DATABASE_URL",
    "bus_url": "BUS_URL",
    "openai_api_key": "OPENAI_API_KEY",
    "openai_base_url": "OPENAI_BASE_URL",
}


def _variable_name(field_name: str) -> str:
    return _PLAIN_NAMES.get(field_name, f"CHAT_{field_name.upper()}")


def _parse(var: str, raw: str, default):
    try:
        if isinstance(default, bool):
            if raw.lower() in ("1", "true", "yes", "on"):
                return True
            if raw.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        if isinstance(default, Path):
            return Path(raw)
        return raw
    except ValueError:
        kind = type(default).__name__
        raise SettingsError(f"{var}={raw!r} is not a valid {kind}") from None
