"""`confab admin ...`: people, invites, API credentials and the moderation audit from the command line.

Each prints what it did.
"""

from __future__ import annotations

import argparse
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import replace

from chat.admin_api_cli import API_ACTIONS, ApiAdmin, add_api_commands
from chat.audit import AuditEntry, ModAction
from chat.config import Settings
from chat.domain import utc_now
from chat.names import name_key
from chat.people import PeopleService
from chat.person import Person, Role
from chat.rules import Rejected
from chat.store import open_store

Action = Callable[[PeopleService, argparse.Namespace], Awaitable[str]]


def add_admin_commands(commands: argparse._SubParsersAction) -> None:
    """Add `admin` and its subcommands to the command line's subparsers."""
    admin = commands.add_parser("admin", help="manage people, invites and API credentials")
    actions = admin.add_subparsers(dest="admin_command", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="create a person with a new password")
    create.add_argument("name")
    create.add_argument("--admin", action="store_true", help="make them an admin")
    invite = actions.add_parser("invite", help="issue an invite link (good for one sign-up)")
    invite.add_argument("--base-url", help="where people open Confab (default: CHAT_HOST:PORT)")
    for action, text in (
        ("free", "forget the person owning NAME, so the name is free (their messages stay)"),
        ("reset-password", "give NAME a new password and sign out all their browsers"),
        ("promote", "make NAME an admin"),
        ("demote", "make NAME a member"),
        ("ban", "ban NAME: their browsers are signed out and the name stays taken"),
        ("sign-out", "sign out every browser of NAME (revoke their device tokens)"),
    ):
        actions.add_parser(action, help=text).add_argument("name")
    audit = actions.add_parser("audit", help="print the newest moderation actions, newest first")
    audit.add_argument("--limit", type=int, default=50, help="how many (default 50)")
    rename = actions.add_parser("rename", help="give NAME's person a new name (history stays)")
    rename.add_argument("name")
    rename.add_argument("new_name")
    add_api_commands(actions)


async def run_admin(args: argparse.Namespace, settings: Settings) -> str:
    """Run one admin action against the store; what it did, or Rejected."""
    store = open_store(settings.database_url)
    await store.open()
    try:
        if args.admin_command in API_ACTIONS:
            return await API_ACTIONS[args.admin_command](ApiAdmin.open(settings, store), args)
        return await ACTIONS[args.admin_command](PeopleService(settings, store), args)
    finally:
        await store.close()


async def _owner(people: PeopleService, name: str) -> Person:
    person = await people.store.person_by_name_key(name_key(name.strip()))
    if person is None:
        raise Rejected(f"Nobody owns the name “{name.strip()}”.")
    return person


def _new_password() -> str:
    return secrets.token_urlsafe(12)


async def _create(people: PeopleService, args: argparse.Namespace) -> str:
    person = await people.create_person(args.name, Role.ADMIN if args.admin else None)
    password = _new_password()
    await people.set_password(person.id, password)
    return f"created {person.name} ({person.role.value}, person {person.id}); password: {password}"


async def _invite(people: PeopleService, args: argparse.Namespace) -> str:
    token, expires = await people.invite()
    base = (args.base_url or f"http://{people.settings.host}:{people.settings.port}").rstrip("/")
    return f"invite good for one sign-up until {expires:%Y-%m-%d %H:%M} UTC: {base}/?invite={token}"


async def _free(people: PeopleService, args: argparse.Namespace) -> str:
    person = await _owner(people, args.name)
    await people.store.delete_person(person.id)
    return f"freed the name {person.name} (person {person.id} and their browsers are forgotten)"


async def _reset_password(people: PeopleService, args: argparse.Namespace) -> str:
    person = await _owner(people, args.name)
    password = _new_password()
    await people.set_password(person.id, password)
    signed_out = await people.revoke_devices(person.id)
    return f"new password for {person.name}: {password} ({signed_out} browsers signed out)"


async def _set_role(people: PeopleService, name: str, role: Role) -> str:
    person = await _owner(people, name)
    await people.store.update_person(replace(person, role=role))
    return f"{person.name} is now {'an admin' if role is Role.ADMIN else 'a member'}"


async def _ban(people: PeopleService, args: argparse.Namespace) -> str:
    person = await _owner(people, args.name)
    await people.ban(person.id)
    await people.store.add_audit(
        AuditEntry(
            utc_now(), "cli", "the admin command line", ModAction.BAN, person.id, person.name
        )
    )
    return f"banned {person.name}: their browsers are signed out and the name stays taken"


async def _sign_out(people: PeopleService, args: argparse.Namespace) -> str:
    person = await _owner(people, args.name)
    return f"signed out {await people.revoke_devices(person.id)} browsers of {person.name}"


async def _rename(people: PeopleService, args: argparse.Namespace) -> str:
    person = await _owner(people, args.name)
    renamed = await people.rename(person.id, args.new_name)
    return f"renamed {person.name} to {renamed.name} (person {person.id}, history kept)"


async def _audit(people: PeopleService, args: argparse.Namespace) -> str:
    entries = await people.store.audit_log(max(1, args.limit))
    if not entries:
        return "the audit is empty: no moderation actions yet"
    return f"the newest {len(entries)} moderation actions:\n" + "\n".join(
        entry.line() for entry in entries
    )


ACTIONS: dict[str, Action] = {
    "create": _create,
    "invite": _invite,
    "free": _free,
    "reset-password": _reset_password,
    "promote": lambda people, args: _set_role(people, args.name, Role.ADMIN),
    "demote": lambda people, args: _set_role(people, args.name, Role.MEMBER),
    "ban": _ban,
    "sign-out": _sign_out,
    "rename": _rename,
    "audit": _audit,
}
