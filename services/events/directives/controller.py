"""Directives over HTTP: `/directives`, the programmes and sessions reported under each (one at a time by a
unit's officer, or a file of them by the admin), and the figures of its implementation (public).
`GET /directives/{id}` answers JSON, or a browser a 303 to the directive's page (`report_controller.py`)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Annotated

import asyncpg
from litestar import Controller, Request, delete, get, post, put
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Response

from shared import files
from shared.auth import Principal, Role, roles
from shared.errors import Invalid
from shared.pagination import Page, PageQuery
from shared.settings import MAX_UPLOAD_BODY_BYTES

from . import repository, service
from .repository import Reported
from .schemas import (
    Directive,
    DirectiveCreate,
    DocumentUpload,
    Implementation,
    Imported,
    Programme,
    ProgrammeCreate,
    Session,
    SessionCreate,
)

ISSUERS = roles(Role.ADMIN, Role.COMMITTEE)
REPORTERS = roles(Role.OFFICER, Role.ADMIN)
IMPORTERS = roles(Role.ADMIN)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HTML, JSON = "text/html", "application/json"
VARY = {"Vary": "Accept"}  # one directive's address answers JSON or a redirect to its page, by the Accept
CSV_TYPES = ("text/csv", "application/csv", "text/plain")
# The body of a programme's document: the file's 20 MiB and room for the multipart headers around it. A body
# above it is refused (413) as it arrives; a file between its bound and this, by `shared.files` (413 on `file`).
UPLOAD_BODY_BYTES = MAX_UPLOAD_BODY_BYTES
assert UPLOAD_BODY_BYTES > files.MAX_BYTES


async def _upload(request: Request) -> tuple[str, bytes]:
    """The file of an import: `multipart/form-data` with the file in the field `file` (CSV or XLSX, known by its
    name's suffix), or the body itself as `text/csv` or an XLSX workbook's type."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "multipart/form-data":
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise Invalid("send the file in the multipart field `file`", field="file")
        try:
            data = await upload.read()
        finally:
            await upload.close()
        return upload.filename, data
    if media in CSV_TYPES:
        return "import.csv", await request.body()
    if media == XLSX:
        return "import.xlsx", await request.body()
    raise Invalid("send a CSV or XLSX file, as multipart/form-data in the field `file`, or as text/csv", field="file")


Importer = Callable[[asyncpg.Connection, uuid.UUID, str, bytes, Principal], Awaitable[Imported]]
Lister = Callable[..., Awaitable[list[tuple[Reported, repository.ListKey]]]]


def _cursor(_: object, key: tuple[date | datetime, uuid.UUID]) -> list[str]:
    return [key[0].isoformat(), str(key[1])]


async def _reports(
    pool: asyncpg.Pool, directive_id: uuid.UUID, paging: PageQuery, unit_id: uuid.UUID | None, lister: Lister[Reported]
) -> Page[Reported]:
    """A page of a directive's programmes or sessions (404 for an unknown directive)."""
    await repository.get_directive(pool, directive_id)
    after = paging.after((datetime, uuid.UUID))
    rows = await lister(pool, directive_id, unit_id=unit_id, after=after, limit=paging.limit + 1)
    return paging.page_keyed(rows, _cursor)


async def _import(
    request: Request, pool: asyncpg.Pool, directive_id: uuid.UUID, principal: Principal, importer: Importer
) -> Imported:
    filename, data = await _upload(request)
    async with pool.acquire() as conn:
        return await importer(conn, directive_id, filename, data, principal)


class DirectiveController(Controller):
    path = "/directives"
    tags = ["directives"]

    @post(guards=[ISSUERS], summary="Issue a directive carrying out a higher resolution, for campaigns")
    async def create_directive(
        self, data: DirectiveCreate, principal: Principal, conn: asyncpg.Connection
    ) -> Directive:
        """400 naming each unknown unit or campaign id; 409 when another directive has the code."""
        return await service.create_directive(conn, data, principal)

    @get(summary="Directives, the latest issued first (public)")
    async def list_directives(self, pool: asyncpg.Pool, paging: PageQuery) -> Page[Directive]:
        rows = await repository.list_directives(pool, after=paging.after((date, uuid.UUID)), limit=paging.limit + 1)
        return paging.page_keyed(rows, _cursor)

    @get(
        "/{directive_id:uuid}",
        summary="One directive (public)",
        description="A browser (HTML before JSON in its Accept) is sent (303) to the directive's page, "
        "`/directives/{id}/page`; any other client is answered JSON.",
    )
    async def get_directive(
        self, request: Request, directive_id: uuid.UUID, conn: asyncpg.Connection
    ) -> Response[Directive]:
        if request.accept.best_match([JSON, HTML], default=JSON) == HTML:
            return Redirect(f"/directives/{directive_id}/page", status_code=303, headers=VARY)
        return Response(await service.get_directive(conn, directive_id), headers=VARY)

    @get(
        "/{directive_id:uuid}/implementation",
        summary="How the directive is carried out: programmes by unit kind, sessions, honourees, who is missing (public)",
    )
    async def get_implementation(self, directive_id: uuid.UUID, conn: asyncpg.Connection) -> Implementation:
        """Counted when asked, so every report and award shows at once. `programmes`: per kind of unit below
        the issuing unit (at any depth, not itself), how many have a programme (`done`) of how many (`of`);
        `missing`: those without one, the higher first. `honoured`: the standing (granted, unrevoked)
        awards of the directive's campaigns, whenever granted."""
        return await service.implementation(conn, directive_id)

    # ------------------------------------------------------------ programmes
    @post(
        "/{directive_id:uuid}/programmes",
        guards=[REPORTERS],
        summary="Report a unit's action programme (an officer for a unit of its subtree, or the admin)",
    )
    async def report_programme(
        self, directive_id: uuid.UUID, data: ProgrammeCreate, principal: Principal, conn: asyncpg.Connection
    ) -> Programme:
        """One per unit (409); a unit strictly below the issuing unit, on or after the directive's day (400);
        an officer's unit outside its subtree is 403."""
        return await service.report_programme(conn, directive_id, data, principal)

    @get("/{directive_id:uuid}/programmes", summary="The programmes reported, in the order reported (public)")
    async def list_programmes(
        self, directive_id: uuid.UUID, pool: asyncpg.Pool, paging: PageQuery, unit_id: uuid.UUID | None = None
    ) -> Page[Programme]:
        return await _reports(pool, directive_id, paging, unit_id, repository.list_programmes)

    @post(
        "/{directive_id:uuid}/programmes/import",
        guards=[IMPORTERS],
        summary="Import the units' programmes from a CSV or XLSX file (the admin); all or nothing",
    )
    async def import_programmes(
        self, directive_id: uuid.UUID, request: Request, principal: Principal, pool: asyncpg.Pool
    ) -> Imported:
        """Columns `unit_code`, `number`, `issued_on`, `title` (or `ma_don_vi`, `so`, `ngay`, `ten`). Every row
        is checked first: 400 names each bad row by its spreadsheet number (`rows[3].unit_code`), 409 each
        unit that has a programme already."""
        return await _import(request, pool, directive_id, principal, service.import_programmes)

    @get(
        "/{directive_id:uuid}/programmes/{programme_id:uuid}",
        summary="One programme, with what its document is (public)",
    )
    async def get_programme(
        self, directive_id: uuid.UUID, programme_id: uuid.UUID, conn: asyncpg.Connection
    ) -> Programme:
        return await service.get_programme(conn, directive_id, programme_id)

    # ------------------------------------------------------------ a programme's document
    @put(
        "/{directive_id:uuid}/programmes/{programme_id:uuid}/document",
        guards=[REPORTERS],
        request_max_body_size=UPLOAD_BODY_BYTES,
        summary="Upload a programme's document, replacing the one it had (an officer of its unit or above, the admin)",
    )
    async def put_document(
        self,
        directive_id: uuid.UUID,
        programme_id: uuid.UUID,
        data: Annotated[DocumentUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
        principal: Principal,
        pool: asyncpg.Pool,
    ) -> Programme:
        """`multipart/form-data`, the file in the field `file`: a PDF or a Word (DOCX) file, known by its
        content (anything else, whatever its name, is 400 on `file`), of at most 20 MiB (413 above). Answers
        the programme with its `document`. 403 for an officer outside the unit's subtree."""
        try:
            content = await data.file.read()
        finally:
            await data.file.close()
        return await service.put_document(pool, directive_id, programme_id, content, data.file.filename, principal)

    @get(
        "/{directive_id:uuid}/programmes/{programme_id:uuid}/document",
        summary="Download a programme's document (public)",
        response_description="The file's bytes, with the content type they are",
    )
    async def download_document(
        self, request: Request, directive_id: uuid.UUID, programme_id: uuid.UUID, pool: asyncpg.Pool
    ) -> Response[bytes]:
        """Served as an attachment (never shown inline) under its name, with its SHA-256 as the ETag: 304
        when If-None-Match names it. 404 when the programme has no document."""
        if_none_match = request.headers.get("if-none-match")
        if if_none_match:
            tag = await service.document_tag(pool, directive_id, programme_id)
            if files.not_modified(if_none_match, tag):
                return Response(b"", status_code=304, headers={"ETag": f'"{tag}"', "Cache-Control": "public, no-cache"})
        found, content = await service.download_document(pool, directive_id, programme_id)
        headers = files.download_headers(found.filename, found.sha256, public=True)
        return Response(content, media_type=found.content_type, headers=headers)

    @delete(
        "/{directive_id:uuid}/programmes/{programme_id:uuid}/document",
        guards=[REPORTERS],
        summary="Remove a programme's document (an officer of its unit or above, the admin)",
    )
    async def delete_document(
        self, directive_id: uuid.UUID, programme_id: uuid.UUID, principal: Principal, pool: asyncpg.Pool
    ) -> None:
        """204; 404 when the programme has no document."""
        await service.delete_document(pool, directive_id, programme_id, principal)

    # ------------------------------------------------------------ sessions
    @post(
        "/{directive_id:uuid}/sessions",
        guards=[REPORTERS],
        summary="Report a study session, training or dialogue (an officer for a unit of its subtree, or the admin)",
    )
    async def report_session(
        self, directive_id: uuid.UUID, data: SessionCreate, principal: Principal, conn: asyncpg.Connection
    ) -> Session:
        """`attendees` from 1 to 1,000,000; the issuing unit or one below it, on or after the directive's day."""
        return await service.report_session(conn, directive_id, data, principal)

    @get("/{directive_id:uuid}/sessions", summary="The sessions reported, in the order reported (public)")
    async def list_sessions(
        self, directive_id: uuid.UUID, pool: asyncpg.Pool, paging: PageQuery, unit_id: uuid.UUID | None = None
    ) -> Page[Session]:
        return await _reports(pool, directive_id, paging, unit_id, repository.list_sessions)

    @post(
        "/{directive_id:uuid}/sessions/import",
        guards=[IMPORTERS],
        summary="Import sessions from a CSV or XLSX file (the admin); all or nothing",
    )
    async def import_sessions(
        self, directive_id: uuid.UUID, request: Request, principal: Principal, pool: asyncpg.Pool
    ) -> Imported:
        """Columns `unit_code`, `held_on`, `kind` (study, training, dialogue, other; or học tập, tập huấn,
        đối thoại, khác), `title`, `attendees`. Every row is checked first: 400 names each bad row."""
        return await _import(request, pool, directive_id, principal, service.import_sessions)
