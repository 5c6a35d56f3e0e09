"""The public's say over HTTP: a nomination on public notice, objections to it, and the decision they hold back."""

from __future__ import annotations

import json
import unicodedata
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import msgspec
import nats
import pytest

from services.awards.domain.calendar import window_end
from services.awards.snapshot import snapshot
from shared import events
from tests.support import Api, Stack, eventually

from .conftest import World
from .helpers import approve, assert_problem, campaign, category, decide, nominate, units_under

OBJECTOR = "Phạm Văn Dân"
CONTACT = "dan.pham.phan-anh@example.vn, 0912 345 678"
CONTENT = "Đơn vị chưa hoàn thành chỉ tiêu nộp ngân sách quý III."


def vn_today() -> date:
    return datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()


@pytest.fixture
async def db(stack: Stack) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(stack.db_url("awards"))
    # The rate limit counts by address, and every test calls from 127.0.0.1: start each test with no sends.
    await conn.execute("DELETE FROM objection_sends")
    yield conn
    await conn.execute("DELETE FROM objection_sends")
    await conn.close()


async def on_notice(world: World, days: int = 5) -> tuple[dict, dict, dict]:
    """A campaign, a category with a comment window of `days` working days, and a nomination approved in it."""
    c = await campaign(world.committee, world.province["id"])
    k = await category(world.committee, c["id"], "collective", comment_working_days=days)
    unit = (await units_under(world.admin, world.commune_a, 1))[0]
    n = await nominate(world.officer_a, k["id"], unit_id=unit["id"])
    return c, k, await approve(world.committee, n["id"])


async def move_window(db: asyncpg.Connection, nomination_id: str, last_day: date) -> None:
    """Set the stored last day of a notice: data, as an older approval would have left it (no clock is faked)."""
    await db.execute("UPDATE nominations SET comment_until = $2 WHERE id = $1", uuid.UUID(nomination_id), last_day)


def decision_body(nomination_ids: list[str]) -> dict[str, Any]:
    return {
        "number": f"{uuid.uuid4().hex[:6]}/QĐ-UBND",
        "signed_on": "2026-12-20",
        "signer": "Chủ tịch UBND tỉnh",
        "nomination_ids": nomination_ids,
    }


async def object_to(api: Api, nomination_id: str, **overrides: Any) -> Any:
    body = {"name": OBJECTOR, "contact": CONTACT, "content": CONTENT, **overrides}
    return await api.awards.post(f"/notices/{nomination_id}/objections", json=body)


