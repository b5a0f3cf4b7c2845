"""Settings are checked at start (variable, value, what is allowed); secrets come from files too."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx
import pytest

from chat.config import Settings, SettingsError
from tests.app_process import ROOT, AppProcess


@pytest.mark.parametrize(
    "variable, raw, message",
    [
        ("CHAT_PRESENCE_TTL", "-5", "CHAT_PRESENCE_TTL=-5.0 is not allowed (allowed: at least 0.1)"),
        ("CHAT_PRESENCE_TTL", "0", "CHAT_PRESENCE_TTL=0.0 is not allowed (allowed: at least 0.1)"),
        ("CHAT_PORT", "99999", "CHAT_PORT=99999 is not allowed (allowed: 1 to 65535)"),
        ("CHAT_PORT", "0", "CHAT_PORT=0 is not allowed (allowed: 1 to 65535)"),
        ("CHAT_BOT_TEMPERATURE", "nan", "CHAT_BOT_TEMPERATURE=nan is not allowed (allowed: a finite number)"),
        ("CHAT_BOT_IDLE_TIMEOUT", "inf", "CHAT_BOT_IDLE_TIMEOUT=inf is not allowed (allowed: a finite number)"),
        ("CHAT_RATE_PER_SECOND", "-inf", "CHAT_RATE_PER_SECOND=-inf is not allowed (allowed: a finite number)"),
        ("CHAT_BOT_TEMPERATURE", "3", "CHAT_BOT_TEMPERATURE=3.0 is not allowed (allowed: 0 to 2)"),
        ("CHAT_BOT_TOTAL_TIMEOUT", "0", "CHAT_BOT_TOTAL_TIMEOUT=0.0 is not allowed (allowed: more than 0)"),
        ("CHAT_HISTORY_PAGE", "0", "CHAT_HISTORY_PAGE=0 is not allowed (allowed: at least 1)"),
        ("CHAT_LOG_FORMAT", "xml", "CHAT_LOG_FORMAT='xml' is not allowed (allowed: one of text, json)"),
        ("CHAT_LOG_LEVEL", "LOUD", "CHAT_LOG_LEVEL='LOUD' is not allowed (allowed: one of DEBUG, INFO, "),
        ("DATABASE_URL", "mysql://db/x", "DATABASE_URL='mysql://db/x' is not allowed (allowed: a URL starting with sqlite:///"),
        ("BUS_URL", "kafka://k", "BUS_URL='kafka://k' is not allowed (allowed: a URL starting with memory://"),
        ("FLET_SESSION_TIMEOUT", "1h", "FLET_SESSION_TIMEOUT='1h' is not allowed (allowed: whole seconds, at least 1)"),
    ],
)
def test_nonsense_is_refused_naming_variable_value_and_what_is_allowed(variable, raw, message):
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({variable: raw}, env_file=None)
    assert str(refused.value).startswith(message)


def test_flags_are_checked_too():
    with pytest.raises(SettingsError, match=r"CHAT_PORT=70000 is not allowed"):
        Settings.from_env({}, env_file=None, port=70000)


def test_edge_values_that_make_sense_are_accepted():
    settings = Settings.from_env(
        {"CHAT_PORT": "65535", "CHAT_BOT_MENTIONS_PER_MINUTE": "0", "CHAT_BOT_UPDATES_PER_SECOND": "0",
         "CHAT_LOG_LEVEL": "debug", "CHAT_LOG_FORMAT": "JSON", "BUS_URL": "rediss://r:6380/0"},
        env_file=None,
    )
    assert settings.port == 65535 and settings.bot_mentions_per_minute == 0


def test_a_secret_can_come_from_a_file(tmp_path):
    secret = tmp_path / "openai_key"
    secret.write_text("sk-from-file\n")
    settings = Settings.from_env({"OPENAI_API_KEY_FILE": str(secret)}, env_file=None)
    assert settings.openai_api_key == "sk-from-file" and settings.uses_llm
    port_file = tmp_path / "port"
    port_file.write_text("9123")
    assert Settings.from_env({"CHAT_PORT_FILE": str(port_file)}, env_file=None).port == 9123


def test_a_secret_file_that_cannot_be_read_or_a_double_setting_is_refused(tmp_path):
    missing = tmp_path / "nope"
    with pytest.raises(SettingsError, match=rf"OPENAI_API_KEY_FILE='{missing}' cannot be read"):
        Settings.from_env({"OPENAI_API_KEY_FILE": str(missing)}, env_file=None)
    secret = tmp_path / "key"
    secret.write_text("sk-1")
    with pytest.raises(SettingsError, match="OPENAI_API_KEY and OPENAI_API_KEY_FILE are both set"):
        Settings.from_env({"OPENAI_API_KEY": "sk-2", "OPENAI_API_KEY_FILE": str(secret)}, env_file=None)


def test_a_dotenv_file_fills_in_what_the_environment_does_not_set(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("CHAT_ROOM=lobby\nCHAT_PORT=9001\nOPENAI_API_KEY=sk-dotenv\n")
    settings = Settings.from_env({"CHAT_PORT": "9002"}, env_file=dotenv)
    assert (settings.room, settings.port, settings.openai_api_key) == ("lobby", 9002, "sk-dotenv")
    bad = tmp_path / "bad.env"
    bad.write_text("CHAT_PRESENCE_TTL=-5\n")
    with pytest.raises(SettingsError, match="CHAT_PRESENCE_TTL=-5.0"):
        Settings.from_env({}, env_file=bad)


def _main(tmp_path, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CHAT_", "OPENAI_"))}
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py")],
        cwd=tmp_path,
        env={**clean, "CHAT_DATA_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "env, message",
    [
        ({"CHAT_PRESENCE_TTL": "-5"}, "CHAT_PRESENCE_TTL=-5.0 is not allowed (allowed: at least 0.1)"),
        ({"CHAT_PORT": "99999"}, "CHAT_PORT=99999 is not allowed (allowed: 1 to 65535)"),
        ({"CHAT_RATE_PER_SECOND": "nan"}, "CHAT_RATE_PER_SECOND=nan is not allowed (allowed: a finite number)"),
        ({"CHAT_SHUTDOWN_DEADLINE": "inf"}, "CHAT_SHUTDOWN_DEADLINE=inf is not allowed (allowed: a finite number)"),
    ],
)
def test_main_exits_2_with_the_message(tmp_path, env, message):
    done = _main(tmp_path, **env)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == f"confab: {message}"


def test_main_reads_dotenv_from_its_directory(tmp_path):
    (tmp_path / ".env").write_text("CHAT_BOT_TEMPERATURE=9\n")
    done = _main(tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == "confab: CHAT_BOT_TEMPERATURE=9.0 is not allowed (allowed: 0 to 2)"


def test_json_logs_are_one_object_per_line_uvicorn_included(tmp_path):
    server = AppProcess(tmp_path, env={"CHAT_LOG_FORMAT": "json", "CHAT_LOG_LEVEL": "INFO"}).start()
    try:
        assert httpx.get(server.url + "/livez", timeout=5).status_code == 200
    finally:
        assert server.terminate() == 0
    lines = [line for line in server.log().splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line parses
    assert all({"time", "level", "logger", "message"} <= entry.keys() for entry in entries)
    loggers = {entry["logger"] for entry in entries}
    assert {"chat.app", "uvicorn.error", "uvicorn.access"} <= loggers, loggers
    assert any('"GET /livez HTTP/1.1" 200' in entry["message"] for entry in entries)


def test_log_level_warning_quietens_uvicorn_too(tmp_path):
    server = AppProcess(tmp_path, env={"CHAT_LOG_LEVEL": "WARNING"}).start()
    try:
        httpx.get(server.url + "/livez", timeout=5)
    finally:
        assert server.terminate() == 0
    log = server.log()
    assert "Uvicorn running" not in log and "GET /livez" not in log and "Confab started" not in log


def test_access_lines_never_show_a_webhooks_secret(tmp_path):
    server = AppProcess(tmp_path, env={"CHAT_LOG_LEVEL": "INFO"}).start()
    secret = "s3cr3t-hook-path-part"
    try:
        answer = httpx.post(
            f"{server.url}/api/v1/hooks/{secret}?x=1", json={"text": "hi"}, timeout=5
        )
        assert answer.status_code == 404
    finally:
        assert server.terminate() == 0
    log = server.log()
    assert '"POST /api/v1/hooks/<secret>?x=1 HTTP/1.1" 404' in log, log
    assert secret not in log
