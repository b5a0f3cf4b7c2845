"""One streamed answer: the model's text into the reply, "thinking… Ns" while it reasons, tokens counted."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Sequence
from contextlib import aclosing

from chat.bot.budget import estimate_tokens
from chat.bot.provider import Brain, StreamReport, Turn
from chat.bot.writer import ReplyWriter

THINKING_TICK = 1.0
"""Seconds between two "thinking… Ns" updates."""
SHOWN_REASONING_CHARS = 4000
"""Most reasoning kept in a reply whose bot shows it (the end of it, where it concludes)."""


class AnswerStream:
    """Streams `brain`'s answer into `writer`; reasoning is shown only if `show_reasoning`.

    Without it, people see "thinking… Ns" while the model reasons, and the
    reasoning is neither shown nor stored; with it, the reasoning is shown as it
    comes and kept, quoted, above the answer.
    """

    def __init__(
        self,
        brain: Brain,
        writer: ReplyWriter,
        *,
        show_reasoning: bool,
        tick: float = THINKING_TICK,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.brain = brain
        self.writer = writer
        self.show_reasoning = show_reasoning
        self.report = StreamReport()
        self._tick = tick
        self._clock = clock
        self._answering = False

    async def run(self, turns: Sequence[Turn]) -> None:
        """Stream the answer to `turns` until it ends or the reply is full."""
        ticker = asyncio.create_task(self._show_thinking(), name="bot-thinking")
        try:
            # aclosing: on Stop the model's stream is closed now, not when it is garbage collected.
            async with aclosing(self.brain.stream(turns, report=self.report)) as chunks:
                async for chunk in chunks:
                    if not self._answering:
                        self._answering = True
                        ticker.cancel()
                        if self.show_reasoning and self.report.reasoning:
                            await self.writer.add(quoted(self._reasoning()) + "\n\n")
                    if not await self.writer.add(chunk):
                        break  # full: leaving the block closes the model's stream now
        finally:
            ticker.cancel()

    def tokens(self, turns: Sequence[Turn]) -> tuple[int, int]:
        """(prompt, completion) tokens: the server's count, else estimated from the text."""
        report = self.report
        prompt = report.prompt_tokens
        if prompt is None:
            prompt = estimate_tokens(sum(len(turn.content) for turn in turns))
        completion = report.completion_tokens
        if completion is None:
            reasoning = sum(len(piece) for piece in report.reasoning)
            completion = estimate_tokens(len(self.writer.text) + reasoning)
        return prompt, completion

    async def _show_thinking(self) -> None:
        while self.report.thinking_since is None:
            await asyncio.sleep(min(self._tick, 0.2))
        while not self._answering:
            seconds = math.floor(self._clock() - self.report.thinking_since)
            note = f"*thinking… {seconds}s*"
            if self.show_reasoning:
                note += "\n\n" + quoted(self._reasoning())
            await self.writer.note(note)
            await asyncio.sleep(self._tick)

    def _reasoning(self) -> str:
        text = "".join(self.report.reasoning).strip()
        return text if len(text) <= SHOWN_REASONING_CHARS else "…" + text[-SHOWN_REASONING_CHARS:]


def quoted(text: str) -> str:
    """`text` as a Markdown blockquote."""
    return "\n".join("> " + line for line in text.splitlines() or [""])
