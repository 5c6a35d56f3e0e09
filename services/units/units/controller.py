"""The unit tree over HTTP: `/units`."""

from __future__ import annotations

import uuid
from typing import Annotated

import asyncpg
import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.params import Parameter

from shared.auth import Role, roles
from shared.pagination import Page, PageQuery
from shared.text import contains_pattern, line, nfc

from .. import domain
from ..domain import UnitKind
from . import import_file, repository, service
from .schemas import ImportResult, Unit, UnitCreate, UnitPatch


class UnitController(Controller):
    path = "/units"
    tags = ["units"]

    @post(guards=[roles(Role.ADMIN)], summary="Create a unit")
    async def create_unit(self, data: UnitCreate, conn: asyncpg.Connection) -> Unit:
        return await service.create_unit(conn, data.code, line(data.name, "name"), data.kind, data.parent_id)

    @get(summary="List and search units (public)")
    async def list_units(
        self,
        pool: asyncpg.Pool,
        paging: PageQuery,
        parent_id: Annotated[uuid.UUID | None, Parameter(description="only the direct children of this unit")] = None,
        roots: Annotated[bool, Parameter(description="only the units at the top of the tree")] = False,
        under_id: Annotated[uuid.UUID | None, Parameter(description="only this unit and its whole subtree")] = None,
        kind: UnitKind | None = None,
        q: Annotated[
            str | None, Parameter(max_length=200, description="name, ignoring case and diacritics; or exact code")
        ] = None,
    ) -> Page[Unit]:
        text = nfc(q) if q else None
        rows = await repository.list_units(
            pool,
            parent_id=parent_id,
            roots=roots,
            under_id=under_id,
            kind=kind,
            q=text,
            q_pattern=None if text is None else contains_pattern(text),
            after=paging.after((str, uuid.UUID)),
            limit=paging.limit,
        )
        return paging.page_keyed(rows, lambda unit, sort_key: [sort_key, str(unit.id)])

    @get("/{unit_id:uuid}", summary="One unit (public)")
    async def get_unit(self, unit_id: uuid.UUID, pool: asyncpg.Pool) -> Unit:
        return await repository.get_unit(pool, unit_id)

    @patch(
        "/{unit_id:uuid}",
        guards=[roles(Role.ADMIN)],
        summary="Rename a unit, or move it (with its subtree) under another parent; null parent_id makes it a root",
    )
    async def update_unit(self, unit_id: uuid.UUID, data: UnitPatch, conn: asyncpg.Connection) -> Unit:
        move = not isinstance(data.parent_id, msgspec.UnsetType)
        parent_id = data.parent_id if not isinstance(data.parent_id, msgspec.UnsetType) else None
        domain.check_unit_change(unit_id, rename=data.name is not msgspec.UNSET, move=move, parent_id=parent_id)
        name = line(data.name, "name") if not isinstance(data.name, msgspec.UnsetType) else None
        return await service.update_unit(conn, unit_id, name=name, move=move, parent_id=parent_id)

    @post(
        "/import",
        guards=[roles(Role.ADMIN)],
        summary="Create many units at once; all or nothing",
        description=(
            'A JSON array of `{code, name, kind, parent_code}` (or `{"units": [...]}`), or, with '
            "`Content-Type: text/csv`, UTF-8 CSV (a BOM, `,` `;` or tab separators are fine) whose header row "
            "names the columns code, name, kind and optionally parent_code. A parent is named by its code, "
            "in the same import or already stored. Errors name the row: the element's position (from 1) in "
            "the JSON array, or the spreadsheet row in the CSV (the header is row 1)."
        ),
    )
    async def import_units(self, request: Request, pool: asyncpg.Pool) -> ImportResult:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        rows = import_file.read_rows(await request.body(), content_type)
        # The connection is taken only once the file is read: a large body does not hold one.
        async with pool.acquire() as conn:
            created = await service.import_units(conn, rows)
        return ImportResult(created=len(created), items=created)
