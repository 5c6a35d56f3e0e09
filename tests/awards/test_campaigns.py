"""Campaigns and their categories: who may create and change them, what they answer, what they announce."""

from __future__ import annotations

import unicodedata
import uuid
from typing import Any

from shared import events
from tests.support import Api, Stack, code, eventually

from .conftest import World
from .helpers import assert_problem, campaign, category, nominate
from .test_events import read_events


async def test_committee_creates_a_campaign_anyone_reads_it(world: World, anonymous: Api) -> None:
    created = await campaign(
        world.committee, world.province["id"], year=2019, starts_on="2019-02-01", ends_on="2019-11-30"
    )
    assert created["status"] == "open" and created["version"] == 1 and created["categories"] == []
    assert created["year"] == 2019 and created["starts_on"] == "2019-02-01"  # earlier years are entered the same way
    resp = await anonymous.awards.get(f"/campaigns/{created['id']}")
    assert resp.status_code == 200
    assert resp.json()["code"] == created["code"]


async def test_admin_creates_a_campaign_officer_and_anonymous_cannot(world: World, anonymous: Api) -> None:
    await campaign(world.admin, world.province["id"])
    body = {"code": code("PT"), "name": "X", "organizer_unit_id": world.province["id"], "year": 2025}
    assert_problem(await world.officer_district.awards.post("/campaigns", json=body), 403)
    assert_problem(await anonymous.awards.post("/campaigns", json=body), 401)
    bad_token = Api(world.admin.stack, "not-a-token")
    try:
        assert_problem(await bad_token.awards.post("/campaigns", json=body), 401)
    finally:
        await bad_token.aclose()


async def test_categories_are_listed_in_the_campaign_with_their_quota(world: World, anonymous: Api) -> None:
    c = await campaign(world.committee, world.province["id"])
    collective = await category(world.committee, c["id"], "collective", quota=3, form="Bằng khen")
    individual = await category(world.admin, c["id"], "individual", quota=5, form="Giấy khen")
    assert collective["held"] == 0 and collective["remaining"] == 3
    got = (await anonymous.awards.get(f"/campaigns/{c['id']}")).json()
    assert [k["id"] for k in got["categories"]] == [collective["id"], individual["id"]]
    assert got["categories"][1]["nominee_kind"] == "individual" and got["categories"][1]["form"] == "Giấy khen"
    assert got["version"] == 3  # created, then one category, then another


async def test_category_rules(world: World) -> None:
    c = await campaign(world.committee, world.province["id"])
    k = await category(world.committee, c["id"], code="BK-01")
    body = {"code": "bk-01", "name": "Trùng", "nominee_kind": "collective", "quota": 1, "form": "Bằng khen"}
    assert_problem(await world.committee.awards.post(f"/campaigns/{c['id']}/categories", json=body), 409, "code")
    assert_problem(
        await world.officer_a.awards.post(f"/campaigns/{c['id']}/categories", json={**body, "code": "x"}), 403
    )
    assert_problem(
        await world.committee.awards.post(f"/campaigns/{uuid.uuid4()}/categories", json={**body, "code": "x"}), 404
    )
    for bad in ({"nominee_kind": "family"}, {"quota": -1}, {"form": ""}, {"name": "   "}, {"form": "x" * 101}):
        resp = await world.committee.awards.post(
            f"/campaigns/{c['id']}/categories", json={**body, "code": code("Z"), **bad}
        )
        assert_problem(resp, 400)
    # The quota can be changed, never below the places held.
    patched = await world.committee.awards.patch(f"/campaigns/{c['id']}/categories/{k['id']}", json={"quota": 7})
    assert patched.status_code == 200 and patched.json()["quota"] == 7
    assert_problem(await world.committee.awards.patch(f"/campaigns/{c['id']}/categories/{k['id']}", json={}), 400)


