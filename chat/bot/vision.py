"""Pictures for a bot that reads them: the room's newest images as data URLs, bounded in number
and bytes; a bot without vision is only told, in words, that an image was there."""

from __future__ import annotations

import base64
from collections.abc import Sequence

from chat.attachments import Attachment
from chat.blobs import BlobStore
from chat.domain import Message


def attachment_words(attachment: Attachment) -> str:
    """What any bot reads where a file was posted."""
    name = " ".join(attachment.name.replace("]", ")").split())[:80]
    kind = "an image" if attachment.is_image else "a file"
    return f"[{kind} was posted: {name}]"


async def recent_pictures(
    messages: Sequence[Message], blobs: BlobStore, *, most: int, max_bytes: int
) -> dict[str, str]:
    """Attachment id -> data URL for the newest pictures in `messages` within the bounds.

    Newest first: a picture that would pass `max_bytes` is skipped (an older, smaller one
    may still fit); at most `most` are taken.
    """
    chosen: dict[str, str] = {}
    left = max_bytes
    for message in reversed(messages):
        if message.is_deleted:
            continue
        for attachment in reversed(message.meta.attachments):
            if len(chosen) >= most:
                return chosen
            if not attachment.is_image or attachment.size > left:
                continue
            blob = await blobs.get(attachment.id)
            if blob is None or blob.size > left:
                continue
            left -= blob.size
            encoded = base64.b64encode(blob.data).decode()
            chosen[attachment.id] = f"data:{blob.content_type};base64,{encoded}"
    return chosen
