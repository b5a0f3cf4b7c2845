"""The bots file: read into BotSpecs, or refused at start with the file, the line and what is allowed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from chat.bot import bot_settings
from chat.bot.roster import BotSpec
from chat.config import Settings, SettingsError

GOOD = """\
# Two bots.
[[bot]]
handle = "sage"
display_name = "Sage"
colour = "#3b82f6"
brain = "openai"
base_url = "http://127.0.0.1:9/v1"
model = "think-1"
api_key_env = "SAGE_KEY"
system_prompt = "You are wise."
temperature = 0.2
max_tokens = 300
context_tokens = 1000
rooms = ["general", "ideas"]
wake = "members"
person_daily_tokens = 2000
room_daily_tokens = 10000
show_reasoning = true

[[bot]]
handle = "parrot"
brain = "offline"
"""


def settings_with(tmp_path: Path, text: str, **env: str) -> Settings:
    path = tmp_path / "bots.toml"
    path.write_text(text, encoding="utf-8")
    return Settings.from_env({"CHAT_BOTS_FILE": str(path), **env}, env_file=None)


def refusal(tmp_path: Path, text: str, **env: str) -> str:
    with pytest.raises(SettingsError) as caught:
        settings_with(tmp_path, text, **env)
    message = str(caught.value)
    assert str(tmp_path / "bots.toml") in message
    return message


def test_a_good_file_gives_each_bot_with_its_key_read_from_the_named_variable(tmp_path):
    settings = settings_with(tmp_path, GOOD, SAGE_KEY="sk-sage")
    sage, parrot = settings.roster
    assert sage == BotSpec(
        handle="sage", display_name="Sage", colour="#3b82f6", brain="openai",
        base_url="http://127.0.0.1:9/v1", model="think-1", api_key_env="SAGE_KEY",
        api_key="sk-sage", system_prompt="You are wise.", temperature=0.2, max_tokens=300,
        context_tokens=1000, rooms=("general", "ideas"), wake="members",
        person_daily_tokens=2000, room_daily_tokens=10000, show_reasoning=True,
    )  # fmt: skip
    assert "sk-sage" not in repr(sage)
    # What a bot leaves out comes from the plain settings.
    assert parrot.display_name == "parrot" and parrot.wake == "everyone" and parrot.rooms == ()
    assert parrot.system_prompt == Settings().bot_system_prompt
    assert sage.sits_in("ideas") and not sage.sits_in("random") and parrot.sits_in("random")
    seen_by_sage = bot_settings(settings, sage)
    assert (seen_by_sage.bot_name, seen_by_sage.bot_model, seen_by_sage.openai_api_key) == (
        "sage",
        "think-1",
        "sk-sage",
    )
    assert seen_by_sage.uses_llm and not bot_settings(settings, parrot).uses_llm


def test_no_file_means_the_one_bot_of_the_plain_settings():
    settings = Settings.from_env(
        {"CHAT_BOT_NAME": "helper", "OPENAI_API_KEY": "sk-x", "CHAT_BOT_MODEL": "m"}, env_file=None
    )
    (bot,) = settings.roster
    assert (bot.handle, bot.brain, bot.model, bot.api_key) == ("helper", "openai", "m", "sk-x")
    assert bot_settings(settings, bot) == settings


def test_a_syntax_error_names_the_line(tmp_path):
    message = refusal(tmp_path, '[[bot]]\nhandle = "a"\nmodel = \n')
    assert "not valid TOML" in message and "line 3" in message


@pytest.mark.parametrize(
    ("line", "key", "allowed"),
    [
        ("temperature = 7", "temperature", "0 to 2"),
        ('wake = "anyone"', "wake", "everyone, members, admins"),
        ('colour = "blue"', "colour", "#3b82f6"),
        ("max_tokens = 0", "max_tokens", "at least 1"),
        ('person_daily_tokens = "lots"', "person_daily_tokens", "at least 0"),
        ("show_reasoning = 1", "show_reasoning", "true or false"),
        ('rooms = "general"', "rooms", "a list of room names"),
        ('brain = "gpt"', "brain", "openai, offline"),
        ('api_key_env = "sk-abc"', "api_key_env", "NAME of an environment variable"),
    ],
)
def test_a_bad_value_names_the_bot_the_key_its_line_and_what_is_allowed(
    tmp_path, line, key, allowed
):
    text = f'[[bot]]\nhandle = "first"\n\n[[bot]]\nhandle = "second"\n{line}\n'
    message = refusal(tmp_path, text)
    assert "line 6" in message and "bot 'second'" in message, message
    assert f"{key} = " in message and allowed in message, message


def test_unknown_keys_missing_handles_keys_and_names_are_refused(tmp_path):
    assert "unknown key 'modle'" in refusal(tmp_path, '[[bot]]\nhandle = "a"\nmodle = "x"\n')
    assert "handle is missing" in refusal(tmp_path, '[[bot]]\ndisplay_name = "A"\n')
    assert "line 2" in refusal(tmp_path, '[[bot]]\nhandle = "-a"\n')
    missing = refusal(
        tmp_path, '[[bot]]\nhandle = "a"\nbrain = "openai"\nmodel = "m"\napi_key_env = "NOPE"\n'
    )
    assert "line 5" in missing and "NOPE, which is not set" in missing
    nowhere = refusal(tmp_path, '[[bot]]\nhandle = "a"\nbrain = "openai"\nmodel = "m"\n')
    assert "needs base_url" in nowhere
    twice = refusal(tmp_path, '[[bot]]\nhandle = "a"\n[[bot]]\nhandle = "b"\ndisplay_name = "A"\n')
    assert "already has" in twice
    assert "[[bot]] tables" in refusal(tmp_path, 'handle = "a"\n')


def test_confab_refuses_to_start_with_a_bad_bots_file(tmp_path):
    (tmp_path / "bots.toml").write_text('[[bot]]\nhandle = "a"\nwake = "anyone"\n')
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CHAT_", "OPENAI_"))}
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve().parent.parent / "main.py")],
        cwd=tmp_path,
        env={**clean, "CHAT_DATA_DIR": str(tmp_path), "CHAT_BOTS_FILE": "bots.toml"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == (
        "confab: CHAT_BOTS_FILE bots.toml, line 3: bot 'a': wake = \"anyone\" is not allowed "
        "(allowed: one of everyone, members, admins)"
    )


def test_a_bots_key_may_come_from_a_secret_file(tmp_path):
    secret = tmp_path / "sage_key"
    secret.write_text("sk-from-file\n")
    settings = settings_with(tmp_path, GOOD, SAGE_KEY_FILE=str(secret))
    assert settings.roster[0].api_key == "sk-from-file"
