"""The directives' use cases: issue one, report a programme or a session (one at a time, or a file of
them by the admin), and the figures of its implementation.

For the report, the page and the charts (other modules of this package), the stable entry points are
`get_directive`, `implementation`, `coverage_by_district` and `sessions_by_month`: each takes a
connection and a directive's id and answers the structs of `schemas.py`.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import date
from typing import TypeVar

import asyncpg

from shared import files
from shared.auth import Principal
from shared.errors import Conflict, FieldError, Invalid, NotFound
from shared.tables import TableError, parse_numbered
from shared.text import fold

from . import domain, repository
from .repository import CodedUnit, ProgrammeRow, SessionRow
from .schemas import (
    Directive,
    DirectiveCreate,
    DistrictCoverage,
    Implementation,
    Imported,
    MonthSessions,
    Programme,
    ProgrammeCreate,
    ProgrammeDocument,
    Session,
    SessionCreate,
)

T = TypeVar("T")


# ------------------------------------------------------------------ reads (the report's interface)
async def _snapshot(conn: asyncpg.Connection, read: Callable[[], Awaitable[T]]) -> T:
    """Several reads that must agree (a total and its parts) from one snapshot of the database."""
    if conn.is_in_transaction():
        return await read()
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        return await read()


async def get_directive(conn: asyncpg.Connection, directive_id: uuid.UUID) -> Directive:
    return await repository.get_directive(conn, directive_id)


async def implementation(conn: asyncpg.Connection, directive_id: uuid.UUID) -> Implementation:
    """Programmes by unit kind below the issuing unit, sessions and attendees, the standing honourees of the
    directive's campaigns, and the units without a programme: counted now, from one snapshot."""

    async def read() -> Implementation:
        d = await repository.get_directive(conn, directive_id)
        return Implementation(
            programmes=await repository.coverage(conn, d.id, d.issuing_unit_id),
            sessions=await repository.session_totals(conn, d.id),
            honoured=await repository.honoured(conn, d.campaign_ids),
            missing=await repository.missing(conn, d.id, d.issuing_unit_id),
        )

    return await _snapshot(conn, read)


async def coverage_by_district(conn: asyncpg.Connection, directive_id: uuid.UUID) -> list[DistrictCoverage]:
    """Per direct child of the issuing unit (a district's committee), the units of its subtree with a programme."""

    async def read() -> list[DistrictCoverage]:
        d = await repository.get_directive(conn, directive_id)
        return await repository.coverage_by_child(conn, d.id, d.issuing_unit_id)

    return await _snapshot(conn, read)


async def sessions_by_month(conn: asyncpg.Connection, directive_id: uuid.UUID) -> list[MonthSessions]:
    """Sessions and their attendees per month they were held in, oldest first (months without any left out)."""

    async def read() -> list[MonthSessions]:
        d = await repository.get_directive(conn, directive_id)
        return await repository.sessions_by_month(conn, d.id)

    return await _snapshot(conn, read)


# ------------------------------------------------------------------ issuing a directive
async def create_directive(conn: asyncpg.Connection, data: DirectiveCreate, principal: Principal) -> Directive:
    code = domain.text(data.code, "code", domain.MAX_CODE)
    title = domain.text(data.title, "title")
    implements = domain.text(data.implements, "implements")
    issued_on = domain.day(data.issued_on, "issued_on")
    campaign_ids = domain.distinct(data.campaign_ids)
    domain.check_directive(
        data.issuing_unit_id,
        await repository.unit_known(conn, data.issuing_unit_id),
        data.campaign_ids,
        await repository.known_campaigns(conn, campaign_ids),
    )
    directive_id = await repository.insert_directive(
        conn,
        code=code,
        title=title,
        implements=implements,
        issuing_unit_id=data.issuing_unit_id,
        issued_on=issued_on,
        campaign_ids=campaign_ids,
        created_by=principal.account_id,
    )
    return await repository.get_directive(conn, directive_id)


