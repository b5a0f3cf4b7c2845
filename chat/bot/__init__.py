"""The AI participant: brains behind one interface, and the bot that uses them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from chat.bot.provider import Brain

if TYPE_CHECKING:  # chat.config reads the bots file with chat.bot.roster: no import cycle
    from chat.bot.roster import BotSpec
    from chat.config import Settings


def bot_settings(settings: Settings, spec: BotSpec) -> Settings:
    """`settings` as one bot sees them: its handle, names, brain, prompt and bounds."""
    llm = spec.brain == "openai"
    return replace(
        settings,
        bot_name=spec.handle,
        bot_display_name=spec.display_name,
        openai_api_key=spec.api_key if llm else "",
        openai_base_url=(spec.base_url or settings.openai_base_url) if llm else "",
        bot_model=spec.model or settings.bot_model,
        bot_system_prompt=spec.system_prompt,
        bot_temperature=spec.temperature,
        bot_max_tokens=spec.max_tokens,
        bot_context_tokens=spec.context_tokens,
    )


def choose_brain(settings: Settings, spec: BotSpec | None = None) -> Brain:
    """The local brain if `spec` asks for it; else OpenAI-compatible when a server is configured,
    else the chosen offline one."""
    if spec is not None and spec.brain == "local":
        from chat.bot.local import LocalBrain  # llama_cpp itself is imported when the model loads

        return LocalBrain(
            Path(spec.model_path) if spec.model_path else None,
            context_tokens=spec.context_tokens,
            max_tokens=spec.max_tokens,
            temperature=spec.temperature,
            repeat_penalty=spec.repeat_penalty,
            total_timeout=settings.bot_total_timeout,
        )
    if settings.uses_llm:
        from chat.bot.openai import OpenAIBrain

        return OpenAIBrain(settings)
    if settings.offline_brain == "chatterbot":
        from chat.bot.offline import OfflineBrain

        return OfflineBrain(settings.data_dir)
    from chat.bot.fuzzy import FuzzyBrain

    return FuzzyBrain()
