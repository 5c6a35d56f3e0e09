"""What the events tests share: a publisher that plays the awards (and units)
service on the real JetStream, exactly as their outbox relays do, and a model
of what the awards service holds, to compare the public roll against."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import asyncpg
import httpx
import nats
import pytest
from nats.aio.client import Client as NATS

from shared import events
from tests.support import Api, Stack, eventually

PAGE = 200


class Bus:
    """Publishes events onto JetStream as a producing service's relay does."""

    def __init__(self, nc: NATS, stack: Stack) -> None:
        self.nc = nc
        self.js = nc.jetstream()
        self.stack = stack

    async def send(self, env: events.Envelope, *, msg_id: str | None = None) -> events.Envelope:
        """Publish an envelope; `msg_id` other than its id slips past JetStream's de-duplication,
        as a redelivery from a relay that crashed after its duplicate window would."""
        ack = await self.js.publish(env.type, events.encode(env), headers={"Nats-Msg-Id": msg_id or str(env.id)})
        assert ack.stream in ("AWARDS", "UNITS")
        return env

    async def publish(
        self, data: events.EventData, *, aggregate_id: object, version: int, producer: str = "awards"
    ) -> events.Envelope:
        return await self.send(events.envelope(data, producer=producer, aggregate_id=aggregate_id, version=version))


@pytest.fixture(scope="session")
async def bus(stack: Stack) -> AsyncIterator[Bus]:
    nc = await nats.connect(stack.nats_url, name="thidua-tests-events")
    try:
        yield Bus(nc, stack)
    finally:
        await nc.drain()


@pytest.fixture(scope="session")
async def committee(admin: Api) -> AsyncIterator[Api]:
    api = await admin.as_new("committee")
    yield api
    await api.aclose()


# ------------------------------------------------------------ the source
@dataclass
class Source:
    """What the awards service holds, as far as these tests made it: every
    award with its latest version, and the current name of every unit."""

    bus: Bus
    campaign: events.CampaignState
    awards: dict[uuid.UUID, tuple[int, events.AwardGranted | None]] = field(default_factory=dict)
    unit_names: dict[uuid.UUID, str] = field(default_factory=dict)
    history: list[events.Envelope] = field(default_factory=list)

    @property
    def campaign_id(self) -> uuid.UUID:
        return self.campaign.id

    def category(self, kind: str) -> events.CategoryState:
        return next(c for c in self.campaign.categories if c.nominee_kind == kind)

    def grant_event(
        self,
        name: str,
        *,
        kind: str = "individual",
        unit_id: uuid.UUID | None = None,
        unit_name: str = "Chi bộ Thôn Đông",
        decision_number: str = "123/QĐ-UBND",
        decision_date: date = date(2024, 5, 19),
        award_id: uuid.UUID | None = None,
    ) -> events.AwardGranted:
        unit_id = unit_id or uuid.uuid4()
        self.unit_names.setdefault(unit_id, unit_name)
        category = self.category(kind)
        return events.AwardGranted(
            award_id=award_id or uuid.uuid4(),
            nomination_id=uuid.uuid4(),
            kind=kind,
            name=name,
            unit_id=unit_id,
            unit_name=unit_name,
            campaign_id=self.campaign.id,
            campaign_name=self.campaign.name,
            year=self.campaign.year,
            category_id=category.id,
            category_name=category.name,
            form=category.form,
            decision_id=uuid.uuid4(),
            decision_number=decision_number,
            decision_date=decision_date,
        )

    def record_grant(self, data: events.AwardGranted, version: int = 1) -> events.Envelope:
        """The awards service grants (its state changes); returns the event its relay would publish."""
        self.awards[data.award_id] = (version, data)
        env = events.envelope(data, producer="awards", aggregate_id=data.award_id, version=version)
        self.history.append(env)
        return env

    def record_revoke(self, award_id: uuid.UUID, version: int = 2) -> events.Envelope:
        _, data = self.awards[award_id]
        assert data is not None
        self.awards[award_id] = (version, None)
        from datetime import UTC, datetime

        revoked = events.AwardRevoked(award_id=award_id, nomination_id=data.nomination_id, revoked_at=datetime.now(UTC))
        env = events.envelope(revoked, producer="awards", aggregate_id=award_id, version=version)
        self.history.append(env)
        return env

    async def grant(self, name: str, **kwargs: Any) -> events.AwardGranted:
        data = self.grant_event(name, **kwargs)
        await self.bus.send(self.record_grant(data))
        return data

    async def revoke(self, award_id: uuid.UUID, version: int = 2) -> None:
        await self.bus.send(self.record_revoke(award_id, version))

    def expected(self) -> set[tuple[Any, ...]]:
        """The public roll of this campaign as the awards service's state implies it."""
        return {
            (
                str(d.award_id),
                d.kind,
                d.name,
                self.unit_names.get(d.unit_id, d.unit_name),
                d.category_name,
                d.form,
                d.decision_number,
                d.decision_date.isoformat(),
            )
            for _, d in self.awards.values()
            if d is not None
        }


