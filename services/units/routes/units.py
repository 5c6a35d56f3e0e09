"""The unit tree: create, import, list and search, rename and move."""

from __future__ import annotations

import csv
import io
import re
import uuid
from typing import Annotated, Any

import asyncpg
import msgspec
from litestar import Request, get, patch, post
from litestar.params import Parameter

from shared.auth import roles
from shared.pagination import Page, check_limit, decode_cursor, page
from shared.problems import FieldError, Problem
from shared.text import nfc

from .. import names, repository
from ..schemas import ImportResult, Unit, UnitCreate, UnitImportRow, UnitKind, UnitPatch

MAX_IMPORT_ROWS = 20_000
IMPORT_COLUMNS = ("code", "name", "kind", "parent_code")
CSV_TYPES = ("text/csv", "application/csv", "text/plain")


@post("/units", guards=[roles("admin")], tags=["units"], summary="Create a unit")
async def create_unit(data: UnitCreate, pool: asyncpg.Pool) -> Unit:
    name = names.clean(data.name, "name")
    async with pool.acquire() as conn:
        return await repository.create_unit(conn, data.code, name, data.kind, data.parent_id)


@get("/units", tags=["units"], summary="List and search units (public)")
async def list_units(
    pool: asyncpg.Pool,
    parent_id: Annotated[uuid.UUID | None, Parameter(description="only the direct children of this unit")] = None,
    roots: Annotated[bool, Parameter(description="only the units at the top of the tree")] = False,
    under_id: Annotated[uuid.UUID | None, Parameter(description="only this unit and its whole subtree")] = None,
    kind: UnitKind | None = None,
    q: Annotated[str | None, Parameter(max_length=200, description="name, ignoring case and diacritics; or exact code")] = None,
    limit: Annotated[int | None, Parameter(description="1..200, default 50")] = None,
    cursor: str | None = None,
) -> Page[Unit]:
    size = check_limit(limit)
    after = decode_cursor(cursor, (str, uuid.UUID))
    rows = await repository.list_units(
        pool, parent_id=parent_id, roots=roots, under_id=under_id, kind=kind, q=nfc(q) if q else None,
        after=after, limit=size,
    )
    result = page(rows, size, key=lambda r: [r[1], str(r[0].id)])
    return Page(items=[u for u, _ in result.items], next_cursor=result.next_cursor)


@get("/units/{unit_id:uuid}", tags=["units"], summary="One unit (public)")
async def get_unit(unit_id: uuid.UUID, pool: asyncpg.Pool) -> Unit:
    return await repository.get_unit(pool, unit_id)


@patch(
    "/units/{unit_id:uuid}",
    guards=[roles("admin")],
    tags=["units"],
    summary="Rename a unit, or move it (with its subtree) under another parent; null parent_id makes it a root",
)
async def update_unit(unit_id: uuid.UUID, data: UnitPatch, pool: asyncpg.Pool) -> Unit:
    move = data.parent_id is not msgspec.UNSET
    if data.name is msgspec.UNSET and not move:
        raise Problem(400, "send a new name, a new parent_id, or both", errors=[FieldError("body", "nothing to change")])
    if move and data.parent_id == unit_id:
        raise Problem(409, "a unit cannot be its own parent", errors=[FieldError("parent_id", "is the unit itself")])
    name = names.clean(data.name, "name") if data.name is not msgspec.UNSET else None
    async with pool.acquire() as conn:
        return await repository.update_unit(
            conn, unit_id, name=name, parent_id=data.parent_id if move else None, move=move  # type: ignore[arg-type]
        )


