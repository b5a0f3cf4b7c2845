"""The composition root: builds the store, bus, service and bot from Settings."""

from __future__ import annotations

import asyncio
import logging

import flet as ft
from flet.pubsub.pubsub_hub import PubSubHub

from chat.bot import choose_brain
from chat.bot.bot import Bot
from chat.bot.images import ImageStore
from chat.bus import open_bus
from chat.config import Settings
from chat.rules import Rejected
from chat.service import ChatService
from chat.store import open_store
from chat.ui.page import ChatPage

log = logging.getLogger(__name__)


class Confab:
    """One server process: its service, its pubsub hub, and the Flet entry point."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.store = open_store(settings.database_url)
        self.bus = open_bus(settings.bus_url, settings.bus_channel)
        self.service = ChatService(settings, self.store, self.bus)
        self.brain = choose_brain(settings)
        self.images = ImageStore(settings.data_dir / "images")
        self.bot = Bot(self.service, self.brain, self.images, settings)
        self._background: set[asyncio.Task] = set()
        self._started = False
        self._start_lock = asyncio.Lock()

    async def start(self, hub: PubSubHub) -> None:
        """Open the store and start relaying to `hub` (Flet's pubsub for this app)."""
        async with self._start_lock:
            if self._started:
                return
            await self.store.open()
            await self.service.start(hub.send_all)
            await self.bot.start(hub.subscribe)
            warm_up = getattr(self.brain, "warm_up", None)
            if warm_up is not None:  # train the offline brain now, not at the first mention
                task = asyncio.create_task(warm_up())
                self._background.add(task)
                task.add_done_callback(self._background.discard)
            self._started = True
            log.info(
                "Confab started: store %s, bus %s, bot brain: %s",
                _scheme(self.settings.database_url),
                _scheme(self.settings.bus_url),
                self.brain.description,
            )

    async def stop(self) -> None:
        """Stop background work and close connections."""
        if self._started:
            await self.bot.close(self.settings.shutdown_deadline)
            await self.brain.aclose()
            await self.service.close()
            await self.store.close()
            self._started = False

    async def main(self, page: ft.Page) -> None:
        """Flet's entry point, once per browser tab."""
        await self.start(page.session.connection.pubsubhub)
        try:
            self.service.connect(page.session.id, page.client_ip or "")
        except Rejected as refusal:
            page.add(ft.Text(str(refusal), size=16))
            return
        await ChatPage(page, self.service).start()


def _scheme(url: str) -> str:
    return url.split(":", 1)[0]
