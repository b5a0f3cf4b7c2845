"""/imagine against hostile image servers: size, pixels and format checked, URLs fetched only safely."""

from __future__ import annotations

import asyncio
import io
import re
import struct
import sys
import time
import zlib

import pytest
from PIL import Image, PngImagePlugin

from chat.bot.image_fetch import ImageFetcher
from chat.bot.openai import OpenAIBrain
from chat.bot.picture import NO_PILLOW, BadPicture, checked_png
from chat.bot.provider import BrainError
from chat.config import Settings
from chat.domain import MessageStatus
from tests.bot_helpers import KEY, bot_room, close_all, final_replies, open_people, sees_line
from tests.fake_image_host import FakeImageHost, image_host  # noqa: F401 (a fixture)
from tests.fake_openai import FakeOpenAI

MB = 1_000_000


def png_chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def bomb_png(side: int = 20_000) -> bytes:
    """A black-and-white PNG of side x side pixels: about 50 KB that decode to 400 million pixels."""
    row = b"\0" * (1 + side // 8)
    packer = zlib.compressobj(9)
    pixels = b"".join(packer.compress(row * 1000) for _ in range(side // 1000)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", pixels) + png_chunk(b"IEND", b"")
    )


def jpeg_with_metadata() -> bytes:
    image = Image.new("RGB", (40, 30), (10, 200, 30))
    out = io.BytesIO()
    image.save(out, format="JPEG", comment=b"tracking-id-123", exif=Image.Exif())
    return out.getvalue()


A_GOOD_JPEG = jpeg_with_metadata()
"""Made while Pillow is importable, for the tests that hide it."""


def settings(fake: FakeOpenAI, **overrides) -> Settings:
    values = dict(
        openai_api_key=KEY, openai_base_url=fake.base_url, image_model="dall-e-3",
        bot_total_timeout=20.0, bot_max_retries=0,
    )
    values.update(overrides)
    return Settings(**values)


# ---- what the model server sends


async def test_a_50_mb_png_answer_is_refused_without_reading_it_all(fake_openai: FakeOpenAI):
    fake_openai.huge_image(50 * MB)
    brain = OpenAIBrain(settings(fake_openai))
    try:
        with pytest.raises(BrainError, match="larger than 10,000,000 bytes; it was refused"):
            await brain.imagine("a very large red dot")
    finally:
        await brain.aclose()
    await _eventually(lambda: fake_openai.bodies and fake_openai.bodies[0].client_left)
    (body,) = fake_openai.bodies
    assert body.sent < 25 * MB, body  # the connection was closed near the limit, not at the end


@pytest.mark.parametrize(
    "data, refusal",
    [
        (b"<svg onload=alert(1)>", "The image server sent something that is not a picture."),
        (b"\x89PNG\r\n\x1a\n" + b"garbage" * 100, "The image server sent a damaged picture."),
        (bomb_png(), "pixels"),
    ],
    ids=["not-an-image", "png-signature-then-garbage", "decompression-bomb"],
)
async def test_imagine_refuses_what_is_not_a_bounded_picture(
    fake_openai: FakeOpenAI, tmp_path, data, refusal
):
    fake_openai.image_bytes(data)
    async with bot_room(fake_openai, tmp_path, image_model="fake-image-1") as served:
        alice, bob = await open_people(served, "Alice", "Bob")
        await alice.say("@bot /imagine something")
        (reply,) = await final_replies(served, 1, timeout=15)
        assert reply.status is MessageStatus.FAILED and reply.meta.image is None
        assert refusal in reply.meta.error
        await sees_line(bob, reply.meta.error)
        assert not (tmp_path / "files").exists() and not (tmp_path / "images").exists()  # nothing kept
        await close_all(alice, bob)


async def test_an_accepted_picture_is_re_encoded_without_its_metadata(fake_openai: FakeOpenAI, tmp_path):
    fake_openai.image_bytes(jpeg_with_metadata())
    async with bot_room(fake_openai, tmp_path, image_model="fake-image-1") as served:
        alice = (await open_people(served, "Alice"))[0]
        await alice.say("@bot /imagine a green field")
        (reply,) = await final_replies(served, 1)
        assert reply.status is MessageStatus.DONE
        (picture,) = reply.meta.attachments
        served_png = (await served.confab.blobs.get(picture.id)).data
        image = Image.open(io.BytesIO(served_png))
        assert (image.format, image.size) == ("PNG", (40, 30))
        assert image.info == {} or set(image.info) <= {"dpi"}, image.info
        assert b"tracking-id-123" not in served_png and b"Exif" not in served_png
        assert abs(image.convert("RGB").getpixel((5, 5))[1] - 200) < 10
        await close_all(alice)


@pytest.fixture
def without_pillow(monkeypatch):
    """As if the `images` extra were not installed: importing PIL fails."""
    for name in [m for m in sys.modules if m == "PIL" or m.startswith("PIL.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "PIL", None)


async def test_without_pillow_imagine_names_the_extra_and_asks_no_image_server(
    fake_openai: FakeOpenAI, tmp_path, without_pillow
):
    fake_openai.image_bytes(A_GOOD_JPEG)
    async with bot_room(fake_openai, tmp_path, image_model="fake-image-1") as served:
        alice, bob = await open_people(served, "Alice", "Bob")
        await alice.say("@bot /imagine a green field")
        (reply,) = await final_replies(served, 1, timeout=15)
        assert reply.status is MessageStatus.FAILED and reply.meta.image is None
        assert reply.meta.error == NO_PILLOW
        assert "pip install 'confab[images]'" in NO_PILLOW
        await sees_line(bob, "Install the images extra")
        assert fake_openai.image_requests == []  # nothing asked for, nothing paid for
        assert not list((tmp_path / "images").glob("*.png"))
        await close_all(alice, bob)


def test_without_pillow_no_picture_passes_unchecked(without_pillow):
    with pytest.raises(BadPicture, match=re.escape("pip install 'confab[images]'")):
        checked_png(A_GOOD_JPEG, max_bytes=MB, max_pixels=MB)


def test_pixels_are_checked_before_decoding():
    small_file = bomb_png(5_000)  # 25 million pixels, below Pillow's own bomb warning
    assert len(small_file) < 100_000
    with pytest.raises(BadPicture, match=r"too large \(5000x5000 pixels; at most 16,777,216"):
        checked_png(small_file, max_bytes=10 * MB, max_pixels=16_777_216)
    meta = PngImagePlugin.PngInfo()
    meta.add_text("Comment", "x" * 1000)
    out = io.BytesIO()
    Image.new("L", (4, 4)).save(out, format="PNG", pnginfo=meta)
    assert b"Comment" not in checked_png(out.getvalue(), max_bytes=MB, max_pixels=100)
    with pytest.raises(BadPicture, match="larger than 100 bytes"):
        checked_png(out.getvalue(), max_bytes=100, max_pixels=100)


# ---- pictures given as URLs


async def test_urls_that_are_not_https_or_point_inside_are_never_fetched(
    fake_openai: FakeOpenAI, image_host: FakeImageHost
):
    brain = OpenAIBrain(settings(fake_openai))
    try:
        cases = [
            (f"http://127.0.0.1:{fake_openai.port}/files/tiny.png", "not https"),
            ("file:///etc/passwd", "not https"),
            (image_host.url("/tiny.png"), "private or local network"),  # https, but loopback
            (f"https://localhost:{image_host.port}/tiny.png", "private or local network"),
            ("https://[::ffff:127.0.0.1]:1/x.png", "private or local network"),
            ("https://169.254.169.254/latest/meta-data/", "private or local network"),
            ("https://10.0.0.1/x.png", "private or local network"),
        ]
        for url, refusal in cases:
            fake_openai.image_as_url(url)
            with pytest.raises(BrainError, match=refusal):
                await brain.imagine("a red pixel")
    finally:
        await brain.aclose()
    assert [r.method for r in fake_openai.requests] == ["POST"] * len(cases)
    assert image_host.requests == []


@pytest.fixture
def loopback_fetcher(image_host: FakeImageHost):
    """The real fetcher with the one thing tests need changed: loopback is allowed (and our CA trusted)."""

    def build(max_bytes: int = 10 * MB, timeout: float = 20.0) -> ImageFetcher:
        return ImageFetcher(max_bytes, timeout, allow_private=True, ssl_context=image_host.ca_context())

    return build


async def test_an_https_picture_url_is_fetched_within_bounds(
    fake_openai: FakeOpenAI, image_host: FakeImageHost, loopback_fetcher
):
    brain = OpenAIBrain(settings(fake_openai), fetcher=loopback_fetcher(timeout=1.0))
    try:
        fake_openai.image_as_url(image_host.url("/tiny.png"))
        assert await brain.imagine("a red pixel") == image_host.png

        fake_openai.image_as_url(image_host.url("/big.png"))  # 50 MB, no Content-Length
        with pytest.raises(BrainError, match="larger than 10,000,000 bytes, so it was not downloaded"):
            await brain.imagine("a huge one")
        await _eventually(lambda: image_host.bodies and image_host.bodies[0].client_left)
        assert image_host.bodies[0].sent < 25 * MB, image_host.bodies[0]

        fake_openai.image_as_url(image_host.url("/declared.png"))  # says 50 MB up front
        with pytest.raises(BrainError, match="larger than 10,000,000 bytes"):
            await brain.imagine("another huge one")

        fake_openai.image_as_url(image_host.url("/redirect.png"))
        with pytest.raises(BrainError, match="redirects elsewhere; it was not followed"):
            await brain.imagine("somewhere else")

        fake_openai.image_as_url(image_host.url("/slow.png"))
        started = time.monotonic()
        with pytest.raises(BrainError, match="longer than 1 s to download"):
            await brain.imagine("a slow one")
        assert time.monotonic() - started < 10
    finally:
        await brain.aclose()
    assert image_host.requests == ["/tiny.png", "/big.png", "/declared.png", "/redirect.png", "/slow.png"]


async def test_a_certificate_we_do_not_trust_is_refused(image_host: FakeImageHost):
    fetcher = ImageFetcher(10 * MB, 5.0, allow_private=True)  # the system's CAs only
    with pytest.raises(BrainError, match="Could not download the picture"):
        await fetcher.fetch(image_host.url("/tiny.png"))


async def _eventually(check, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)