# ------------------------------------------------------------------ one report at a time
async def _check_unit(
    conn: asyncpg.Connection, directive: Directive, unit_id: uuid.UUID, principal: Principal, *, programme: bool
) -> None:
    """404 for no directive (the caller's read), 403 outside an officer's subtree, 400 for a unit that is
    unknown here or not under the directive's issuing unit."""
    scope = principal.scope_unit_id
    where = await repository.placement(conn, unit_id, directive.issuing_unit_id, scope)
    if where.known:
        domain.check_scope(scope is None, where.in_scope, unit_id)
    problem = domain.placement_problem(
        known=where.known, below=where.below, is_issuer=where.is_issuer, programme=programme
    )
    if problem:
        raise domain.errors_to_invalid([FieldError("unit_id", f"{unit_id} {problem}")])


def _check_day(value: date, directive: Directive, field: str) -> None:
    problem = domain.date_problem(value, directive.issued_on)
    if problem:
        raise domain.errors_to_invalid([FieldError(field, problem)])


async def report_programme(
    conn: asyncpg.Connection, directive_id: uuid.UUID, data: ProgrammeCreate, principal: Principal
) -> Programme:
    directive = await repository.get_directive(conn, directive_id)
    await _check_unit(conn, directive, data.unit_id, principal, programme=True)
    row = ProgrammeRow(
        unit_id=data.unit_id,
        number=domain.text(data.number, "number", domain.MAX_CODE),
        issued_on=data.issued_on,
        title=domain.text(data.title, "title"),
    )
    _check_day(row.issued_on, directive, "issued_on")
    [programme_id] = await repository.insert_programmes(conn, directive.id, [row], principal.account_id)
    return await repository.get_programme(conn, programme_id)


async def report_session(
    conn: asyncpg.Connection, directive_id: uuid.UUID, data: SessionCreate, principal: Principal
) -> Session:
    directive = await repository.get_directive(conn, directive_id)
    await _check_unit(conn, directive, data.unit_id, principal, programme=False)
    row = SessionRow(
        unit_id=data.unit_id,
        held_on=data.held_on,
        kind=data.kind,
        title=domain.text(data.title, "title"),
        attendees=data.attendees,  # 1..1,000,000: the schema's bounds, and the table's CHECK
    )
    _check_day(row.held_on, directive, "held_on")
    [session_id] = await repository.insert_sessions(conn, directive.id, [row], principal.account_id)
    return await repository.get_session(conn, session_id)


# ------------------------------------------------------------------ a file of reports (the admin)
# Accepted spellings of a file's columns (header names folded: no case, no diacritics, `_` for spaces).
PROGRAMME_COLUMNS: dict[str, tuple[str, ...]] = {
    "unit_code": ("unit_code", "unit", "ma_don_vi", "ma_dv"),
    "number": ("number", "so", "so_hieu", "so_chuong_trinh"),
    "issued_on": ("issued_on", "date", "ngay", "ngay_ban_hanh"),
    "title": ("title", "ten", "trich_yeu", "ten_chuong_trinh"),
}
SESSION_COLUMNS: dict[str, tuple[str, ...]] = {
    "unit_code": ("unit_code", "unit", "ma_don_vi", "ma_dv"),
    "held_on": ("held_on", "date", "ngay", "ngay_to_chuc"),
    "kind": ("kind", "loai", "hinh_thuc"),
    "title": ("title", "ten", "noi_dung", "ten_buoi"),
    "attendees": ("attendees", "so_nguoi", "so_nguoi_du", "so_luong"),
}


def _header(name: str) -> str:
    return "_".join(fold(name).replace("_", " ").split())


def _rows(filename: str, data: bytes, columns: Mapping[str, tuple[str, ...]]) -> list[tuple[int, dict[str, str]]]:
    """The file's rows by the columns' names here; a file without one of them is a 400 naming it."""
    numbered = parse_numbered(filename, data, max_rows=domain.MAX_IMPORT_ROWS)
    if not numbered:
        raise TableError(f"{filename}: no rows under the header", "no-rows")
    out: list[tuple[int, dict[str, str]]] = []
    for number, raw in numbered:
        folded = {_header(k): v for k, v in raw.items()}
        row = {}
        for name, spellings in columns.items():
            row[name] = next((folded[s] for s in spellings if folded.get(s)), "")
        if number == numbered[0][0]:
            absent = tuple(n for n, spellings in columns.items() if not any(s in folded for s in spellings))
            if absent:
                raise TableError(
                    f"{filename}: the header must name the columns {', '.join(columns)} (missing: {', '.join(absent)})",
                    "columns",
                    missing=absent,
                )
        out.append((number, row))
    return out


