"""Serve the real Confab app in-process and drive it through headless Flet sessions."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import AsyncIterator

from chat.config import Settings
from chat.ui.markdown_safety import safe_markdown
from chat.web import create_app
from tests.flet_client import FletClient
from tests.flet_server import serve_flet


@dataclass
class Served:
    """A running Confab: its URL and the objects behind it."""

    url: str
    app: object

    @property
    def confab(self):
        return self.app.state.confab


def server_session(session_id: str):
    """The Flet Session a client's session id names, in a server running in this process (flet-web internals)."""
    from flet_web.fastapi import app_manager

    sessions = app_manager._FletAppManager__sessions
    (session,) = [s for s in sessions.values() if s.id == session_id]
    return session


@contextlib.asynccontextmanager
async def serve_confab(data_dir: Path, db_dir: Path | None = None, **settings) -> AsyncIterator[Served]:
    """Confab on a free port; `data_dir` holds the bot's files, `db_dir` the database.

    `ws_max_size` (a keyword among `settings`): uvicorn's frame limit, by default the guard's.
    """
    db_dir = db_dir or data_dir
    values = dict(
        data_dir=data_dir,
        database_url=f"sqlite:///{db_dir / 'confab.db'}",
        rate_per_second=100.0,
        rate_burst=100,
        # Every test client comes from 127.0.0.1: per-address limits off unless a test sets them.
        address_rate_per_second=1000.0,
        address_rate_burst=1000,
        flap_window=0.0,
    )
    ws_max_size = settings.pop("ws_max_size", None)
    values.update(settings)
    built = Settings(**values)
    app = create_app(built)
    # As `python main.py` serves it: uvicorn itself refuses a frame over the guard's limit.
    async with serve_flet(app, ws_max_size=ws_max_size or built.ws_max_frame_bytes) as url:
        yield Served(url, app)


class Person:
    """One browser tab, driven over Flet's wire protocol."""

    def __init__(self, client: FletClient):
        self.client = client

    @classmethod
    async def open(cls, url: str, **connect) -> Person:
        client = await FletClient.connect(url, **connect)
        person = cls(client)
        # Ready when the name dialog is up, or the page already rejoined a remembered name.
        await client.wait_for(
            lambda: person.composer is not None
            and (person.name_field is not None or person.composer.get("disabled") is False),
            timeout=10,
        )
        return person

    async def blip(self, url: str, while_away=None) -> Person:
        """Drop the connection, run `while_away()`, and come back to the same server session.

        The server keeps a dropped session for a while; Flet's web client
        resumes it by id, which is what the returned Person does.
        """
        session_id = self.client.session_id
        await self.close()
        if while_away is not None:
            await while_away()
        back = Person(await FletClient.connect(url, session_id=session_id))
        assert back.client.session_id == session_id  # the same session, not a new one
        return back

    @property
    def name_field(self) -> dict | None:
        return self.client.find_one("TextField", label="Your name")

    @property
    def composer(self) -> dict | None:
        return self.client.find_one("TextField", hint_text="Write a message...")

    async def join(self, name: str, expect_ok: bool = True) -> None:
        await self.client.submit(self.name_field, name)
        if expect_ok:
            # 15 s: on CI, beside a Chromium test, a join on a two-process cluster once took over 5.
            await self.client.wait_for(lambda: self.composer is not None and not self.composer.get("disabled"))

    async def name_error(self) -> str:
        return await self.client.wait_for(lambda: (self.name_field or {}).get("error"), timeout=5)

    async def say(self, text: str, wait: bool = True) -> None:
        """Type `text` and press Enter; by default wait until it shows, as a person would."""
        await self.client.submit(self.composer, text)
        if wait:
            await self.sees(text)
            await self.client.wait_for(lambda: not self.composer.get("value"))  # cleared for the next

    def bodies(self) -> list[str]:
        """The Markdown bodies of the message rows, in order."""
        return [c.get("value", "") for c in self.client.find("Markdown")]

    def lines(self) -> list[str]:
        """Every visible text (system lines, names, bodies...)."""
        return self.client.texts()

    async def sees(self, text: str, timeout: float = 15.0) -> float:
        """Wait until `text` is a message body; return when it was seen (perf_counter)."""
        shown = safe_markdown(text)  # a body is the text as made safe to show (mentions in bold...)
        await self.client.wait_for(lambda: text in self.bodies() or shown in self.bodies(), timeout=timeout)
        return time.perf_counter()

    def online(self) -> str:
        heading = self.client.find_one("Text", value=lambda v: isinstance(v, str) and v.startswith("Online"))
        return heading["value"] if heading else ""

    async def close(self) -> None:
        await self.client.close()


class BrowserPrefs:
    """Answers the page's SharedPreferences calls like one browser's storage would."""

    def __init__(self):
        self.values = {}

    def __call__(self, request):
        args = request.get("args") or {}
        name = request.get("name")
        if name == "get":
            return self.values.get(args.get("key"))
        if name == "set":
            self.values[args["key"]] = args["value"]
            return True
        if name == "remove":
            return self.values.pop(args.get("key"), None) is not None
        return None
