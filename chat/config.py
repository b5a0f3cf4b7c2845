"""All settings, read once from the environment and the command line."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from chat.bot.roster import BotSpec, load_roster
from chat.settings_rules import SettingsError, check, check_flet_knobs
from chat.settings_sources import environment, lookup

__all__ = ["Settings", "SettingsError"]


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
    """CHAT_ROOM: the room a tab opens when its URL names none (/r/NAME names one)."""
    history_page: int = 100
    """CHAT_HISTORY_PAGE: messages shown on joining and per "Load earlier messages"."""
    render_limit: int = 200
    """CHAT_RENDER_LIMIT: most message rows a page keeps rendered; older ones page in on demand."""
    max_message_chars: int = 4000
    """CHAT_MAX_MESSAGE_CHARS: longest message accepted."""
    max_name_chars: int = 32
    """CHAT_MAX_NAME_CHARS: longest name accepted."""
    edit_window: float = 0.0
    """CHAT_EDIT_WINDOW: seconds after sending that a person may still edit a message (0: no limit)."""
    presence_ttl: float = 6.0
    """CHAT_PRESENCE_TTL: seconds a process's presence report stays valid without a refresh."""
    typing_signal_seconds: float = 3.0
    """CHAT_TYPING_SIGNAL_SECONDS: at most one "is typing" signal per person and room this often."""
    typing_idle_seconds: float = 5.0
    """CHAT_TYPING_IDLE_SECONDS: seconds without a keystroke after which a person stops showing as typing."""
    typing_expiry_seconds: float = 6.0
    """CHAT_TYPING_EXPIRY_SECONDS: seconds "is typing" shows after the last signal (a crashed tab's lapses)."""
    rate_per_second: float = 1.0
    """CHAT_RATE_PER_SECOND: messages a person may send per second, sustained (rejoining does not reset it)."""
    rate_burst: int = 5
    """CHAT_RATE_BURST: messages a person may send at once before throttling."""
    address_rate_per_second: float = 5.0
    """CHAT_ADDRESS_RATE_PER_SECOND: messages everyone at one client address may send per second, sustained."""
    address_rate_burst: int = 25
    """CHAT_ADDRESS_RATE_BURST: messages everyone at one client address may send at once."""
    flap_window: float = 30.0
    """CHAT_FLAP_WINDOW: seconds between two join/leave lines about one person (0: no limit)."""
    flap_lines_per_address: int = 10
    """CHAT_FLAP_LINES_PER_ADDRESS: join/leave lines one client address may cause per flap window."""
    ws_frames_per_second: float = 200.0
    """CHAT_WS_FRAMES_PER_SECOND: inbound WebSocket frames a connection may send per second, sustained."""
    ws_frame_burst: int = 400
    """CHAT_WS_FRAME_BURST: inbound frames a connection may send at once; past it the socket is closed."""
    ws_register_timeout: float = 10.0
    """CHAT_WS_REGISTER_TIMEOUT: seconds a new WebSocket has to send Flet's register message."""
    ws_max_frame_bytes: int = 1_048_576
    """CHAT_WS_MAX_FRAME_BYTES: largest inbound WebSocket frame; a bigger one closes the socket."""
    ws_flood_cooldown: float = 10.0
    """CHAT_WS_FLOOD_COOLDOWN: seconds an address waits after a flood (doubling on repeats, at most 16x)."""
    ws_events_in_flight: int = 4
    """CHAT_WS_EVENTS_IN_FLIGHT: a connection's events handled at once; its next frames wait meanwhile."""
    max_sessions_per_ip: int = 50
    """CHAT_MAX_SESSIONS_PER_IP: connected sessions allowed from one client address."""
    device_days: float = 180.0
    """CHAT_DEVICE_DAYS: days a browser stays signed in as its person before it must sign in again."""
    sign_in_per_minute: int = 5
    """CHAT_SIGN_IN_PER_MINUTE: password sign-ins allowed per name, and 4x that per client address."""
    admins: str = ""
    """CHAT_ADMINS: comma-separated names of the admins; unset, the first person to join is one."""
    signup: str = "open"
    """CHAT_SIGNUP: open (anyone may claim a free name) or invite (a newcomer needs an invite link)."""
    invite_days: float = 7.0
    """CHAT_INVITE_DAYS: days an invite link stays good (each is good for one sign-up)."""
    bots_file: Path = Path("")
    """CHAT_BOTS_FILE: a TOML file of [[bot]] tables, one per AI participant; unset, one bot from CHAT_BOT_*."""
    bots: tuple[BotSpec, ...] = field(default=(), repr=False)
    """The bots CHAT_BOTS_FILE describes, read by from_env (not a variable of its own)."""
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
    bot_vision_images: int = 4
    """CHAT_BOT_VISION_IMAGES: most recent room pictures a bot with vision is shown (0: none)."""
    bot_vision_bytes: int = 4_000_000
    """CHAT_BOT_VISION_BYTES: most bytes of pictures, all together, a bot with vision is sent."""
    bot_updates_per_second: float = 8.0
    """CHAT_BOT_UPDATES_PER_SECOND: most updates per second a streaming reply sends."""
    bot_max_reply_chars: int = 16_000
    """CHAT_BOT_MAX_REPLY_CHARS: longest bot reply kept and shown; a longer one is cut and says so."""
    bot_checkpoint_seconds: float = 2.0
    """CHAT_BOT_CHECKPOINT_SECONDS: most seconds of a streaming reply a crash can lose."""
    offline_brain: str = "fuzzy"
    """CHAT_OFFLINE_BRAIN: fuzzy (the corpus, fuzzy-matched) or chatterbot (needs the extra)."""
    image_model: str = "gpt-image-1"
    """CHAT_IMAGE_MODEL: model for @bot /imagine."""
    image_max_bytes: int = 10_000_000
    """CHAT_IMAGE_MAX_BYTES: largest picture (encoded) the bot accepts from the image server."""
    image_max_pixels: int = 16_777_216
    """CHAT_IMAGE_MAX_PIXELS: most pixels (width x height) of a picture the bot accepts."""
    image_fetch_timeout: float = 20.0
    """CHAT_IMAGE_FETCH_TIMEOUT: seconds to download a picture the image server gave as an https URL."""
    max_upload_mb: int = 10
    """CHAT_MAX_UPLOAD_MB: largest file a person may attach, in megabytes (10^6 bytes)."""
    upload_grace_hours: float = 24.0
    """CHAT_UPLOAD_GRACE_HOURS: hours an upload no message names is kept before the hourly sweep removes it."""
    files_secret: str = field(default="", repr=False)
    """CHAT_FILES_SECRET: signs upload and file links; set one for all replicas (unset: random per process)."""
    api_token: str = field(default="", repr=False)
    """CHAT_API_TOKEN: enables POST /api/bot/stream, which then requires this bearer token."""
    api_max_body_bytes: int = 64_000
    """CHAT_API_MAX_BODY_BYTES: largest request body /api/bot/stream and /api/v1 accept."""
    api_rate_per_minute: int = 60
    """CHAT_API_RATE_PER_MINUTE: /api/v1 requests one access token or webhook may make a minute."""
    api_address_rate_per_minute: int = 120
    """CHAT_API_ADDRESS_RATE_PER_MINUTE: /api/v1 requests one client address may make a minute."""
    shutdown_deadline: float = 10.0
    """CHAT_SHUTDOWN_DEADLINE: seconds in-flight bot replies get to finish on SIGTERM."""
    log_level: str = "INFO"
    """CHAT_LOG_LEVEL: DEBUG, INFO, WARNING, ERROR or CRITICAL (uvicorn's lines too)."""
    log_format: str = "text"
    """CHAT_LOG_FORMAT: text (one readable line) or json (one JSON object per line)."""
    allowed_hosts: str = ""
    """CHAT_ALLOWED_HOSTS: names the server answers to (a,b, *.example.org, * for any); default loopback and CHAT_HOST."""
    frame_ancestors: str = "'none'"
    """CHAT_FRAME_ANCESTORS: CSP frame-ancestors: who may frame the app ('none', 'self', https://...)."""
    fonts_dir: Path = Path("/usr/share/fonts")
    """CHAT_FONTS_DIR: where full Noto fonts (emoji, CJK, ...) are found for the client's fallback fonts."""
    cache_dir: Path = Path("")
    """CHAT_CACHE_DIR: compressed client files and cut fallback fonts (by content); default ~/.cache/confab."""

    def __post_init__(self) -> None:
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite:///{self.data_dir / 'confab.db'}")
        if self.cache_dir == Path(""):
            # Shared by every Confab on the machine: entries are named by content, so any may reuse them.
            base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
            object.__setattr__(self, "cache_dir", Path(base) / "confab")
        for f in fields(self):
            check(f.name, _variable_name(f.name), getattr(self, f.name))

    @property
    def roster(self) -> tuple[BotSpec, ...]:
        """Every AI participant: the bots file's, or the one bot the CHAT_BOT_* settings describe."""
        return self.bots or (self.default_bot(),)

    def default_bot(self) -> BotSpec:
        """The bot of the plain settings (what a bots file's bot leaves out comes from it too)."""
        return BotSpec(
            handle=self.bot_name,
            display_name=self.bot_display_name,
            brain="openai" if self.uses_llm else "offline",
            model=self.bot_model,
            base_url=self.openai_base_url,
            api_key=self.openai_api_key,
            system_prompt=self.bot_system_prompt,
            temperature=self.bot_temperature,
            max_tokens=self.bot_max_tokens,
            context_tokens=self.bot_context_tokens,
        )

    @property
    def uses_llm(self) -> bool:
        """True when an OpenAI-compatible server is configured."""
        return bool(self.openai_api_key or self.openai_base_url)

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        env_file: str | Path | None = ".env",
        **overrides: Any,
    ) -> Settings:
        """Build settings from the environment (over an optional .env file), then apply overrides.

        Any variable may instead name a file holding its value: OPENAI_API_KEY_FILE=/run/secrets/key.
        """
        env = environment(env, env_file)
        check_flet_knobs(env)
        values = {}
        for f in fields(cls):
            if f.name == "bots":
                continue  # read from the file CHAT_BOTS_FILE names, below
            var = _variable_name(f.name)
            raw = lookup(env, var)
            if raw is None:
                continue
            values[f.name] = _parse(var, raw, f.default)
        settings = cls(**values)
        given = {k: v for k, v in overrides.items() if v is not None}
        settings = replace(settings, **given) if given else settings
        if settings.bots_file != Path("") and not settings.bots:
            bots = load_roster(settings.bots_file, env, settings.default_bot())
            settings = replace(settings, bots=bots)
        return settings


_PLAIN_NAMES = {
    "database_url": "DATABASE_URL",
    "bus_url": "BUS_URL",
    "openai_api_key": "OPENAI_API_KEY",
    "openai_base_url": "OPENAI_BASE_URL",
}


def _variable_name(field_name: str) -> str:
    return _PLAIN_NAMES.get(field_name, f"CHAT_{field_name.upper()}")


def _parse(var: str, raw: str, default: Any) -> Any:
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