class _RowErrors:
    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, number: int, column: str, message: str) -> None:
        self.errors.append(FieldError(f"rows[{number}].{column}", message))

    def text(self, number: int, column: str, value: str, limit: int = domain.MAX_TEXT) -> str:
        try:
            return domain.text(value, column, limit)
        except Invalid as exc:
            self.add(number, column, exc.detail.removeprefix(f"{column} "))
            return ""

    def day(self, number: int, column: str, value: str, directive: Directive) -> date | None:
        found = domain.parse_day(value)
        if found is None:
            self.add(number, column, f"{value!r} is not a date (write 2013-08-07 or 07/08/2013)")
            return None
        problem = domain.date_problem(found, directive.issued_on)
        if problem:
            self.add(number, column, problem)
            return None
        return found

    def unit(self, number: int, code: str, units: dict[str, CodedUnit], *, programme: bool) -> CodedUnit | None:
        if not code:
            self.add(number, "unit_code", "is required")
            return None
        unit = units.get(code.lower())
        problem = domain.placement_problem(
            known=unit is not None,
            below=bool(unit and unit.below),
            is_issuer=bool(unit and unit.is_issuer),
            programme=programme,
        )
        if problem:
            self.add(number, "unit_code", f"{code} {problem}")
            return None
        return unit


async def import_programmes(
    conn: asyncpg.Connection, directive_id: uuid.UUID, filename: str, data: bytes, principal: Principal
) -> Imported:
    """Every row checked before any is written; a 400 names each bad row (its spreadsheet number), a 409
    each unit that has a programme already; then all are written in one statement."""
    directive = await repository.get_directive(conn, directive_id)
    rows = _rows(filename, data, PROGRAMME_COLUMNS)
    units = await repository.units_by_code(conn, [r["unit_code"] for _, r in rows], directive.issuing_unit_id)
    bad = _RowErrors()
    good: list[tuple[int, ProgrammeRow]] = []
    first_row_of: dict[uuid.UUID, int] = {}
    for number, r in rows:
        unit = bad.unit(number, r["unit_code"], units, programme=True)
        number_text = bad.text(number, "number", r["number"], domain.MAX_CODE)
        title = bad.text(number, "title", r["title"])
        issued_on = bad.day(number, "issued_on", r["issued_on"], directive)
        if unit is not None:
            if unit.id in first_row_of:
                bad.add(number, "unit_code", f"{r['unit_code']} has a programme in row {first_row_of[unit.id]} already")
                continue
            first_row_of[unit.id] = number
        if unit is not None and number_text and title and issued_on is not None:
            good.append((number, ProgrammeRow(unit.id, number_text, issued_on, title)))
    if bad.errors:
        raise domain.errors_to_invalid(bad.errors)
    async with conn.transaction():
        done = await repository.units_with_programmes(conn, directive.id, [p.unit_id for _, p in good])
        if done:
            errors = [
                FieldError(f"rows[{n}].unit_code", "this unit has a programme under the directive already")
                for n, p in good
                if p.unit_id in done
            ]
            raise Conflict(
                "; ".join(f"{e.field}: {e.message}" for e in errors[:20]), errors=errors[: domain.MAX_ERRORS]
            )
        await repository.insert_programmes(conn, directive.id, [p for _, p in good], principal.account_id)
    return Imported(created=len(good))


