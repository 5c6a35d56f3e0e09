"""Eligibility through the service: rules on a category, the refusal naming the failed check, the checks
with their reasons, dates on both sides of an effective date, the share of a unit at submission and at
approval, the revocation's cascade, and who may see what."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from tests.support import Api

from .conftest import World
from .helpers import assert_problem, campaign, category, decide, nomination_body, person_here, unit_here

LDTT = "Lao động tiên tiến"
CSTDCS = "Chiến sĩ thi đua cơ sở"
CITE = "Luật Thi đua, khen thưởng 2003 (sửa đổi, bổ sung năm 2013), Điều 23 khoản 1"


def requires_ldtt(**extra: Any) -> dict:
    return {"kind": "requires_award", "title": LDTT, "within_years": 0, "citation": CITE, **extra}


async def titles_csv(admin: Api, lines: list[str]) -> Any:
    body = "kind,unit_code,full_name,person_id,title,year\n" + "\n".join(lines) + "\n"
    return await admin.awards.post(
        "/titles/import", files={"file": ("titles.csv", ("\ufeff" + body).encode(), "text/csv")}
    )


async def granted(world: World, unit: dict, person: dict, title: str, year: int) -> str:
    """A granted award of `title` in `year` for `person`: a campaign, a category conferring it, a decision."""
    c = await campaign(world.committee, world.province["id"], year=year, starts_on=None, ends_on=None)
    cat = await category(world.committee, c["id"], "individual", name=f"{title} năm {year}", title=title)
    resp = await world.admin.awards.post("/nominations", json=nomination_body(cat["id"], person_id=person["id"]))
    assert resp.status_code == 201, resp.text
    n = resp.json()
    resp = await world.committee.awards.post(f"/nominations/{n['id']}/approve")
    assert resp.status_code == 200, resp.text
    await decide(world.committee, [n["id"]], signed_on=f"{year}-12-20")
    return n["id"]


async def fresh_people(world: World, *names: str) -> tuple[dict, list[dict]]:
    unit = await unit_here(world.admin, name=f"Chi bộ thử {uuid.uuid4().hex[:6]}", parent_id=world.commune_a["id"])
    people = [await person_here(world.admin, unit["id"], full_name=n) for n in names]
    return unit, people


async def test_rules_are_kept_on_the_category_and_hostile_ones_refused_naming_the_field(world: World) -> None:
    c = await campaign(world.committee, world.province["id"], year=2014)
    cat = await category(world.committee, c["id"], "individual", rules=[requires_ldtt()], title=CSTDCS)
    assert cat["rules"] == [{**requires_ldtt(), "effective_from": None, "effective_until": None}]
    assert cat["title"] == CSTDCS
    shown = (await world.committee.awards.get(f"/campaigns/{c['id']}")).json()
    assert shown["categories"][0]["rules"] == cat["rules"]

    url = f"/campaigns/{c['id']}/categories"
    for rules, field in [
        ([{"kind": "magic", "citation": CITE}], "rules[0].kind"),
        ([requires_ldtt(), {"kind": "holds_title", "title": LDTT, "years": -3, "citation": CITE}], "rules[1].years"),
        ([{"kind": "share_of_unit", "max_percent": 150, "of_title": LDTT, "citation": CITE}], "rules[0].max_percent"),
        ([{"kind": "holds_title", "title": LDTT, "years": 2}], "rules[0].citation"),
        ([7], "rules[0]"),
    ]:
        body = {
            "code": f"X{uuid.uuid4().hex[:6]}",
            "name": "Thử",
            "nominee_kind": "individual",
            "quota": 3,
            "form": "Danh hiệu",
        }
        resp = await world.committee.awards.post(url, json={**body, "rules": rules})
        problem = assert_problem(resp, 400)
        assert field in [e["field"] for e in problem["errors"]], problem
    # A share of a unit's people makes no sense for collectives.
    body = {"code": "TT1", "name": "Tập thể", "nominee_kind": "collective", "quota": 3, "form": "Bằng khen"}
    share = {"kind": "share_of_unit", "max_percent": 15, "of_title": LDTT, "citation": CITE}
    assert_problem(await world.committee.awards.post(url, json={**body, "rules": [share]}), 400)

    # PATCH replaces the rules; an officer may not.
    patch_url = f"/campaigns/{c['id']}/categories/{cat['id']}"
    resp = await world.committee.awards.patch(patch_url, json={"rules": []})
    assert resp.status_code == 200 and resp.json()["rules"] == [], resp.text
    assert_problem(await world.committee.awards.patch(patch_url, json={"rules": [{"kind": "x"}]}), 400)
    assert (await world.officer_a.awards.patch(patch_url, json={"rules": []})).status_code == 403


async def test_submission_refused_naming_the_failed_check_then_allowed_once_the_title_is_known(world: World) -> None:
    unit, [person] = await fresh_people(world, "Phạm Thị Dung")
    c = await campaign(world.committee, world.province["id"], year=2014)
    cat = await category(world.committee, c["id"], "individual", rules=[requires_ldtt()], name=CSTDCS)

    resp = await world.admin.awards.post("/nominations", json=nomination_body(cat["id"], person_id=person["id"]))
    problem = assert_problem(resp, 409)
    assert problem["type"] == "/problems/ineligible"
    assert [e["field"] for e in problem["errors"]] == ["rules[0]"]
    assert "Chưa có Lao động tiên tiến năm 2014: không đạt" in problem["errors"][0]["message"]
    assert CITE in problem["errors"][0]["message"]
    assert "Phạm Thị Dung" in problem["detail"]

    # The office imports its 2014 list: now the nominee holds the title, and the nomination goes in.
    resp = await titles_csv(world.admin, [f"individual,{unit['code']},Phạm Thị Dung,,{LDTT},2014"])
    assert resp.status_code == 200 and resp.json() == {"imported": 1, "unchanged": 0}, resp.text
    resp = await world.admin.awards.post("/nominations", json=nomination_body(cat["id"], person_id=person["id"]))
    assert resp.status_code == 201, resp.text
    nomination = resp.json()

    answer = await world.committee.awards.get(f"/nominations/{nomination['id']}/eligibility")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["eligible"] is True and body["reference_date"] == "2014-01-01"
    [check] = body["checks"]
    assert check["passed"] is True and check["citation"] == CITE and check["rule"]["kind"] == "requires_award"
    assert check["reason"] == "Đã có Lao động tiên tiến năm 2014 (danh sách nhập): đạt"

    # Who may read it: the officers of its unit and above it, the committee, admin; not another subtree.
    assert (await world.officer_district.awards.get(f"/nominations/{nomination['id']}/eligibility")).status_code == 200
    assert (await world.officer_other.awards.get(f"/nominations/{nomination['id']}/eligibility")).status_code == 403
    anonymous = Api(world.admin.stack)
    try:
        assert (await anonymous.awards.get(f"/nominations/{nomination['id']}/eligibility")).status_code == 401
    finally:
        await anonymous.aclose()
    assert (await world.committee.awards.get(f"/nominations/{uuid.uuid4()}/eligibility")).status_code == 404


async def test_a_rule_applies_from_its_effective_date_on(world: World) -> None:
    """The same category's rule, in force from 2014-01-01: a 2013 campaign is not checked by it, a 2014 one is."""
    unit, [person] = await fresh_people(world, "Võ Văn Em")
    rule = {"kind": "holds_title", "title": LDTT, "years": 2, "consecutive": True, "citation": CITE}
    rules = [{**rule, "effective_from": "2014-01-01"}]
    before = await category(
        world.committee,
        (await campaign(world.committee, world.province["id"], year=2013))["id"],
        "individual",
        rules=rules,
    )
    after = await category(
        world.committee,
        (await campaign(world.committee, world.province["id"], year=2014))["id"],
        "individual",
        rules=rules,
    )
    resp = await world.admin.awards.post("/nominations", json=nomination_body(before["id"], person_id=person["id"]))
    assert resp.status_code == 201, resp.text
    checks = (await world.committee.awards.get(f"/nominations/{resp.json()['id']}/eligibility")).json()
    assert checks == {**checks, "eligible": True, "checks": [], "reference_date": "2013-01-01"}

    resp = await world.admin.awards.post("/nominations", json=nomination_body(after["id"], person_id=person["id"]))
    problem = assert_problem(resp, 409)
    assert "Không có danh hiệu Lao động tiên tiến năm 2012, 2013" in problem["errors"][0]["message"]
    # 2012 from the award history of this service, 2013 imported: consecutive, so eligible.
    await granted(world, unit, person, LDTT, 2012)
    assert (await titles_csv(world.admin, [f"individual,,,{person['id']},{LDTT},2013"])).status_code == 200
    resp = await world.admin.awards.post("/nominations", json=nomination_body(after["id"], person_id=person["id"]))
    assert resp.status_code == 201, resp.text
    [check] = (await world.committee.awards.get(f"/nominations/{resp.json()['id']}/eligibility")).json()["checks"]
    assert check["reason"] == "Có danh hiệu Lao động tiên tiến 2 năm liên tục 2012, 2013: đạt"