@post(
    "/units/import",
    guards=[roles("admin")],
    tags=["units"],
    summary="Create many units at once; all or nothing",
    description=(
        "A JSON array of `{code, name, kind, parent_code}` (or `{\"units\": [...]}`), or, with "
        "`Content-Type: text/csv`, UTF-8 CSV (a BOM, `,` `;` or tab separators are fine) whose header row "
        "names the columns code, name, kind and optionally parent_code. A parent is named by its code, "
        "in the same import or already stored. Errors name the row: the element's position (from 1) in "
        "the JSON array, or the spreadsheet row in the CSV (the header is row 1)."
    ),
)
async def import_units(request: Request, pool: asyncpg.Pool) -> ImportResult:
    body = await request.body()
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    numbered = _csv_rows(body) if content_type in CSV_TYPES else _json_rows(body)
    if not numbered:
        raise Problem(400, "the import holds no units", errors=[FieldError("body", "no rows")])
    if len(numbered) > MAX_IMPORT_ROWS:
        raise Problem(400, f"at most {MAX_IMPORT_ROWS} units per import", errors=[FieldError("body", "too many rows")])
    rows: list[tuple[int, UnitImportRow]] = []
    errors: list[FieldError] = []
    for number, raw in numbered:
        try:
            row = msgspec.convert(raw, UnitImportRow)
        except msgspec.ValidationError as exc:
            errors.append(_row_error(number, str(exc)))
            continue
        name = nfc(row.name)
        reason = names.problem_in(name)
        if reason:
            errors.append(FieldError(f"row {number}.name", reason))
            continue
        rows.append((number, msgspec.structs.replace(row, name=name)))
    if errors:
        raise Problem(400, f"{len(errors)} error(s) in the import; nothing was imported", errors=errors)
    async with pool.acquire() as conn:
        created = await repository.import_units(conn, rows)
    return ImportResult(created=len(created), items=created)


_AT = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.S)
_NAMED = re.compile(r"^Object (?:missing required|contains unknown) field `(?P<field>[^`]+)`$")


def _row_error(number: int, text: str) -> FieldError:
    """msgspec's 'Expected `str` - at `$.name`' as the field 'row 3.name'."""
    match = _AT.match(text)
    message, path = (match["message"], match["path"] or "") if match else (text, "")
    named = _NAMED.match(message)
    if named and not path:
        path = "." + named["field"]
    return FieldError(f"row {number}{path}", message)


def _json_rows(body: bytes) -> list[tuple[int, Any]]:
    if not body.strip():
        raise Problem(400, "the body is empty; send a JSON array of units", errors=[FieldError("body", "empty")])
    try:
        value = msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        raise Problem(400, f"the body is not valid JSON: {exc}", errors=[FieldError("body", "malformed JSON")]) from exc
    if isinstance(value, dict) and isinstance(value.get("units"), list):
        value = value["units"]
    if not isinstance(value, list):
        raise Problem(400, "send a JSON array of units", errors=[FieldError("body", "expected an array")])
    return list(enumerate(value, start=1))


def _csv_rows(body: bytes) -> list[tuple[int, Any]]:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Problem(400, "the CSV must be UTF-8 (in Excel: Save As, CSV UTF-8)", errors=[FieldError("body", "not UTF-8")]) from exc
    if not text.strip():
        raise Problem(400, "the CSV is empty; send a header row and one row per unit", errors=[FieldError("body", "empty")])
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)  # Excel writes ';' where ',' is the decimal mark
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    try:
        header = [h.strip().lower() for h in next(reader, [])]
        missing = [c for c in IMPORT_COLUMNS[:3] if c not in header]
        if missing:
            raise Problem(
                400,
                f"the CSV's first row must name the columns {', '.join(IMPORT_COLUMNS)}",
                errors=[FieldError("row 1", f"missing column {c}") for c in missing],
            )
        columns = {name: header.index(name) for name in IMPORT_COLUMNS if name in header}
        rows: list[tuple[int, Any]] = []
        number = 1
        for record in reader:
            number += 1  # the spreadsheet row: what the person fixing the file sees
            if not any(cell.strip() for cell in record):
                continue
            row: dict[str, Any] = {
                name: record[i].strip() if i < len(record) else "" for name, i in columns.items()
            }
            if not row.get("parent_code"):
                row["parent_code"] = None
            rows.append((number, row))
            if len(rows) > MAX_IMPORT_ROWS:
                break
    except csv.Error as exc:
        raise Problem(400, f"the CSV cannot be read near row {number + 1}: {exc}",
                      errors=[FieldError(f"row {number + 1}", str(exc))]) from exc
    return rows
