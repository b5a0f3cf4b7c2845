"""The page's API dialog, driven over Flet's wire protocol: tokens and webhooks made, shown once, revoked."""

from __future__ import annotations

import sqlite3

import httpx
import pytest

from tests.confab_harness import Person, serve_confab


@pytest.mark.asyncio
async def test_a_person_makes_and_revokes_a_token_and_a_webhook_from_the_page(tmp_path):
    async with serve_confab(tmp_path) as served:
        alice = await Person.open(served.url)
        client = alice.client
        try:
            await alice.join("Alice")
            key = await client.wait_for(
                lambda: client.find_one(
                    "IconButton",
                    tooltip="API tokens and webhooks",
                    visible=lambda v: v is not False,
                )
            )
            await client.click(key)
            label = await client.wait_for(
                lambda: client.find_one("TextField", label="Token label (what it is for)")
            )
            await client.set_value(label, "my script")
            await client.click(client.find_one("Button", content="New token"))
            shown = await client.wait_for(
                lambda: (
                    (
                        f := client.find_one(
                            "TextField", label=lambda v: v and v.startswith("Your new token")
                        )
                    )
                    and f.get("visible") is not False
                    and f.get("value")
                )
            )
            assert shown.startswith("cfb_")
            async with httpx.AsyncClient(base_url=served.url + "/api/v1") as http:
                auth = {"Authorization": f"Bearer {shown}"}
                assert (await http.get("/rooms", headers=auth)).status_code == 200
                await client.wait_for(
                    lambda: any(t.startswith("my script · made") for t in alice.lines())
                )

                name = client.find_one("TextField", label="Integration name")
                await client.set_value(name, "Alice")  # a person's name: refused, in words
                await client.click(client.find_one("Button", content="New webhook"))
                error = await client.wait_for(
                    lambda: client.find_one("TextField", label="Integration name").get("error")
                )
                assert "cannot pass for a person" in error
                await client.set_value(name, "Deploys")
                await client.click(client.find_one("Button", content="New webhook"))
                url = await client.wait_for(
                    lambda: (
                        (
                            f := client.find_one(
                                "TextField", label=lambda v: v and v.startswith("The webhook's URL")
                            )
                        )
                        and f.get("visible") is not False
                        and f.get("value")
                    )
                )
                assert "/api/v1/hooks/" in url
                path = url[url.index("/api/v1/hooks/") :]
                posted = await http.post(served.url + path, json={"text": "shipped it"})
                assert posted.status_code == 201
                await alice.sees("shipped it")

                await client.click(client.find_one("TextButton", tooltip="Revoke my script"))
                await client.wait_for(lambda: any(t.endswith("· revoked") for t in alice.lines()))
                assert (await http.get("/rooms", headers=auth)).status_code == 401
                await client.click(client.find_one("TextButton", tooltip="Remove Deploys"))
                await client.wait_for(lambda: "No webhooks in this room." in alice.lines())
                assert (await http.post(served.url + path, json={"text": "x"})).status_code == 404
        finally:
            await alice.close()


@pytest.mark.asyncio
async def test_the_api_dialog_opens_with_a_command_too(tmp_path):
    async with serve_confab(tmp_path) as served:
        alice = await Person.open(served.url)
        try:
            await alice.join("Alice")
            await alice.client.submit(alice.composer, "/api")
            await alice.client.wait_for(lambda: "API tokens and webhooks" in alice.lines())
            assert "No tokens yet." in alice.lines()
        finally:
            await alice.close()


def test_webhook_urls_use_the_address_people_open_the_page_at():
    from chat.ui.api_dialog import page_origin

    assert page_origin("ws://127.0.0.1:8550/ws") == "http://127.0.0.1:8550"
    assert page_origin("wss://chat.example.org/ws") == "https://chat.example.org"
    assert page_origin("https://chat.example.org/r/ops") == "https://chat.example.org"
    assert page_origin(None) == "" and page_origin("") == ""


@pytest.mark.asyncio
async def test_a_database_that_does_not_answer_is_said_in_words(tmp_path):
    async with serve_confab(tmp_path) as served:
        alice = await Person.open(served.url)
        client = alice.client
        try:
            await alice.join("Alice")
            # The tokens' table fails (the rest of the page, still starting, keeps its database).
            with sqlite3.connect(tmp_path / "confab.db") as db:
                db.execute("DROP TABLE api_tokens")
            await client.click(client.find_one("IconButton", tooltip="API tokens and webhooks"))
            await client.wait_for(
                lambda: any("database is not answering" in t for t in alice.lines()), timeout=5
            )
            assert "No tokens yet." not in alice.lines()
        finally:
            await alice.close()
