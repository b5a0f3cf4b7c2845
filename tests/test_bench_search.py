"""The search benchmark (bench/search.py), tiny: it fills through today's schema and times both orders."""

from __future__ import annotations

import asyncio

from bench.search import QUERIES, run


def test_a_tiny_run_fills_the_current_schema_and_finds_what_it_wrote(tmp_path):
    result = asyncio.run(run(3000, 1, 1, tmp_path, reuse=False))

    assert result["messages"] == 3000 and isinstance(result["fill_s"], float)
    for order in ("fts_newest", "fts_best"):
        figures = result[order]
        assert 0 < figures["p50_ms"] <= figures["p95_ms"] <= figures["max_ms"], order
        assert set(figures["queries"]) == set(QUERIES), order
        found = [query for query, timed in figures["queries"].items() if timed["hits"]]
        assert len(found) >= len(QUERIES) // 2, f"{order} found too little: {figures['queries']}"
    assert result["like_newest"]["p95_ms"] > 0
