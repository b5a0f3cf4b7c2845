"""Where settings come from: the environment, an optional .env file, and *_FILE secrets."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from dotenv import dotenv_values, load_dotenv

from chat.settings_rules import SettingsError

FILE_SUFFIX = "_FILE"


def environment(env: Mapping[str, str] | None, env_file: str | Path | None) -> Mapping[str, str]:
    """The variables to read: `env` (default os.environ) over the optional `env_file`.

    For the real environment the file is loaded into os.environ (without
    overriding what is set), so Flet's own FLET_* knobs in it work too.
    """
    present = env_file is not None and Path(env_file).is_file()
    if env is None:
        if present:
            load_dotenv(env_file, override=False)
        return os.environ
    if not present:
        return env
    from_file = {k: v for k, v in dotenv_values(env_file).items() if v is not None}
    return {**from_file, **env}


def lookup(env: Mapping[str, str], variable: str) -> str | None:
    """`variable`'s value, or the contents of the file `variable_FILE` names (Docker secrets)."""
    value = env.get(variable) or None
    path = env.get(variable + FILE_SUFFIX) or None
    if path is None:
        return value
    if value is not None:
        raise SettingsError(f"{variable} and {variable}{FILE_SUFFIX} are both set: set only one")
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise SettingsError(
            f"{variable}{FILE_SUFFIX}={path!r} cannot be read ({reason}): "
            "use the path of a readable text file"
        ) from None
    return text.rstrip("\r\n") or None
