"""The unit tree: create, import, list and search, rename and move."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Annotated

import asyncpg
import msgspec
from litestar import Request, get, patch, post
from litestar.params import Parameter

from shared.auth import roles
from shared.pagination import Page, check_limit, decode_cursor, page
from shared.problems import FieldError, Problem
from shared.text import nfc

from .. import repository
from ..schemas import ImportResult, Unit, UnitCreate, UnitImportRow, UnitKind, UnitPatch

MAX_IMPORT_ROWS = 20_000
IMPORT_COLUMNS = ("code", "name", "kind", "parent_code")


@post("/units", guards=[roles("admin")], tags=["units"], summary="Create a unit")
async def create_unit(data: UnitCreate, pool: asyncpg.Pool) -> Unit:
    async with pool.acquire() as conn:
        return await repository.create_unit(conn, data.code.strip(), nfc(data.name), data.kind, data.parent_id)


@get("/units", tags=["units"], summary="List and search units (public)")
async def list_units(
    pool: asyncpg.Pool,
    parent_id: uuid.UUID | None = None,
    under_id: Annotated[uuid.UUID | None, Parameter(description="only this unit and its whole subtree")] = None,
    kind: UnitKind | None = None,
    q: Annotated[str | None, Parameter(max_length=200, description="name, ignoring case and diacritics; or exact code")] = None,
    limit: Annotated[int | None, Parameter(description="1..200, default 50")] = None,
    cursor: str | None = None,
) -> Page[Unit]:
    size = check_limit(limit)
    after = decode_cursor(cursor, (str, uuid.UUID))
    rows = await repository.list_units(
        pool, parent_id=parent_id, under_id=under_id, kind=kind, q=nfc(q) if q else None, after=after, limit=size
    )
    result = page(rows, size, key=lambda r: [r[1], str(r[0].id)])
    return Page(items=[u for u, _ in result.items], next_cursor=result.next_cursor)


@get("/units/{unit_id:uuid}", tags=["units"], summary="One unit (public)")
async def get_unit(unit_id: uuid.UUID, pool: asyncpg.Pool) -> Unit:
    return await repository.get_unit(pool, unit_id)


@patch("/units/{unit_id:uuid}", guards=[roles("admin")], tags=["units"], summary="Rename a unit or move it under another")
async def update_unit(unit_id: uuid.UUID, data: UnitPatch, pool: asyncpg.Pool) -> Unit:
    move = data.parent_id is not msgspec.UNSET
    if data.name is msgspec.UNSET and not move:
        raise Problem(400, "send a new name, a new parent_id, or both", errors=[FieldError("body", "nothing to change")])
    if move and data.parent_id == unit_id:
        raise Problem(409, "a unit cannot be its own parent", errors=[FieldError("parent_id", "is the unit itself")])
    async with pool.acquire() as conn:
        return await repository.update_unit(
            conn,
            unit_id,
            name=nfc(data.name) if data.name is not msgspec.UNSET else None,
            parent_id=data.parent_id if move else None,  # type: ignore[arg-type]
            move=move,
        )


@post(
    "/units/import",
    guards=[roles("admin")],
    tags=["units"],
    summary="Create many units at once (JSON array, or CSV with a header row); all or nothing",
)
async def import_units(request: Request, pool: asyncpg.Pool) -> ImportResult:
    body = await request.body()
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw_rows = _csv_rows(body) if content_type in ("text/csv", "application/csv") else _json_rows(body)
    if not raw_rows:
        raise Problem(400, "the import holds no units", errors=[FieldError("body", "empty")])
    if len(raw_rows) > MAX_IMPORT_ROWS:
        raise Problem(400, f"at most {MAX_IMPORT_ROWS} units per import", errors=[FieldError("body", "too many rows")])
    rows, errors = [], []
    for i, raw in enumerate(raw_rows, start=1):
        try:
            row = msgspec.convert(raw, UnitImportRow)
        except msgspec.ValidationError as exc:
            errors.append(FieldError(f"row {i}", str(exc)))
            continue
        rows.append(msgspec.structs.replace(row, name=nfc(row.name), code=row.code.strip()))
    if errors:
        raise Problem(400, f"{len(errors)} row(s) are not valid; nothing was imported", errors=errors)
    async with pool.acquire() as conn:
        created = await repository.import_units(conn, rows)
    return ImportResult(created=len(created), items=created)


def _json_rows(body: bytes) -> list[object]:
    try:
        value = msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        raise Problem(400, f"the body is not valid JSON: {exc}", errors=[FieldError("body", "malformed JSON")]) from exc
    if isinstance(value, dict) and isinstance(value.get("units"), list):
        value = value["units"]
    if not isinstance(value, list):
        raise Problem(400, "send a JSON array of units", errors=[FieldError("body", "expected an array")])
    return value


def _csv_rows(body: bytes) -> list[object]:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Problem(400, "the CSV must be UTF-8", errors=[FieldError("body", "not UTF-8")]) from exc
    sample = text[:4096]
    dialect = csv.excel
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")  # type: ignore[assignment]
    except csv.Error:
        pass
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in IMPORT_COLUMNS[:3] if c not in header]
    if missing:
        raise Problem(
            400, f"the CSV header must name the columns {', '.join(IMPORT_COLUMNS)}",
            errors=[FieldError("header", f"missing {', '.join(missing)}")],
        )
    reader.fieldnames = header
    rows: list[object] = []
    for record in reader:
        row = {k: (v or "").strip() for k, v in record.items() if k in IMPORT_COLUMNS}
        if not any(row.values()):
            continue
        if not row.get("parent_code"):
            row["parent_code"] = None  # type: ignore[assignment]
        rows.append(row)
    return rows
