"""ReplyWriter: one growing bot reply, shown a few times a second, checkpointed, stored at the end."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import replace

from chat import metrics
from chat.bot.checkpoint import Checkpoints
from chat.bot.reply_text import ReplyText, scrub_secrets
from chat.domain import Message, MessageStatus
from chat.message_meta import NO_META, MessageMeta
from chat.service import ChatService

log = logging.getLogger(__name__)


class ReplyWriter:
    """Grows one reply, sending at most `rate` updates a second, and stores it at the end.

    Updates go out one at a time and in order (a slow bus must not show an older
    text after a newer one), none after the reply was finished, and a pause in
    the stream still sends the last words within one interval. The text so far
    is checkpointed to the store every `checkpoint_every` seconds while it
    grows, so a crash loses only a moment of it. The `secrets` never show and
    are never stored, and the answer stops growing at `max_chars`.
    """

    def __init__(
        self,
        service: ChatService,
        reply: Message,
        rate: float,
        *,
        max_chars: int = 16_000,
        secrets: Sequence[str] = (),
        checkpoint_every: float = 2.0,
    ):
        self.service = service
        self.reply = reply
        self.text = ""
        """The answer so far: what is stored if the reply ends now."""
        self._answer = ReplyText(max_chars, secrets)
        self._secrets = secrets
        self._checkpoints = Checkpoints(self._checkpoint, checkpoint_every)
        self._interval = 1.0 / rate if rate > 0 else math.inf
        self._next = reply.text  # what the room should see next
        self._shown = reply.text
        self._last_sent = -math.inf
        self._timer: asyncio.TimerHandle | None = None
        self._later: asyncio.Task | None = None
        self._sending = asyncio.Lock()
        self._finished = False
        self._saving: asyncio.Task | None = None

    @property
    def cut(self) -> bool:
        """True once the answer reached its maximum length (the rest was dropped)."""
        return self._answer.cut

    async def add(self, chunk: str) -> bool:
        """Append a piece of the answer; False once it is full and the stream should stop."""
        more = self._answer.add(chunk)
        if self._answer.text != self.text:
            self.text = self._answer.text
            self._checkpoints.changed(self.text)
            await self._show(self.text)
        return more

    async def note(self, text: str) -> None:
        """Show `text` ("Drawing…") in place of the answer, without making it part of it."""
        await self._show(scrub_secrets(text, self._secrets))

    async def finish(
        self, status: MessageStatus, text: str | None = None, meta: MessageMeta = NO_META
    ) -> None:
        """Store the final text (default: the answer so far) and status; later calls do nothing.

        A cancellation (Stop, shutdown) that arrives meanwhile waits for the save, then goes on.
        """
        if self._finished:
            return
        self._finished = True
        metrics.bot_reply_ended(status.value)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if text is None:
            # Only a complete answer gets what was held back as a possible start of a secret.
            final = self._answer.end(complete=status is MessageStatus.DONE)
        else:
            final = scrub_secrets(text, self._secrets)
        if meta.error:  # an upstream fault's words may quote what was sent, key included
            meta = replace(meta, error=scrub_secrets(meta.error, self._secrets))
        self._saving = asyncio.ensure_future(self._save(final, status, meta))
        try:
            await asyncio.shield(self._saving)
        except asyncio.CancelledError:
            await asyncio.wait([self._saving])
            if not self._saving.cancelled() and self._saving.exception() is not None:
                log.warning("could not store a bot reply: %r", self._saving.exception())
            raise

    async def _save(self, text: str, status: MessageStatus, meta: MessageMeta) -> None:
        await self._checkpoints.close()  # a checkpoint under way lands first (and cannot undo this)
        async with self._sending:  # after an update already on its way, never before it
            self.reply = await self.service.finish_reply(self.reply, text, status, meta)

    async def stop_checkpoints(self) -> None:
        """No more checkpoints (the reply ended, or can no longer be stored); safe to repeat."""
        await self._checkpoints.close()

    async def _checkpoint(self, text: str) -> None:
        await self.service.checkpoint_reply(self.reply, text)

    async def _show(self, text: str) -> None:
        self._next = text
        if self._finished or self._timer is not None or math.isinf(self._interval):
            return  # stored soon, an update is already due, or only the end is shown
        await self._send()

    async def _send(self) -> None:
        async with self._sending:
            if self._finished or self._next == self._shown:
                return
            wait = self._interval - (time.monotonic() - self._last_sent)
            if wait > 0:
                if self._timer is None:
                    self._timer = asyncio.get_running_loop().call_later(wait, self._send_later)
                return
            self._last_sent = time.monotonic()
            text = self._next
            self.reply = await self.service.stream_reply(self.reply, text)
            self._shown = text

    def _send_later(self) -> None:
        self._timer = None
        self._later = asyncio.create_task(self._send(), name=f"reply-update-{self.reply.id}")
        self._later.add_done_callback(_log_failure)


def _log_failure(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        # Only a stale in-between update is lost; the final text is stored by finish.
        log.warning("could not send an update of a bot reply: %r", task.exception())