async def test_share_of_unit_at_submission_and_at_approval(world: World) -> None:
    names = [f"Người thứ {i}" for i in range(10)]
    unit, people = await fresh_people(world, *names)
    # 10 holders of LĐTT in 2024; at most 20% of them (2) nominated.
    lines = [f"individual,,,{p['id']},{LDTT},2024" for p in people]
    assert (await titles_csv(world.admin, lines)).json() == {"imported": 10, "unchanged": 0}
    share = {"kind": "share_of_unit", "max_percent": 20, "of_title": LDTT, "citation": "Quy chế thử, Điều 5"}
    c = await campaign(world.committee, world.province["id"], year=2024)
    cat = await category(world.committee, c["id"], "individual", quota=10, rules=[share])
    made = []
    for p in people[:2]:
        resp = await world.admin.awards.post("/nominations", json=nomination_body(cat["id"], person_id=p["id"]))
        assert resp.status_code == 201, resp.text
        made.append(resp.json()["id"])
    resp = await world.admin.awards.post("/nominations", json=nomination_body(cat["id"], person_id=people[2]["id"]))
    problem = assert_problem(resp, 409)
    assert (
        "3 đề nghị trên 10 người có danh hiệu Lao động tiên tiến năm 2024 (tối đa 20% = 2): không đạt"
        in (problem["errors"][0]["message"])
    )
    # A withdrawn nomination frees its share: the third goes in; then three are live, two places.
    assert (await world.admin.awards.post(f"/nominations/{made[1]}/withdraw")).status_code == 200
    resp = await world.admin.awards.post("/nominations", json=nomination_body(cat["id"], person_id=people[2]["id"]))
    assert resp.status_code == 201, resp.text
    made.append(resp.json()["id"])
    # Two submitted at once could both pass: here, a third goes in while the rule is lifted for a moment.
    rules_url = f"/campaigns/{c['id']}/categories/{cat['id']}"
    assert (await world.committee.awards.patch(rules_url, json={"rules": []})).status_code == 200
    resp = await world.admin.awards.post("/nominations", json=nomination_body(cat["id"], person_id=people[1]["id"]))
    assert resp.status_code == 201, resp.text
    made.append(resp.json()["id"])
    assert (await world.committee.awards.patch(rules_url, json={"rules": [share]})).status_code == 200
    # Approval counts the places held: two approvals pass, the third is refused naming the share.
    for n in (made[0], made[2]):
        assert (await world.committee.awards.post(f"/nominations/{n}/approve")).status_code == 200
    problem = assert_problem(await world.committee.awards.post(f"/nominations/{made[3]}/approve"), 409)
    assert problem["type"] == "/problems/ineligible" and "(tối đa 20% = 2): không đạt" in problem["detail"]
    # Nothing of the refused approval stayed: the place was given back, the nomination is still submitted.
    shown = (await world.committee.awards.get(f"/campaigns/{c['id']}")).json()["categories"][0]
    assert shown["held"] == 2
    assert (await world.committee.awards.get(f"/nominations/{made[3]}")).json()["status"] == "submitted"


