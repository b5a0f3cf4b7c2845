"""Search on PostgreSQL: a generated tsvector column with a GIN index, mixed into PostgresStore.

- Words: `messages.search_vector`, generated from the text with the `confab_search`
  configuration (the `simple` parser and dictionary, with `unaccent` in front when
  that extension can be created, so "cafe" finds "Café" as on SQLite). Queries go
  through `websearch_to_tsquery`, ranking through `ts_rank`, and `ts_headline` runs
  only on the page of results returned (an outer query over the LIMITed one).
- CJK: `ILIKE '%...%'` over the rooms searched, served by a `pg_trgm` GIN index on the
  text when that extension can be created. Without pg_trgm the same query scans the
  rooms' messages: slower, still right (the documented fallback).
- Tombstones: the generated vector is empty for a deleted message, and deleted rows
  are filtered out as well.

Both extensions are created in schema `public` (trusted extensions: a database owner
may create them), so that tests using private schemas never drop them for each other.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from chat.search_query import (
    Marks,
    SearchHit,
    SearchOrder,
    SearchQuery,
    Term,
    new_marks,
    split_marked,
    substring_snippet,
)
from chat.store.migrations import Migration
from chat.store.rows import COLUMNS, row_to_message

SEARCH_MIGRATIONS: list[Migration] = [
    (
        "0019_search",
        """
        DO $$
        BEGIN
            BEGIN
                CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public;
            EXCEPTION WHEN OTHERS THEN
                RAISE NOTICE 'unaccent is not available: accents are not folded in search';
            END;
            BEGIN
                CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
            EXCEPTION WHEN OTHERS THEN
                RAISE NOTICE 'pg_trgm is not available: CJK search scans the rooms searched';
            END;
        END $$;
        CREATE TEXT SEARCH CONFIGURATION confab_search (COPY = pg_catalog.simple);
        DO $$
        DECLARE
            home TEXT := (SELECT extnamespace::regnamespace::text
                          FROM pg_extension WHERE extname = 'unaccent');
        BEGIN
            IF home IS NOT NULL THEN
                EXECUTE format(
                    'ALTER TEXT SEARCH CONFIGURATION confab_search ALTER MAPPING FOR '
                    'asciiword, asciihword, hword_asciipart, word, hword, hword_part '
                    'WITH %I.unaccent, simple', home);
            END IF;
        END $$;
        ALTER TABLE messages ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
            CASE WHEN deleted_by IS NULL THEN to_tsvector('confab_search'::regconfig, text)
                 ELSE ''::tsvector END
        ) STORED;
        CREATE INDEX messages_search ON messages USING gin (search_vector);
        DO $$
        DECLARE
            home TEXT := (SELECT extnamespace::regnamespace::text
                          FROM pg_extension WHERE extname = 'pg_trgm');
        BEGIN
            IF home IS NOT NULL THEN
                EXECUTE format(
                    'CREATE INDEX messages_text_trigrams ON messages USING gin (text %I.gin_trgm_ops)',
                    home);
            END IF;
        END $$;
        """,
    ),
]
"""Appended to PostgresStore's migrations."""


def headline_options(marks: Marks) -> str:
    """ts_headline's options: the marks around hits, two fragments of up to 24 words."""
    return (
        f'StartSel="{marks.start}", StopSel="{marks.end}", MaxWords=24, MinWords=10, '
        'ShortWord=1, MaxFragments=2, FragmentDelimiter=" … "'
    )


BEST_WINDOW = 1000
"""Best-first ranks the newest this many matches: a bounded cost per search (as on SQLite)."""

T = TypeVar("T")


def websearch_text(query: SearchQuery) -> str:
    """The query in websearch syntax, every term quoted: words and phrases, `-` to exclude."""
    wanted = [f'"{term.text}"' for term in query.wanted]
    unwanted = [f'-"{term.text}"' for term in query.unwanted]
    return " ".join(wanted + unwanted)


def ilike_pattern(term: Term) -> str:
    """`%text%` for ILIKE (default escape `\\`), with the wildcards in the term escaped."""
    escaped = term.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class PostgresSearch:
    """SearchStore over PostgresStore's pool."""

    async def _run(self, action: str, work: Callable[[Any], Awaitable[T]]) -> T:
        raise NotImplementedError  # PostgresStore provides it

    async def search_messages(
        self, query: SearchQuery, rooms: Sequence[str], order: SearchOrder, limit: int
    ) -> list[SearchHit]:
        if query.is_empty or not rooms or limit <= 0:
            return []
        if query.by_substring:
            return await self._by_substring(query, rooms, limit)
        ranking = (
            "ts_rank(search_vector, q) DESC, created_at DESC, seq DESC"
            if order is SearchOrder.BEST
            else "created_at DESC, seq DESC"
        )
        # Best-first ranks the newest BEST_WINDOW matches, as on SQLite; headlines only for the page.
        sql = f"""
            WITH found AS (SELECT websearch_to_tsquery('confab_search', $1) AS q),
            recent AS (
                SELECT {COLUMNS}, search_vector, found.q AS q FROM messages, found
                WHERE search_vector @@ found.q AND room = ANY($2::text[])
                  AND deleted_by IS NULL
                ORDER BY created_at DESC, seq DESC LIMIT $5
            ),
            page AS (
                SELECT recent.*, row_number() OVER (ORDER BY {ranking}) AS place FROM recent
                ORDER BY place LIMIT $3
            )
            SELECT page.*, ts_headline('confab_search', page.text, page.q, $4) AS marked
            FROM page ORDER BY place
        """
        window = BEST_WINDOW if order is SearchOrder.BEST else limit
        marks = new_marks()
        rows = await self._run(
            "search the messages",
            lambda conn: conn.fetch(
                sql, websearch_text(query), list(rooms), limit, headline_options(marks), window
            ),
        )
        return [SearchHit(row_to_message(row), split_marked(row["marked"], marks)) for row in rows]

    async def _by_substring(
        self, query: SearchQuery, rooms: Sequence[str], limit: int
    ) -> list[SearchHit]:
        params: list[Any] = [list(rooms), limit]
        where = ["room = ANY($1::text[])", "deleted_by IS NULL"]
        for term in query.wanted:
            params.append(ilike_pattern(term))
            where.append(f"text ILIKE ${len(params)}")
        for term in query.unwanted:
            params.append(ilike_pattern(term))
            where.append(f"text NOT ILIKE ${len(params)}")
        # No rank for substrings: newest first whatever the order asked.
        sql = f"""SELECT {COLUMNS} FROM messages WHERE {" AND ".join(where)}
                  ORDER BY created_at DESC, seq DESC LIMIT $2"""
        rows = await self._run("search the messages", lambda conn: conn.fetch(sql, *params))
        hits = []
        for row in rows:
            message = row_to_message(row)
            hits.append(SearchHit(message, substring_snippet(message.text, query)))
        return hits
