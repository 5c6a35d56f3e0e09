"""What the units service publishes: a unit's, a person's or an account's whole state, on the UNITS stream.

Every write that others must learn of records its event through `publish`,
in the same transaction as the change (the outbox); the snapshot restates
every aggregate with the same builders.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from typing import Any

import asyncpg

from shared import events, outbox

from .accounts.schemas import Account
from .people.schemas import Person
from .units.schemas import Unit

PRODUCER = "units"

# What a person's events leave out: the birth year never leaves this service.
PRIVATE_PERSON_FIELDS = frozenset({"birth_year"})


def _unit_state(cls: type[events.UnitState], unit: Unit, **extra: Any) -> events.UnitState:
    return cls(id=unit.id, code=unit.code, name=unit.name, kind=unit.kind, parent_id=unit.parent_id, **extra)


def _person_state(cls: type[events.PersonState], person: Person) -> events.PersonState:
    return cls(id=person.id, full_name=person.full_name, unit_id=person.unit_id, position=person.position)


def unit_created(unit: Unit) -> outbox.Item:
    return _unit_state(events.UnitCreated, unit), unit.id, unit.version


def unit_renamed(unit: Unit) -> outbox.Item:
    return _unit_state(events.UnitRenamed, unit), unit.id, unit.version


def unit_moved(unit: Unit, previous_parent_id: uuid.UUID | None) -> outbox.Item:
    # The event carries the whole state, so a move that also renames needs no second event.
    return _unit_state(events.UnitMoved, unit, previous_parent_id=previous_parent_id), unit.id, unit.version


def person_created(person: Person) -> outbox.Item:
    return _person_state(events.PersonCreated, person), person.id, person.version


def person_updated(person: Person) -> outbox.Item:
    return _person_state(events.PersonUpdated, person), person.id, person.version


def _account_state(cls: type[events.AccountState], account: Account) -> events.AccountState:
    # Never the password hash, nor anything of its sign-ins.
    return cls(
        id=account.id,
        username=account.username,
        role=account.role,
        unit_id=account.unit_id,
        disabled=account.disabled,
        display_name=account.display_name,
    )


def account_created(account: Account) -> outbox.Item:
    return _account_state(events.AccountCreated, account), account.id, account.version


def account_updated(account: Account) -> outbox.Item:
    return _account_state(events.AccountUpdated, account), account.id, account.version


def person_change_is_news(changed: Collection[str]) -> bool:
    """Whether changing these fields of a person tells anybody anything (a birth year alone does not)."""
    return bool(set(changed) - PRIVATE_PERSON_FIELDS)


async def publish(conn: asyncpg.Connection, items: Sequence[outbox.Item]) -> None:
    """Record `items` in the caller's transaction; the relay publishes them after commit."""
    await outbox.emit(conn, items, producer=PRODUCER)
