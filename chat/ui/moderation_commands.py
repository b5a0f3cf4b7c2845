"""Moderation from the composer: `/lock`, `/mute NAME 10m`, `/ban NAME`..., and the audit dialog.

Thin: each command parses its words and hands them to the service's
moderation, which decides who may; a refusal comes back as Rejected, which
the composer shows under the field with the text kept.
"""

from __future__ import annotations

import shlex
from collections.abc import Awaitable, Callable

import flet as ft

from chat.audit import AuditEntry
from chat.rules import Rejected
from chat.service import ChatService

MODERATION_HELP = (
    "Moderators: /lock [reason], /unlock, /mute NAME 10m|2h|1d [reason], /unmute NAME, "
    "/remove NAME [reason] (private rooms), /ban NAME [reason] (admins), /audit (admins). "
    'Quote a name with spaces: /mute "Ann Lee" 1h.'
)

Said = Callable[[str], None]
"""Shows the person what a command did."""


class ModerationCommands:
    """Runs the moderation commands a tab's person writes in room `room`."""

    def __init__(self, service: ChatService, room: str, person_id: Callable[[], str | None]):
        self._moderation = service.moderation
        self._room = room
        self._person_id = person_id
        self._commands: dict[str, Callable[[list[str]], Awaitable[str | list[AuditEntry]]]] = {
            "/lock": self._lock,
            "/unlock": self._unlock,
            "/mute": self._mute,
            "/unmute": self._unmute,
            "/remove": self._remove,
            "/ban": self._ban,
            "/audit": self._audit,
            "/moderation": self._help,
        }

    def handles(self, text: str) -> bool:
        """True when `text` is one of these commands."""
        words = text.strip().split(maxsplit=1)
        return bool(words) and words[0].lower() in self._commands

    async def run(self, text: str) -> str | list[AuditEntry]:
        """Do the command: what to tell the person, or the audit entries; Rejected if it cannot."""
        try:
            words = shlex.split(text.strip())
        except ValueError:
            raise Rejected("A quote is not closed: write the name in matching quotes.") from None
        return await self.do(words[0], words[1:])

    async def do(self, command: str, words: list[str]) -> str | list[AuditEntry]:
        """Do `command` (such as "/mute") with its words (name, duration, reason...)."""
        return await self._commands[command.lower()](words)

    async def _lock(self, words: list[str]) -> str:
        await self._moderation.set_locked(self._room, True, self._person_id(), " ".join(words))
        return "The room is locked: nobody can post until you /unlock it."

    async def _unlock(self, words: list[str]) -> str:
        await self._moderation.set_locked(self._room, False, self._person_id())
        return "The room is open again."

    async def _mute(self, words: list[str]) -> str:
        if len(words) < 2:
            raise Rejected("Write whom and for how long: /mute NAME 10m (or 2h, 1d).")
        until = await self._moderation.mute(
            self._room, words[0], words[1], self._person_id(), " ".join(words[2:])
        )
        return f"{words[0]} is muted here until {until:%Y-%m-%d %H:%M} UTC."

    async def _unmute(self, words: list[str]) -> str:
        target = await self._moderation.unmute(self._room, _name(words), self._person_id())
        return f"{target.name} can post here again."

    async def _remove(self, words: list[str]) -> str:
        target = await self._moderation.remove(
            self._room, _name(words), self._person_id(), " ".join(words[1:])
        )
        return f"{target.name} is no longer a member of this room."

    async def _ban(self, words: list[str]) -> str:
        target = await self._moderation.ban(_name(words), self._person_id(), " ".join(words[1:]))
        return f"{target.name} is banned: their browsers are signed out and their tabs cut off."

    async def _audit(self, words: list[str]) -> list[AuditEntry]:
        return await self._moderation.audit(self._person_id())

    async def _help(self, words: list[str]) -> str:
        return MODERATION_HELP


def _name(words: list[str]) -> str:
    if not words:
        raise Rejected("Whom? Write their name after the command.")
    return words[0]


class AuditDialog(ft.AlertDialog):
    """The newest moderation actions, newest first, for an admin."""

    def __init__(self, entries: list[AuditEntry]):
        lines: list[ft.Control] = [ft.Text(entry.line(), size=13) for entry in entries] or [
            ft.Text("No moderation actions yet.")
        ]
        super().__init__(
            title=ft.Text("Moderation audit"),
            content=ft.Column(lines, tight=True, width=560, height=400, scroll=ft.ScrollMode.AUTO),
            actions=[ft.TextButton("Close", on_click=self._close)],
        )

    async def _close(self, e: ft.Event) -> None:
        e.page.pop_dialog()