async def test_notice_objection_and_the_decision_it_holds_back(
    world: World, anonymous: Api, stack: Stack, db: asyncpg.Connection
) -> None:
    c, k, n = await on_notice(world, days=5)
    nid = n["id"]
    today = vn_today()
    # On notice: anyone lists it, with the window the calendar gives (5 working days after approval).
    listed = await anonymous.awards.get("/notices", params={"campaign_id": c["id"]})
    assert listed.status_code == 200, listed.text
    [item] = listed.json()["items"]
    assert item["nomination_id"] == nid and item["name"] == n["nominee_name"] and item["kind"] == "collective"
    assert (item["unit_name"], item["campaign"], item["category"]) == (n["unit_name"], c["name"], k["name"])
    assert item["approved_on"] == today.isoformat()
    assert item["window_ends_on"] == window_end(today, 5).isoformat()
    assert (item["campaign_id"], item["category_id"], item["objections_open"]) == (c["id"], k["id"], 0)
    # The approval event carries its day and the window's last day.
    row = await db.fetchrow(
        "SELECT payload FROM outbox WHERE subject = 'awards.nomination.approved' AND convert_from(payload, 'UTF8') LIKE $1",
        f"%{nid}%",
    )
    data = json.loads(bytes(row["payload"]))["data"]
    assert (data["approved_on"], data["comment_until"]) == (today.isoformat(), window_end(today, 5).isoformat())

    # A decision while the window runs: 409 naming the nominee and why.
    refused = assert_problem(await world.committee.awards.post("/decisions", json=decision_body([nid])), 409)
    assert n["nominee_name"] in refused["detail"] and "public notice" in refused["detail"]
    assert refused["errors"][0]["field"] == "nomination_ids[0]"

    # Anyone objects: 201 with the id only.
    resp = await object_to(anonymous, nid)
    assert resp.status_code == 201, resp.text
    assert list(resp.json()) == ["id"]
    oid = resp.json()["id"]

    # The objector's name, contact and words appear in no public answer, in no nomination answer of any role.
    listed = (await anonymous.awards.get("/notices", params={"campaign_id": c["id"]})).json()
    assert listed["items"][0]["objections_open"] == 1
    secrets = (OBJECTOR, CONTACT, CONTENT, "dan.pham")
    for api in (world.committee, world.admin, world.officer_a, world.officer_district):
        for path in (f"/nominations/{nid}", f"/nominations/{nid}/history"):
            got = await api.awards.get(path)
            assert got.status_code == 200, (path, got.text)
            assert not any(s in got.text for s in secrets), path
    assert not any(s in json.dumps(listed, ensure_ascii=False) for s in secrets)
    # Nor in any event: the outbox holds the filing, without them.
    outbox = await db.fetch("SELECT subject, payload FROM outbox")
    assert not any(any(s in bytes(r["payload"]).decode() for s in secrets) for r in outbox)
    filed = [json.loads(bytes(r["payload"])) for r in outbox if r["subject"] == "awards.objection.filed"]
    mine = [e for e in filed if e["data"]["id"] == oid]
    assert len(mine) == 1 and mine[0]["data"]["nomination_id"] == nid and mine[0]["data"]["status"] == "open"
    audit = await db.fetch(
        "SELECT action, actor_role FROM audit_log WHERE entity = 'objection' AND entity_id = $1", uuid.UUID(oid)
    )
    assert [(a["action"], a["actor_role"]) for a in audit] == [("file", "public")]

    # The committee and admin read them, with the contact; others may not.
    for api in (world.committee, world.admin):
        got = await api.awards.get(f"/nominations/{nid}/objections")
        assert got.status_code == 200, got.text
        body = got.json()
        [o] = body["items"]
        assert (o["id"], o["name"], o["contact"], o["content"], o["status"]) == (
            oid,
            OBJECTOR,
            CONTACT,
            CONTENT,
            "open",
        )
        assert body["comment_until"] == window_end(today, 5).isoformat() and body["on_notice"] is True
    assert_problem(await world.officer_a.awards.get(f"/nominations/{nid}/objections"), 403)
    assert_problem(await anonymous.awards.get(f"/nominations/{nid}/objections"), 401)
    assert_problem(await world.committee.awards.get(f"/nominations/{uuid.uuid4()}/objections"), 404)

    # The window ends (its stored last day moved to yesterday): objections are closed, the notice is gone, but
    # the unresolved objection still holds the decision back.
    await move_window(db, nid, today - timedelta(days=1))
    assert_problem(await object_to(anonymous, nid), 409)
    gone = (await anonymous.awards.get("/notices", params={"campaign_id": c["id"]})).json()["items"]
    assert gone == []
    refused = assert_problem(await world.committee.awards.post("/decisions", json=decision_body([nid])), 409)
    assert n["nominee_name"] in refused["detail"] and "unresolved objection" in refused["detail"]

    # Resolving: the committee only, with a resolution.
    assert_problem(await world.committee.awards.post(f"/objections/{oid}/resolve", json={}), 400)
    assert_problem(await world.committee.awards.post(f"/objections/{oid}/resolve", json={"resolution": "  "}), 400)
    assert_problem(await world.admin.awards.post(f"/objections/{oid}/resolve", json={"resolution": "x"}), 403)
    assert_problem(await anonymous.awards.post(f"/objections/{oid}/resolve", json={"resolution": "x"}), 401)
    assert_problem(
        await world.committee.awards.post(f"/objections/{uuid.uuid4()}/resolve", json={"resolution": "x"}), 404
    )
    resolution = "Đã xác minh: đơn vị nộp đủ ngân sách quý III (biên lai kèm theo)."
    resp = await world.committee.awards.post(f"/objections/{oid}/resolve", json={"resolution": resolution})
    assert resp.status_code == 200, resp.text
    got = resp.json()
    assert (got["id"], got["status"], got["resolution"], got["contact"]) == (oid, "resolved", resolution, CONTACT)
    assert got["resolved_by_name"] and got["resolved_at"]
    again = await world.committee.awards.post(f"/objections/{oid}/resolve", json={"resolution": resolution})
    assert_problem(again, 409)
    resolved = await db.fetch(
        "SELECT payload FROM outbox WHERE subject = 'awards.objection.resolved' AND convert_from(payload, 'UTF8') LIKE $1",
        f"%{oid}%",
    )
    assert len(resolved) == 1 and json.loads(bytes(resolved[0]["payload"]))["data"]["status"] == "resolved"
    assert resolution not in bytes(resolved[0]["payload"]).decode()

    # Window over, objections resolved: the decision passes.
    d = await decide(world.committee, [nid], signed_on="2026-12-20")
    assert d["nomination_ids"] == [nid]
    # A granted nomination is no longer open to objections.
    assert_problem(await object_to(anonymous, nid), 409)


