"""The ChatterBot brain (CHAT_OFFLINE_BRAIN=chatterbot): trained once on its English corpus, offline."""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import AsyncGenerator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from chat.bot.context import unwrap
from chat.bot.provider import BrainError, StreamReport, Turn

log = logging.getLogger(__name__)

T = TypeVar("T")

ENGLISH_CORPUS = "chatterbot.corpus.english"
DATABASE_NAME = "chatterbot.sqlite3"
TRAINED_TABLE = "confab_trained"
"""Written only after training finished, so an interrupted training is redone."""

IMAGINE_UNSUPPORTED = (
    "Image generation needs an OpenAI-compatible server: "
    "set OPENAI_BASE_URL (or OPENAI_API_KEY) and restart."
)
CHATTERBOT_MISSING = (
    "The offline bot could not start: ChatterBot is not installed. "
    "Install it with pip install 'confab[chatterbot]', or set CHAT_OFFLINE_BRAIN=fuzzy."
)
FALLBACK_REPLY = (
    "I don't know about that yet. I'm the offline bot; connect an LLM for real answers."
)

_NAME_PREFIX = re.compile(r"^[^\s:@][^:\n]{0,63}:[ \t]+")
_MENTION = re.compile(r"(?<![\w@])@[\w.\-]+")


def question_from(history: Sequence[Turn]) -> str:
    """The text of the last user turn, without its "Name: " prefix or @mentions."""
    content = unwrap(next((t.content for t in reversed(history) if t.role == "user"), ""))
    lines = content.splitlines()
    # A turn may hold a transcript ("Alice: hi\nBob: @bot hello"); answer its last speaker.
    start = max((i for i, line in enumerate(lines) if _NAME_PREFIX.match(line)), default=None)
    if start is not None:
        lines = [_NAME_PREFIX.sub("", lines[start], count=1), *lines[start + 1 :]]
    return " ".join(_MENTION.sub(" ", "\n".join(lines)).split())


class OfflineBrain:
    """Answers from ChatterBot's English corpus; needs no network, key or model download."""

    extractive_summary = True
    """Summaries pick the most informative messages (chat.bot.summarising): no model writes them."""

    def __init__(
        self,
        data_dir: Path,
        *,
        corpus: str = ENGLISH_CORPUS,
        word_delay: float = 0.03,
        min_confidence: float = 0.2,
    ) -> None:
        self.description = (
            "offline ChatterBot brain (set OPENAI_BASE_URL or OPENAI_API_KEY to use an LLM)"
        )
        self.database_path = Path(data_dir) / DATABASE_NAME
        """The SQLite file ChatterBot is trained into."""
        self._corpus = corpus
        self._word_delay = word_delay
        self._min_confidence = min_confidence
        # ChatterBot's SQLAlchemy sessions and spaCy pipeline are not shared safely
        # between threads, so one dedicated thread does all of its work.
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="confab-chatterbot")
        self._ready_lock = asyncio.Lock()
        self._chatbot: Any = None  # touched only on the worker thread
        self._ready = False
        self._closed = False

    async def warm_up(self) -> None:
        """Build (and on first start train) the bot now, so the first mention is quick."""
        await self._ensure_ready()

    async def stream(
        self, history: Sequence[Turn], report: StreamReport | None = None
    ) -> AsyncGenerator[str, None]:
        """Yield ChatterBot's reply to the last user turn, a word and a space at a time."""
        await self._ensure_ready()
        # An empty mention ("@bot") is treated as a greeting rather than sent as "".
        question = question_from(history) or "Hello"
        try:
            reply = await self._on_worker(self._answer, question)
        except Exception as error:
            log.exception("ChatterBot failed to answer %r", question)
            raise BrainError(
                f"The offline bot could not answer ({type(error).__name__})."
            ) from error
        for word in reply.split():
            yield word + " "
            await asyncio.sleep(self._word_delay)

    async def imagine(self, prompt: str) -> bytes:
        """The offline brain cannot draw; say how to connect one that can."""
        raise BrainError(IMAGINE_UNSUPPORTED)

    async def aclose(self) -> None:
        """Release the database and stop the worker thread."""
        if self._closed:
            return
        self._closed = True
        # Queued behind any running work, so the shutdown below does not block.
        await self._on_worker(self._dispose)
        self._worker.shutdown(wait=True)

    async def _ensure_ready(self) -> None:
        if self._ready:
            return
        async with self._ready_lock:
            if self._ready:
                return
            try:
                await self._on_worker(self._prepare)
            except ModuleNotFoundError as error:  # the default install leaves ChatterBot out
                raise BrainError(CHATTERBOT_MISSING) from error
            except Exception as error:
                log.exception("Could not prepare the offline brain in %s", self.database_path)
                raise BrainError(f"The offline bot could not start: {_short(error)}") from error
            self._ready = True

    async def _on_worker(self, work: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._worker, work, *args)

    # Everything below runs on the worker thread only.

    def _prepare(self) -> None:
        if self._chatbot is not None:  # an earlier, cancelled warm-up already finished
            return
        corpus_files = _corpus_files(self._corpus)
        trained = _trained_corpus(self.database_path) == self._corpus
        if not trained:
            self.database_path.parent.mkdir(parents=True, exist_ok=True)
            _remove_database(self.database_path)  # drop what an interrupted run left
        chatbot = _build_chatbot(self.database_path)
        if not trained:
            from chatterbot.trainers import ChatterBotCorpusTrainer

            log.info("Training the offline bot on %d corpus files", len(corpus_files))
            trainer = ChatterBotCorpusTrainer(chatbot, show_training_progress=False)
            trainer.train(*corpus_files)
            _mark_trained(self.database_path, self._corpus)
            log.info("Offline bot trained into %s", self.database_path)
        self._chatbot = chatbot

    def _answer(self, question: str) -> str:
        response = self._chatbot.get_response(question)
        text = (response.text or "").strip()
        if not text or response.confidence < self._min_confidence:
            return FALLBACK_REPLY
        return text

    def _dispose(self) -> None:
        if self._chatbot is not None:
            self._chatbot.storage.Session.remove()
            self._chatbot.storage.engine.dispose()
            self._chatbot = None