async def test_revoking_an_award_puts_what_relied_on_it_before_the_committee(world: World) -> None:
    unit, [person, other] = await fresh_people(world, "Đặng Thị Giang", "Hồ Văn Hải")
    ldtt = await granted(world, unit, person, LDTT, 2014)
    # CSTĐCS 2014 requires LĐTT 2014: submitted, approved and granted, relying on that award.
    c = await campaign(world.committee, world.province["id"], year=2014)
    cat = await category(world.committee, c["id"], "individual", name=CSTDCS, rules=[requires_ldtt()])
    resp = await world.admin.awards.post("/nominations", json=nomination_body(cat["id"], person_id=person["id"]))
    assert resp.status_code == 201, resp.text
    cstdcs = resp.json()["id"]
    [check] = (await world.committee.awards.get(f"/nominations/{cstdcs}/eligibility")).json()["checks"]
    assert check["passed"] and "Đã có Lao động tiên tiến năm 2014 (quyết định" in check["reason"]
    assert (await world.committee.awards.post(f"/nominations/{cstdcs}/approve")).status_code == 200
    await decide(world.committee, [cstdcs])

    deps = await world.committee.awards.get(f"/awards/{ldtt}/dependents")
    assert deps.status_code == 200, deps.text
    [dep] = deps.json()["items"]
    assert dep["nomination_id"] == cstdcs and dep["status"] == "granted" and dep["review_item_id"] is None
    assert (await world.officer_a.awards.get(f"/awards/{ldtt}/dependents")).status_code == 403

    resp = await world.committee.awards.post(f"/awards/{ldtt}/revoke", json={"reason": "Kê khai thành tích không đúng"})
    assert resp.status_code == 200, resp.text
    # The dependent award stands, and is before the committee with the reason.
    assert (await world.committee.awards.get(f"/awards/{cstdcs}")).json()["status"] == "granted"
    items = [i for i in (await world.committee.awards.get("/reviews")).json()["items"] if i["nomination_id"] == cstdcs]
    [item] = items
    assert item["status"] == "open" and item["cause_award_id"] == ldtt and item["name"] == "Đặng Thị Giang"
    assert "dựa vào Lao động tiên tiến năm 2014" in item["reason"] and "Kê khai thành tích không đúng" in item["reason"]
    [dep] = (await world.committee.awards.get(f"/awards/{ldtt}/dependents")).json()["items"]
    assert dep["review_item_id"] == item["id"] and dep["review_status"] == "open"

    # The item went out as an event, in the revocation's transaction.
    conn = await asyncpg.connect(world.admin.stack.db_url("awards"))
    try:
        sent = await conn.fetchval(
            "SELECT count(*) FROM outbox WHERE subject = 'awards.review.opened' AND convert_from(payload, 'UTF8') LIKE '%' || $1 || '%'",
            item["id"],
        )
        assert sent == 1
    finally:
        await conn.close()

    # Officers do not see the committee's queue; the committee resolves an item once.
    assert (await world.officer_a.awards.get("/reviews")).status_code == 403
    assert (
        await world.admin.awards.post(f"/reviews/{item['id']}/resolve", json={"resolution": "x"})
    ).status_code == 403
    resp = await world.committee.awards.post(f"/reviews/{item['id']}/resolve", json={"resolution": "Giữ khen thưởng"})
    assert resp.status_code == 200 and resp.json()["status"] == "resolved", resp.text
    assert_problem(await world.committee.awards.post(f"/reviews/{item['id']}/resolve", json={"resolution": "y"}), 409)
    resolved = (await world.committee.awards.get("/reviews", params={"status": "resolved"})).json()["items"]
    assert item["id"] in [i["id"] for i in resolved]
    # A live nomination relying on an award is flagged as well, and revoking again opens nothing twice.
    other_ldtt = await granted(world, unit, other, LDTT, 2014)
    resp = await world.admin.awards.post("/nominations", json=nomination_body(cat["id"], person_id=other["id"]))
    assert resp.status_code == 201, resp.text
    pending = resp.json()["id"]
    assert (
        await world.committee.awards.post(f"/awards/{other_ldtt}/revoke", json={"reason": "Sai"})
    ).status_code == 200
    assert await _open_item_for(world, pending)


