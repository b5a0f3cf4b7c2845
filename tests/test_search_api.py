"""Search over real HTTP against the real app: /api/v1/search and /api/search, privacy first."""

from __future__ import annotations

import httpx
import pytest

from tests.confab_harness import serve_confab
from tests.test_api_v1 import bearer, person_with_token
from tests.test_search_store import hostile_queries

pytestmark = pytest.mark.asyncio

PATHS = ("/api/v1/search", "/api/search")


async def seeded(served):
    """Alice with a private room `ops`; Bob outside it; one word said in both rooms."""
    alice, alice_secret, _ = await person_with_token(served, "Alice")
    _bob, bob_secret, _ = await person_with_token(served, "Bob")
    service = served.confab.service
    await service.directory.create_room("ops", "", alice, private=True)
    await served.confab.store.add_message(_draft("general", "the launch is on friday", alice))
    await served.confab.store.add_message(_draft("ops", "launch codes are 1234", alice))
    return alice_secret, bob_secret


def _draft(room: str, text: str, person):
    from chat.domain import Draft

    return Draft(room=room, author=person.name, text=text, author_id=person.id)


async def test_both_paths_search_only_the_rooms_the_caller_may_read(tmp_path):
    async with (
        serve_confab(tmp_path) as served,
        httpx.AsyncClient(base_url=served.url, timeout=10) as http,
    ):
        alice, bob = await seeded(served)
        for path in PATHS:
            mine = await http.get(path, params={"q": "launch"}, headers=bearer(alice))
            assert mine.status_code == 200, mine.text
            found = {r["message"]["room"]: r for r in mine.json()["results"]}
            assert set(found) == {"general", "ops"}
            assert [p["text"].lower() for p in found["ops"]["snippet_parts"] if p["hit"]] == [
                "launch"
            ]
            theirs = await http.get(path, params={"q": "launch"}, headers=bearer(bob))
            assert [r["message"]["room"] for r in theirs.json()["results"]] == ["general"]
            assert "1234" not in theirs.text
            # Asking for the private room by name looks the same as asking for no room at all.
            hidden = await http.get(path, params={"q": "codes", "room": "ops"}, headers=bearer(bob))
            missing = await http.get(
                path, params={"q": "codes", "room": "nowhere"}, headers=bearer(bob)
            )
            assert hidden.status_code == missing.status_code == 404
            assert "1234" not in hidden.text
            inside = await http.get(
                path, params={"q": "codes", "room": "ops"}, headers=bearer(alice)
            )
            assert [r["message"]["text"] for r in inside.json()["results"]] == [
                "launch codes are 1234"
            ]


async def test_search_needs_a_token_and_checks_its_arguments(tmp_path):
    async with (
        serve_confab(tmp_path) as served,
        httpx.AsyncClient(base_url=served.url, timeout=10) as http,
    ):
        alice, _ = await seeded(served)
        for path in PATHS:
            assert (await http.get(path, params={"q": "launch"})).status_code == 401
            bad_order = await http.get(
                path, params={"q": "launch", "order": "sideways"}, headers=bearer(alice)
            )
            assert bad_order.status_code == 400 and "newest" in bad_order.json()["error"]
            too_many = await http.get(path, params={"q": "x", "limit": 500}, headers=bearer(alice))
            assert too_many.status_code == 400 and "limit" in too_many.json()["error"]
            best = await http.get(
                path, params={"q": "launch", "order": "best"}, headers=bearer(alice)
            )
            assert len(best.json()["results"]) == 2


async def test_hostile_queries_get_answers_never_errors(tmp_path):
    async with (
        serve_confab(tmp_path) as served,
        httpx.AsyncClient(base_url=served.url, timeout=10) as http,
    ):
        alice, _ = await seeded(served)
        for raw in hostile_queries(seed=5, count=40) + ["", '"unbalanced', "-", "(", ":"]:
            answer = await http.get("/api/search", params={"q": raw}, headers=bearer(alice))
            assert answer.status_code == 200, (raw, answer.text)
