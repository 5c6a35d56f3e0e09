"""Ceremonies: planned by the committee for campaigns, held at a venue by a host
unit; holding one stamps each honouree it presented, and is announced."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import msgspec
import nats
from nats.js.api import ConsumerConfig, DeliverPolicy

from shared import events
from tests.events.conftest import Bus, Source, new_source, settle, whole_roll
from tests.support import Api, Stack, eventually, in_copy


async def host(stack: Stack, admin: Api) -> dict:
    unit = await admin.unit("Ủy ban nhân dân tỉnh", kind="government_agency")
    await eventually(lambda: in_copy(stack, "events", unit["id"]))
    return unit


def plan(unit: dict, *campaigns: Source, held_on: date = date(2024, 6, 1), **extra: object) -> dict:
    return {
        "title": "Lễ trao tặng Bằng khen phong trào “Dân vận khéo”",
        "held_on": held_on.isoformat(),
        "venue": "Hội trường Tỉnh ủy",
        "host_unit_id": unit["id"],
        "campaign_ids": [str(c.campaign_id) for c in campaigns],
        **extra,
    }


async def test_a_held_ceremony_stamps_the_honourees_it_presented(
    stack: Stack, admin: Api, committee: Api, bus: Bus, source: Source, anonymous: Api
) -> None:
    other = await new_source(bus, anonymous.events)
    on_time = [await source.grant(f"Nguyễn Thị Lễ {i}") for i in range(3)]
    team = await source.grant("Chi bộ Thôn Đoài", kind="collective")
    after = await source.grant("Phạm Văn Muộn", decision_date=date(2024, 7, 1))  # decided after the ceremony
    revoked = await source.grant("Trần Văn Thu Hồi")
    await other.grant("Lê Văn Khác")
    await source.revoke(revoked.award_id)
    await settle(anonymous.events, source)
    await settle(anonymous.events, other)

    unit = await host(stack, admin)
    created = await committee.events.post("/ceremonies", json=plan(unit, source))
    assert created.status_code == 201, created.text
    ceremony = created.json()
    assert ceremony["status"] == "planned" and ceremony["host_unit"] == {"id": unit["id"], "name": unit["name"]}
    assert ceremony["campaigns"][0]["name"] == source.campaign.name
    # Planned: the honourees it is to present.
    assert ceremony["honorees"]["total"] == 4
    assert ceremony["honorees"]["by_kind"] == {"collective": 1, "individual": 3}

    held = await committee.events.post(f"/ceremonies/{ceremony['id']}/hold")
    assert held.status_code == 200, held.text
    body = held.json()
    assert body["status"] == "held" and body["held_at"]
    assert body["honorees"]["by_kind"] == {"collective": 1, "individual": 3}
    by_category = {c["category"]["name"]: c for c in body["honorees"]["by_category"]}
    assert by_category["Cá nhân tiêu biểu"]["individual"] == 3 and by_category["Tập thể tiêu biểu"]["collective"] == 1

    rows = {r["name"]: r for r in await whole_roll(anonymous.events, campaign_id=str(source.campaign_id))}
    for award in (*on_time, team):
        assert rows[award.name]["ceremony"] == {
            "id": ceremony["id"],
            "title": ceremony["title"],
            "held_on": "2024-06-01",
            "venue": "Hội trường Tỉnh ủy",
        }
    assert rows[after.name]["ceremony"] is None
    presented = await whole_roll(anonymous.events, ceremony_id=ceremony["id"])
    assert {r["name"] for r in presented} == {a.name for a in (*on_time, team)}
    assert all(r["ceremony"] is None for r in await whole_roll(anonymous.events, campaign_id=str(other.campaign_id)))

    # A grant that reaches the roll after the ceremony, for a decision made before it, was presented there too.
    late = await source.grant("Hoàng Thị Đến Sau", decision_date=date(2024, 5, 30))
    await settle(anonymous.events, source)
    late_row = next(r for r in await whole_roll(anonymous.events, q="den sau") if r["award_id"] == str(late.award_id))
    assert late_row["ceremony"]["id"] == ceremony["id"]
    # A revoke after the ceremony takes it off the ceremony's count too.
    await source.revoke(on_time[0].award_id)
    await settle(anonymous.events, source)
    page = (await anonymous.events.get(f"/ceremonies/{ceremony['id']}")).json()
    assert page["honorees"]["total"] == 4 and page["honorees"]["by_kind"]["individual"] == 3

    again = await committee.events.post(f"/ceremonies/{ceremony['id']}/hold")
    assert again.status_code == 409 and again.headers["content-type"].startswith("application/problem+json")


async def test_ceremony_events_are_published(stack: Stack, admin: Api, committee: Api, source: Source) -> None:
    unit = await host(stack, admin)
    ceremony = (await committee.events.post("/ceremonies", json=plan(unit, source))).json()
    await committee.events.post(f"/ceremonies/{ceremony['id']}/hold")
    nc = await nats.connect(stack.nats_url)
    try:
        js = nc.jetstream()
        sub = await js.pull_subscribe(
            "events.ceremony.>",
            durable=None,
            stream="EVENTS",
            config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL),
        )
        seen: dict[str, events.Envelope] = {}

        async def both() -> bool:
            try:
                for msg in await sub.fetch(100, timeout=0.5):
                    env = events.decode(msg.data)
                    if env.aggregate_id == ceremony["id"]:
                        seen[env.type] = env
                    await msg.ack()
            except nats.errors.TimeoutError:
                pass
            return len(seen) == 2

        await eventually(both, timeout=10)
    finally:
        await nc.close()
    created, held = seen["events.ceremony.created"], seen["events.ceremony.held"]
    assert (created.version, held.version) == (1, 2)
    assert isinstance(held.data, events.CeremonyHeld) and held.data.status == "held"
    assert held.data.campaign_ids == (source.campaign_id,)


async def test_ceremonies_are_listed_newest_first(
    stack: Stack, admin: Api, committee: Api, source: Source, anonymous: Api
) -> None:
    unit = await host(stack, admin)
    ids = []
    for day in (1, 3, 2):
        resp = await committee.events.post("/ceremonies", json=plan(unit, source, held_on=date(2021, 3, day)))
        ids.append(resp.json()["id"])
    listed = await anonymous.events.get("/ceremonies", params={"campaign_id": str(source.campaign_id), "limit": 2})
    assert listed.status_code == 200, listed.text
    first = listed.json()
    assert [c["held_on"] for c in first["items"]] == ["2021-03-03", "2021-03-02"]
    rest = await anonymous.events.get(
        "/ceremonies", params={"campaign_id": str(source.campaign_id), "limit": 2, "cursor": first["next_cursor"]}
    )
    assert [c["id"] for c in rest.json()["items"]] == [ids[0]] and rest.json()["next_cursor"] is None
    assert (await anonymous.events.get("/ceremonies", params={"year": 2021, "status": "planned"})).status_code == 200
    one = await anonymous.events.get(f"/ceremonies/{ids[1]}")
    assert one.status_code == 200 and one.json()["held_on"] == "2021-03-03"


async def test_only_the_committee_plans_and_holds(
    stack: Stack, admin: Api, committee: Api, source: Source, anonymous: Api
) -> None:
    unit = await host(stack, admin)
    officer = await admin.as_new("officer", unit["id"])
    try:
        assert (await anonymous.events.post("/ceremonies", json=plan(unit, source))).status_code == 401
        assert (await officer.events.post("/ceremonies", json=plan(unit, source))).status_code == 403
        ceremony = (await committee.events.post("/ceremonies", json=plan(unit, source))).json()
        assert (await anonymous.events.post(f"/ceremonies/{ceremony['id']}/hold")).status_code == 401
        assert (await officer.events.post(f"/ceremonies/{ceremony['id']}/hold")).status_code == 403
        assert (await anonymous.events.get(f"/ceremonies/{ceremony['id']}")).json()["status"] == "planned"
    finally:
        await officer.aclose()


async def test_bad_ceremonies_are_refused_clearly(stack: Stack, admin: Api, committee: Api, source: Source) -> None:
    unit = await host(stack, admin)
    unknown = str(uuid.uuid4())
    cases = [
        ({**plan(unit, source), "campaign_ids": [str(source.campaign_id), unknown]}, 400, "campaign_ids[1]"),
        ({**plan(unit, source), "campaign_ids": []}, 400, None),
        ({**plan(unit, source), "host_unit_id": unknown}, 400, "host_unit_id"),
        ({**plan(unit, source), "held_on": "01/06/2024"}, 400, None),
        ({**plan(unit, source), "title": "   "}, 400, "title"),
        ({**plan(unit, source), "title": "x" * 301}, 400, None),
        ({**plan(unit, source), "secret": 1}, 400, None),
    ]
    for body, status, field in cases:
        resp = await committee.events.post("/ceremonies", json=body)
        assert resp.status_code == status, (body, resp.text)
        assert resp.headers["content-type"].startswith("application/problem+json")
        if field:
            assert field in {e["field"] for e in resp.json()["errors"]}, resp.text
    not_json = await committee.events.post("/ceremonies", content=b"{", headers={"content-type": "application/json"})
    assert not_json.status_code == 400
    # Not yet: a ceremony is held on or after its day.
    future = (
        await committee.events.post("/ceremonies", json=plan(unit, source, held_on=date.today() + timedelta(days=30)))
    ).json()
    early = await committee.events.post(f"/ceremonies/{future['id']}/hold")
    assert early.status_code == 409 and "held_on" in early.text
    assert (await committee.events.post(f"/ceremonies/{uuid.uuid4()}/hold")).status_code == 404
    assert (await committee.events.get(f"/ceremonies/{uuid.uuid4()}")).status_code == 404
    assert (await committee.events.get("/ceremonies/abc")).status_code in (400, 404)
    for params in ({"year": "abc"}, {"cursor": "garbage"}, {"status": "done"}, {"campaign_id": "x"}, {"limit": "0"}):
        resp = await committee.events.get("/ceremonies", params=params)
        assert resp.status_code == 400, (params, resp.text)


async def test_idempotency_key_plans_once(stack: Stack, admin: Api, committee: Api, source: Source) -> None:
    unit = await host(stack, admin)
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = await committee.events.post("/ceremonies", json=plan(unit, source), headers=key)
    second = await committee.events.post("/ceremonies", json=plan(unit, source), headers=key)
    assert first.status_code == second.status_code == 201
    assert msgspec.json.decode(first.content)["id"] == msgspec.json.decode(second.content)["id"]
