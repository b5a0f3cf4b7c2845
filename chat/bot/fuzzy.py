"""The default offline brain: ChatterBot's English corpus answered by fuzzy matching.

No training and no language model: the corpus (a few hundred KB of YAML) is read once
in a thread, and each question is matched against every corpus statement with
rapidfuzz. Ready well under a second after start, in a few MB of memory.

The score blends two rapidfuzz measures, half each: token-set similarity of the
content words (without "what is your" and the like, which would otherwise make
"what is your favourite food" closest to "what is your favorite number") and plain
similarity of the whole sentence (which keeps word order and short questions such as
"how are you" meaningful).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from rapidfuzz import fuzz, process, utils

from chat.bot.offline import FALLBACK_REPLY, IMAGINE_UNSUPPORTED, question_from
from chat.bot.provider import BrainError, StreamReport, Turn

log = logging.getLogger(__name__)

CORPUS_PACKAGE = "chatterbot_corpus"
ENGLISH = ("data", "english")
MIN_SCORE = 60.0
"""Below this blended score (0-100) the brain admits it does not know."""
CANDIDATES = 25
"""How many of the closest statements are weighed by the question words they share."""
UNSHARED_WEIGHT = 0.7
"""A statement's score is kept whole when it has all the question's words, and this share of
it when it has none: enough to send "the capital of France" to the fallback, not "hello there"."""
SAME_WORD = 80.0
"""Two words this alike (rapidfuzz ratio, 0-100) count as the same word."""
STOP_WORDS = frozenset(
    {
        "a",
        "an",
        "the",
        "is",
        "are",
        "am",
        "was",
        "were",
        "be",
        "do",
        "does",
        "did",
        "i",
        "me",
        "my",
        "you",
        "your",
        "we",
        "our",
        "it",
        "its",
        "this",
        "that",
        "what",
        "who",
        "how",
        "why",
        "when",
        "where",
        "which",
        "to",
        "of",
        "in",
        "on",
        "at",
        "for",
        "and",
        "or",
        "can",
        "could",
        "would",
        "will",
        "with",
        "about",
    }
)


@dataclass(frozen=True, slots=True)
class Corpus:
    """Statements and, for each, the replies the corpus gives to it (same index)."""

    statements: tuple[str, ...]
    replies: tuple[tuple[str, ...], ...]
    categories: tuple[str, ...]
    """The corpus file (topic) each statement comes from, e.g. "greetings"."""


def english_corpus_dir() -> Path:
    """Where the installed chatterbot-corpus package keeps its English YAML files."""
    return Path(str(resources.files(CORPUS_PACKAGE).joinpath(*ENGLISH)))


def load_corpus(directory: Path) -> Corpus:
    """Every (statement, reply) pair of every conversation in the YAML files of `directory`."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader is ~10x faster
    by_statement: dict[str, tuple[str, list[str]]] = {}
    files = sorted(directory.glob("*.yml"))
    if not files:
        raise FileNotFoundError(f"no corpus files in {directory}")
    for path in files:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or {}
        for conversation in data.get("conversations") or []:
            lines = [str(line).strip() for line in conversation]
            for statement, reply in itertools.pairwise(lines):
                if statement and reply:
                    by_statement.setdefault(statement, (path.stem, []))[1].append(reply)
    statements = tuple(by_statement)
    return Corpus(
        statements=statements,
        replies=tuple(tuple(by_statement[s][1]) for s in statements),
        categories=tuple(by_statement[s][0] for s in statements),
    )


def weighed(score: float, asked: Sequence[str], statement: Sequence[str]) -> float:
    """`score` weighed by the share of the `asked` words `statement` has (see UNSHARED_WEIGHT).

    Words count as the same when spelled alike ("favourite", "favorite").
    """
    if not asked:
        return score
    found = sum(
        1
        for word in asked
        if process.extractOne(word, statement, scorer=fuzz.ratio, score_cutoff=SAME_WORD)
    )
    return score * (UNSHARED_WEIGHT + (1 - UNSHARED_WEIGHT) * found / len(asked))