def _build_chatbot(database_path: Path) -> Any:
    from chatterbot import ChatBot
    from chatterbot.tagging import LowercaseTagger

    # LowercaseTagger runs on spacy.blank("en"): the default PosLemmaTagger
    # needs the en_core_web_sm model, which would have to be downloaded.
    # "sqlite+pysqlite" rather than "sqlite": for a URI starting "sqlite://"
    # ChatterBot adds a WAL-pragma listener to *every* SQLAlchemy Engine in
    # the process, which would leak into other code's databases.
    return ChatBot(
        "confab",
        tagger=LowercaseTagger,
        database_uri=f"sqlite+pysqlite:///{database_path}",
        logic_adapters=["chatterbot.logic.BestMatch"],
        # Read-only: a shared room must not be able to teach the bot what to say.
        read_only=True,
    )


def _corpus_files(corpus: str) -> list[str]:
    from chatterbot.corpus import list_corpus_files

    files = [path for path in list_corpus_files(corpus) if Path(path).is_file()]
    if not files:
        raise FileNotFoundError(f"no corpus files for {corpus!r}; is chatterbot-corpus installed?")
    return files


def _trained_corpus(database_path: Path) -> str | None:
    if not database_path.is_file():
        return None
    try:
        db = sqlite3.connect(f"{database_path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            row = db.execute(f"SELECT corpus FROM {TRAINED_TABLE} LIMIT 1").fetchone()
        finally:
            db.close()
    except sqlite3.DatabaseError:  # no marker table yet, or not a database at all
        return None
    return row[0] if row else None


def _mark_trained(database_path: Path, corpus: str) -> None:
    db = sqlite3.connect(database_path)
    try:
        with db:
            db.execute(
                f"CREATE TABLE {TRAINED_TABLE} (corpus TEXT NOT NULL, trained_at TEXT NOT NULL)"
            )
            db.execute(
                f"INSERT INTO {TRAINED_TABLE} VALUES (?, ?)",
                (corpus, datetime.now(UTC).isoformat()),
            )
    finally:
        db.close()


def _remove_database(database_path: Path) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(f"{database_path}{suffix}").unlink(missing_ok=True)


def _short(error: Exception) -> str:
    lines = str(error).strip().splitlines()
    text = lines[0] if lines else type(error).__name__
    return text if len(text) <= 120 else text[:117] + "..."
