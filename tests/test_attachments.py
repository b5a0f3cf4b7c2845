"""Files on messages: carried in meta, posted without text, and shown as thumbnails or downloads."""

from __future__ import annotations

import base64
import io

import flet as ft
import pytest
from PIL import Image

from chat.attachments import Attachment
from chat.blobs.folder import FolderBlobs
from chat.message_meta import MessageMeta
from chat.uploads import Uploads
from tests.test_message_row import message, walk
from tests.test_service import room  # noqa: F401  (the service fixture)

PICTURE = Attachment(
    "a" * 32, "cat.png", "image/png", 5_300, 64, 48, base64.b64encode(b"thumb").decode()
)
NOTES = Attachment("b" * 32, "notes.pdf", "application/pdf", 2_500_000)


def test_attachments_round_trip_through_meta_and_damage_reads_as_none():
    meta = MessageMeta(attachments=(PICTURE, NOTES))
    assert MessageMeta.from_json(meta.to_json()).attachments == (PICTURE, NOTES)
    assert MessageMeta().to_json() == {} and MessageMeta.from_json({}).attachments == ()
    assert MessageMeta.from_json({"attachments": "not json"}).attachments == ()
    assert MessageMeta.from_json({"attachments": '[{"id": "x"}]'}).attachments == ()
    assert PICTURE.is_image and not NOTES.is_image
    assert (PICTURE.size_words, NOTES.size_words) == ("5 kB", "2.5 MB")


@pytest.mark.asyncio
async def test_a_message_may_be_only_files_and_carries_them(room):
    service, _ = room
    assert await service.post_message("general", "s1", "Alice", "  ") is None
    posted = await service.post_message("general", "s1", "Alice", "", attachments=[PICTURE])
    assert posted.text == "" and posted.meta.attachments == (PICTURE,)
    (stored,) = await service.history("general")
    assert stored.meta.attachments == (PICTURE,)


def test_a_picture_shows_its_thumbnail_and_a_file_a_download_button():
    from chat.ui.message_row import ChatMessage

    opened = []

    async def on_file(attachment, page):
        opened.append(attachment)

    row = ChatMessage(
        message(text="look", meta=MessageMeta(attachments=(PICTURE, NOTES))),
        own=False,
        grouped=False,
        on_file=on_file,
    )
    (image,) = [c for c in walk(row) if isinstance(c, ft.Image)]
    assert image.src == b"thumb" and (image.width, image.height) == (64, 48)
    (button,) = [c for c in walk(row) if isinstance(c, ft.OutlinedButton)]
    assert button.content == "notes.pdf (2.5 MB)"
    assert [c.value for c in walk(row) if isinstance(c, ft.Markdown)] == ["look"]


@pytest.mark.asyncio
async def test_a_pasted_picture_is_kept_clean_and_an_oversized_one_refused(tmp_path):
    uploads = Uploads(FolderBlobs(tmp_path / "files"), "s", tmp_path / "tmp", 100_000, 10**7)
    image = Image.new("RGBA", (600, 300), (0, 0, 255, 128))
    out = io.BytesIO()
    image.save(out, format="PNG")
    kept = await uploads.keep("p-1", "general", "image.png", out.getvalue())
    assert kept.content_type == "image/png" and (kept.thumb_width, kept.thumb_height) == (256, 128)
    record = await uploads.record(kept.id)
    assert record.room == "general" and record.person_id == "p-1" and record.attachment == kept
    from chat.rules import Rejected

    with pytest.raises(Rejected, match="larger than"):
        await uploads.keep("p-1", "general", "big.bin", b"x" * 100_001)


@pytest.mark.asyncio
async def test_an_image_pasted_into_the_composer_is_sent_and_shown_in_another_tab(tmp_path):
    from tests.bot_helpers import close_all, open_people
    from tests.confab_harness import serve_confab

    image = Image.new("RGB", (500, 250), (250, 200, 0))
    out = io.BytesIO()
    image.save(out, format="PNG")
    async with serve_confab(tmp_path) as served:
        alice, bob = await open_people(served, "Alice", "Bob")
        assert alice.client.find_one("IconButton", tooltip="Attach a file") is not None
        files = [{"name": "screenshot.png", "mime_type": "image/png", "bytes": out.getvalue()}]
        await alice.client.send_event(alice.composer, "paste_files", {"files": files})
        shown = await bob.client.wait_for(lambda: bob.client.find_one("Image", width=256))
        assert shown is not None and shown["height"] == 128
        (posted,) = [
            m for m in await served.confab.store.history("general", None, 10) if m.meta.attachments
        ]
        (picture,) = posted.meta.attachments
        assert (posted.author, posted.text, picture.name) == ("Alice", "", "screenshot.png")
        assert (await served.confab.blobs.get(picture.id)).content_type == "image/png"
        await close_all(alice, bob)
