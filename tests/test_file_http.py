"""Uploads and downloads over real HTTP against the real app: limits, signatures, sniffing,
metadata stripped, and every read checked against the reader's rooms."""

from __future__ import annotations

import base64
import contextlib
import io
from collections.abc import AsyncIterator

import httpx
import pytest
from PIL import Image

from chat.attachments import Attachment
from chat.signed import Signer
from tests.confab_harness import Served, serve_confab

pytestmark = pytest.mark.asyncio

SECRET = "test-files-secret"


@contextlib.asynccontextmanager
async def served_files(tmp_path, **settings) -> AsyncIterator[tuple[Served, httpx.AsyncClient]]:
    async with (
        serve_confab(tmp_path, files_secret=SECRET, max_upload_mb=1, **settings) as served,
        httpx.AsyncClient(base_url=served.url, timeout=10) as http,
    ):
        yield served, http


def photo_with_gps() -> bytes:
    image = Image.new("RGB", (1200, 800), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SecretCameraMaker"  # Make
    exif[0x0112] = 6  # Orientation: turned 90 degrees
    exif.get_ifd(0x8825).update({1: "N", 2: (52.0, 13.0, 24.0)})  # GPS
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


async def upload(served: Served, http: httpx.AsyncClient, data: bytes, name: str, room="general"):
    person = await served.confab.people.create_person(f"Uploader{len(data)}")
    _, path = served.confab.uploads.upload_url(person.id, room, name)
    return person, path, await http.put(path, content=data)


async def test_a_photo_is_re_encoded_without_exif_or_gps_and_gets_a_thumbnail(tmp_path):
    async with served_files(tmp_path) as (served, http):
        original = photo_with_gps()
        assert b"SecretCameraMaker" in original
        person, _, answer = await upload(served, http, original, "holiday.txt")
        assert answer.status_code == 200, answer.text
        found = answer.json()["attachment"]
        # The type comes from the bytes, not from the name; turned upright as the camera meant.
        assert found["content_type"] == "image/jpeg" and found["name"] == "holiday.txt"
        assert (found["thumb_width"], found["thumb_height"]) == (171, 256)
        kept = await served.confab.blobs.get(found["id"])
        assert kept.size == found["size"] and b"SecretCameraMaker" not in kept.data
        with Image.open(io.BytesIO(kept.data)) as image:
            assert image.size == (800, 1200)
            assert dict(image.getexif()) == {} and "exif" not in image.info
        thumb = await served.confab.blobs.get(f"{found['id']}.thumb")
        with Image.open(io.BytesIO(thumb.data)) as image:
            assert image.size == (171, 256) and image.format == "WEBP"
        assert base64.b64decode(found["thumb"]) == thumb.data  # shown inline, from the message
        key = served.confab.uploads.read_key(person.id)
        inline = await http.get(f"/files/{found['id']}", params={"key": key})
        assert inline.headers["content-disposition"].startswith("inline;")
        saved = await http.get(f"/files/{found['id']}", params={"key": key, "download": 1})
        assert saved.headers["content-disposition"].startswith("attachment;")
        assert saved.content == kept.data


async def test_a_file_named_like_a_picture_is_sniffed_and_served_as_an_attachment(tmp_path):
    async with served_files(tmp_path) as (served, http):
        page = b"<html><script>alert(1)</script></html>"
        person, _, answer = await upload(served, http, page, "cat.png")
        found = answer.json()["attachment"]
        assert found["content_type"] == "text/plain; charset=utf-8" and found["thumb_width"] == 0
        key = served.confab.uploads.read_key(person.id)
        got = await http.get(f"/files/{found['id']}", params={"key": key})
        assert got.status_code == 200 and got.content == page
        assert got.headers["content-type"].startswith("text/plain")
        assert got.headers["content-disposition"] == "attachment; filename*=UTF-8''cat.png"
        assert got.headers["x-content-type-options"] == "nosniff"
        assert "sandbox" in got.headers["content-security-policy"]
        _, _, pdf = await upload(served, http, b"%PDF-1.7\n...", "notes.exe")
        assert pdf.json()["attachment"]["content_type"] == "application/pdf"


async def test_a_file_over_the_limit_gets_413_and_leaves_nothing_behind(tmp_path):
    async with served_files(tmp_path) as (served, http):
        person = await served.confab.people.create_person("Big")
        upload_id, path = served.confab.uploads.upload_url(person.id, "general", "big.bin")

        async def body():  # no Content-Length: the limit is found while streaming
            for _ in range(30):
                yield b"x" * 50_000

        answer = await http.put(path, content=body())
        assert answer.status_code == 413 and "1 MB" in answer.json()["error"]
        declared = await http.put(path, content=b"y" * 1_000_001)
        assert declared.status_code == 413
        assert list((tmp_path / "partial-uploads").iterdir()) == []
        assert not (tmp_path / "files").exists() or list((tmp_path / "files").iterdir()) == []
        assert await served.confab.blobs.get(upload_id) is None


async def test_bad_signatures_expired_and_used_links_are_refused(tmp_path):
    async with served_files(tmp_path) as (served, http):
        person, path, first = await upload(served, http, b"hello", "a.txt")
        assert first.status_code == 200
        again = await http.put(path, content=b"other")
        assert again.status_code == 409
        forged = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
        assert (await http.put(forged, content=b"x")).status_code == 403
        past = Signer(SECRET, "upload", clock=lambda: 1_000_000.0)
        token = past.sign({"id": "a" * 32, "p": person.id, "r": "general", "n": "x"}, 60)
        expired = await http.put(f"/uploads/{token}", content=b"x")
        assert expired.status_code == 403 and "expired" in expired.json()["error"]
        other = Signer("another secret", "upload")
        token = other.sign({"id": "b" * 32, "p": person.id, "r": "general", "n": "x"}, 60)
        assert (await http.put(f"/uploads/{token}", content=b"x")).status_code == 403


async def test_reading_a_file_needs_a_reader_who_may_see_its_room(tmp_path):
    async with served_files(tmp_path) as (served, http):
        confab = served.confab
        owner = await confab.people.create_person("Owner")
        outsider = await confab.people.create_person("Outsider")
        await confab.service.directory.create_room("secret", "", owner, private=True)
        _, path = confab.uploads.upload_url(owner.id, "secret", "plan.txt")
        uploaded = Attachment.from_json(
            (await http.put(path, content=b"the plan")).json()["attachment"]
        )
        file_id = uploaded.id
        url = f"/files/{file_id}"

        assert (await http.get(url)).status_code == 401  # the id alone is not enough
        assert (await http.get(url, params={"key": "forged.key"})).status_code == 401
        outsiders = confab.uploads.read_key(outsider.id)
        assert (await http.get(url, params={"key": outsiders})).status_code == 404
        owners = confab.uploads.read_key(owner.id)
        assert (await http.get(url, params={"key": owners})).content == b"the plan"
        assert (await http.get(url + ".json", params={"key": owners})).status_code == 404

        secret, _ = await confab.access.issue(outsider.id, "script")
        bearer = {"Authorization": f"Bearer {secret}"}
        assert (await http.get(url, headers=bearer)).status_code == 404
        secret, _ = await confab.access.issue(owner.id, "script")
        bearer = {"Authorization": f"Bearer {secret}"}
        assert (await http.get(url, headers=bearer)).content == b"the plan"
        session = confab.service.api_session(owner.id, "127.0.0.1")
        await confab.service.post_message("secret", session, "Owner", "", attachments=[uploaded])
        listed = await http.get("/api/v1/rooms/secret/messages", headers=bearer)
        (message,) = [m for m in listed.json()["messages"] if m["attachments"]]
        assert (
            message["attachments"][0]["url"] == url
            and message["attachments"][0]["name"] == "plan.txt"
        )


async def test_on_postgresql_files_live_in_the_database_not_on_disk(tmp_path):
    from tests.servers import postgres_admin_url, servers_in_use
    from tests.test_store import PostgresBackend

    async with servers_in_use():
        backend = PostgresBackend(await postgres_admin_url())
        await backend.create()
        try:
            async with served_files(tmp_path, database_url=backend.url) as (served, http):
                person, _, answer = await upload(served, http, photo_with_gps(), "pier.jpg")
                found = answer.json()["attachment"]
                key = served.confab.uploads.read_key(person.id)
                got = await http.get(f"/files/{found['id']}", params={"key": key})
                assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg"
                assert not (tmp_path / "files").exists()  # a replica elsewhere reads the same row
        finally:
            await backend.drop()


async def test_a_deleted_message_takes_its_files_with_it(tmp_path):
    from chat.person import Role

    async with served_files(tmp_path) as (served, http):
        confab = served.confab
        admin = await confab.people.create_person("Admin", role=Role.ADMIN)
        _, path = confab.uploads.upload_url(admin.id, "general", "oops.jpg")
        found = Attachment.from_json(
            (await http.put(path, content=photo_with_gps())).json()["attachment"]
        )
        posted = await confab.service.post_message(
            "general", "s-1", "Admin", "", attachments=[found]
        )
        key = confab.uploads.read_key(admin.id)
        assert (await http.get(f"/files/{found.id}", params={"key": key})).status_code == 200

        tombstone = await confab.service.moderation.delete_message("general", posted.id, admin.id)
        (kept,) = [m for m in await confab.store.history("general", None, 10) if m.id == posted.id]
        assert kept.is_deleted and not kept.meta.attachments  # no thumbnail left either
        assert tombstone.is_deleted
        for blob_id in (found.id, found.thumb_id, f"{found.id}.json"):
            assert await confab.blobs.get(blob_id) is None
        assert (await http.get(f"/files/{found.id}", params={"key": key})).status_code == 404
