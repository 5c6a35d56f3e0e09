"""A nomination's dossier over HTTP: upload a file, list the files, download one, remove one."""

from __future__ import annotations

import uuid
from typing import Annotated

import asyncpg
from litestar import Controller, Request, Response, delete, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body

from shared.auth import Principal, Role, roles
from shared.settings import MAX_UPLOAD_BODY_BYTES

from ..domain import dossier
from . import service
from .schemas import Attachment, Attachments, AttachmentUpload

READERS = roles(Role.ADMIN, Role.COMMITTEE, Role.OFFICER)
UNIT_OFFICERS = roles(Role.OFFICER)
# The body of one upload: the file's 20 MiB and room for the multipart headers around it. A body
# above this is refused (413) as it arrives, with or without Content-Length; a file between its
# bound and this is refused (413) by the dossier's rule, naming `file`.
UPLOAD_BODY_BYTES = MAX_UPLOAD_BODY_BYTES
assert UPLOAD_BODY_BYTES > dossier.MAX_BYTES


class AttachmentController(Controller):
    path = "/"
    tags = ["attachments"]

    @post(
        "/nominations/{nomination_id:uuid}/attachments",
        guards=[UNIT_OFFICERS],
        request_max_body_size=UPLOAD_BODY_BYTES,
        summary="Attach a file to a submitted or returned nomination (an officer of its unit or above it)",
    )
    async def add_attachment(
        self,
        nomination_id: uuid.UUID,
        data: Annotated[AttachmentUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
        pool: asyncpg.Pool,
        principal: Principal,
    ) -> Attachment:
        """`multipart/form-data`, the file in the field `file`: a PDF, DOCX, XLSX, JPEG or PNG, known by
        its content (anything else, whatever its name or declared type, is 400 on `file`), of at most
        20 MiB (413 above). `content_type` is what the bytes are. 409 once the nomination is approved,
        rejected or withdrawn, or when it already holds the most files a dossier takes."""
        try:
            content = await data.file.read()
        finally:
            await data.file.close()
        return await service.add(pool, principal, nomination_id, content, data.file.filename)

    @get(
        "/nominations/{nomination_id:uuid}/attachments",
        guards=[READERS],
        summary="The files of a nomination's dossier (whoever may read the nomination)",
    )
    async def list_attachments(self, nomination_id: uuid.UUID, pool: asyncpg.Pool, principal: Principal) -> Attachments:
        """Oldest first; their bytes at `GET /attachments/{id}`."""
        return Attachments(items=await service.list_files(pool, principal, nomination_id))

    @get(
        "/attachments/{attachment_id:uuid}",
        guards=[READERS],
        summary="Download a file of a nomination's dossier (whoever may read the nomination)",
        response_description="The file's bytes, with the content type they are",
    )
    async def download_attachment(
        self, request: Request, attachment_id: uuid.UUID, pool: asyncpg.Pool, principal: Principal
    ) -> Response[bytes]:
        """Served as an attachment (never shown inline), with its SHA-256 as the ETag."""
        found, content = await service.download(pool, principal, attachment_id)
        etag = f'"{found.sha256}"'
        headers = {
            "Content-Disposition": dossier.content_disposition(found.filename),
            "X-Content-Type-Options": "nosniff",
            "ETag": etag,
            "Cache-Control": "private, no-cache",
        }
        if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
            return Response(b"", status_code=304, headers=headers)
        return Response(content, media_type=found.content_type, headers=headers)

    @delete(
        "/attachments/{attachment_id:uuid}",
        guards=[UNIT_OFFICERS],
        summary="Remove a file from a submitted or returned nomination (an officer of its unit or above it)",
    )
    async def remove_attachment(self, attachment_id: uuid.UUID, pool: asyncpg.Pool, principal: Principal) -> None:
        """204; the nomination's history keeps the file's name, size and SHA-256. 409 once it may not be edited."""
        await service.remove(pool, principal, attachment_id)