async def test_campaign_code_is_unique_and_input_is_checked(world: World) -> None:
    c = await campaign(world.committee, world.province["id"])
    assert_problem(
        await world.committee.awards.post(
            "/campaigns",
            json={"code": c["code"].lower(), "name": "Khác", "organizer_unit_id": world.province["id"], "year": 2025},
        ),
        409,
        "code",
    )
    base = {"code": code("PT"), "name": "Tên", "organizer_unit_id": world.province["id"], "year": 2025}
    bads: list[dict[str, Any]] = [
        {"year": 1800},
        {"code": "có dấu"},
        {"code": ""},
        {"name": "x" * 301},
        {"name": "a\x00b"},
        {"organizer_unit_id": "not-a-uuid"},
        {"starts_on": "2025-05-01", "ends_on": "2025-01-01"},
        {"unexpected": 1},
        {"starts_on": "2025-13-01"},
    ]
    for bad in bads:
        assert_problem(await world.committee.awards.post("/campaigns", json={**base, **bad}), 400)
    missing = dict(base)
    del missing["name"]
    assert_problem(await world.committee.awards.post("/campaigns", json=missing), 400)
    assert_problem(
        await world.committee.awards.post("/campaigns", json={**base, "organizer_unit_id": str(uuid.uuid4())}),
        404,
        "organizer_unit_id",
    )
    # Names come NFC-normalised whatever the client sent.
    nfd = unicodedata.normalize("NFD", "Thi đua Quyết thắng")
    made = await campaign(world.committee, world.province["id"], name=nfd)
    assert made["name"] == unicodedata.normalize("NFC", nfd)


async def test_close_and_open(world: World, anonymous: Api) -> None:
    c = await campaign(world.committee, world.province["id"])
    closed = await world.committee.awards.post(f"/campaigns/{c['id']}/close")
    assert closed.status_code == 200 and closed.json()["status"] == "closed" and closed.json()["version"] == 2
    again = await world.admin.awards.post(f"/campaigns/{c['id']}/close")
    assert again.status_code == 200 and again.json()["version"] == 2  # nothing changed
    assert_problem(await world.officer_a.awards.post(f"/campaigns/{c['id']}/open"), 403)
    assert_problem(await anonymous.awards.post(f"/campaigns/{c['id']}/open"), 401)
    opened = await world.committee.awards.post(f"/campaigns/{c['id']}/open")
    assert opened.json()["status"] == "open" and opened.json()["version"] == 3
    assert_problem(await world.committee.awards.post(f"/campaigns/{uuid.uuid4()}/close"), 404)