def row_tuple(item: dict[str, Any]) -> tuple[Any, ...]:
    return (
        item["award_id"],
        item["kind"],
        item["name"],
        item["unit_name"],
        item["category"]["name"],
        item["form"],
        item["decision_number"],
        item["decision_date"],
    )


async def whole_roll(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    """Every page of GET /honorees, in order."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        resp = await client.get("/honorees", params={**params, "limit": PAGE, **({"cursor": cursor} if cursor else {})})
        assert resp.status_code == 200, resp.text
        body = resp.json()
        items.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return items


async def all_applied(source: Source) -> bool:
    """Has the events service taken in every event the source published? (Without this, the
    roll could match the expectation in passing, before the last events arrived.)"""
    ids = list({env.id for env in source.history})
    conn = await asyncpg.connect(source.bus.stack.db_url("events"))
    try:
        return await conn.fetchval("SELECT count(*) FROM inbox WHERE event_id = ANY($1::uuid[])", ids) == len(ids)
    finally:
        await conn.close()


async def roll_equals(client: httpx.AsyncClient, source: Source) -> bool:
    if not await all_applied(source):
        return False
    rows = await whole_roll(client, campaign_id=str(source.campaign_id))
    return len(rows) == len({r["award_id"] for r in rows}) and {row_tuple(r) for r in rows} == source.expected()


async def settle(client: httpx.AsyncClient, source: Source, timeout: float = 5.0) -> None:
    """Wait until the public roll is exactly what the source holds; fail with the difference."""
    try:
        await eventually(lambda: roll_equals(client, source), timeout=timeout)
    except AssertionError:
        rows = {row_tuple(r) for r in await whole_roll(client, campaign_id=str(source.campaign_id))}
        expected = source.expected()
        raise AssertionError(f"roll differs: missing {expected - rows}, extra {rows - expected}") from None


def campaign_state(name: str | None = None, year: int = 2024) -> events.CampaignCreated:
    return events.CampaignCreated(
        id=uuid.uuid4(),
        code=f"C-{uuid.uuid4().hex[:8]}",
        name=name or f"Phong trào thi đua {uuid.uuid4().hex[:6]}",
        organizer_unit_id=uuid.uuid4(),
        year=year,
        starts_on=date(year, 1, 1),
        ends_on=date(year, 12, 31),
        status="open",
        categories=(
            events.CategoryState(
                id=uuid.uuid4(),
                code="TT",
                name="Tập thể tiêu biểu",
                nominee_kind="collective",
                form="Bằng khen",
                quota=50,
            ),
            events.CategoryState(
                id=uuid.uuid4(),
                code="CN",
                name="Cá nhân tiêu biểu",
                nominee_kind="individual",
                form="Giấy khen",
                quota=500,
            ),
        ),
    )


async def new_source(bus: Bus, client: httpx.AsyncClient, name: str | None = None, year: int = 2024) -> Source:
    """A fresh campaign, announced and known to the events service."""
    campaign = campaign_state(name, year)
    await bus.publish(campaign, aggregate_id=campaign.id, version=1)

    async def known() -> bool:
        return (await client.get("/honorees", params={"campaign_id": str(campaign.id)})).status_code == 200

    await eventually(known)
    return Source(bus=bus, campaign=campaign)


@pytest.fixture
async def source(bus: Bus, anonymous: Api) -> Source:
    return await new_source(bus, anonymous.events)