async def _open_item_for(world: World, nomination_id: str) -> bool:
    items = (await world.committee.awards.get("/reviews")).json()["items"]
    return any(i["nomination_id"] == nomination_id and i["nomination_status"] == "submitted" for i in items)


async def test_rule_presets_are_public_and_cited(world: World) -> None:
    anonymous = Api(world.admin.stack)
    try:
        resp = await anonymous.awards.get("/rules/presets")
    finally:
        await anonymous.aclose()
    assert resp.status_code == 200
    items = {p["title"]: p["rules"] for p in resp.json()["items"]}
    assert items[CSTDCS][0]["citation"] == CITE
    # A preset goes onto a category as it is.
    c = await campaign(world.committee, world.province["id"], year=2014)
    cat = await category(world.committee, c["id"], "individual", rules=items["Chiến sĩ thi đua cấp tỉnh"])
    assert cat["rules"][0]["kind"] == "holds_title" and cat["rules"][0]["effective_until"] == "2024-01-01"


async def test_checks_of_several_nominations_at_once_within_the_callers_reach(world: World) -> None:
    unit, [person] = await fresh_people(world, "Mai Văn Nam")
    c = await campaign(world.committee, world.province["id"], year=2014)
    cat = await category(world.committee, c["id"], "individual", rules=[])
    resp = await world.admin.awards.post("/nominations", json=nomination_body(cat["id"], person_id=person["id"]))
    assert resp.status_code == 201, resp.text
    nid = resp.json()["id"]
    await world.committee.awards.patch(
        f"/campaigns/{c['id']}/categories/{cat['id']}", json={"rules": [requires_ldtt()]}
    )
    params = [("nomination_id", nid), ("nomination_id", str(uuid.uuid4())), ("nomination_id", nid)]
    [one] = (await world.committee.awards.get("/eligibility", params=params)).json()["items"]
    assert one["nomination_id"] == nid and one["eligible"] is False
    # The same checks in the list itself when asked (the review queue), and not otherwise.
    listed = {"category_id": cat["id"], "include": "eligibility"}
    [item] = (await world.committee.awards.get("/nominations", params=listed)).json()["items"]
    assert item["eligibility"] == one
    [plain] = (await world.committee.awards.get("/nominations", params={"category_id": cat["id"]})).json()["items"]
    assert "eligibility" not in plain
    assert_problem(await world.committee.awards.get("/nominations", params={**listed, "include": "votes"}), 400)
    assert (await world.officer_other.awards.get("/eligibility", params=params)).json()["items"] == []
    assert [
        i["nomination_id"] for i in (await world.officer_a.awards.get("/eligibility", params=params)).json()["items"]
    ] == [nid]
    assert_problem(await world.committee.awards.get("/eligibility"), 400)
    assert_problem(await world.committee.awards.get("/eligibility", params={"nomination_id": "x"}), 400)
    too_many: list[tuple[str, str | int | float | bool | None]] = [
        ("nomination_id", str(uuid.uuid4())) for _ in range(201)
    ]
    assert_problem(await world.committee.awards.get("/eligibility", params=too_many), 400)
    assert (
        await world.committee.awards.post(f"/reviews/{uuid.uuid4()}/resolve", json={"resolution": "x"})
    ).status_code == 404
    assert_problem(await world.committee.awards.post(f"/reviews/{uuid.uuid4()}/resolve", json={}), 400)
    assert (await world.committee.awards.get(f"/awards/{nid}/dependents")).status_code == 404  # not an award


