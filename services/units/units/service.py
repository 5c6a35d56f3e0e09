"""The unit tree's use cases: each one transaction that takes the tree lock, applies the rules and
records its events (`publishes`) beside the change."""

from __future__ import annotations

import uuid

import asyncpg

from .. import domain, publishes
from . import repository
from .schemas import Unit, UnitImportRow


async def create_unit(conn: asyncpg.Connection, code: str, name: str, kind: str, parent_id: uuid.UUID | None) -> Unit:
    new_id = uuid.uuid4()
    async with conn.transaction():
        await repository.lock_tree_shared(conn)
        parent_path = None
        if parent_id is not None:
            parent_path = await repository.path_of(conn, parent_id)
            if parent_path is None:
                raise domain.no_parent(parent_id)
        path = domain.new_unit_path(new_id, parent_path)
        unit = await repository.insert_unit(conn, new_id, code, name, kind, parent_id, path)
        await publishes.publish(conn, [publishes.unit_created(unit)])
    return unit


async def update_unit(
    conn: asyncpg.Connection, unit_id: uuid.UUID, *, name: str | None, move: bool, parent_id: uuid.UUID | None
) -> Unit:
    """Rename (`name` not None), move with the whole subtree (`move`: under `parent_id`), or both.

    One event and one new version, or neither when nothing differs.
    """
    async with conn.transaction():
        if move:
            await repository.lock_tree_exclusive(conn)
        unit, old_path = await repository.unit_for_update(conn, unit_id)
        moved = move and parent_id != unit.parent_id
        renamed = name is not None and name != unit.name
        if not moved and not renamed:
            return unit
        new_path = old_path
        if moved:
            parent_path = None
            if parent_id is not None:
                parent_path = await repository.path_of(conn, parent_id)
                if parent_path is None:
                    raise domain.no_parent(parent_id)
            height = await repository.subtree_height(conn, old_path)
            new_path = domain.moved_path(unit_id, old_path, parent_path, height)
            await repository.move_descendants(conn, unit_id, old_path, new_path)
        updated = await repository.save_unit(
            conn,
            unit_id,
            name=name if name is not None and renamed else unit.name,
            parent_id=parent_id if moved else unit.parent_id,
            path=new_path,
        )
        if moved:
            item = publishes.unit_moved(updated, previous_parent_id=unit.parent_id)
        else:
            item = publishes.unit_renamed(updated)
        await publishes.publish(conn, [item])
    return updated


async def import_units(conn: asyncpg.Connection, rows: list[tuple[int, UnitImportRow]]) -> list[Unit]:
    """Create many units at once, parents by code (in the file or already stored); all or nothing.

    `rows` pairs each unit with its row number as the client counts it, so
    every error names the row to correct.
    """
    async with conn.transaction():
        await repository.lock_tree_exclusive(conn)
        stored = await repository.stored_by_code(conn, domain.import_codes(rows))
        by_code = domain.check_import(rows, stored)
        ids = {code: uuid.uuid4() for code in by_code}
        paths = domain.import_paths(by_code, ids, {code: path for code, (_, path) in stored.items()})
        records: list[repository.ImportRecord] = []
        for code, (_, r) in by_code.items():
            parent = r.parent_code.lower() if r.parent_code else None
            parent_id = None if parent is None else (ids[parent] if parent in ids else stored[parent][0])
            records.append((ids[code], r.code, r.name, r.kind, parent_id, paths[code]))
        created = await repository.insert_units(conn, records)
        await publishes.publish(conn, [publishes.unit_created(u) for u in created])
    return created
