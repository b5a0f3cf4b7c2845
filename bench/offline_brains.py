"""The two offline brains on 20 fixed questions: how often each answers on topic.

    .venv/bin/python -m bench.offline_brains     # prints JSON; ChatterBot trains first (~15 s)

The questions are phrased as people in a chat would ask, not copied from the corpus,
and each has keywords an on-topic answer contains (any one, case-insensitive, matched
as a word prefix). The list was fixed before the fuzzy matcher's cut-off was chosen;
it is what `tests/test_offline_brain.py` checks, so change it only on purpose.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import sys
import tempfile
import time
from pathlib import Path

QUESTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("hello there", ("hi", "hello", "greetings", "hey")),
    ("how are you doing today?", ("good", "fine", "well", "okay", "great", "thanks")),
    ("what exactly is AI", ("intelligen", "machine", "artificial")),
    ("are you a robot?", ("robot", "machine", "program", "software", "computer", "bot")),
    ("what is your name", ("name", "bot", "confab")),
    ("what is your favourite food?", ("food", "eat", "electricity", "hungry")),
    ("do you like basketball", ("basketball", "ball", "sport", "game", "play")),
    ("what is soccer", ("football", "soccer", "ball", "game", "sport")),
    ("what is a government", ("govern", "rule", "people", "state", "law")),
    ("what is money", ("money", "currency", "pay", "exchange", "medium")),
    ("my computer does not turn on", ("power", "cable", "plug", "battery", "button", "outlet")),
    ("I forgot my password", ("reset", "password", "recover")),
    ("what is a computer", ("computer", "machine", "device", "electronic")),
    ("do you have feelings", ("feel", "emotion")),
    ("what is your favorite movie", ("movie", "film")),
    ("what is your favorite book", ("book", "read", "novel", "author")),
    ("what is physics", ("physic", "matter", "energy", "force")),
    ("who invented the telephone", ("bell",)),
    ("are you happy", ("happy", "glad", "feel", "emotion")),
    ("what is the stock market", ("stock", "share", "market", "trade")),
)


def on_topic(answer: str, keywords: tuple[str, ...]) -> bool:
    """True when `answer` contains a word starting with one of `keywords`."""
    return any(re.search(rf"\b{re.escape(k)}", answer, re.IGNORECASE) for k in keywords)


async def answers_of(brain) -> list[str]:
    """The brain's whole reply to each question, in order."""
    from chat.bot.provider import Turn

    replies = []
    for question, _ in QUESTIONS:
        chunks = [c async for c in brain.stream([Turn("user", f"Alice: @bot {question}")])]
        replies.append("".join(chunks).strip())
    return replies


def score(replies: list[str]) -> dict:
    """Count and list which replies are on topic."""
    rows = [
        {"question": q, "answer": a, "on_topic": on_topic(a, keywords)}
        for (q, keywords), a in zip(QUESTIONS, replies)
    ]
    return {"on_topic": sum(r["on_topic"] for r in rows), "of": len(rows), "answers": rows}


async def run_brain(name: str, data_dir: Path) -> dict:
    """Start one brain, time its start, and score its 20 answers."""
    started = time.perf_counter()
    if name == "chatterbot":
        from chat.bot.offline import OfflineBrain

        brain = OfflineBrain(data_dir, word_delay=0)
    else:
        from chat.bot.fuzzy import FuzzyBrain

        brain = FuzzyBrain(word_delay=0, rng=random.Random(0))
    try:
        await brain.warm_up()
        ready = time.perf_counter() - started
        result = score(await answers_of(brain))
    finally:
        await brain.aclose()
    return {"brain": name, "ready_s": round(ready, 2), **result}


async def main() -> None:
    with tempfile.TemporaryDirectory() as data_dir:
        results = [await run_brain(name, Path(data_dir)) for name in ("fuzzy", "chatterbot")]
    json.dump(results, sys.stdout, indent=2)
    print()
    for r in results:
        print(
            f"{r['brain']}: {r['on_topic']}/{r['of']} on topic, ready in {r['ready_s']} s",
            file=sys.stderr,
        )


if __name__ == "__main__":
    asyncio.run(main())
