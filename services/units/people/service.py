"""The people's use cases. `scope_id` is the caller's `Principal.scope_unit_id`: an officer's unit,
within whose subtree every person it adds, sees or corrects must lie (None: no such bound)."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import msgspec

from shared import batches
from shared.db import Queryable
from shared.errors import DomainError, FieldError, Invalid
from shared.text import contains_pattern, line, nfc, optional_line

from .. import domain, publishes
from ..units import repository as units
from . import repository
from .repository import FIELDS
from .schemas import Person, PersonCreate, PersonOutcome, PersonPatch


async def create_person(conn: asyncpg.Connection, data: PersonCreate, *, scope_id: uuid.UUID | None) -> Person:
    """A person in `data.unit_id`, which must exist and lie in the caller's scope."""
    full_name = line(data.full_name, "full_name")
    position = optional_line(data.position, "position")
    async with conn.transaction():
        await units.lock_tree_shared(conn)  # the scope check holds until commit: no move slips in between
        domain.check_placement(data.unit_id, await units.unit_in_scope(conn, data.unit_id, scope_id))
        person = await repository.insert_person(conn, full_name, data.unit_id, position, data.birth_year)
        await publishes.publish(conn, [publishes.person_created(person)])
    return person


def changes_of(patch: PersonPatch) -> dict[str, Any]:
    """What a patch sets, text cleaned; at least one field."""
    changes: dict[str, Any] = {}
    if patch.full_name is not msgspec.UNSET:
        changes["full_name"] = line(patch.full_name, "full_name")
    if patch.unit_id is not msgspec.UNSET:
        changes["unit_id"] = patch.unit_id
    if patch.position is not msgspec.UNSET:
        changes["position"] = optional_line(patch.position, "position")
    if patch.birth_year is not msgspec.UNSET:
        changes["birth_year"] = patch.birth_year
    if not changes:
        raise Invalid(
            "send at least one of full_name, unit_id, position, birth_year",
            errors=[FieldError("body", "nothing to change")],
        )
    return changes


async def update_person(
    conn: asyncpg.Connection, person_id: uuid.UUID, changes: dict[str, Any], *, scope_id: uuid.UUID | None
) -> Person:
    """Apply `changes` (from `changes_of`); an officer keeps the person in its subtree."""
    async with conn.transaction():
        await units.lock_tree_shared(conn)
        person = await repository.person_for_update(conn, person_id)
        if scope_id is not None:
            domain.check_in_scope(bool(await units.unit_in_scope(conn, person.unit_id, scope_id)))
        changed = {k: v for k, v in changes.items() if getattr(person, k) != v}
        if not changed:
            return person
        if "unit_id" in changed:
            unit_id = changed["unit_id"]
            domain.check_placement(unit_id, await units.unit_in_scope(conn, unit_id, scope_id))
        new = {**{k: getattr(person, k) for k in FIELDS}, **changed}
        updated = await repository.save_person(conn, person_id, *(new[k] for k in FIELDS))
        if publishes.person_change_is_news(changed):
            await publishes.publish(conn, [publishes.person_updated(updated)])
    return updated


async def get_person(conn: Queryable, person_id: uuid.UUID, *, scope_id: uuid.UUID | None) -> Person:
    person = await repository.get_person(conn, person_id)
    if scope_id is not None:
        domain.check_in_scope(bool(await units.unit_in_scope(conn, person.unit_id, scope_id)))
    return person


async def list_people(
    conn: Queryable,
    *,
    unit_id: uuid.UUID | None,
    under_id: uuid.UUID | None,
    scope_id: uuid.UUID | None,
    q: str | None,
    after: tuple[str, uuid.UUID] | None,
    limit: int,
) -> list[tuple[Person, str]]:
    """The people the caller may see: an officer, only those of its subtree."""
    if scope_id is not None:
        # Asking for a unit outside the subtree is refused, not answered with an empty page.
        for asked in (unit_id, under_id):
            if asked is not None:
                domain.check_in_scope(bool(await units.unit_in_scope(conn, asked, scope_id)))
    return await repository.list_people(
        conn,
        unit_id=unit_id,
        under_id=under_id,
        scope_unit_id=scope_id,
        q_pattern=contains_pattern(nfc(q)) if q else None,
        after=after,
        limit=limit,
    )


# ------------------------------------------------------------------ many at once (POST /people/batch)
async def create_people(
    conn: asyncpg.Connection, items: list[PersonCreate | batches.ProblemDocument], *, scope_id: uuid.UUID | None
) -> list[PersonOutcome]:
    """Each item judged as `create_person` judges it; the people it lets through written, with their
    `units.person.created`, in one transaction (one statement each for the scopes, the rows and the events).

    A refused item writes nothing and refuses no other; if the transaction fails, nothing is written.
    """
    outcomes: dict[int, PersonOutcome] = {}
    cleaned: list[tuple[int, tuple[str, uuid.UUID, str | None, int | None]]] = []
    async with conn.transaction():
        await units.lock_tree_shared(conn)  # as for one: the scope checks hold until commit
        wanted = [d for d in items if isinstance(d, PersonCreate)]
        scopes = await units.units_in_scope(conn, list({d.unit_id for d in wanted}), scope_id)
        for i, d in enumerate(items):
            try:
                if isinstance(d, batches.ProblemDocument):
                    outcomes[i] = PersonOutcome(index=i, status=d.status, problem=d)
                    continue
                full_name = line(d.full_name, "full_name")
                position = optional_line(d.position, "position")
                domain.check_placement(d.unit_id, scopes.get(d.unit_id))
            except DomainError as exc:
                outcomes[i] = PersonOutcome(index=i, status=exc.status, problem=batches.problem_of(exc))
            else:
                cleaned.append((i, (full_name, d.unit_id, position, d.birth_year)))
        people = await repository.insert_people(conn, [row for _, row in cleaned])
        await publishes.publish(conn, [publishes.person_created(p) for p in people])
    for (i, _), person in zip(cleaned, people, strict=True):
        outcomes[i] = PersonOutcome(index=i, status=201, person=person)
    return [outcomes[i] for i in range(len(items))]
