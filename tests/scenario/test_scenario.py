"""The source scenario end to end: Bình Thuận, August 2014, loaded through HTTP and NATS.

The loader acts as the province's users would (admin, the committees'
officers, the standing committee) against the three services running as
separate processes; these tests then look only at what the public sees.
Other suites share the stack, so everything is filtered by the scenario's own
campaigns and province, never by global counts.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import docx
import httpx
import pytest

from tests.scenario.conftest import Loaded, thidua
from tests.support import ADMIN_PASSWORD, Api, Stack
from thidua.demo import build_plan, load_scenario
from thidua.demo.live import live_plan
from thidua.demo.scenario import DEMO_MARK

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

PLAN = build_plan()
CATEGORY = {c.code: (p.code, c) for p in PLAN.campaigns for c in p.categories}


async def all_items(client: httpx.AsyncClient, path: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        resp = await client.get(path, params={**params, "limit": 200, **({"cursor": cursor} if cursor else {})})
        assert resp.status_code == 200, resp.text
        body = resp.json()
        items += body["items"]
        if not (cursor := body["next_cursor"]):
            return items


async def test_the_load_creates_the_whole_scenario(scenario: Loaded) -> None:
    # How long it takes is printed by the loader and measured by hand, not asserted here.
    assert scenario.result.loaded
    # 520 units (one import), 18 accounts, 270 people, 2 campaigns, 3 categories, 310 nominations,
    # 310 x 3 first votes, 2 decisions, 1 ceremony; then the live review: 1 campaign, 2 categories,
    # 7 nominations, their first votes and 1 objection (councils and recusals answer 200).
    live = live_plan(PLAN)
    first_votes = sum(b in ("yes", "no") for n in live.nominations for b in n.ballots)
    assert first_votes == 14
    live_created = 1 + len(live.categories) + len(live.nominations) + first_votes + 1
    # The directive: 1, and its programmes and sessions as two imported files.
    directive_created = 1 + 2
    assert (
        scenario.result.created
        == 1 + 18 + 270 + 2 + 3 + directive_created + 310 + 310 * len(PLAN.members) + 2 + 1 + live_created
    )


async def test_the_honour_roll_shows_40_20_and_250_under_the_right_campaigns(scenario: Loaded, anonymous: Api) -> None:
    result = scenario.result
    seen: Counter[tuple[str, str, str]] = Counter()
    for campaign_code, campaign_id in result.campaign_ids.items():
        for h in await all_items(anonymous.events, "/honorees", campaign_id=campaign_id):
            assert h["campaign"]["id"] == campaign_id
            code = next(k for k, v in result.category_ids.items() if v == h["category"]["id"])
            seen[(campaign_code, code, h["kind"])] += 1
            assert h["form"] == "Biểu dương"
            assert h["decision_number"].endswith(DEMO_MARK)
            assert h["ceremony"]["id"] == result.ceremony_id
            if h["kind"] == "individual":
                assert h["name"].endswith(DEMO_MARK), h  # generated people are plainly demo data
            assert h["unit_name"]
    assert seen == {
        ("DVK-2014", "DVK-TT", "collective"): 40,
        ("DVK-2014", "DVK-CN", "individual"): 20,
        ("HCM-2014", "HCM-CN", "individual"): 250,
    }
    campaigns = {c: (await anonymous.awards.get(f"/campaigns/{i}")).json() for c, i in result.campaign_ids.items()}
    assert campaigns["DVK-2014"]["name"] == "Dân vận khéo năm 2014"
    assert campaigns["HCM-2014"]["name"] == "Học tập và làm theo tấm gương đạo đức Hồ Chí Minh năm 2014"
    for campaign in campaigns.values():
        assert campaign["status"] == "closed"
        for category in campaign["categories"]:
            assert category["quota"] == category["held"] == PLAN.counts[category["code"]]
            assert category["name"] == CATEGORY[category["code"]][1].name


async def test_the_province_holds_15_committees_and_504_grassroots_organisations(
    scenario: Loaded, anonymous: Api
) -> None:
    province_id = scenario.result.province_id
    province = (await anonymous.units.get(f"/units/{province_id}")).json()
    assert (province["code"], province["name"], province["parent_id"]) == ("TU-BT", "Tỉnh ủy Bình Thuận", None)
    units = await all_items(anonymous.units, "/units", under_id=province_id)
    assert len(units) == 1 + 15 + 504
    committees = await all_items(anonymous.units, "/units", parent_id=province_id)
    assert sorted(c["name"] for c in committees) == sorted(c.name for c in PLAN.committees)
    assert {c["kind"] for c in committees} == {"party_committee"}
    committee_ids = {c["id"] for c in committees}
    grassroots = [u for u in units if u["kind"] == "grassroots_party_org"]
    assert len(grassroots) == 504
    assert all(g["parent_id"] in committee_ids and g["name"].endswith(DEMO_MARK) for g in grassroots)
    # Spread over every committee, not piled under one.
    assert len({g["parent_id"] for g in grassroots}) == 15


async def test_the_ceremony_of_the_standing_committee_with_its_counts(scenario: Loaded, anonymous: Api) -> None:
    resp = await anonymous.events.get(f"/ceremonies/{scenario.result.ceremony_id}")
    assert resp.status_code == 200, resp.text
    ceremony = resp.json()
    assert ceremony["status"] == "held"
    assert ceremony["title"].startswith("Gặp mặt biểu dương")
    assert ceremony["host_unit"]["id"] == scenario.result.province_id
    assert {c["id"] for c in ceremony["campaigns"]} == set(scenario.result.campaign_ids.values())
    counts = ceremony["honorees"]
    assert counts["total"] == 310
    assert counts["by_kind"] == {"collective": 40, "individual": 270}
    by_category = {c["category"]["id"]: c["total"] for c in counts["by_category"]}
    assert by_category == {scenario.result.category_ids[code]: n for code, n in PLAN.counts.items()}


async def test_the_directive_s_implementation_is_the_source_report_s(scenario: Loaded, anonymous: Api) -> None:
    """The report's every figure, from what the units reported and the roll: 15/15 committees, 504 grassroots
    organisations, 472 sessions reaching 53,486 people, 40 + 20 + 250 honoured."""
    directive_id = scenario.result.directive_id
    assert directive_id
    directive = (await anonymous.events.get(f"/directives/{directive_id}")).json()
    assert (directive["code"], directive["issued_on"]) == ("20-NQ/TU", "2013-08-07")
    assert directive["issuing_unit_id"] == scenario.result.province_id
    assert directive["issuing_unit_name"] == "Tỉnh ủy Bình Thuận"
    assert directive["implements"].startswith("Nghị quyết số 25-NQ/TW ngày 03/6/2013")
    dvk, hcm = scenario.result.campaign_ids["DVK-2014"], scenario.result.campaign_ids["HCM-2014"]
    assert directive["campaign_ids"] == [dvk, hcm]

    resp = await anonymous.events.get(f"/directives/{directive_id}/implementation")
    assert resp.status_code == 200, resp.text
    assert resp.json() == {
        "programmes": {
            "party_committee": {"done": 15, "of": 15},
            "grassroots_party_org": {"done": 504, "of": 504},
        },
        "sessions": {"count": 472, "attendees": 53486},
        "honoured": {
            "collectives": 40,
            "individuals": 270,
            "by_campaign": [
                {"campaign_id": dvk, "name": "Dân vận khéo năm 2014", "collectives": 40, "individuals": 20},
                {
                    "campaign_id": hcm,
                    "name": "Học tập và làm theo tấm gương đạo đức Hồ Chí Minh năm 2014",
                    "collectives": 0,
                    "individuals": 250,
                },
            ],
        },
        "missing": [],
    }
    programmes = await all_items(anonymous.events, f"/directives/{directive_id}/programmes")
    assert len(programmes) == 519 and all(p["number"].endswith(DEMO_MARK) for p in programmes)
    sessions = await all_items(anonymous.events, f"/directives/{directive_id}/sessions")
    assert len(sessions) == 472 and sum(s["attendees"] for s in sessions) == 53486
    assert all(s["title"].endswith(DEMO_MARK) for s in sessions)


async def test_the_one_year_report_in_word_writes_the_source_s_figures(scenario: Loaded, anonymous: Api) -> None:
    """The .docx an office edits and signs, opened by python-docx: the figures as the source report writes them."""
    resp = await anonymous.events.get(f"/directives/{scenario.result.directive_id}/report.docx?on=2014-08-28")
    assert resp.status_code == 200, resp.text[:300]
    assert resp.headers["content-type"].startswith(DOCX)
    document = docx.Document(io.BytesIO(resp.content))
    cells = (cell.text for table in document.tables for row in table.rows for cell in row.cells)
    text = "\n".join([*(p.text for p in document.paragraphs), *cells])
    for written in (
        "15/15 đảng bộ trực thuộc và 504 tổ chức cơ sở đảng",
        "472 buổi",
        "53.486 lượt",
        "40 tập thể, 20 cá nhân",
        "250 cá nhân",
        "ngày 28/8/2014",
    ):
        assert written in text, written


async def test_nominations_came_from_the_officers_of_the_nominees_own_committees(scenario: Loaded, admin: Api) -> None:
    committee_of = {}
    for committee in PLAN.committees:
        for code in committee.grassroots:
            committee_of[code] = committee
    units = {u["id"]: u for u in await all_items(admin.units, "/units", under_id=scenario.result.province_id)}
    nominations = []
    for campaign_id in scenario.result.campaign_ids.values():
        nominations += await all_items(admin.awards, "/nominations", campaign_id=campaign_id)
    assert len(nominations) == 310
    for n in nominations:
        assert n["status"] == "granted"
        assert n["submitted_by_name"] == committee_of[units[n["unit_id"]]["code"]].officer
        assert n["tally"] == {"approve": len(PLAN.members), "reject": 0, "total": len(PLAN.members)}


async def test_a_second_load_creates_nothing(scenario: Loaded, stack: Stack, anonymous: Api) -> None:
    out = io.StringIO()
    again = await load_scenario(
        {name: stack.url(name) for name in ("units", "awards", "events")}, admin_password=None, out=out
    )
    assert not again.loaded
    assert again.created == 0
    assert "already loaded" in out.getvalue()
    assert again.campaign_ids == scenario.result.campaign_ids
    assert again.ceremony_id == scenario.result.ceremony_id
    assert again.directive_id == scenario.result.directive_id
    total = 0
    for campaign_id in scenario.result.campaign_ids.values():
        total += len(await all_items(anonymous.events, "/honorees", campaign_id=campaign_id))
    assert total == 310
    assert len(await all_items(anonymous.units, "/units", under_id=scenario.result.province_id)) == 520


async def test_export_honorees_as_csv_for_excel(scenario: Loaded, stack: Stack, tmp_path: Path) -> None:
    out = tmp_path / "bang-vang.csv"
    ids = list(scenario.result.campaign_ids.values())

    ran = await thidua(stack, "export-honorees", "--out", out, *(f"--campaign-id={i}" for i in ids))

    assert ran.code == 0, ran.stderr
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.count(b"\xef\xbb\xbf") == 1
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert len(body) == 310
    assert sum(1 for r in rows if r == header) == 1
    assert header[0] == "STT" and [r[0] for r in body] == [str(n) for n in range(1, 311)]  # numbering runs on
    assert "wrote 310 honourees" in ran.stderr
    text = data.decode("utf-8")
    assert "Dân vận khéo năm 2014" in text
    assert "Cá nhân tiêu biểu trong học tập và làm theo tấm gương đạo đức Hồ Chí Minh" in text
    assert "Chi bộ cơ sở số" in text
    assert ADMIN_PASSWORD not in text


async def test_export_of_one_campaign_is_the_services_csv_byte_for_byte(
    scenario: Loaded, stack: Stack, anonymous: Api
) -> None:
    campaign_id = scenario.result.campaign_ids["DVK-2014"]

    ran = await thidua(stack, "export-honorees", f"--campaign-id={campaign_id}", "--kind=individual")

    assert ran.code == 0, ran.stderr
    direct = await anonymous.events.get("/honorees.csv", params={"campaign_id": campaign_id, "kind": "individual"})
    assert ran.stdout.encode("utf-8") == direct.content
    assert len(list(csv.reader(io.StringIO(ran.stdout.removeprefix("\ufeff"))))) == 1 + 20


@pytest.fixture
async def chair(stack: Stack, scenario: Loaded) -> AsyncIterator[Api]:
    """The standing committee's first member, who chairs the demo's councils."""
    api = await Api.login(stack, PLAN.members[0], scenario.result.password)
    yield api
    await api.aclose()


async def test_the_2014_categories_say_how_the_standing_committee_decided(
    scenario: Loaded, anonymous: Api, chair: Api
) -> None:
    for campaign_id in scenario.result.campaign_ids.values():
        campaign = (await anonymous.awards.get(f"/campaigns/{campaign_id}")).json()
        for k in campaign["categories"]:
            assert (k["pass_mark"], k["secret_ballot"], k["comment_working_days"]) == (
                {"more_than_percent": 50},
                False,
                0,
            )
        council = await chair.awards.get(f"/campaigns/{campaign_id}/council")
        assert council.status_code == 200, council.text
        assert len(council.json()["member_account_ids"]) == len(PLAN.members)


async def test_a_campaign_of_this_year_is_left_in_review_with_a_live_ballot_and_a_notice(
    scenario: Loaded, anonymous: Api, chair: Api
) -> None:
    live = live_plan(PLAN)
    page = (await anonymous.awards.get("/campaigns", params={"q": live.code})).json()["items"]
    campaign = next(c for c in page if c["code"] == live.code)
    nominations = (await chair.awards.get("/nominations", params={"campaign_id": campaign["id"], "limit": 200})).json()[
        "items"
    ]
    by_status = Counter(n["status"] for n in nominations)
    assert by_status == {"approved": 3, "submitted": 3, "returned": 1}
    # The approved ones are on public notice, and no decision may include them yet.
    notices = (await anonymous.awards.get("/notices", params={"campaign_id": campaign["id"]})).json()["items"]
    approved = [n for n in nominations if n["status"] == "approved"]
    assert {x["nomination_id"] for x in notices} == {n["id"] for n in approved}
    refused = await chair.awards.post(
        "/decisions",
        json={
            "number": "99-QĐ/TU (thử)",
            "signed_on": "2026-12-01",
            "signer": "Thử",
            "nomination_ids": [approved[0]["id"]],
        },
    )
    assert refused.status_code == 409, refused.text
    # The ballot that cannot pass: one yes, one no, one member recused; more than half of 2 is not reached.
    pending = [n for n in nominations if n["status"] == "submitted"]
    tallies = [
        (await chair.awards.get(f"/nominations/{n['id']}/votes")).json()
        for n in nominations
        if n["status"] == "submitted"
    ]
    blocked = next(t for t in tallies if t["recused"] == 1)
    assert (blocked["yes"], blocked["no"], blocked["entitled"]) == (1, 1, 2)
    nid = next(n["id"] for n, t in zip(pending, tallies, strict=True) if t is blocked)
    assert (await chair.awards.post(f"/nominations/{nid}/approve")).status_code == 409
    # The secret ballot names nobody.
    secret = [t for t in tallies if t["secret_ballot"]]
    assert secret and all("votes" not in t for t in secret)
