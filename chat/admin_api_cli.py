"""`confab admin token|tokens|revoke-token|webhook|revoke-webhook`: API credentials by hand.

Secrets are printed once, here; the store keeps only their hashes.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from chat.access_tokens import AccessTokens
from chat.config import Settings
from chat.names import name_key
from chat.person import Person
from chat.rooms import RoomDirectory
from chat.rules import Rejected
from chat.store.base import Store
from chat.webhooks import Webhooks, hook_url


@dataclass(frozen=True, slots=True)
class ApiAdmin:
    """What these commands work with."""

    settings: Settings
    store: Store
    tokens: AccessTokens
    webhooks: Webhooks

    @classmethod
    def open(cls, settings: Settings, store: Store) -> ApiAdmin:
        """The services over an open store (no bus: this process tells no tab anything)."""

        async def nobody(*_: object) -> None:
            return None

        directory = RoomDirectory(store, nobody, nobody)
        return cls(settings, store, AccessTokens(store), Webhooks(settings, store, directory))


Action = Callable[[ApiAdmin, argparse.Namespace], Awaitable[str]]


def add_api_commands(actions: argparse._SubParsersAction) -> None:
    """Add the API credential actions to `admin`'s subparsers."""
    token = actions.add_parser("token", help="issue a personal API access token for NAME")
    token.add_argument("name")
    token.add_argument("--label", default="", help="what the token is for (shown in lists)")
    actions.add_parser("tokens", help="list NAME's API access tokens").add_argument("name")
    revoke = actions.add_parser("revoke-token", help="revoke one of NAME's tokens (or --all)")
    revoke.add_argument("name")
    revoke.add_argument("token_id", nargs="?", help="the token's id, as `admin tokens` lists it")
    revoke.add_argument("--all", action="store_true", help="revoke every token of NAME")
    hook = actions.add_parser("webhook", help="add an incoming webhook to ROOM, posting as NAME")
    hook.add_argument("room")
    hook.add_argument("name")
    hook.add_argument("--base-url", help="where Confab is reached (default: CHAT_HOST:PORT)")
    unhook = actions.add_parser("revoke-webhook", help="revoke one of ROOM's webhooks")
    unhook.add_argument("room")
    unhook.add_argument("hook_id")


async def _owner(admin: ApiAdmin, name: str) -> Person:
    person = await admin.store.person_by_name_key(name_key(name.strip()))
    if person is None:
        raise Rejected(f"Nobody owns the name “{name.strip()}”.")
    return person


async def _token(admin: ApiAdmin, args: argparse.Namespace) -> str:
    person = await _owner(admin, args.name)
    secret, token = await admin.tokens.issue(person.id, args.label)
    label = f", label “{token.label}”" if token.label else ""
    return (
        f"access token for {person.name} (id {token.id}{label}), shown only now: {secret}\n"
        f"Use it as: Authorization: Bearer {secret}"
    )


async def _tokens(admin: ApiAdmin, args: argparse.Namespace) -> str:
    person = await _owner(admin, args.name)
    listed = await admin.tokens.tokens(person.id)
    if not listed:
        return f"{person.name} has no access tokens"
    lines = [f"{person.name}'s access tokens:"]
    for token in listed:
        used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
        state = f"revoked {token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else "good"
        lines.append(
            f"  {token.id}  {token.label or '(no label)'}  made {token.created_at:%Y-%m-%d %H:%M}"
            f"  last used {used}  {state}"
        )
    return "\n".join(lines)


async def _revoke_token(admin: ApiAdmin, args: argparse.Namespace) -> str:
    person = await _owner(admin, args.name)
    if args.all == bool(args.token_id):
        raise Rejected("Name one token id to revoke, or --all (not both).")
    if args.all:
        return f"revoked {await admin.tokens.revoke_all(person.id)} access tokens of {person.name}"
    if not await admin.tokens.revoke(person.id, args.token_id):
        raise Rejected(f"{person.name} has no good token with id {args.token_id}.")
    return f"revoked access token {args.token_id} of {person.name}"


async def _webhook(admin: ApiAdmin, args: argparse.Namespace) -> str:
    secret, hook = await admin.webhooks.create(args.room.strip(), args.name, None)
    base = args.base_url or f"http://{admin.settings.host}:{admin.settings.port}"
    return (
        f"webhook {hook.id} posts into {hook.room} as {hook.name} (integration); "
        f"its URL, shown only now: {hook_url(base, secret)}"
    )


async def _revoke_webhook(admin: ApiAdmin, args: argparse.Namespace) -> str:
    if not await admin.webhooks.revoke(args.room.strip(), args.hook_id):
        raise Rejected(f"{args.room} has no good webhook with id {args.hook_id}.")
    return f"revoked webhook {args.hook_id} of {args.room}"


API_ACTIONS: dict[str, Action] = {
    "token": _token,
    "tokens": _tokens,
    "revoke-token": _revoke_token,
    "webhook": _webhook,
    "revoke-webhook": _revoke_webhook,
}
