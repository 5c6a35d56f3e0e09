"""The admin's import of past titles and awards (`/titles/import`): the office's `.xlsx`/`.csv` of
`kind,unit_code,full_name,person_id,title,year` sent as it is to the awards service (`POST /titles/import`),
which checks every row first; its refusals are shown by spreadsheet row and column, nothing imported.

Round trips: 1 (the upload).
"""

from __future__ import annotations

import re
from typing import Any

from litestar import Controller, Request, Response, get, post

from shared.roles import Role

from ..client import Api, Refused
from ..pages import render
from ..session.guards import allow
from ..uploads import spreadsheet

ADMIN = allow(Role.ADMIN)
MAX_UPLOAD = 4 * 1024 * 1024
ROW = re.compile(r"^rows\[(?P<row>\d+)\]\.(?P<field>\w+)$")
COLUMN_NAMES = {
    "kind": "kind (loại)",
    "unit_code": "unit_code (mã đơn vị)",
    "full_name": "full_name (họ tên)",
    "person_id": "person_id (mã người)",
    "title": "title (danh hiệu)",
    "year": "year (năm)",
}


def row_errors(exc: Refused) -> tuple[list[dict[str, Any]], list[str]]:
    """The service's errors by the row the spreadsheet shows (it numbers them so) and column, and the others."""
    rows: list[dict[str, Any]] = []
    other: list[str] = []
    for e in exc.errors:
        found = ROW.match(e.field)
        if found:
            rows.append(
                {
                    "row": int(found["row"]),
                    "field": COLUMN_NAMES.get(found["field"], found["field"]),
                    "message": e.message,
                }
            )
        else:
            other.append(e.message if e.field in ("body", "file") else f"{e.field}: {e.message}")
    return rows, other


class TitleImportController(Controller):
    path = "/titles"
    include_in_schema = False
    guards = [ADMIN]

    @get("/import")
    async def import_form(self, request: Request[Any, Any, Any]) -> Response[Any]:
        return render(request, "titles_import.html", rows=[], other=[], error=None)

    @post("/import")
    async def import_file(self, request: Request[Any, Any, Any], api: Api) -> Response[Any]:
        file = await spreadsheet(await request.form(), MAX_UPLOAD)
        if isinstance(file, str):
            return render(request, "titles_import.html", status=400, rows=[], other=[], error=file, filename="")
        name, data = file
        try:
            result = await api.upload("awards", "/titles/import", "file", name, data)
        except Refused as exc:
            if exc.status in (401, 403):
                raise
            rows, other = row_errors(exc)
            error = f"Không nhập được danh hiệu nào: {exc.detail}" if rows else exc.detail
            return render(request, "titles_import.html", status=400, rows=rows, other=other, error=error, filename=name)
        notice = f"Đã nhập {result['imported']} danh hiệu"
        if result["unchanged"]:
            notice += f" ({result['unchanged']} dòng đã có từ trước)"
        return render(request, "titles_import.html", rows=[], other=[], error=None, notice=notice + ".")
