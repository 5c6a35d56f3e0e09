"""What the awards service tells the others over NATS, and that a replay changes nothing downstream."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import asyncpg
import nats
from nats.js.api import DeliverPolicy

from shared import events
from tests.support import Api, Stack, eventually

from .conftest import World
from .helpers import approve, campaign, category, decide, nominate, units_under


@asynccontextmanager
async def jetstream(stack: Stack) -> AsyncIterator[nats.js.JetStreamContext]:
    nc = await nats.connect(stack.nats_url)
    try:
        yield nc.jetstream()
    finally:
        await nc.drain()


async def read_events(
    stack: Stack, subject: str, aggregate_ids: set[str], count: int = 0
) -> list[tuple[events.Envelope, bytes]]:
    """Every event on `subject` about `aggregate_ids`, in stream order, read back from JetStream once each of them
    has one and there are at least `count` (the relay publishes a change's event a moment after its answer)."""
    found: list[tuple[events.Envelope, bytes]] = []

    async def all_there() -> bool:
        found.clear()
        async with jetstream(stack) as js:
            sub = await js.subscribe(subject, ordered_consumer=True, deliver_policy=DeliverPolicy.ALL)
            pending = (await sub.consumer_info()).num_pending
            for _ in range(pending or 0):
                msg = await sub.next_msg(timeout=5)
                env = events.decode(msg.data)
                if env.aggregate_id in aggregate_ids:
                    found.append((env, msg.data))
            await sub.unsubscribe()
        return {e.aggregate_id for e, _ in found} == aggregate_ids and len(found) >= count

    await eventually(all_there, timeout=10, interval=0.1)
    return found


async def test_campaign_and_nomination_events_carry_full_state_and_versions(world: World, stack: Stack) -> None:
    c = await campaign(world.committee, world.province["id"])
    k = await category(world.committee, c["id"], "individual", quota=3, form="Giấy khen")
    await world.committee.awards.post(f"/campaigns/{c['id']}/close")
    got = await read_events(stack, "awards.campaign.>", {c["id"]}, count=3)
    assert [(e.type, e.version) for e, _ in got] == [
        ("awards.campaign.created", 1),
        ("awards.campaign.updated", 2),
        ("awards.campaign.updated", 3),
    ]
    last = got[-1][0].data
    assert isinstance(last, events.CampaignUpdated) and last.status == "closed"
    assert [(x.id, x.quota, x.form, x.nominee_kind) for x in last.categories] == [
        (uuid.UUID(k["id"]), 3, "Giấy khen", "individual")
    ]
    await world.committee.awards.post(f"/campaigns/{c['id']}/open")
    n = await nominate(world.officer_a, k["id"], person_id=world.person_a["id"])
    await world.committee.awards.post(f"/nominations/{n['id']}/reject", json={"reason": "Chưa đạt"})
    got = await read_events(stack, "awards.nomination.>", {n["id"]}, count=2)
    assert [(e.type, e.version) for e, _ in got] == [
        ("awards.nomination.submitted", 1),
        ("awards.nomination.rejected", 2),
    ]
    rejected = got[1][0].data
    assert isinstance(rejected, events.NominationRejected)
    assert (rejected.reason, rejected.nominee_name, rejected.nominee_person_id) == (
        "Chưa đạt",
        "Nguyễn Thị Ánh",
        uuid.UUID(world.person_a["id"]),
    )
    assert rejected.unit_id == uuid.UUID(world.commune_a["id"]) and rejected.unit_name == world.commune_a["name"]


async def test_award_granted_carries_the_honouree_as_the_database_holds_it(world: World, stack: Stack) -> None:
    c = await campaign(world.committee, world.province["id"], year=2024)
    collective = await category(world.committee, c["id"], "collective", quota=5, form="Bằng khen")
    individual = await category(world.committee, c["id"], "individual", quota=5, form="Giấy khen")
    n1 = await nominate(world.officer_district, collective["id"], unit_id=world.commune_b["id"])
    n2 = await nominate(world.officer_district, individual["id"], person_id=world.person_b["id"])
    for n in (n1, n2):
        await approve(world.committee, n["id"])
    d = await decide(world.committee, [n1["id"], n2["id"]], signed_on="2024-12-30")
    got = await read_events(stack, "awards.award.granted", {n1["id"], n2["id"]})
    assert len(got) == 2
    conn = await asyncpg.connect(stack.db_url("awards"))
    try:
        for env, _ in got:
            data = env.data
            assert isinstance(data, events.AwardGranted)
            row = await conn.fetchrow(
                """SELECT n.nominee_kind, n.nominee_id, n.nominee_name, n.unit_id, n.unit_name, n.version,
                          k.id AS campaign_id, k.name AS campaign_name, k.code AS campaign_code, k.year,
                          c.id AS category_id, c.name AS category_name, c.code AS category_code, c.form,
                          d.id AS decision_id, d.number, d.signed_on, d.signer
                   FROM nominations n JOIN campaigns k ON k.id = n.campaign_id
                   JOIN categories c ON c.id = n.category_id JOIN decisions d ON d.id = n.decision_id
                   WHERE n.id = $1""",
                data.award_id,
            )
            assert data.award_id == data.nomination_id and env.version == row["version"] == 3
            nominee = data.nominee_unit_id if data.kind == "collective" else data.nominee_person_id
            assert (data.kind, nominee, data.name) == (row["nominee_kind"], row["nominee_id"], row["nominee_name"])
            assert (data.unit_id, data.unit_name) == (row["unit_id"], row["unit_name"])
            assert (data.campaign_id, data.campaign_name, data.campaign_code, data.year) == (
                row["campaign_id"],
                row["campaign_name"],
                row["campaign_code"],
                2024,
            )
            assert (data.category_id, data.category_name, data.category_code, data.form) == (
                row["category_id"],
                row["category_name"],
                row["category_code"],
                row["form"],
            )
            assert (data.decision_id, data.decision_number, data.decision_date, data.decision_signer) == (
                row["decision_id"],
                row["number"],
                row["signed_on"],
                row["signer"],
            )
            assert str(data.decision_id) == d["id"]
    finally:
        await conn.close()
    by_id = {str(e.data.award_id): e.data for e, _ in got if isinstance(e.data, events.AwardGranted)}
    assert by_id[n2["id"]].name == "Trần Văn Bình" and by_id[n2["id"]].unit_name == world.commune_b["name"]
    assert by_id[n1["id"]].name == world.commune_b["name"] and by_id[n1["id"]].form == "Bằng khen"
    decision = await read_events(stack, "awards.decision.issued", {d["id"]})
    issued = decision[0][0].data
    assert isinstance(issued, events.DecisionIssued)
    assert {str(a) for a in issued.award_ids} == {n1["id"], n2["id"]}


async def test_revocation_event_follows_the_grant_and_a_replay_changes_nothing_downstream(
    world: World, stack: Stack, anonymous: Api
) -> None:
    c = await campaign(world.committee, world.province["id"])
    k = await category(world.committee, c["id"], "collective", quota=5)
    units = await units_under(world.admin, world.commune_a, 3)
    ns = [await nominate(world.officer_a, k["id"], unit_id=u["id"]) for u in units]
    for n in ns[:2]:
        await approve(world.committee, n["id"])
    await decide(world.committee, [n["id"] for n in ns[:2]])
    kept, revoked = ns[0]["id"], ns[1]["id"]

    async def roll() -> dict[str, dict]:
        resp = await anonymous.events.get("/honorees", params={"campaign_id": c["id"]})
        assert resp.status_code == 200, resp.text
        return {h["award_id"]: h for h in resp.json()["items"]}

    await eventually(lambda: _has(roll, {kept, revoked}))
    before = await roll()
    assert before[kept]["name"] == units[0]["name"] and before[kept]["form"] == "Bằng khen"

    resp = await world.committee.awards.post(f"/awards/{revoked}/revoke", json={"reason": "Sai phạm"})
    assert resp.status_code == 200
    await eventually(lambda: _has(roll, {kept}))
    trail = await read_events(stack, "awards.award.>", {revoked}, count=2)
    assert [(e.type, e.version) for e, _ in trail] == [("awards.award.granted", 3), ("awards.award.revoked", 4)]
    revocation = trail[1][0].data
    assert isinstance(revocation, events.AwardRevoked) and revocation.reason == "Sai phạm"

    # Replays: the kept award's event again, byte for byte (the consumer's inbox knows its id), and the
    # revoked award's grant as a new event of its old version (the read model holds a newer one).
    granted_kept = (await read_events(stack, "awards.award.granted", {kept}))[0][1]
    granted_revoked = trail[0][0]
    stale = events.envelope(
        granted_revoked.data,
        producer="awards",
        aggregate_id=granted_revoked.aggregate_id,
        version=granted_revoked.version,
    )
    async with jetstream(stack) as js:
        for payload in (granted_kept, events.encode(stale)):
            ack = await js.publish(subjects_of(payload), payload, headers={"Nats-Msg-Id": f"replay-{uuid.uuid4()}"})
            assert not ack.duplicate  # it really went into the stream again
    # A later real award is the sign that the events service has read past the replays.
    await approve(world.committee, ns[2]["id"])
    await decide(world.committee, [ns[2]["id"]])
    await eventually(lambda: _has(roll, {kept, ns[2]["id"]}))
    after = await roll()
    assert after[kept] == before[kept]
    assert revoked not in after


def subjects_of(payload: bytes) -> str:
    return events.decode(payload).type


async def _has(roll: Callable[[], Awaitable[dict[str, dict]]], ids: set[str]) -> bool:
    return set(await roll()) == ids