async def test_list_filters_and_pages(world: World, anonymous: Api) -> None:
    year = 2003
    tag = uuid.uuid4().hex[:6]
    made = [await campaign(world.committee, world.province["id"], year=year, name=f"Đợt {tag} {i}") for i in range(5)]
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"year": year, "q": f"dot {tag}", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        resp = await anonymous.awards.get("/campaigns", params=params)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        seen += [c["id"] for c in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == [c["id"] for c in made]  # by name within the year, each once
    assert_problem(await anonymous.awards.get("/campaigns", params={"cursor": "garbage!"}), 400, "cursor")
    assert_problem(await anonymous.awards.get("/campaigns", params={"limit": 0}), 400)
    closed = (await anonymous.awards.get("/campaigns", params={"status": "closed", "year": year})).json()
    assert closed["items"] == []


async def test_how_a_category_is_decided_is_set_at_creation_and_by_patch(
    world: World, anonymous: Api, stack: Stack
) -> None:
    c = await campaign(world.committee, world.province["id"])
    plain = await category(world.committee, c["id"])
    assert (plain["pass_mark"], plain["secret_ballot"], plain["comment_working_days"]) == (None, False, 0)
    k = await category(
        world.committee,
        c["id"],
        "individual",
        pass_mark={"at_least_percent": 90},
        secret_ballot=True,
        comment_working_days=10,
    )
    assert (k["pass_mark"], k["secret_ballot"], k["comment_working_days"]) == ({"at_least_percent": 90}, True, 10)
    url = f"/campaigns/{c['id']}/categories"
    base = {"code": "X1", "name": "Cá nhân", "nominee_kind": "individual", "quota": 1, "form": "Bằng khen"}
    for bad, field in (
        ({"pass_mark": {}}, "pass_mark"),
        ({"pass_mark": {"at_least_percent": 90, "more_than_percent": 50}}, "pass_mark"),
        ({"pass_mark": {"more_than_percent": 100}}, "pass_mark.more_than_percent"),
        ({"pass_mark": {"at_least_percent": 0}}, "pass_mark.at_least_percent"),
        ({"pass_mark": {"at_least_percent": 101}}, "pass_mark.at_least_percent"),
        ({"pass_mark": {"half": 1}}, "pass_mark"),
        ({"comment_working_days": -1}, "comment_working_days"),
        ({"comment_working_days": 61}, "comment_working_days"),
        ({"secret_ballot": "yes"}, "secret_ballot"),
    ):
        assert_problem(await world.committee.awards.post(url, json={**base, **bad}), 400, field)
    listed = (await anonymous.awards.get(f"/campaigns/{c['id']}")).json()["categories"]
    assert [x["id"] for x in listed] == [plain["id"], k["id"]]  # nothing half-written
    assert listed[1]["pass_mark"] == {"at_least_percent": 90}
    # PATCH changes any field; null removes the pass mark.
    kurl = f"{url}/{plain['id']}"
    patched = await world.committee.awards.patch(
        kurl,
        json={"pass_mark": {"more_than_percent": 50}, "comment_working_days": 5, "code": "TT-1", "form": "Giấy khen"},
    )
    assert patched.status_code == 200, patched.text
    p = patched.json()
    assert (p["pass_mark"], p["comment_working_days"], p["code"], p["form"]) == (
        {"more_than_percent": 50},
        5,
        "TT-1",
        "Giấy khen",
    )
    assert (await world.committee.awards.patch(kurl, json={"pass_mark": None})).json()["pass_mark"] is None
    assert_problem(await world.committee.awards.patch(kurl, json={"code": k["code"]}), 409, "code")
    assert_problem(await world.officer_a.awards.patch(kurl, json={"secret_ballot": True}), 403)
    # Once nominated, a category keeps its kind; once voted on, the secrecy of its ballot.
    n = await nominate(world.officer_a, plain["id"], unit_id=world.commune_a["id"])
    assert_problem(await world.committee.awards.patch(kurl, json={"nominee_kind": "individual"}), 409, "nominee_kind")
    assert (await world.committee.awards.patch(kurl, json={"secret_ballot": True})).status_code == 200
    assert (await world.committee.awards.patch(kurl, json={"secret_ballot": False})).status_code == 200
    vote = await world.committee.awards.post(f"/nominations/{n['id']}/votes", json={"approve": True})
    assert vote.status_code in (200, 201), vote.text
    assert_problem(await world.committee.awards.patch(kurl, json={"secret_ballot": True}), 409, "secret_ballot")
    # The campaign's newest event carries each category's rules to the other services (once the relay has
    # published the last change's event: read until it is there).
    expected = {("TT-1", None, None, False, 5), (k["code"], "at_least", 90, True, 10)}
    rules: set[tuple[object, ...]] = set()

    async def newest_rules() -> bool:
        nonlocal rules
        got = await read_events(stack, "awards.campaign.>", {c["id"]})
        newest = max((env for env, _ in got), key=lambda env: env.version)
        assert isinstance(newest.data, events.CampaignState)
        rules = {
            (x.code, x.pass_mark_rule, x.pass_mark_percent, x.secret_ballot, x.comment_working_days)
            for x in newest.data.categories
        }
        return rules == expected

    await eventually(newest_rules, timeout=10)
    assert rules == expected


async def test_a_secret_ballot_stays_secret_once_cast(world: World) -> None:
    c = await campaign(world.committee, world.province["id"])
    k = await category(world.committee, c["id"], secret_ballot=True)
    n = await nominate(world.officer_a, k["id"], unit_id=world.commune_a["id"])
    cast = await world.committee.awards.post(f"/nominations/{n['id']}/votes", json={"approve": False})
    assert cast.status_code == 201, cast.text
    kurl = f"/campaigns/{c['id']}/categories/{k['id']}"
    assert_problem(await world.committee.awards.patch(kurl, json={"secret_ballot": False}), 409, "secret_ballot")
