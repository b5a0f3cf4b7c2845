"""SearchStore contract: the same tests on a real SQLite file and a real PostgreSQL."""

from __future__ import annotations

import random

import pytest
import pytest_asyncio

from chat.domain import MessageStatus, utc_now
from chat.message_meta import MessageMeta
from chat.search_query import HIT_START, SearchOrder, parse
from tests import test_store as contract
from tests.test_store import draft

stores = contract.stores  # the two-backend fixture: every test here runs on SQLite and PostgreSQL


@pytest_asyncio.fixture
async def db(stores):
    return await stores.open()


pytestmark = pytest.mark.asyncio

NEWEST, BEST = SearchOrder.NEWEST, SearchOrder.BEST


async def find(db, raw: str, rooms=("general",), order=NEWEST, limit=20):
    return await db.search_messages(parse(raw), list(rooms), order, limit)


def texts(hits) -> list[str]:
    return [hit.message.text for hit in hits]


async def test_a_word_finds_the_messages_that_have_it_newest_first(db):
    await db.add_message(draft("the deploy went fine"))
    await db.add_message(draft("lunch at noon?"))
    await db.add_message(draft("another deploy tonight"))
    assert texts(await find(db, "deploy")) == ["another deploy tonight", "the deploy went fine"]
    assert texts(await find(db, "DEPLOY")) == texts(await find(db, "deploy"))


async def test_best_first_puts_the_closest_match_first(db):
    await db.add_message(draft("kubernetes kubernetes kubernetes cluster upgrade"))
    await db.add_message(
        draft(
            "a long message about many things where kubernetes is said once among lots of "
            "other words about lunch, the weather, holidays and the football results"
        )
    )
    best = await find(db, "kubernetes", order=BEST)
    assert texts(best)[0].startswith("kubernetes kubernetes")
    newest = await find(db, "kubernetes", order=NEWEST)
    assert texts(newest)[0].startswith("a long message")


async def test_every_word_is_needed_and_a_phrase_keeps_its_order(db):
    await db.add_message(draft("red apple pie"))
    await db.add_message(draft("apple red wine"))
    await db.add_message(draft("only red here"))
    assert set(texts(await find(db, "red apple"))) == {"red apple pie", "apple red wine"}
    assert texts(await find(db, '"red apple"')) == ["red apple pie"]
    assert texts(await find(db, "red -apple")) == ["only red here"]
    assert texts(await find(db, 'red -"apple pie"')) == ["only red here", "apple red wine"]


async def test_snippets_mark_the_hits(db):
    await db.add_message(draft("Before the meeting we should review the budget numbers."))
    [hit] = await find(db, "budget")
    assert [part.text.lower() for part in hit.snippet if part.hit] == ["budget"]
    assert "review the" in hit.snippet_text
    assert HIT_START not in hit.snippet_text


async def test_stored_text_cannot_fake_a_highlight(db):
    await db.add_message(draft(f"plain {HIT_START}fake\x03 budget"))
    [hit] = await find(db, "budget")
    assert [part.text for part in hit.snippet if part.hit] == ["budget"]


async def test_accents_are_folded_both_ways(db):
    await db.add_message(draft("Un café à Genève"))
    await db.add_message(draft("naive resume"))
    assert texts(await find(db, "cafe geneve")) == ["Un café à Genève"]
    assert texts(await find(db, "CAFÉ")) == ["Un café à Genève"]
    assert texts(await find(db, "naïve résumé")) == ["naive resume"]
    [hit] = await find(db, "cafe")
    assert [part.text for part in hit.snippet if part.hit] == ["café"]


async def test_cjk_text_is_found_by_substring(db):
    await db.add_message(draft("明日東京タワーに行きます"))
    await db.add_message(draft("東京は雨です"))
    await db.add_message(draft("서울에서 만나요"))
    await db.add_message(draft("nothing to see"))
    assert texts(await find(db, "東京タワー")) == ["明日東京タワーに行きます"]
    assert set(texts(await find(db, "東京"))) == {"明日東京タワーに行きます", "東京は雨です"}
    assert texts(await find(db, "서울")) == ["서울에서 만나요"]
    assert texts(await find(db, "東京 -タワー")) == ["東京は雨です"]
    [hit] = await find(db, "タワー")
    assert [part.text for part in hit.snippet if part.hit] == ["タワー"]