def content_words(processed: str) -> str:
    """`processed` (lower case, no punctuation) without stop words, unless that leaves nothing."""
    words = processed.split()
    kept = [word for word in words if word not in STOP_WORDS]
    return " ".join(kept or words)


class FuzzyBrain:
    """Answers from ChatterBot's English corpus by fuzzy matching; no network, key or model."""

    extractive_summary = True
    """Summaries pick the most informative messages (chat.bot.summarising): no model writes them."""

    def __init__(
        self,
        *,
        corpus_dir: Path | None = None,
        word_delay: float = 0.03,
        min_score: float = MIN_SCORE,
        rng: random.Random | None = None,
    ) -> None:
        self.description = (
            "offline brain: ChatterBot's English corpus, fuzzy-matched "
            "(set OPENAI_BASE_URL or OPENAI_API_KEY to use an LLM)"
        )
        self._corpus_dir = corpus_dir
        self._word_delay = word_delay
        self._min_score = min_score
        self._rng = rng or random.Random()
        self._ready_lock = asyncio.Lock()
        self._corpus: Corpus | None = None
        self._whole: list[str] = []
        self._content: list[str] = []

    async def warm_up(self) -> None:
        """Read the corpus now, so the first mention is answered at once."""
        await self._ensure_ready()

    async def stream(
        self, history: Sequence[Turn], report: StreamReport | None = None
    ) -> AsyncGenerator[str, None]:
        """Yield the reply to the last user turn, a word and a space at a time."""
        await self._ensure_ready()
        reply = self.answer(question_from(history) or "Hello")
        for word in reply.split():
            yield word + " "
            await asyncio.sleep(self._word_delay)

    def answer(self, question: str) -> str:
        """The corpus reply to the closest statement, or FALLBACK_REPLY when none is close."""
        match = self.best_match(question)
        if match is None:
            return FALLBACK_REPLY
        assert self._corpus is not None
        return self._rng.choice(self._corpus.replies[match])

    def best_match(self, question: str) -> int | None:
        """Index of the corpus statement closest to `question`, if close enough."""
        if self._corpus is None:
            raise BrainError("The offline bot is not ready yet.")
        whole = utils.default_process(question)
        if not whole:
            return None
        everyone = len(self._whole)
        scores = [0.0] * everyone
        for _, score, index in process.extract(
            content_words(whole), self._content, scorer=fuzz.token_set_ratio, limit=everyone
        ):
            scores[index] = score / 2
        for _, score, index in process.extract(
            whole, self._whole, scorer=fuzz.ratio, limit=everyone
        ):
            scores[index] += score / 2
        # The closest few by that score, weighed by how many of the question's own words each
        # has: "the capital of France" is not "Jordan's capital city", however alike they read.
        asked = content_words(whole).split()
        closest = sorted(range(everyone), key=scores.__getitem__, reverse=True)[:CANDIDATES]
        final = {i: weighed(scores[i], asked, self._content[i].split()) for i in closest}
        best = max(closest, key=final.__getitem__)
        return best if final[best] >= self._min_score else None

    async def imagine(self, prompt: str) -> bytes:
        """The offline brain cannot draw; say how to connect one that can."""
        raise BrainError(IMAGINE_UNSUPPORTED)

    async def aclose(self) -> None:
        """Nothing to release: the corpus is plain data in memory."""

    async def _ensure_ready(self) -> None:
        if self._corpus is not None:
            return
        async with self._ready_lock:
            if self._corpus is not None:
                return
            try:
                directory = self._corpus_dir or english_corpus_dir()
                corpus = await asyncio.to_thread(load_corpus, directory)
            except Exception as error:
                log.exception("Could not read the offline bot's corpus")
                raise BrainError(
                    f"The offline bot could not start: {type(error).__name__}: {error}"
                ) from error
            self._whole = [utils.default_process(s) for s in corpus.statements]
            self._content = [content_words(s) for s in self._whole]
            self._corpus = corpus
            log.info("Offline bot ready: %d corpus statements", len(corpus.statements))
