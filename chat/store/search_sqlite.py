"""Search on SQLite: FTS5 external-content tables kept right by triggers, mixed into SQLiteStore.

Two indexes over `messages.text`, both reading their text from `messages` (no copy):
- `messages_fts`, tokenizer `unicode61 remove_diacritics 2`: words, with case and
  accents folded ("cafe" finds "Café"), ranked by bm25.
- `messages_cjk`, tokenizer `trigram`, holding only messages with CJK text. Chinese,
  Japanese and Korean are written without spaces, so unicode61 makes a whole sentence
  one token and "東京" would never match "東京タワー". Trigrams find any substring of
  three or more characters through the index; one or two characters (common in CJK)
  fall back to LIKE over the rooms searched. Trigrams were chosen over bigram indexing
  because FTS5 ships the tokenizer (a bigram one would be custom C or a preprocessed
  copy of every text), and indexing only CJK messages keeps its size small.

Tombstones (deleted_by set) are taken out of both indexes by the update trigger.
The indexes key on `messages.rowid`: the backup copies pages (rowids kept); after
anything that renumbers rowids (VACUUM), `INSERT INTO messages_fts(messages_fts)
VALUES ('rebuild')` (and the same for messages_cjk) puts them right.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

import aiosqlite

from chat.search_query import (
    SearchHit,
    SearchOrder,
    SearchQuery,
    Term,
    new_marks,
    split_marked,
    substring_snippet,
)
from chat.store.base import StoreUnavailable
from chat.store.migrations import Migration
from chat.store.rows import STORED_COLUMNS, quote_columns, row_to_message

_CJK_GLOB = "'*[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]*'"
"""Texts matching this go into the trigram index too (the same ranges as search_query)."""

SEARCH_MIGRATIONS: list[Migration] = [
    (
        "0019_search",
        f"""
        CREATE VIRTUAL TABLE messages_fts USING fts5(
            text, content='messages', content_rowid='rowid',
            tokenize='unicode61 remove_diacritics 2'
        );
        CREATE VIRTUAL TABLE messages_cjk USING fts5(
            text, content='messages', content_rowid='rowid', tokenize='trigram'
        );
        INSERT INTO messages_fts (rowid, text)
            SELECT rowid, text FROM messages WHERE deleted_by IS NULL;
        INSERT INTO messages_cjk (rowid, text)
            SELECT rowid, text FROM messages WHERE deleted_by IS NULL AND text GLOB {_CJK_GLOB};
        CREATE TRIGGER messages_search_insert AFTER INSERT ON messages
            WHEN NEW.deleted_by IS NULL
        BEGIN
            INSERT INTO messages_fts (rowid, text) VALUES (NEW.rowid, NEW.text);
            INSERT INTO messages_cjk (rowid, text)
                SELECT NEW.rowid, NEW.text WHERE NEW.text GLOB {_CJK_GLOB};
        END;
        CREATE TRIGGER messages_search_update AFTER UPDATE OF text, deleted_by ON messages
        BEGIN
            INSERT INTO messages_fts (messages_fts, rowid, text)
                SELECT 'delete', OLD.rowid, OLD.text WHERE OLD.deleted_by IS NULL;
            INSERT INTO messages_cjk (messages_cjk, rowid, text)
                SELECT 'delete', OLD.rowid, OLD.text
                WHERE OLD.deleted_by IS NULL AND OLD.text GLOB {_CJK_GLOB};
            INSERT INTO messages_fts (rowid, text)
                SELECT NEW.rowid, NEW.text WHERE NEW.deleted_by IS NULL;
            INSERT INTO messages_cjk (rowid, text)
                SELECT NEW.rowid, NEW.text
                WHERE NEW.deleted_by IS NULL AND NEW.text GLOB {_CJK_GLOB};
        END;
        CREATE TRIGGER messages_search_delete AFTER DELETE ON messages
            WHEN OLD.deleted_by IS NULL
        BEGIN
            INSERT INTO messages_fts (messages_fts, rowid, text)
                VALUES ('delete', OLD.rowid, OLD.text);
            INSERT INTO messages_cjk (messages_cjk, rowid, text)
                SELECT 'delete', OLD.rowid, OLD.text WHERE OLD.text GLOB {_CJK_GLOB};
        END;
        """,
    ),
]
"""Appended to SQLiteStore's migrations."""

_MESSAGE_COLUMNS = ", ".join(
    [f"m.{column.strip()}" for column in STORED_COLUMNS.split(",")] + [quote_columns("m")]
)
_SNIPPET = "snippet(messages_fts, 0, :start, :end, '…', 14)"
_MATCHES = """
    FROM messages_fts JOIN messages AS m ON m.rowid = messages_fts.rowid
    WHERE messages_fts MATCH :match
      AND m.room IN (SELECT value FROM json_each(:rooms)) AND m.deleted_by IS NULL
"""
_NEWEST = f"""SELECT m.rowid AS rid, {_MESSAGE_COLUMNS}, {_SNIPPET} AS marked {_MATCHES}
    ORDER BY messages_fts.rowid DESC LIMIT :limit"""
