"""Attaching files in one tab: the paper-clip button (Flet's FilePicker, uploading with a signed
URL this app serves), and images pasted into the composer. Each file becomes its own message."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import flet as ft

from chat.attachments import Attachment
from chat.rules import Rejected
from chat.service import ChatService

log = logging.getLogger(__name__)

ATTACH_BUTTON_NAME = "Attach a file"
_RECORD_WAIT = 10.0
"""Seconds to wait for the upload's record once the browser says the upload ended."""

Post = Callable[[Attachment], Awaitable[Any]]


class AttachFiles:
    """One tab's uploads into its room, for the person it joined as."""

    def __init__(
        self,
        page: ft.Page,
        service: ChatService,
        room: str,
        person_id: Callable[[], str | None],
        post: Post,
    ):
        self.page = page
        self._files = service.files
        self._room = room
        self._person_id = person_id
        self._post = post
        self._pending: dict[str, str] = {}
        """File name -> upload id, for uploads the browser is sending."""
        self.picker = ft.FilePicker(on_upload=self._uploaded, on_result=self._picked)
        self.button = ft.IconButton(
            icon=ft.Icon(ft.Icons.ATTACH_FILE, semantics_label=ATTACH_BUTTON_NAME),
            tooltip=ATTACH_BUTTON_NAME,
            # Opened by the browser within the click: iOS Safari opens a picker no other way.
            action=ft.PickFiles(self.picker, allow_multiple=True),
        )

    async def _picked(self, e: ft.FilePickerResultEvent) -> None:
        person_id = self._person_id()
        if self._files is None or person_id is None:
            return
        for picked in e.files:
            if picked.size > self._files.max_bytes:
                self._say(
                    f"“{picked.name}” is larger than {self._files.max_bytes // 1_000_000} MB."
                )
                continue
            upload_id, path = self._files.upload_url(person_id, self._room, picked.name)
            self._pending[picked.name] = upload_id
            await self.picker.upload(
                [ft.FilePickerUploadFile(upload_url=path, method="PUT", id=picked.id)]
            )

    async def _uploaded(self, e: ft.FilePickerUploadEvent) -> None:
        if e.error:
            log.info("an upload of %r failed in the browser: %s", e.file_name, e.error)
            self._pending.pop(e.file_name, None)
            self._say(f"“{e.file_name}” was not uploaded: {e.error}")
            return
        if e.progress is None or e.progress < 1.0 or self._files is None:
            return
        upload_id = self._pending.pop(e.file_name, None)
        if upload_id is None:
            return
        deadline = asyncio.get_running_loop().time() + _RECORD_WAIT
        while (record := await self._files.record(upload_id)) is None:
            # The browser may say "done" when the last byte left, before the answer came.
            if asyncio.get_running_loop().time() > deadline:
                self._say(f"“{e.file_name}” was not kept (too large, or refused).")
                return
            await asyncio.sleep(0.1)
        await self._send(record.attachment)

    async def pasted(self, e: ft.TextFieldPasteFilesEvent) -> None:
        """Images pasted into the composer: kept here (they came over the socket), then sent."""
        person_id = self._person_id()
        if self._files is None or person_id is None:
            return
        for pasted in e.files or []:
            data = pasted.bytes
            if not data:
                continue
            name = pasted.name or "pasted image"
            try:
                attachment = await self._files.keep(person_id, self._room, name, data)
            except Rejected as refusal:
                self._say(str(refusal))
                continue
            await self._send(attachment)

    async def _send(self, attachment: Attachment) -> None:
        try:
            await self._post(attachment)
        except Rejected as refusal:
            self._say(str(refusal))

    def _say(self, words: str) -> None:
        self.page.show_dialog(ft.SnackBar(ft.Text(words)))