async def test_only_the_rooms_given_are_searched(db):
    await db.add_message(draft("secret plan in private", room="hideout"))
    await db.add_message(draft("public plan", room="general"))
    await db.add_message(draft("東京 plan", room="hideout"))
    assert texts(await find(db, "plan")) == ["public plan"]
    assert texts(await find(db, "東京", rooms=("general",))) == []
    assert len(await find(db, "plan", rooms=("general", "hideout"))) == 3
    assert await find(db, "plan", rooms=()) == []


async def test_an_edit_is_found_by_its_new_words_only(db):
    message = await db.add_message(draft("typo in teh message"))
    await db.update_message(message.id, "typo in the message, fixed", MessageStatus.DONE, MessageMeta())
    assert await find(db, "teh") == []
    assert texts(await find(db, "fixed")) == ["typo in the message, fixed"]


async def test_an_edit_by_its_author_is_found_by_its_new_words_only(db):
    message = await db.add_message(draft("meet at the statoin"))
    await db.edit_message(message.id, "meet at the station", "p-ann", utc_now())
    assert await find(db, "statoin") == []
    assert texts(await find(db, "station")) == ["meet at the station"]
    assert [v.text for v in await db.message_versions(message.id)] == ["meet at the statoin"]


async def test_a_deleted_message_drops_out(db):
    message = await db.add_message(draft("regrettable words 東京タワー"))
    assert len(await find(db, "regrettable")) == 1
    await db.delete_message(message.id, "p-mod")
    assert await find(db, "regrettable") == []
    assert await find(db, "東京タワー") == []


async def test_the_limit_is_kept(db):
    for i in range(7):
        await db.add_message(draft(f"ping number {i}"))
    assert texts(await find(db, "ping", limit=3)) == [f"ping number {i}" for i in (6, 5, 4)]


async def test_an_empty_query_or_only_exclusions_find_nothing(db):
    await db.add_message(draft("anything at all"))
    for raw in ("", "   ", "-anything", '""', "*", "()", ":", "- -"):
        assert await find(db, raw) == []


HOSTILE_PIECES = [
    '"',
    "'",
    "*",
    "(",
    ")",
    ":",
    "-",
    "^",
    "NEAR",
    "NOT",
    "AND",
    "OR",
    "|",
    "&",
    "!",
    "<->",
    "\\",
    "%",
    "_",
    "{",
    "}",
    "[",
    "]",
    ";",
    "--",
    "/*",
    "\x00",
    "\x02",
    "\x03",
    "东京",
    "é",
    "text",
    "plan",
    " ",
    "  ",
    "\t",
    "\n",
    "NEAR(",
    "col:",
    "messages_fts",
    "💥",
    "\u202e",
    "'; DROP",
]


def hostile_queries(seed: int, count: int) -> list[str]:
    """Random strings glued from operator characters and words: a hypothesis-style search."""
    chance = random.Random(seed)
    queries = []
    for _ in range(count):
        pieces = chance.choices(HOSTILE_PIECES, k=chance.randint(1, 9))
        queries.append("".join(pieces) if chance.random() < 0.5 else " ".join(pieces))
    return queries


async def test_hostile_queries_never_raise_on_either_store(db):
    await db.add_message(draft("the plan text: (draft) NOT final -- 100% east_west"))
    await db.add_message(draft("东京 plan"))
    for raw in hostile_queries(seed=11, count=300):
        for order in (NEWEST, BEST):
            hits = await find(db, raw, order=order)
            assert all(hit.message.room == "general" for hit in hits), raw


async def test_typed_operators_are_words_not_syntax(db):
    await db.add_message(draft("100% east_west plan"))
    assert texts(await find(db, "100%")) == ["100% east_west plan"]
    assert texts(await find(db, "plan*")) == ["100% east_west plan"]
    assert texts(await find(db, "(plan")) == ["100% east_west plan"]
    assert texts(await find(db, 'text:plan "east')) == []
    assert texts(await find(db, 'plan "east')) == ["100% east_west plan"]


async def test_the_search_migration_is_recorded(db):
    assert "0019_search" in await db.applied_migrations()