async def import_sessions(
    conn: asyncpg.Connection, directive_id: uuid.UUID, filename: str, data: bytes, principal: Principal
) -> Imported:
    """Every row checked before any is written (a 400 names each bad row); then all in one statement."""
    directive = await repository.get_directive(conn, directive_id)
    rows = _rows(filename, data, SESSION_COLUMNS)
    units = await repository.units_by_code(conn, [r["unit_code"] for _, r in rows], directive.issuing_unit_id)
    bad = _RowErrors()
    good: list[SessionRow] = []
    for number, r in rows:
        unit = bad.unit(number, r["unit_code"], units, programme=False)
        title = bad.text(number, "title", r["title"])
        held_on = bad.day(number, "held_on", r["held_on"], directive)
        kind = domain.parse_kind(r["kind"])
        if kind is None:
            bad.add(number, "kind", f"{r['kind']!r} is not one of study, training, dialogue, other")
        attendees = domain.parse_count(r["attendees"])
        if attendees is None or not domain.MIN_ATTENDEES <= attendees <= domain.MAX_ATTENDEES:
            bad.add(
                number,
                "attendees",
                f"{r['attendees']!r} is not a whole number from {domain.MIN_ATTENDEES} to {domain.MAX_ATTENDEES:,}",
            )
            attendees = None
        if unit is not None and title and held_on is not None and kind is not None and attendees is not None:
            good.append(SessionRow(unit.id, held_on, kind, title, attendees))
    if bad.errors:
        raise domain.errors_to_invalid(bad.errors)
    async with conn.transaction():
        await repository.insert_sessions(conn, directive.id, good, principal.account_id)
    return Imported(created=len(good))


# ------------------------------------------------------------------ a programme's document
async def get_programme(conn: asyncpg.Connection, directive_id: uuid.UUID, programme_id: uuid.UUID) -> Programme:
    """A programme of this directive (404 for an unknown directive, or a programme of another one)."""
    await repository.get_directive(conn, directive_id)
    programme = await repository.get_programme(conn, programme_id)
    if programme.directive_id != directive_id:
        raise NotFound("programme", programme_id)
    return programme


async def _check_document_editor(
    conn: asyncpg.Connection, directive_id: uuid.UUID, programme_id: uuid.UUID, principal: Principal
) -> Programme:
    """The programme, once the actor may change its document: the admin, or an officer of the programme's
    unit or of a unit above it (403 otherwise, 404 for an unknown directive or programme)."""
    programme = await get_programme(conn, directive_id, programme_id)
    scope = principal.scope_unit_id
    directive = await repository.get_directive(conn, directive_id)
    where = await repository.placement(conn, programme.unit_id, directive.issuing_unit_id, scope)
    domain.check_scope(scope is None, where.in_scope and where.known, programme.unit_id)
    return programme


async def put_document(
    pool: asyncpg.Pool,
    directive_id: uuid.UUID,
    programme_id: uuid.UUID,
    content: bytes,
    sent_name: str | None,
    principal: Principal,
) -> Programme:
    """Store the programme's document (a PDF or a Word file, known by its bytes: 400 on `file` otherwise, 413
    above 20 MiB), replacing the one it had; the programme answered with what its document now is."""
    async with pool.acquire() as conn, conn.transaction():
        await _check_document_editor(conn, directive_id, programme_id, principal)
        checked = files.check(content, sent_name, files.DOCUMENTS)
        await repository.put_document(
            conn,
            programme_id,
            filename=checked.filename,
            content_type=checked.kind.value,
            sha256=hashlib.sha256(content).hexdigest(),
            content=content,
            uploaded_by=principal.account_id,
        )
        return await repository.get_programme(conn, programme_id)


async def document_tag(pool: asyncpg.Pool, directive_id: uuid.UUID, programme_id: uuid.UUID) -> str:
    """The SHA-256 of the programme's document (404 for none)."""
    async with pool.acquire() as conn:
        await get_programme(conn, directive_id, programme_id)
        tag = await repository.document_tag(conn, programme_id)
    if tag is None:
        raise NotFound("document", detail=f"programme {programme_id} has no document")
    return tag


async def download_document(
    pool: asyncpg.Pool, directive_id: uuid.UUID, programme_id: uuid.UUID
) -> tuple[ProgrammeDocument, bytes]:
    """The programme's document and its bytes (public, like the programme; 404 for none)."""
    async with pool.acquire() as conn:
        await get_programme(conn, directive_id, programme_id)
        found = await repository.document_content(conn, programme_id)
    if found is None:
        raise NotFound("document", detail=f"programme {programme_id} has no document")
    return found


async def delete_document(
    pool: asyncpg.Pool, directive_id: uuid.UUID, programme_id: uuid.UUID, principal: Principal
) -> None:
    """Remove the programme's document (404 when it has none)."""
    async with pool.acquire() as conn, conn.transaction():
        await _check_document_editor(conn, directive_id, programme_id, principal)
        if not await repository.delete_document(conn, programme_id):
            raise NotFound("document", detail=f"programme {programme_id} has no document")