# bm25 is computed only for the newest BEST_WINDOW matches (the subquery's output rows),
# then snippets only for the page: a common word matches tens of thousands of messages.
_BEST_IDS = f"""SELECT rid FROM (
        SELECT messages_fts.rowid AS rid, messages_fts.rank AS score {_MATCHES}
        ORDER BY messages_fts.rowid DESC LIMIT :window
    ) ORDER BY score LIMIT :limit"""
# The rowid range lets FTS5 read only that stretch of each word's list of matches.
_SNIPPETS_OF = f"""SELECT m.rowid AS rid, {_MESSAGE_COLUMNS}, {_SNIPPET} AS marked
    FROM messages_fts JOIN messages AS m ON m.rowid = messages_fts.rowid
    WHERE messages_fts MATCH :match
      AND messages_fts.rowid BETWEEN :low AND :high
      AND messages_fts.rowid IN (SELECT value FROM json_each(:ids))"""
BEST_WINDOW = 1000
"""Best-first ranks the newest this many matches (as PostgreSQL does): a bounded cost per search."""
_TRIGRAM_MIN = 3
"""The trigram index finds substrings of at least this many characters."""


def fts5_phrase(term: Term) -> str:
    """A term as an FTS5 string: quoted, so nothing in it is syntax."""
    return '"' + " ".join(term.words).replace('"', '""') + '"'


def fts5_match(query: SearchQuery) -> str:
    """The FTS5 MATCH expression for the word index: every wanted term, none of the unwanted."""
    expression = " AND ".join(fts5_phrase(term) for term in query.wanted)
    for term in query.unwanted:
        expression = f"({expression}) NOT {fts5_phrase(term)}"
    return expression


def like_pattern(text: str) -> str:
    """`%text%` for LIKE ... ESCAPE '\\', with the wildcards in `text` escaped."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class SQLiteSearch:
    """SearchStore over SQLiteStore's connection."""

    def _connection(self) -> aiosqlite.Connection:
        raise NotImplementedError  # SQLiteStore provides it

    async def search_messages(
        self, query: SearchQuery, rooms: Sequence[str], order: SearchOrder, limit: int
    ) -> list[SearchHit]:
        if query.is_empty or not rooms or limit <= 0:
            return []
        if query.by_substring:
            return await self._by_substring(query, rooms, limit)
        marks = new_marks()
        params: dict[str, Any] = {
            "match": fts5_match(query),
            "rooms": json.dumps(list(rooms)),
            "limit": limit,
            "start": marks.start,
            "end": marks.end,
        }
        if order is SearchOrder.BEST:
            ranked = await self._search_rows(_BEST_IDS, {**params, "window": BEST_WINDOW})
            ids = [row["rid"] for row in ranked]
            if not ids:
                return []
            params.update(ids=json.dumps(ids), low=min(ids), high=max(ids))
            rows = await self._search_rows(_SNIPPETS_OF, params)
            place = {rid: index for index, rid in enumerate(ids)}
            rows.sort(key=lambda row: place[row["rid"]])
        else:
            rows = await self._search_rows(_NEWEST, params)
        return [SearchHit(row_to_message(row), split_marked(row["marked"], marks)) for row in rows]

    async def _by_substring(
        self, query: SearchQuery, rooms: Sequence[str], limit: int
    ) -> list[SearchHit]:
        long_terms = [t for t in query.wanted if len(t.text) >= _TRIGRAM_MIN]
        short_terms = [t for t in query.wanted if len(t.text) < _TRIGRAM_MIN]
        params: dict[str, Any] = {"rooms": json.dumps(list(rooms)), "limit": limit}
        where = ["m.room IN (SELECT value FROM json_each(:rooms))", "m.deleted_by IS NULL"]
        for index, term in enumerate(short_terms):
            where.append(f"m.text LIKE :short{index} ESCAPE '\\'")
            params[f"short{index}"] = like_pattern(term.text)
        for index, term in enumerate(query.unwanted):
            where.append(f"m.text NOT LIKE :unwanted{index} ESCAPE '\\'")
            params[f"unwanted{index}"] = like_pattern(term.text)
        if long_terms:
            where.append("messages_cjk MATCH :match")
            params["match"] = " AND ".join(fts5_phrase(Term((t.text,))) for t in long_terms)
            source = "messages_cjk JOIN messages AS m ON m.rowid = messages_cjk.rowid"
        else:  # too short for trigrams: a scan of the rooms searched
            source = "messages AS m"
        # No rank for substrings (as on PostgreSQL): newest first whatever the order asked.
        sql = f"""SELECT {_MESSAGE_COLUMNS} FROM {source} WHERE {" AND ".join(where)}
                  ORDER BY m.rowid DESC LIMIT :limit"""
        rows = await self._search_rows(sql, params)
        hits = []
        for row in rows:
            message = row_to_message(row)
            hits.append(SearchHit(message, substring_snippet(message.text, query)))
        return hits

    async def _search_rows(self, sql: str, params: dict[str, Any]) -> list[sqlite3.Row]:
        try:
            async with self._connection().execute(sql, params) as cursor:
                return list(await cursor.fetchall())
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"could not search the messages: {exc}") from exc
