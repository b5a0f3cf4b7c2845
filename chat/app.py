"""The composition root: builds the store, bus, service and bot from Settings."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import flet as ft

from chat.access_tokens import AccessTokens
from chat.api_access import ApiAccess
from chat.blobs import open_blobs
from chat.bot import bot_settings, choose_brain
from chat.bot.bot import Bot
from chat.bot.images import ImageStore
from chat.bot.orphans import settle_orphans_forever
from chat.bot.roster import BotSpec
from chat.bus import open_bus
from chat.config import Settings
from chat.domain import CatchUpRequested, CatchUpShown, MessagePosted, ReadMoved
from chat.flet_internals import PubSubHub, RoomFanout, person_topic, pubsub_hub
from chat.people import PeopleService
from chat.reads import UnreadBook
from chat.rules import Rejected
from chat.service import ChatService
from chat.store import open_store
from chat.ui.look import know_bots
from chat.ui.markdown_safety import mentions
from chat.ui.shell import TabShell
from chat.upload_sweep import UploadSweep
from chat.uploads import Uploads
from chat.webhooks import Webhooks

log = logging.getLogger(__name__)


class Confab:
    """One server process: its service, its pubsub hub, and the Flet entry point."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.store = open_store(settings.database_url)
        self.bus = open_bus(settings.bus_url, settings.bus_channel)
        self.service = ChatService(settings, self.store, self.bus)
        self.people = PeopleService(settings, self.store)
        self.access = AccessTokens(self.store)
        """Personal access tokens for the HTTP API."""
        self.webhooks = Webhooks(settings, self.store, self.service.directory)
        """Rooms' incoming webhooks."""
        self.reads = UnreadBook(self.store, mentions, publish=self.service.publish_read)
        self.images = ImageStore(settings.data_dir / "images")
        self.blobs = open_blobs(settings.database_url, self.store, settings.data_dir / "files")
        """Uploaded files and their thumbnails: a folder, or the PostgreSQL store's table."""
        self.uploads = Uploads(
            self.blobs,
            settings.files_secret,
            settings.data_dir / "partial-uploads",
            settings.max_upload_mb * 1_000_000,
            settings.image_max_pixels,
        )
        self.service.files = self.uploads
        self.upload_sweep = UploadSweep(
            self.blobs, self.store, timedelta(hours=settings.upload_grace_hours)
        )
        """Removes uploads that never reached a message (at start, then hourly)."""
        self.socket_notices = self.service.socket_notices
        """What the socket guard leaves for a tab it closed (chat/web.py gives it to the guard)."""
        self.bots = [self._bot(spec) for spec in settings.roster]
        """Every AI participant, each with its own brain, line of replies and limits."""
        know_bots(
            (name, spec.colour)
            for spec in settings.roster
            for name in (spec.handle, spec.display_name)
        )
        secrets = tuple({s for bot in self.bots for s in bot.secrets if s})
        for bot in self.bots:
            bot.company = tuple(self.bots)
            bot.secrets = secrets
        self.bot = self.bots[0]
        """The first bot: the one /api/bot/stream speaks with."""
        self.brain = self.bot.brain
        self._background: set[asyncio.Task] = set()
        self._orphans: asyncio.Task | None = None
        self._sweeping: asyncio.Task | None = None
        self._started = False
        self._start_lock = asyncio.Lock()

    async def start(self, hub: PubSubHub) -> None:
        """Open the store and start relaying to `hub` (Flet's pubsub for this app)."""
        async with self._start_lock:
            if self._started:
                return
            await self.store.open()
            fanout = RoomFanout(hub, activity=(MessagePosted,))

            def fan_out(room: str, event: object) -> None:
                if isinstance(event, ReadMoved):
                    self.reads.moved(event)  # the person's tabs only, not the room's viewers
                    return
                if isinstance(event, CatchUpShown):  # ephemeral: the asker's tabs, nobody else
                    hub.send_all_on_topic(person_topic(event.person_id), event)
                    return
                if isinstance(event, CatchUpRequested):  # for the bots (global subscribers) only
                    hub.send_all(event)
                    return
                fanout(room, event)
                if isinstance(event, MessagePosted):
                    self.reads.posted(event.message)  # the tabs showing the room: read

            await self.service.start(fan_out)
            for bot in self.bots:
                await bot.start(hub.subscribe)
                warm_up = getattr(bot.brain, "warm_up", None)
                if warm_up is not None:  # train the offline brain now, not at the first mention
                    self._in_background(warm_up())
            self._orphans = asyncio.create_task(
                settle_orphans_forever(self.service, self.settings.presence_ttl)
            )
            self._sweeping = asyncio.create_task(self.upload_sweep.sweep_forever())
            self._started = True
            log.info(
                "Confab started: store %s, bus %s, bots: %s",
                _scheme(self.settings.database_url),
                _scheme(self.settings.bus_url),
                "; ".join(f"@{bot.handle} ({bot.brain.description})" for bot in self.bots),
            )

    async def stop(self) -> None:
        """Stop background work and close connections."""
        if self._started:
            if self._orphans is not None:
                self._orphans.cancel()
            if self._sweeping is not None:
                self._sweeping.cancel()
            await asyncio.gather(*(b.close(self.settings.shutdown_deadline) for b in self.bots))
            for bot in self.bots:
                await bot.brain.aclose()
            await self.service.close()
            await self.reads.close()
            await self.store.close()
            self._started = False

    def _bot(self, spec: BotSpec) -> Bot:
        seen_by_bot = bot_settings(self.settings, spec)
        brain = choose_brain(seen_by_bot, spec)
        return Bot(self.service, brain, self.images, seen_by_bot, spec)

    def _in_background(self, coroutine) -> None:
        task = asyncio.create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def main(self, page: ft.Page) -> None:
        """Flet's entry point, once per browser tab."""
        await self.start(pubsub_hub(page))
        try:
            self.service.connect(page.session.id, page.client_ip or "")
        except Rejected as refusal:
            page.add(ft.Text(str(refusal), size=16))
            return
        await TabShell(
            page, self.service, self.people, self.reads, ApiAccess(self.access, self.webhooks)
        ).start()


def _scheme(url: str) -> str:
    return url.split(":", 1)[0]
