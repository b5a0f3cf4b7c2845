"""The AI participant: brains behind one interface, and the bot that uses them."""

from __future__ import annotations

from chat.bot.provider import Brain
from chat.config import Settings


def choose_brain(settings: Settings) -> Brain:
    """The OpenAI-compatible brain when a server is configured, else the offline one."""
    if settings.uses_llm:
        from chat.bot.openai import OpenAIBrain

        return OpenAIBrain(settings)
    from chat.bot.offline import OfflineBrain

    return OfflineBrain(settings.data_dir)
