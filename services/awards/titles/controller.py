"""Past titles over HTTP: an office's file of titles and awards by year, imported by the admin."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import asyncpg
import msgspec
from litestar import Controller, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body

from shared.auth import Principal, Role, roles

from . import service


@dataclass
class TitlesUpload:
    """`multipart/form-data` with the file in the field `file` (CSV or XLSX)."""

    file: UploadFile


class TitlesImported(msgspec.Struct):
    imported: int  # rows written now
    unchanged: int  # rows already there (the same nominee, title and year): an import sent again adds nothing


class TitleController(Controller):
    path = "/titles"
    tags = ["titles"]

    @post("/import", guards=[roles(Role.ADMIN)], status_code=200, summary="Import past titles and awards (admin)")
    async def import_titles(
        self,
        data: Annotated[TitlesUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
        conn: asyncpg.Connection,
        principal: Principal,
    ) -> TitlesImported:
        """CSV (UTF-8, with or without BOM) or XLSX with the header `kind,unit_code,full_name,person_id,title,year`.
        `individual`: by `person_id`, or `unit_code` and `full_name` naming one person; `collective`: by
        `unit_code`. Every row is checked first; 400 names each bad row (`rows[7].year`, as the sheet numbers
        it) and nothing is imported. The same nominee, title and year again is not imported twice."""
        try:
            content = await data.file.read()
        finally:
            await data.file.close()
        imported, unchanged = await service.import_titles(conn, principal, data.file.filename or "titles.csv", content)
        return TitlesImported(imported=imported, unchanged=unchanged)