async def test_no_window_means_no_notice_and_no_wait(world: World, anonymous: Api, db: asyncpg.Connection) -> None:
    c, _, n = await on_notice(world, days=0)
    assert (await anonymous.awards.get("/notices", params={"campaign_id": c["id"]})).json()["items"] == []
    assert_problem(await object_to(anonymous, n["id"]), 404)
    assert_problem(await object_to(anonymous, str(uuid.uuid4())), 404)
    got = await world.committee.awards.get(f"/nominations/{n['id']}/objections")
    assert got.json() == {"items": [], "approved_on": vn_today().isoformat(), "comment_until": None, "on_notice": False}
    await decide(world.committee, [n["id"]])


async def test_notices_are_paged(world: World, anonymous: Api, db: asyncpg.Connection) -> None:
    c = await campaign(world.committee, world.province["id"])
    k = await category(world.committee, c["id"], "collective", comment_working_days=3)
    units = await units_under(world.admin, world.commune_a, 3)
    for u in units:
        await approve(world.committee, (await nominate(world.officer_a, k["id"], unit_id=u["id"]))["id"])
    first = (await anonymous.awards.get("/notices", params={"campaign_id": c["id"], "limit": 2})).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = await anonymous.awards.get(
        "/notices", params={"campaign_id": c["id"], "limit": 2, "cursor": first["next_cursor"]}
    )
    ids = [i["nomination_id"] for i in first["items"] + rest.json()["items"]]
    assert len(set(ids)) == 3 and rest.json()["next_cursor"] is None
    assert_problem(await anonymous.awards.get("/notices", params={"cursor": "nonsense!"}), 400)


async def test_objections_are_rate_limited(world: World, anonymous: Api, db: asyncpg.Connection) -> None:
    _, _, n = await on_notice(world)
    for i in range(5):
        resp = await object_to(anonymous, n["id"], content=f"Ý kiến số {i + 1}")
        assert resp.status_code == 201, resp.text
    refused = await object_to(anonymous, n["id"])
    body = assert_problem(refused, 429)
    assert 1 <= int(refused.headers["Retry-After"]) <= 3600, refused.headers
    assert "hour" in body["detail"]
    # Refused means not filed: five objections, five events.
    assert await db.fetchval("SELECT count(*) FROM objections WHERE nomination_id = $1", uuid.UUID(n["id"])) == 5
    # The limit is per address, kept in the database: another nomination from the same address is refused too.
    _, _, other = await on_notice(world)
    assert_problem(await object_to(anonymous, other["id"]), 429)


async def test_hostile_objections_are_400(world: World, anonymous: Api, db: asyncpg.Connection) -> None:
    _, _, n = await on_notice(world)
    nid = n["id"]
    assert_problem(await object_to(anonymous, nid, content="x" * 5001), 400, "content")
    assert_problem(await object_to(anonymous, nid, name="Dân\x00"), 400, "name")
    assert_problem(await object_to(anonymous, nid, contact="a\x1b[2Jb"), 400, "contact")
    assert_problem(await object_to(anonymous, nid, name="   "), 400, "name")
    assert_problem(await object_to(anonymous, nid, role="admin"), 400)
    assert_problem(await object_to(anonymous, nid, content=["a"]), 400, "content")
    missing = await anonymous.awards.post(f"/notices/{nid}/objections", json={"name": OBJECTOR, "content": "x"})
    assert_problem(missing, 400, "contact")
    assert_problem(await anonymous.awards.post(f"/notices/{nid}/objections", content=b"{not json"), 400)
    assert_problem(await anonymous.awards.post(f"/notices/{nid}/objections", json={"name": "x" * 10**6}), 400)
    # None of these was filed.
    assert await db.fetchval("SELECT count(*) FROM objections WHERE nomination_id = $1", uuid.UUID(nid)) == 0
    # Text is stored NFC.
    decomposed = unicodedata.normalize("NFD", OBJECTOR)
    assert (await object_to(anonymous, nid, name=decomposed)).status_code == 201
    [o] = (await world.committee.awards.get(f"/nominations/{nid}/objections")).json()["items"]
    assert o["name"] == unicodedata.normalize("NFC", OBJECTOR)


