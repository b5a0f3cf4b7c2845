"""Downloading a picture an image server gave as a URL: https only, public addresses only, bounded.

The model server chooses the URL, so fetching it blindly would let it make
this server call anything it can reach (a request forgery): its own
admin ports, a cloud metadata address, the database. So the address must
be https, every address its host resolves to must be public, and the
connection goes to the address that was checked (a second DNS answer
cannot swap in a private one). No redirects are followed, and the download
stops at a size and a time limit.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from urllib.parse import urlsplit

import httpx2  # the HTTP client openai itself depends on

from chat.bot.provider import BrainError


class ImageFetcher:
    """Fetches picture URLs under the rules above."""

    def __init__(
        self,
        max_bytes: int,
        timeout: float,
        *,
        allow_private: bool = False,
        ssl_context: ssl.SSLContext | None = None,
    ):
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.allow_private = allow_private
        """Tests on loopback only: lets the fetch reach private and local addresses."""
        self._verify: ssl.SSLContext | bool = ssl_context if ssl_context is not None else True

    async def fetch(self, url: str, time_left: float | None = None) -> bytes:
        """The bytes at `url`; BrainError saying why when the rules refuse it or it fails."""
        limit = self.timeout if time_left is None else max(min(self.timeout, time_left), 0.01)
        try:
            async with asyncio.timeout(limit):
                return await self._fetch(url)
        except TimeoutError:
            raise BrainError(f"The picture took longer than {limit:g} s to download.") from None
        except httpx2.HTTPError as error:
            raise BrainError("Could not download the picture from the image server.") from error

    async def _fetch(self, url: str) -> bytes:
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname:
            raise BrainError(
                "The image server gave a picture address that is not https; it was not fetched."
            )
        host, port = parts.hostname, parts.port or 443
        address = await self._checked_address(host, port)
        # Connect to the address checked above; the certificate is still checked for `host`.
        target = parts._replace(
            netloc=f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
        )
        request_url = target.geturl()
        host_header = host if parts.port is None else f"{host}:{port}"
        client = httpx2.AsyncClient(verify=self._verify, follow_redirects=False, trust_env=False)
        async with (
            client,
            client.stream(
                "GET",
                request_url,
                headers={"Host": host_header},
                extensions={"sni_hostname": host},
            ) as response,
        ):
            if response.is_redirect:
                raise BrainError(
                    "The image server's picture address redirects elsewhere; it was not followed."
                )
            if response.status_code != 200:
                raise BrainError(
                    f"The image server's picture address answered {response.status_code}."
                )
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self.max_bytes:
                raise self._too_large()
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > self.max_bytes:
                    raise self._too_large()  # leaving the block closes the connection
            return bytes(body)

    def _too_large(self) -> BrainError:
        return BrainError(
            f"The picture is larger than {self.max_bytes:,} bytes, so it was not downloaded."
        )

    async def _checked_address(self, host: str, port: int) -> str:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except OSError:
            raise BrainError(
                "The image server gave a picture address whose host does not resolve."
            ) from None
        addresses = [_plain(ipaddress.ip_address(str(info[4][0]).split("%")[0])) for info in infos]
        if not addresses:
            raise BrainError("The image server gave a picture address whose host does not resolve.")
        if not self.allow_private and not all(
            a.is_global and not a.is_multicast for a in addresses
        ):
            raise BrainError(
                "The image server gave a picture address on a private or local network; it was not fetched."
            )
        return str(addresses[0])


def _plain(address: ipaddress.IPv4Address | ipaddress.IPv6Address):
    """An IPv4 address written as IPv6 (::ffff:127.0.0.1) is judged as the IPv4 address it is."""
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped if mapped is not None else address
