"""Answer only requests addressed to this server by one of its own names (against DNS rebinding).

A page on attacker.example can make its own name resolve to 127.0.0.1 a
moment after loading; the browser then sends that page's requests, and its
WebSocket, to a Confab listening on loopback, and lets the page read the
answers, since to the browser it is all attacker.example. Such requests
still carry `Host: attacker.example`, so a server that answers only to names
it knows gives that page nothing. Starlette's TrustedHostMiddleware does the
checking (HTTP and the WebSocket upgrade alike, IPv6 literals, `*.domain`);
this module decides which names are allowed.
"""

from __future__ import annotations

import ipaddress
import logging

from fastapi import FastAPI
from starlette.middleware.trustedhost import TrustedHostMiddleware

log = logging.getLogger(__name__)

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
"""Names a browser on this machine uses for it; no DNS answer can make another site one of these."""
ANY_ADDRESS = ("0.0.0.0", "::", "")


def host_name(value: str) -> str:
    """`value` as it appears in a Host header: lower case, IPv6 literals in brackets."""
    value = value.strip().lower()
    try:
        if ipaddress.ip_address(value.strip("[]")).version == 6:
            return f"[{value.strip('[]')}]"
    except ValueError:
        pass
    return value


def allowed_hosts(configured: str, bound_to: str) -> list[str]:
    """The Host names to answer: CHAT_ALLOWED_HOSTS if set, else loopback names and the bound address."""
    if configured.strip():
        return [host_name(name) for name in configured.split(",") if name.strip()]
    names = list(LOOPBACK_NAMES)
    if bound_to.strip() not in ANY_ADDRESS and host_name(bound_to) not in names:
        names.append(host_name(bound_to))
    return names


def is_loopback(bound_to: str) -> bool:
    """True when the server listens on a loopback address or name only."""
    if host_name(bound_to) == "localhost":
        return True
    try:
        return ipaddress.ip_address(bound_to.strip("[]")).is_loopback
    except ValueError:
        return False


def add_host_check(app: FastAPI, configured: str, bound_to: str) -> list[str]:
    """Refuse requests for other names with 400 "Invalid host header" (WebSocket upgrades too); the names allowed."""
    names = allowed_hosts(configured, bound_to)
    if not configured.strip() and not is_loopback(bound_to):
        log.warning(
            "Listening on %s, but answering only requests for %s: set CHAT_ALLOWED_HOSTS "
            "to the names people use to reach this server (or * for any).",
            bound_to,
            ", ".join(names),
        )
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=names, www_redirect=False)
    return names
