"""Settings come from the environment once, with errors that name the variable."""

import pytest

from chat.config import Settings, SettingsError


def test_defaults_run_out_of_the_box(tmp_path):
    settings = Settings.from_env({})
    assert (settings.host, settings.port) == ("127.0.0.1", 8550)
    assert settings.database_url == "sqlite:///data/confab.db"
    assert settings.bus_url == "memory://"
    assert not settings.uses_llm


def test_environment_and_flags(tmp_path):
    env = {"CHAT_PORT": "9000", "CHAT_DATA_DIR": str(tmp_path), "CHAT_DESKTOP": "yes", "OPENAI_BASE_URL": "http://x/v1"}
    settings = Settings.from_env(env, host="0.0.0.0", port=None)
    assert settings.port == 9000 and settings.host == "0.0.0.0" and settings.desktop
    assert settings.database_url == f"sqlite:///{tmp_path}/confab.db"
    assert settings.uses_llm
    assert Settings.from_env(env, port=1234).port == 1234


def test_a_bad_value_names_its_variable():
    with pytest.raises(SettingsError, match="CHAT_PORT='eighty' is not a valid int"):
        Settings.from_env({"CHAT_PORT": "eighty"})
    with pytest.raises(SettingsError, match="CHAT_DESKTOP"):
        Settings.from_env({"CHAT_DESKTOP": "maybe"})


def test_secrets_stay_out_of_repr():
    settings = Settings(openai_api_key="sk-canary-1", api_token="tok-canary-2")
    assert "canary" not in repr(settings)


@pytest.mark.parametrize(
    "variable",
    ["CHAT_BOT_MAX_REPLY_CHARS", "CHAT_BOT_CHECKPOINT_SECONDS", "CHAT_IMAGE_MAX_BYTES",
     "CHAT_IMAGE_MAX_PIXELS", "CHAT_IMAGE_FETCH_TIMEOUT"],
)
def test_the_bot_bounds_must_be_positive(variable):
    for bad in ("0", "-5"):
        with pytest.raises(SettingsError, match=f"{variable}=.* is not allowed \\(allowed: (at least 1|more than 0)\\)"):
            Settings.from_env({variable: bad})
    with pytest.raises(SettingsError, match=f"{variable}='lots' is not a valid"):
        Settings.from_env({variable: "lots"})


def test_bot_replies_are_bounded_by_default():
    settings = Settings.from_env({})
    assert settings.bot_max_reply_chars == 16_000 and settings.bot_checkpoint_seconds == 2.0
    assert Settings.from_env({"CHAT_BOT_MAX_REPLY_CHARS": "500"}).bot_max_reply_chars == 500
