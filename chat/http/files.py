"""PUT /uploads/{signed} and GET /files/{id}: files in, and files out to those who may read them.

A read names its reader: a tab's read key (`?key=`, signed here, naming the
person) or a personal access token (Authorization: Bearer). Either way the
reader must be allowed to read the file's room now; the URL alone is not enough.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from chat.access_tokens import NotSignedIn
from chat.attachments import FILES_PATH
from chat.rules import Rejected
from chat.signed import BadToken
from chat.store.base import StoreUnavailable
from chat.uploads import UPLOAD_PATH, TooLarge, UsedUp

log = logging.getLogger(__name__)

_REFUSED: dict[type, int] = {BadToken: 403, UsedUp: 409, TooLarge: 413, Rejected: 400}


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def build_file_routes(confab: Any) -> APIRouter:
    """The upload and download routes of one Confab process."""
    router = APIRouter()
    uploads = confab.uploads

    @router.put(UPLOAD_PATH + "{token}")
    async def upload(request: Request, token: str) -> Response:
        declared = request.headers.get("content-length")
        size = int(declared) if declared and declared.isdigit() else None
        try:
            attachment = await uploads.receive(token, size, request.stream())
        except (BadToken, Rejected) as exc:
            status = next(code for kind, code in _REFUSED.items() if isinstance(exc, kind))
            return _error(status, str(exc))
        except StoreUnavailable:
            return _error(503, "The database is not answering, so the file was not kept.")
        # 200, not 201: Flet's uploader reports any other status as a failed upload.
        return JSONResponse({"attachment": attachment.to_json()})

    @router.get(FILES_PATH + "{file_id}")
    async def download(
        request: Request, file_id: str, key: str = "", download: int = 0
    ) -> Response:
        record = await uploads.record(file_id)
        if record is None:
            return _error(404, "There is no such file.")
        try:
            person_id = await _reader(request, key)
        except (BadToken, NotSignedIn) as exc:
            return _error(401, str(exc))
        if not await confab.service.directory.may_see(record.room, person_id):
            return _error(404, "There is no such file.")  # the same as none: nothing leaks
        blob = await uploads.file(file_id)
        if blob is None:
            return _error(404, "There is no such file.")
        attachment = record.attachment
        disposition = "inline" if attachment.is_image and not download else "attachment"
        headers = {
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(attachment.name)}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, max-age=3600",
            # Even opened directly, a file can run nothing and load nothing.
            "Content-Security-Policy": "default-src 'none'; sandbox",
        }
        return Response(blob.data, media_type=blob.content_type, headers=headers)

    async def _reader(request: Request, key: str) -> str:
        if key:
            person_id: str = uploads.reader(key)
            person = await confab.store.get_person(person_id)
            if person is None or person.banned:
                raise BadToken("This link is not valid.")
            return person_id
        caller = await confab.access.caller(request.headers.get("authorization"))
        return caller.person.id

    return router
