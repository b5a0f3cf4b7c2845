"""What a bot answers without its model's words: /help, and /imagine's picture."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from chat.bot.images import ImageStore
from chat.bot.picture import BadPicture, checked_png, require_pillow
from chat.bot.provider import Brain, BrainError
from chat.bot.writer import ReplyWriter
from chat.config import Settings
from chat.domain import MessageStatus

Introduction = tuple[str, str, str]
"""A bot as /help names it: handle, display name, and its brain's description."""


def help_text(me: Introduction, others: Sequence[Introduction]) -> str:
    """Who the bot is, which brain answers (its model, never an address or key), and the others."""
    handle, display_name, brain = me
    text = (
        f"I'm **{display_name}**, answering with the {brain}.\n\n"
        f"- `@{handle} <question>`: I answer here, for everyone, as I write; "
        "whoever asked can stop me.\n"
        f"- `@{handle} /imagine <prompt>`: I draw a picture (needs an OpenAI-compatible server).\n"
        f"- `@{handle} /usage`: the tokens you and this room have left with me today.\n"
        f"- `@{handle} /help`: this note."
    )
    if others:
        text += "\n\nThe other bots here:\n" + "\n".join(
            f"- `@{other}` ({name}): the {description}" for other, name, description in others
        )
    return text


async def draw_picture(
    writer: ReplyWriter, brain: Brain, images: ImageStore, settings: Settings, prompt: str
) -> None:
    """Ask `brain` for a picture of `prompt`, check it, keep it, and finish the reply with it."""
    if not prompt:
        handle = settings.bot_name
        raise BrainError(f"Tell me what to draw: @{handle} /imagine a lighthouse at dusk")
    try:
        require_pillow()  # before the image server is asked (and perhaps paid) for a picture
    except BadPicture as exc:
        raise BrainError(str(exc)) from None
    await writer.note(f"Drawing *{prompt}*…")
    data = await brain.imagine(prompt)
    try:
        # Decoded and re-encoded: what is kept and served is a picture we made, of bounded size.
        png = await asyncio.to_thread(
            checked_png,
            data,
            max_bytes=settings.image_max_bytes,
            max_pixels=settings.image_max_pixels,
        )
    except BadPicture as exc:
        raise BrainError(str(exc)) from None
    try:
        url = images.save(png)
    except (OSError, ValueError) as exc:
        raise BrainError(f"The picture could not be saved ({exc}).") from exc
    await writer.finish(MessageStatus.DONE, text=f"*{prompt}*", image=url)