async def test_a_returned_nomination_is_checked_again_when_resubmitted(world: World) -> None:
    """Rules added while a nomination was back with its unit apply when it is sent again."""
    unit, [person] = await fresh_people(world, "Lưu Thị Ngọc")
    c = await campaign(world.committee, world.province["id"], year=2014)
    cat = await category(world.committee, c["id"], "individual", rules=[])
    resp = await world.admin.awards.post("/nominations", json=nomination_body(cat["id"], person_id=person["id"]))
    assert resp.status_code == 201, resp.text
    nid = resp.json()["id"]
    returned = await world.committee.awards.post(f"/nominations/{nid}/return", json={"reason": "Bổ sung hồ sơ"})
    assert returned.status_code == 200, returned.text
    patched = await world.committee.awards.patch(
        f"/campaigns/{c['id']}/categories/{cat['id']}", json={"rules": [requires_ldtt()]}
    )
    assert patched.status_code == 200, patched.text
    refused = assert_problem(await world.officer_a.awards.post(f"/nominations/{nid}/resubmit"), 409)
    assert any("Lao động tiên tiến" in e["message"] for e in refused["errors"]), refused
    assert (await world.admin.awards.get(f"/nominations/{nid}")).json()["status"] == "returned"
    # Once the title is known, it goes.
    imported = await titles_csv(world.admin, [f"individual,,,{person['id']},Lao động tiên tiến,2014"])
    assert imported.status_code == 200, imported.text
    again = await world.officer_a.awards.post(f"/nominations/{nid}/resubmit")
    assert again.status_code == 200 and again.json()["status"] == "submitted", again.text
