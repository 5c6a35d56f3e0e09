"""The admin's unit tree: `/units` (the top of the tree, search, a new top unit), a unit's page
(`/units/{id}`: its ancestors, its children, a new child, rename, move) and `Nhập từ Excel`
(`/units/import`: a `.xlsx`/`.csv` of `code,name,kind,parent_code`, all or nothing, the units
service's errors shown by row). Admin only.

Round trips: `/units` 1 (2 with a unit select); a unit's page 2 together (the unit, its
children) and one per ancestor for the breadcrumb (the units service has no ancestors call),
and the move's unit select.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post

from shared.roles import Role
from shared.tables import TableError, parse_numbered, require_columns

from .. import domain
from ..client import Api, Refused
from ..pages import query, render, see_other
from ..session.guards import allow
from ..session.service import Session
from ..uploads import spreadsheet
from .common import UNIT_KIND_NAMES, form_errors, text, unit_choices

ADMIN = allow(Role.ADMIN)
CHILDREN_SHOWN = 200
MAX_DEPTH_SHOWN = 32  # the breadcrumb stops here, whatever the tree says
MAX_UPLOAD = 4 * 1024 * 1024
MAX_ROWS = 20_000  # the units service's most rows per import
IMPORT_COLUMNS = ("code", "name", "kind", "parent_code")
TABLE_PROBLEMS = {
    "format": "Chỉ nhận tệp .xlsx hoặc .csv.",
    "encoding": "Tệp CSV phải được lưu dạng UTF-8 (trong Excel: Lưu thành, chọn “CSV UTF-8”).",
    "empty": "Tệp trống.",
    "unreadable": "Không đọc được tệp: tệp bị hỏng hoặc không đúng định dạng .xlsx/.csv.",
    "no-rows": "Tệp không có dòng đơn vị nào dưới dòng tiêu đề.",
    "too-many-rows": f"Tệp có quá nhiều dòng: tối đa {MAX_ROWS} đơn vị mỗi lần nhập.",
}

CREATE_FIELDS = {"code": "code", "name": "name", "kind": "kind", "parent_id": "parent_id"}
NOTICES = {
    "created": "Đã thêm đơn vị.",
    "renamed": "Đã đổi tên đơn vị.",
    "moved": "Đã chuyển đơn vị (cùng các đơn vị trực thuộc).",
}
ROW = re.compile(r"^row (?P<row>\d+)(?:\.(?P<field>.+))?$")
COLUMN_NAMES = {"code": "Mã (code)", "name": "Tên (name)", "kind": "Loại (kind)", "parent_code": "Mã đơn vị cấp trên"}


def read_units(filename: str, data: bytes) -> tuple[list[dict[str, str | None]], list[int]]:
    """The file's units as the import's JSON rows, and the spreadsheet row of each (the header is row 1).

    Raises `TableError` when the file cannot be read or its header lacks a column.
    """
    numbered = parse_numbered(filename, data, max_rows=MAX_ROWS)
    require_columns([row for _, row in numbered], IMPORT_COLUMNS[:3], filename)
    units = [
        {c: (row.get(c) or None) if c == "parent_code" else row.get(c, "") for c in IMPORT_COLUMNS}
        for _, row in numbered
    ]
    return units, [number for number, _ in numbered]


def table_problem(exc: TableError) -> str:
    if exc.reason == "columns":
        return "Dòng 1 (tiêu đề) thiếu cột: " + ", ".join(exc.missing) + ". Cần các cột code, name, kind, parent_code."
    return TABLE_PROBLEMS.get(exc.reason, "Không đọc được tệp.")


def row_errors(exc: Refused, sheet_rows: list[int]) -> tuple[list[dict[str, Any]], list[str]]:
    """The import's errors by spreadsheet row and column (the service's `row 3.name` names the 3rd unit
    sent, which `sheet_rows` turns into the row Excel shows) and those naming no row."""
    rows: list[dict[str, Any]] = []
    other: list[str] = []
    for e in exc.errors:
        found = ROW.match(e.field)
        if found:
            field = found["field"] or ""
            position = int(found["row"])
            row = sheet_rows[position - 1] if 0 < position <= len(sheet_rows) else position
            rows.append({"row": row, "field": COLUMN_NAMES.get(field, field), "message": e.message})
        elif e.field == "body":
            other.append(e.message)
        else:
            other.append(f"{e.field}: {e.message}")
    rows.sort(key=lambda r: r["row"])
    return rows, other


class UnitController(Controller):
    path = "/units"
    include_in_schema = False
    guards = [ADMIN]

    @get("/")
    async def tree(
        self,
        request: Request[Any, Any, Any],
        api: Api,
        q: str | None = None,
        cursor: str | None = None,
        done: str | None = None,
    ) -> Response[Any]:
        return await self._top_page(
            request, api, q=(q or "").strip()[:200], cursor=cursor, notice=NOTICES.get(done or "")
        )

    async def _top_page(
        self,
        request: Request[Any, Any, Any],
        api: Api,
        *,
        q: str,
        cursor: str | None = None,
        typed: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        error: str | None = None,
        notice: str | None = None,
        status: int = 200,
    ) -> Response[Any]:
        params = {"q": q} if q else {"roots": "true"}
        page = await api.get("units", "/units", {**params, "limit": domain.PAGE_SIZE, "cursor": cursor})
        next_url = "/units" + query(q=q, cursor=page["next_cursor"]) if page.get("next_cursor") else None
        return render(
            request,
            "units.html",
            status=status,
            unit=None,
            ancestors=[],
            children=page["items"],
            q=q,
            kinds=UNIT_KIND_NAMES,
            typed=typed or {"code": "", "name": "", "kind": "party_committee"},
            errors=errors or {},
            error=error,
            notice=notice,
            next_url=next_url,
            first_url="/units" + query(q=q) if cursor else None,
        )

    @get("/{unit_id:uuid}")
    async def show(
        self,
        request: Request[Any, Any, Any],
        api: Api,
        session: Session,
        unit_id: uuid.UUID,
        unit_q: str | None = None,
        done: str | None = None,
    ) -> Response[Any]:
        return await self._unit_page(
            request, api, session, unit_id, unit_q=(unit_q or "").strip()[:200], notice=NOTICES.get(done or "")
        )

    async def _unit_page(
        self,
        request: Request[Any, Any, Any],
        api: Api,
        session: Session,
        unit_id: uuid.UUID,
        *,
        unit_q: str = "",
        typed: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        error: str | None = None,
        notice: str | None = None,
        status: int = 200,
    ) -> Response[Any]:
        unit, children = await asyncio.gather(
            api.get("units", f"/units/{unit_id}"),
            api.get("units", "/units", {"parent_id": str(unit_id), "limit": CHILDREN_SHOWN}),
        )
        chosen = (typed or {}).get("parent_id", str(unit["parent_id"] or ""))
        ancestors, (parents, more) = await asyncio.gather(
            self._ancestors(api, unit), unit_choices(api, session, unit_q, chosen)
        )
        return render(
            request,
            "units.html",
            status=status,
            unit=unit,
            ancestors=ancestors,
            children=children["items"],
            more_children=bool(children.get("next_cursor")),
            q="",
            kinds=UNIT_KIND_NAMES,
            typed={"code": "", "name": "", "kind": "grassroots_party_org", "new_name": unit["name"], **(typed or {})},
            parents=[p for p in parents if str(p["id"]) != str(unit_id)],
            more_parents=more,
            parent_chosen=chosen,
            unit_q=unit_q,
            errors=errors or {},
            error=error,
            notice=notice,
        )

    async def _ancestors(self, api: Api, unit: dict[str, Any]) -> list[dict[str, Any]]:
        """The units above, from the top down (one call each: the units service has no ancestors call)."""
        found: list[dict[str, Any]] = []
        parent = unit.get("parent_id")
        while parent and len(found) < MAX_DEPTH_SHOWN:
            above = await api.get("units", f"/units/{domain.parse_uuid(str(parent))}")
            found.append(above)
            parent = above.get("parent_id")
        return list(reversed(found))

    # ------------------------------------------------------------ create, rename, move
    @post("/new")
    async def create(self, request: Request[Any, Any, Any], api: Api, session: Session) -> Response[Any]:
        form = await request.form()
        typed = {
            "code": text(form, "code", 200).strip(),
            "name": text(form, "name", 1000),
            "kind": text(form, "kind", 50),
        }
        parent = domain.parse_uuid(text(form, "parent_id", 100))
        errors: dict[str, str] = {}
        if not typed["code"]:
            errors["code"] = "Nhập mã đơn vị."
        if not typed["name"].strip():
            errors["name"] = "Nhập tên đơn vị."
        if typed["kind"] not in UNIT_KIND_NAMES:
            errors["kind"] = "Chọn loại đơn vị."
        error, status = None, 400
        if not errors:
            body = {"code": typed["code"], "name": typed["name"].strip(), "kind": typed["kind"]}
            if parent is not None:
                body["parent_id"] = str(parent)
            try:
                created = await api.post("units", "/units", body)
            except Refused as exc:
                if exc.status == 401 or (exc.status == 404 and parent is not None and not exc.errors):
                    raise
                errors, error = form_errors(exc, CREATE_FIELDS)
                status = exc.status
            else:
                return see_other(f"/units/{created['id']}?done=created")
        if parent is not None:
            return await self._unit_page(
                request, api, session, parent, typed=typed, errors=errors, error=error, status=status
            )
        return await self._top_page(request, api, q="", typed=typed, errors=errors, error=error, status=status)

    @post("/{unit_id:uuid}/rename")
    async def rename(
        self, request: Request[Any, Any, Any], api: Api, session: Session, unit_id: uuid.UUID
    ) -> Response[Any]:
        form = await request.form()
        name = text(form, "new_name", 1000)
        errors: dict[str, str] = {}
        error, status = None, 400
        if not name.strip():
            errors["new_name"] = "Nhập tên mới."
        else:
            try:
                await api.request("PATCH", "units", f"/units/{unit_id}", json={"name": name.strip()})
            except Refused as exc:
                if exc.status in (401, 404):
                    raise
                errors, error = form_errors(exc, {"name": "new_name"})
                status = exc.status
            else:
                return see_other(f"/units/{unit_id}?done=renamed")
        return await self._unit_page(
            request, api, session, unit_id, typed={"new_name": name}, errors=errors, error=error, status=status
        )

    @post("/{unit_id:uuid}/move")
    async def move(
        self, request: Request[Any, Any, Any], api: Api, session: Session, unit_id: uuid.UUID
    ) -> Response[Any]:
        form = await request.form()
        raw = text(form, "parent_id", 100)
        parent = domain.parse_uuid(raw)
        errors: dict[str, str] = {}
        error, status = None, 400
        if raw and parent is None:
            errors["parent_id"] = "Chọn đơn vị cấp trên trong danh sách."
        else:
            try:
                await api.request(
                    "PATCH", "units", f"/units/{unit_id}", json={"parent_id": str(parent) if parent else None}
                )
            except Refused as exc:
                if exc.status == 401 or (exc.status == 404 and not exc.errors and parent is None):
                    raise
                errors, error = form_errors(exc, {"parent_id": "parent_id"})
                if not errors:
                    errors["parent_id"] = exc.detail
                status = exc.status
            else:
                return see_other(f"/units/{unit_id}?done=moved")
        return await self._unit_page(
            request,
            api,
            session,
            unit_id,
            unit_q=text(form, "unit_q", 200),
            typed={"parent_id": raw},
            errors=errors,
            error=error,
            status=status,
        )

    # ------------------------------------------------------------ import
    @get("/import")
    async def import_form(self, request: Request[Any, Any, Any]) -> Response[Any]:
        return render(request, "units_import.html", kinds=UNIT_KIND_NAMES, rows=[], other=[], error=None)

    @post("/import")
    async def import_file(self, request: Request[Any, Any, Any], api: Api) -> Response[Any]:
        file = await spreadsheet(await request.form(), MAX_UPLOAD)
        if isinstance(file, str):
            return self._import_refused(request, file)
        name, data = file
        try:
            # Reading a workbook takes a while: off the event loop.
            units, sheet_rows = await asyncio.to_thread(read_units, name, data)
        except TableError as exc:
            return self._import_refused(request, table_problem(exc), filename=name)
        try:
            result = await api.post("units", "/units/import", units)
        except Refused as exc:
            if exc.status == 401:
                raise
            rows, other = row_errors(exc, sheet_rows)
            return self._import_refused(
                request, f"Không nhập được đơn vị nào: {exc.detail}", rows=rows, other=other, filename=name
            )
        return render(
            request,
            "units_import.html",
            kinds=UNIT_KIND_NAMES,
            rows=[],
            other=[],
            error=None,
            created=result["items"],
            notice=f"Đã nhập {result['created']} đơn vị.",
        )

    def _import_refused(
        self,
        request: Request[Any, Any, Any],
        error: str,
        *,
        rows: list[dict[str, Any]] | None = None,
        other: list[str] | None = None,
        filename: str = "",
    ) -> Response[Any]:
        return render(
            request,
            "units_import.html",
            status=400,
            kinds=UNIT_KIND_NAMES,
            rows=rows or [],
            other=other or [],
            error=error,
            filename=filename,
        )
