"""`thidua republish`: read models reconciled from their sources, whatever the broker or a copy lost.

`resend` can only publish again the events the outbox still holds, under
their first ids, which an inbox that saw them skips. `republish` restates
every aggregate a service owns as a new event at its current version: a copy
that lost a row gets it back, a copy that holds it at that version is left
as it is, and a revoked award stays off the roll.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial

import asyncpg
import pytest

from services.events.roll.projection import bump_version
from shared import events
from tests.awards.helpers import approve, campaign, category, decide, nominate, person_here, unit_here
from tests.delivery.scratch import run_thidua
from tests.support import Api, Stack, eventually, in_copy
from thidua import registry

UNIT_COPY = "SELECT id, code, name, kind, parent_id, path::text AS path, version FROM units"


async def republish(stack: Stack, service: str, *args: str) -> str:
    """Run `thidua republish SERVICE`, and wait until every consumer has taken in what it wrote."""
    async with db(stack, service) as conn:
        since: datetime = await conn.fetchval("SELECT clock_timestamp()")
    code, out, err = await run_thidua(stack, "republish", service, *args)
    assert code == 0, err
    async with db(stack, service) as conn:
        written = await conn.fetch("SELECT id, subject FROM outbox WHERE created_at >= $1", since)
    ids = [r["id"] for r in written]
    assert ids, "republish wrote nothing"
    assert out.strip().endswith(f"{len(ids)} {service} events written to the outbox for publishing"), out
    # Each durable is sent only the subjects it handles (services/*/consumes.py).
    for consumer_service, subscription in registry.subscribers(service):
        wanted = [r["id"] for r in written if r["subject"] in subscription.subjects]
        async with db(stack, consumer_service) as conn:

            async def taken_in(
                c: asyncpg.Connection = conn, d: str = subscription.durable, w: list[uuid.UUID] = wanted
            ) -> bool:
                return await c.fetchval(
                    "SELECT count(*) FROM inbox WHERE consumer = $1 AND event_id = ANY($2::uuid[])", d, w
                ) == len(w)

            await eventually(taken_in, timeout=30)
    return out


class db:  # noqa: N801 - used as `async with db(stack, service) as conn`
    def __init__(self, stack: Stack, service: str) -> None:
        self.url = stack.db_url(service)

    async def __aenter__(self) -> asyncpg.Connection:
        self.conn = await asyncpg.connect(self.url)
        return self.conn

    async def __aexit__(self, *_: object) -> None:
        await self.conn.close()


@dataclass
class Granted:
    root: dict
    child: dict
    leaf: dict
    person: dict
    campaign: dict
    award_ids: list[str]


@pytest.fixture
async def committee(admin: Api) -> AsyncIterator[Api]:
    api = await admin.as_new("committee")
    yield api
    await api.aclose()


async def granted(admin: Api, committee: Api) -> Granted:
    """A three-level tree, a person, and a campaign with a collective and an individual award on the roll."""
    root = await unit_here(admin, name="Tỉnh ủy Đối soát", kind="party_committee")
    child = await unit_here(admin, name="Huyện ủy Đối soát", kind="party_committee", parent_id=root["id"])
    leaf = await unit_here(admin, name="Chi bộ Đối soát", parent_id=child["id"])
    person = await person_here(admin, leaf["id"], full_name="Phạm Thị Đối Soát", position="Bí thư")
    camp = await campaign(admin, root["id"])
    collective = await category(admin, camp["id"], "collective")
    individual = await category(admin, camp["id"], "individual")
    nominations = [
        await nominate(admin, collective["id"], unit_id=child["id"]),
        await nominate(admin, individual["id"], person_id=person["id"]),
    ]
    for n in nominations:
        await approve(committee, n["id"])
    await decide(committee, [n["id"] for n in nominations])
    ids = [n["id"] for n in nominations]

    async def on_roll() -> bool:
        return {h["award_id"] for h in await roll(admin, camp["id"])} == set(ids)

    await eventually(on_roll)
    return Granted(root, child, leaf, person, camp, ids)


async def roll(api: Api, campaign_id: str) -> list[dict]:
    resp = await api.events.get("/honorees", params={"campaign_id": campaign_id, "limit": 200})
    assert resp.status_code == 200, resp.text
    return resp.json()["items"]


async def awards_of(api: Api, campaign_id: str) -> list[dict]:
    resp = await api.awards.get("/awards", params={"campaign_id": campaign_id, "limit": 200})
    assert resp.status_code == 200, resp.text
    return resp.json()["items"]


def as_roll_row(award: dict, unit_names: dict[uuid.UUID, str]) -> dict:
    """What the roll shows of a granted award, in the roll's shape: its unit under the unit's current name."""
    return {
        "award_id": award["award_id"],
        "kind": award["kind"],
        "name": award["name"],
        "unit_id": award["unit_id"],
        "unit_name": unit_names[uuid.UUID(award["unit_id"])],
        "campaign": {"id": award["campaign_id"], "name": award["campaign_name"], "year": award["year"]},
        "category": {"id": award["category_id"], "name": award["category_name"]},
        "form": award["form"],
        "decision_number": award["decision_number"],
        "decision_date": award["decision_date"],
    }


async def assert_copies_match_sources(stack: Stack, api: Api, campaign_id: str) -> None:
    async with db(stack, "units") as units:
        source_units = {r["id"]: dict(r) for r in await units.fetch(UNIT_COPY)}
        source_people = {
            r["id"]: dict(r) for r in await units.fetch("SELECT id, full_name, unit_id, position, version FROM people")
        }
    for service in ("awards", "events"):
        async with db(stack, service) as conn:
            copy = {
                r["id"]: dict(r)
                for r in await conn.fetch(f"{UNIT_COPY} WHERE id = ANY($1::uuid[])", list(source_units))
            }
        assert copy == source_units, service
    async with db(stack, "awards") as awards_db:
        people = {
            r["id"]: dict(r)
            for r in await awards_db.fetch(
                "SELECT id, full_name, unit_id, position, version FROM people WHERE id = ANY($1::uuid[])",
                list(source_people),
            )
        }
        granted_ids = {r["id"] for r in await awards_db.fetch("SELECT id FROM nominations WHERE status = 'granted'")}
    assert people == source_people
    # The campaign's roll is its granted awards, field by field; and every granted award is on the roll.
    names = {i: u["name"] for i, u in source_units.items()}
    expected = sorted((as_roll_row(a, names) for a in await awards_of(api, campaign_id)), key=lambda r: r["award_id"])
    shown = sorted(
        ({k: v for k, v in h.items() if k != "ceremony"} for h in await roll(api, campaign_id)),
        key=lambda r: r["award_id"],
    )
    assert shown == expected
    async with db(stack, "events") as events_db:
        on_roll = {
            r["award_id"] for r in await events_db.fetch("SELECT award_id FROM honorees WHERE status = 'granted'")
        }
    assert granted_ids <= on_roll


async def test_republish_restores_what_a_broker_that_lost_data_never_delivered(
    stack: Stack, admin: Api, committee: Api
) -> None:
    world = await granted(admin, committee)
    renamed = await admin.units.patch(f"/units/{world.leaf['id']}", json={"name": "Chi bộ Đối soát (mới)"})
    assert renamed.status_code == 200, renamed.text
    for service in ("awards", "events"):
        async with db(stack, service) as conn:
            await eventually(
                partial(conn.fetchval, "SELECT version = 2 FROM units WHERE id = $1", uuid.UUID(world.leaf["id"]))
            )
    await eventually(lambda: _roll_shows_unit_name(admin, world.campaign["id"], "Chi bộ Đối soát (mới)"))

    # What a broker that lost data leaves behind: copies without rows, and a rename never heard of.
    async with db(stack, "awards") as conn:
        await conn.execute(
            "DELETE FROM units WHERE id = ANY($1::uuid[])", [uuid.UUID(world.root["id"]), uuid.UUID(world.child["id"])]
        )
        await conn.execute(
            "UPDATE units SET name = 'Chi bộ Đối soát', version = 1 WHERE id = $1", uuid.UUID(world.leaf["id"])
        )
        await conn.execute("DELETE FROM people WHERE id = $1", uuid.UUID(world.person["id"]))
    async with db(stack, "events") as conn:
        await conn.execute("DELETE FROM units WHERE id = $1", uuid.UUID(world.root["id"]))
        await conn.execute(
            "DELETE FROM honorees WHERE award_id = ANY($1::uuid[])", [uuid.UUID(i) for i in world.award_ids]
        )
        await conn.execute("DELETE FROM campaigns WHERE id = $1", uuid.UUID(world.campaign["id"]))
        await bump_version(conn)  # a roll that never had them: no cached answer shows them

    async def gone() -> bool:  # the campaign itself is unknown to the roll now
        return (await admin.events.get("/honorees", params={"campaign_id": world.campaign["id"]})).status_code == 404

    await eventually(gone)

    out = await republish(stack, "units", "--batch", "2")  # several transactions, parents in earlier ones
    assert "units.person.updated" in out and "units.unit.renamed" in out, out
    out = await republish(stack, "awards", "--batch", "2")
    assert "awards.award.granted" in out and "awards.campaign.updated" in out, out

    await assert_copies_match_sources(stack, admin, world.campaign["id"])
    async with db(stack, "events") as conn:
        # The restored campaign is back in the page's filters, and each restored row keeps its grant time.
        assert (
            await conn.fetchval("SELECT name FROM campaigns WHERE id = $1", uuid.UUID(world.campaign["id"]))
            == world.campaign["name"]
        )
        restored = await conn.fetch(
            "SELECT award_id, granted_at FROM honorees WHERE award_id = ANY($1::uuid[])",
            [uuid.UUID(i) for i in world.award_ids],
        )
    for row in restored:
        award = (await admin.awards.get(f"/awards/{row['award_id']}")).json()
        assert row["granted_at"] == datetime.fromisoformat(award["granted_at"])


async def _roll_shows_unit_name(api: Api, campaign_id: str, name: str) -> bool:
    return any(h["unit_name"] == name for h in await roll(api, campaign_id))


async def _read_models(stack: Stack) -> dict[str, object]:
    """Every row of every copy, with the columns a change would touch (versions, updated_at)."""
    state: dict[str, object] = {}
    async with db(stack, "awards") as conn:
        state["awards.units"] = [dict(r) for r in await conn.fetch("SELECT * FROM units ORDER BY id")]
        state["awards.people"] = [dict(r) for r in await conn.fetch("SELECT * FROM people ORDER BY id")]
    async with db(stack, "events") as conn:
        state["events.units"] = [dict(r) for r in await conn.fetch("SELECT * FROM units ORDER BY id")]
        state["events.campaigns"] = [dict(r) for r in await conn.fetch("SELECT * FROM campaigns ORDER BY id")]
        state["events.honorees"] = [dict(r) for r in await conn.fetch("SELECT * FROM honorees ORDER BY award_id")]
        state["events.roll_version"] = await conn.fetchval("SELECT version FROM roll_state")
    return state


async def test_republish_of_what_every_copy_holds_changes_nothing(stack: Stack, admin: Api, committee: Api) -> None:
    world = await granted(admin, committee)
    await eventually(lambda: in_copy(stack, "events", world.leaf["id"]))
    before = await _read_models(stack)
    for _ in range(2):
        await republish(stack, "units")
        await republish(stack, "awards")
        assert await _read_models(stack) == before
    await assert_copies_match_sources(stack, admin, world.campaign["id"])


async def test_a_revoked_award_republished_stays_off_the_roll(stack: Stack, admin: Api, committee: Api) -> None:
    world = await granted(admin, committee)
    revoked, kept = world.award_ids
    resp = await committee.awards.post(f"/awards/{revoked}/revoke", json={"reason": "Khen thưởng không đúng đối tượng"})
    assert resp.status_code == 200, resp.text
    await eventually(lambda: _roll_ids_are(admin, world.campaign["id"], {kept}))

    # The roll lost the revocation's tombstone: what it hears again is the revocation, never the grant.
    async with db(stack, "events") as conn:
        await conn.execute("DELETE FROM honorees WHERE award_id = $1", uuid.UUID(revoked))
    await republish(stack, "awards")

    assert {h["award_id"] for h in await roll(admin, world.campaign["id"])} == {kept}
    async with db(stack, "events") as conn:
        row = await conn.fetchrow("SELECT status, version FROM honorees WHERE award_id = $1", uuid.UUID(revoked))
    async with db(stack, "awards") as conn:
        version = await conn.fetchval("SELECT version FROM nominations WHERE id = $1", uuid.UUID(revoked))
    assert (row["status"], row["version"]) == ("revoked", version)
    await assert_copies_match_sources(stack, admin, world.campaign["id"])


async def _roll_ids_are(api: Api, campaign_id: str, ids: set[str]) -> bool:
    return {h["award_id"] for h in await roll(api, campaign_id)} == ids


async def test_rebuild_drops_what_the_source_does_not_have_and_keeps_ceremonies(
    stack: Stack, admin: Api, committee: Api
) -> None:
    world = await granted(admin, committee)
    resp = await committee.events.post(
        "/ceremonies",
        json={
            "title": "Lễ trao tặng Đối soát",
            "held_on": "2025-12-30",
            "venue": "Hội trường tỉnh",
            "host_unit_id": world.root["id"],
            "campaign_ids": [world.campaign["id"]],
        },
    )
    assert resp.status_code == 201, resp.text
    ceremony = resp.json()
    held = await committee.events.post(f"/ceremonies/{ceremony['id']}/hold")
    assert held.status_code == 200, held.text
    await eventually(lambda: _ceremony_on_roll(admin, world.campaign["id"], ceremony["id"]))

    # A roll restored from an old backup: a row and a campaign the source does not have, a row changed in place.
    phantom, phantom_campaign = uuid.uuid4(), uuid.uuid4()
    async with db(stack, "events") as conn:
        await conn.execute(
            """INSERT INTO campaigns (id, code, name, year, organizer_unit_id, status, version)
               VALUES ($1, 'PT-MA', 'Phong trào không còn', 2020, $2, 'closed', 3)""",
            phantom_campaign,
            uuid.UUID(world.root["id"]),
        )
        await conn.execute(
            """INSERT INTO honorees (award_id, version, status, kind, name, unit_id, unit_name, campaign_id,
                                     campaign_name, year, category_id, category_name, form, decision_number,
                                     decision_date, sort_group, sort_key)
               SELECT $1, 1, 'granted', kind, 'Người không có thật', unit_id, unit_name, campaign_id, campaign_name,
                      year, category_id, category_name, form, decision_number, decision_date, sort_group, sort_key
               FROM honorees WHERE award_id = $2""",
            phantom,
            uuid.UUID(world.award_ids[0]),
        )
        await conn.execute("UPDATE honorees SET name = 'Sai tên' WHERE award_id = $1", uuid.UUID(world.award_ids[1]))
        await bump_version(conn)
    assert len(await roll(admin, world.campaign["id"])) == 3

    code, out, err = await run_thidua(stack, "rebuild", "events")
    assert code == 0, err
    assert "roll rebuilt" in out, out

    await assert_copies_match_sources(stack, admin, world.campaign["id"])
    assert all(h["ceremony"] and h["ceremony"]["id"] == ceremony["id"] for h in await roll(admin, world.campaign["id"]))
    async with db(stack, "events") as conn:
        assert await conn.fetchval("SELECT count(*) FROM honorees WHERE award_id = $1", phantom) == 0
        assert await conn.fetchval("SELECT count(*) FROM campaigns WHERE id = $1", phantom_campaign) == 0
        assert await conn.fetchval("SELECT count(*) FROM honorees WHERE version = 0") == 0

    # The events service restates its ceremonies too (nothing consumes them yet): held, with what it presented.
    out = await republish(stack, "events")
    assert "events.ceremony.held" in out, out
    async with db(stack, "events") as conn:
        payload = await conn.fetchval(
            "SELECT payload FROM outbox WHERE subject = 'events.ceremony.held' AND convert_from(payload, 'UTF8')::jsonb"
            " #>> '{data,id}' = $1 ORDER BY seq DESC LIMIT 1",
            ceremony["id"],
        )
    restated = events.decode(payload)
    assert isinstance(restated.data, events.CeremonyHeld)
    assert (restated.version, restated.data.honoree_count) == (2, 2)


async def _ceremony_on_roll(api: Api, campaign_id: str, ceremony_id: str) -> bool:
    shown = await roll(api, campaign_id)
    return bool(shown) and all(h["ceremony"] and h["ceremony"]["id"] == ceremony_id for h in shown)
