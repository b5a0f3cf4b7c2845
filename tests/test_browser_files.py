"""Files in Debian's Chromium: Ann attaches a picture with the paper-clip button, Bob sees its
thumbnail in the conversation and opens it larger, with a button to download it."""

from __future__ import annotations

import io
import time

import pytest
from PIL import Image, ImageDraw

from tests.browser_fixtures import (  # noqa: F401  (fixtures)
    SIZES,
    bot_dir,
    browser,
    confab,
    contexts,
    playwright,
)
from tests.browser_support import artifacts_dir, join, open_confab, pixel, say, wait_for_text

pytestmark = pytest.mark.browser

RED, BLUE = (220, 30, 40), (30, 60, 200)


def _picture(path) -> None:
    """A red picture with a blue band at the bottom, and GPS in its EXIF (stripped on upload)."""
    image = Image.new("RGB", (900, 600), RED)
    ImageDraw.Draw(image).rectangle((0, 450, 900, 600), fill=BLUE)
    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "N", 2: (52.0, 13.0, 24.0)})
    image.save(path, format="JPEG", exif=exif, quality=95)


def _close_to(seen: tuple[int, int, int], wanted: tuple[int, int, int]) -> bool:
    return all(abs(a - b) < 40 for a, b in zip(seen, wanted))


def _centre_colour(page, locator, fraction_down: float = 0.3) -> tuple[int, int, int]:
    box = locator.bounding_box()
    assert box is not None
    return pixel(
        page, int(box["x"] + box["width"] / 2), int(box["y"] + box["height"] * fraction_down)
    )


def _wait_for_colour(page, locator, colour, timeout: float = 20.0) -> None:
    """The picture is painted (an image loads after its frame is laid out)."""
    deadline = time.monotonic() + timeout
    while not _close_to(seen := _centre_colour(page, locator), colour):
        assert time.monotonic() < deadline, f"painted {seen}, not {colour}"
        time.sleep(0.25)


def test_a_picture_attached_with_the_button_shows_inline_and_opens_larger(
    confab, contexts, tmp_path
):
    photo = tmp_path / "harbour.jpg"
    _picture(photo)
    ann = open_confab(contexts(**SIZES["desktop"]), confab)
    join(ann, "Ann")
    bob = open_confab(contexts(**SIZES["desktop"]), confab)
    join(bob, "Bob")
    say(ann, "Look at this")
    wait_for_text(bob, "Look at this")

    with ann.expect_file_chooser(timeout=20_000) as chooser:
        ann.get_by_role("button", name="Attach a file").click()
    chooser.value.set_files(str(photo))

    thumb = bob.get_by_role("button", name="Picture: harbour.jpg. Open it larger")
    thumb.wait_for(timeout=30_000)
    _wait_for_colour(bob, thumb, RED)
    assert _close_to(_centre_colour(bob, thumb, 0.9), BLUE)  # the whole picture, upright
    bob.screenshot(path=artifacts_dir() / "files-inline-desktop.png")

    thumb.click()
    download = bob.get_by_role("button", name="Download")
    download.wait_for(timeout=20_000)
    large = bob.get_by_role("img", name="harbour.jpg").last  # the picture over its placeholder
    large.wait_for(timeout=20_000)
    _wait_for_colour(bob, large, RED)
    box = large.bounding_box()
    assert box is not None and box["width"] > 400  # larger than the 256-pixel thumbnail
    bob.screenshot(path=artifacts_dir() / "files-opened-desktop.png")

    # Download opens the file's link in a new tab, within the click (iOS allows no other way);
    # that link is this person's, and serves the file to save, as it was kept.
    asked = []
    bob.context.on("request", lambda request: asked.append(request.url))
    download.click()
    deadline = time.monotonic() + 20
    while not (links := [url for url in asked if "download=1" in url]):
        assert time.monotonic() < deadline, f"no file link opened: {asked}"
        bob.wait_for_timeout(250)
    link = links[0]
    assert "/files/" in link and "key=" in link
    got = bob.context.request.get(link)
    assert got.status == 200
    assert got.headers["content-disposition"] == "attachment; filename*=UTF-8''harbour.jpg"
    saved = Image.open(io.BytesIO(got.body()))
    assert saved.size == (900, 600) and dict(saved.getexif()) == {}  # no GPS left
