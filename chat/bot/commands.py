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
from chat.message_meta import MessageMeta
from chat.rules import Rejected
from chat.store.base import StoreUnavailable

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
        f"- `@{handle} /catchup`: what you missed here since you last read, shown to you "
        'alone, citing the messages (or the "Catch me up" button on "New messages").\n'
        f"- `@{handle} /summarize [last N | since TIME]`: a summary for everyone "
        "(TIME: `2h`, `30m`, `14:05` UTC or a date).\n"
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
    files = writer.service.files
    try:
        if files is None:  # a bot without the composition root's file store (a bare service)
            meta = MessageMeta(image=images.save(png))
        else:
            # The same store as people's files: each read is checked, and replicas share it.
            room = writer.reply.room
            picture = await files.keep(PICTURE_AUTHOR, room, _file_name(prompt), png)
            meta = MessageMeta(attachments=(picture,))
    except (OSError, ValueError, Rejected, StoreUnavailable) as exc:
        raise BrainError(f"The picture could not be saved ({exc}).") from exc
    await writer.finish(MessageStatus.DONE, text=f"*{prompt}*", meta=meta)


PICTURE_AUTHOR = "bot"
"""Who a generated picture's record names as its uploader (bots have no person id)."""


def _file_name(prompt: str) -> str:
    words = "-".join("".join(c for c in prompt.lower() if c.isalnum() or c == " ").split()[:6])
    return f"{words or 'picture'}.png"
