"""The dossier goes back and forth: the committee returns a nomination with a reason, its unit's officer
edits the achievements and resubmits it; and the committee corrects a campaign's name, dates and description."""

from __future__ import annotations

import uuid

from shared import events
from tests.support import Api, Stack, eventually

from .conftest import World
from .helpers import approve, assert_problem, campaign, category, nominate
from .test_events import read_events


async def test_return_needs_the_committee_a_reason_and_a_submitted_nomination(world: World, anonymous: Api) -> None:
    c = await campaign(world.committee, world.province["id"])
    k = await category(world.committee, c["id"], "collective", quota=2)
    n = await nominate(world.officer_a, k["id"], unit_id=world.commune_a["id"])
    url = f"/nominations/{n['id']}/return"
    for api, status in ((world.officer_a, 403), (world.officer_district, 403), (world.admin, 403), (anonymous, 401)):
        assert_problem(await api.awards.post(url, json={"reason": "Thiếu minh chứng"}), status)
    for body in ({}, {"reason": ""}, {"reason": "  \n "}, {"reason": "x" * 2001}, {"reason": 5}):
        assert_problem(await world.committee.awards.post(url, json=body), 400, "reason")
    assert_problem(await world.committee.awards.post(url, json={"reason": "a\x00b"}), 400)
    assert_problem(await world.committee.awards.post(f"/nominations/{uuid.uuid4()}/return", json={"reason": "x"}), 404)
    still = (await world.committee.awards.get(f"/nominations/{n['id']}")).json()
    assert (still["status"], still["version"]) == ("submitted", 1)
    returned = await world.committee.awards.post(url, json={"reason": "Thiếu minh chứng năm 2024"})
    assert returned.status_code == 200, returned.text
    assert (returned.json()["status"], returned.json()["reason"]) == ("returned", "Thiếu minh chứng năm 2024")
    # Only a submitted nomination is returned; a returned one is not voted on nor approved until it comes back.
    assert_problem(await world.committee.awards.post(url, json={"reason": "lần nữa"}), 409, "status")
    assert_problem(await world.committee.awards.post(f"/nominations/{n['id']}/votes", json={"approve": True}), 409)
    assert_problem(await world.committee.awards.post(f"/nominations/{n['id']}/approve"), 409, "status")
    # A returned nomination holds no place in the quota, but it is still the nominee's one in the category.
    held = (await anonymous.awards.get(f"/campaigns/{c['id']}")).json()["categories"][0]
    assert held["held"] == 0
    again = await world.officer_a.awards.post(
        "/nominations",
        json={"category_id": k["id"], "nominee_unit_id": world.commune_a["id"], "achievements": "Lần hai"},
    )
    assert_problem(again, 409)
    listed = (await world.committee.awards.get("/nominations", params={"status": "returned"})).json()["items"]
    assert n["id"] in {x["id"] for x in listed}
    # Approved or rejected, it is not returned any more.
    other = await nominate(world.officer_district, k["id"], unit_id=world.commune_b["id"])
    await approve(world.committee, other["id"])
    assert_problem(
        await world.committee.awards.post(f"/nominations/{other['id']}/return", json={"reason": "x"}), 409, "status"
    )


async def test_the_officer_edits_a_returned_nomination_and_resubmits_it(world: World, stack: Stack) -> None:
    c = await campaign(world.committee, world.province["id"])
    k = await category(world.committee, c["id"], "individual", quota=1)
    n = await nominate(world.officer_a, k["id"], person_id=world.person_a["id"])
    nid = n["id"]
    # Editing while submitted: an officer of its unit (or above it), no one else.
    edited = await world.officer_a.awards.patch(f"/nominations/{nid}", json={"achievements": "Bản đầu, sửa lỗi"})
    assert edited.status_code == 200, edited.text
    assert (edited.json()["achievements"], edited.json()["version"]) == ("Bản đầu, sửa lỗi", 2)
    for api, status in ((world.officer_other, 403), (world.committee, 403), (world.admin, 403)):
        assert_problem(await api.awards.patch(f"/nominations/{nid}", json={"achievements": "x"}), status)
    for body in (
        {},
        {"achievements": ""},
        {"achievements": "   "},
        {"achievements": 1},
        {"achievements": "x" * 20_001},
    ):
        assert_problem(await world.officer_a.awards.patch(f"/nominations/{nid}", json=body), 400, "achievements")
    assert_problem(
        await world.officer_a.awards.patch(f"/nominations/{nid}", json={"achievements": "x", "status": "approved"}),
        400,
    )
    assert_problem(await world.officer_a.awards.patch(f"/nominations/{uuid.uuid4()}", json={"achievements": "x"}), 404)
    # Resubmitting is for a returned nomination only.
    assert_problem(await world.officer_a.awards.post(f"/nominations/{nid}/resubmit"), 409, "status")

    reason = "Bổ sung thành tích năm 2024"
    await world.committee.awards.post(f"/nominations/{nid}/return", json={"reason": reason})
    seen = (await world.officer_a.awards.get(f"/nominations/{nid}")).json()
    assert (seen["status"], seen["reason"]) == ("returned", reason)
    new_text = "Hoàn thành xuất sắc nhiệm vụ 2024 và 2025;\nđược tặng Giấy khen năm 2024."
    edited = await world.officer_district.awards.patch(f"/nominations/{nid}", json={"achievements": new_text})
    assert edited.status_code == 200 and edited.json()["status"] == "returned", edited.text
    for api, status in ((world.officer_other, 403), (world.committee, 403), (world.admin, 403)):
        assert_problem(await api.awards.post(f"/nominations/{nid}/resubmit"), status)
    resubmitted = await world.officer_a.awards.post(f"/nominations/{nid}/resubmit")
    assert resubmitted.status_code == 200, resubmitted.text
    body = resubmitted.json()
    assert (body["status"], body["achievements"], body["version"]) == ("submitted", new_text, 5)
    assert_problem(await world.officer_a.awards.post(f"/nominations/{nid}/resubmit"), 409, "status")

    history = (await world.officer_a.awards.get(f"/nominations/{nid}/history")).json()
    assert [(h["action"], h["from_status"], h["to_status"], h["reason"]) for h in history] == [
        ("submit", None, "submitted", None),
        ("edit", "submitted", "submitted", None),
        ("return", "submitted", "returned", reason),
        ("edit", "returned", "returned", None),
        ("resubmit", "returned", "submitted", None),
    ]
    assert history[3]["actor_role"] == "officer" and history[2]["actor_role"] == "committee"

    # Back with the committee: votes and approval as for any submitted nomination; then no more editing.
    vote = await world.committee.awards.post(f"/nominations/{nid}/votes", json={"approve": True})
    assert vote.status_code == 201, vote.text
    approved = await approve(world.committee, nid)
    assert approved["status"] == "approved"
    assert_problem(await world.officer_a.awards.patch(f"/nominations/{nid}", json={"achievements": "muộn"}), 409)
    assert_problem(await world.officer_a.awards.post(f"/nominations/{nid}/resubmit"), 409)

    async def all_six() -> bool:
        return len(await read_events(stack, "awards.nomination.>", {nid})) >= 6

    await eventually(all_six)
    got = await read_events(stack, "awards.nomination.>", {nid})
    assert [(e.type, e.version) for e, _ in got] == [
        ("awards.nomination.submitted", 1),
        ("awards.nomination.updated", 2),
        ("awards.nomination.returned", 3),
        ("awards.nomination.updated", 4),
        ("awards.nomination.resubmitted", 5),
        ("awards.nomination.approved", 6),
    ]
    returned_event = got[2][0].data
    assert isinstance(returned_event, events.NominationReturned) and returned_event.reason == reason
    assert isinstance(got[4][0].data, events.NominationResubmitted) and got[4][0].data.status == "submitted"