async def _publish_received(stack: Stack, received: events.ObjectionReceived) -> None:
    env = events.envelope(received, producer="events", aggregate_id=received.id, version=1)
    nc = await nats.connect(stack.nats_url)
    try:
        js = nc.jetstream()
        await js.publish(env.type, events.encode(env), headers={"Nats-Msg-Id": str(env.id)})
    finally:
        await nc.close()


async def test_objections_from_the_events_service_are_filed_once(
    world: World, stack: Stack, db: asyncpg.Connection
) -> None:
    _, _, n = await on_notice(world)
    nid = uuid.UUID(n["id"])
    received = events.ObjectionReceived(
        id=uuid.uuid4(),
        nomination_id=nid,
        name="Hoàng Thị Em",
        contact="em.hoang@example.vn",
        content="Thành tích kê khai chưa đúng.",
        received_at=datetime.now(UTC),
    )
    await _publish_received(stack, received)

    async def filed() -> bool:
        return bool(await db.fetchval("SELECT count(*) FROM objections WHERE id = $1", received.id))

    await eventually(filed, timeout=10)
    # Sent again (a new envelope, as a republish would): filed once.
    await _publish_received(stack, received)
    # A late one, after the window (its last day moved to yesterday): still filed, for the committee to see.
    await move_window(db, n["id"], vn_today() - timedelta(days=1))
    late = events.ObjectionReceived(
        id=uuid.uuid4(),
        nomination_id=nid,
        name="Võ Văn Gấm",
        contact="0987 000 111",
        content="Muộn nhưng cần xem.",
        received_at=datetime.now(UTC),
    )
    await _publish_received(stack, late)

    async def late_filed() -> bool:
        return bool(await db.fetchval("SELECT count(*) FROM objections WHERE id = $1", late.id))

    await eventually(late_filed, timeout=10)
    got = (await world.committee.awards.get(f"/nominations/{n['id']}/objections")).json()["items"]
    assert [(o["id"], o["source"], o["contact"]) for o in got] == [
        (str(received.id), "events", "em.hoang@example.vn"),
        (str(late.id), "events", "0987 000 111"),
    ]
    counted = await db.fetchval(
        "SELECT count(*) FROM outbox WHERE subject = 'awards.objection.filed' AND convert_from(payload, 'UTF8') LIKE $1",
        f"%{received.id}%",
    )
    assert counted == 1
    # The decision waits for them.
    refused = assert_problem(await world.committee.awards.post("/decisions", json=decision_body([n["id"]])), 409)
    assert "2 unresolved" in refused["detail"]


async def test_a_republish_restates_the_notice_and_its_objections_without_their_authors(
    world: World, anonymous: Api, db: asyncpg.Connection
) -> None:
    _, _, n = await on_notice(world, days=5)
    assert (await object_to(anonymous, n["id"])).status_code == 201
    restated: list[tuple[events.EventData, Any, int]] = []
    async for items in snapshot(db, batch=50):
        restated += [(data, agg, version) for data, agg, version in items]
    approved = [d for d, agg, _ in restated if isinstance(d, events.NominationApproved) and str(agg) == n["id"]]
    assert [(a.approved_on, a.comment_until) for a in approved] == [(vn_today(), window_end(vn_today(), 5))]
    objections = [
        (d, version)
        for d, _, version in restated
        if isinstance(d, events.ObjectionState) and str(d.nomination_id) == n["id"]
    ]
    assert [(type(d), d.status, version) for d, version in objections] == [(events.ObjectionFiled, "open", 1)]
    text = json.dumps([msgspec.to_builtins(d) for d, _ in objections], ensure_ascii=False)
    assert OBJECTOR not in text and CONTACT not in text and CONTENT not in text