async def test_withdrawing_a_returned_nomination_frees_the_nominee(world: World) -> None:
    c = await campaign(world.committee, world.province["id"])
    k = await category(world.committee, c["id"], "collective", quota=1)
    n = await nominate(world.officer_a, k["id"], unit_id=world.commune_a["id"])
    await world.committee.awards.post(f"/nominations/{n['id']}/return", json={"reason": "Thiếu hồ sơ"})
    withdrawn = await world.officer_a.awards.post(f"/nominations/{n['id']}/withdraw")
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn", withdrawn.text
    assert_problem(await world.officer_a.awards.patch(f"/nominations/{n['id']}", json={"achievements": "x"}), 409)
    await nominate(world.officer_a, k["id"], unit_id=world.commune_a["id"])


async def test_campaign_patch(world: World, stack: Stack, anonymous: Api) -> None:
    c = await campaign(world.committee, world.province["id"])
    url = f"/campaigns/{c['id']}"
    changed = await world.committee.awards.patch(url, json={"name": "  Phong trào đổi tên ", "ends_on": "2025-06-30"})
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["name"], body["starts_on"], body["ends_on"], body["version"]) == (
        "Phong trào đổi tên",
        "2025-01-01",
        "2025-06-30",
        2,
    )
    assert body["description"] == c["description"] and body["code"] == c["code"]
    by_admin = await world.admin.awards.patch(url, json={"description": None, "starts_on": None})
    assert by_admin.status_code == 200, by_admin.text
    assert (by_admin.json()["description"], by_admin.json()["starts_on"]) == (None, None)
    # The dates are checked against what the campaign will be, what is sent and what it keeps.
    await world.committee.awards.patch(url, json={"starts_on": "2025-03-01"})
    assert_problem(await world.committee.awards.patch(url, json={"ends_on": "2025-02-01"}), 400, "ends_on")
    assert_problem(
        await world.committee.awards.patch(url, json={"starts_on": "2025-09-01", "ends_on": "2025-08-01"}),
        400,
        "ends_on",
    )
    for body_ in (
        {},
        {"name": ""},
        {"name": None},
        {"name": "a\nb"},
        {"ends_on": "31/12/2025"},
        {"description": "x" * 5001},
        {"code": "X"},
        {"status": "closed"},
    ):
        assert_problem(await world.committee.awards.patch(url, json=body_), 400)
    assert_problem(await world.committee.awards.patch(f"/campaigns/{uuid.uuid4()}", json={"name": "x"}), 404)
    for api, status in ((world.officer_a, 403), (world.officer_district, 403), (anonymous, 401)):
        assert_problem(await api.awards.patch(url, json={"name": "x"}), status)
    now = (await anonymous.awards.get(url)).json()
    assert (now["name"], now["starts_on"], now["ends_on"], now["version"]) == (
        "Phong trào đổi tên",
        "2025-03-01",
        "2025-06-30",
        4,
    )

    async def four() -> bool:
        return len(await read_events(stack, "awards.campaign.>", {c["id"]})) == 4

    await eventually(four)
    last = (await read_events(stack, "awards.campaign.>", {c["id"]}))[-1][0]
    assert isinstance(last.data, events.CampaignUpdated) and last.version == 4
    assert (last.data.name, str(last.data.starts_on), last.data.description) == (
        "Phong trào đổi tên",
        "2025-03-01",
        None,
    )
