"""Directives on the events service, over HTTP on the real stack: a committee issues one for its campaigns,
units report their programmes and sessions (one by one, or a file by the admin), and the implementation's
figures follow at once, counted on the unit tree's copy and the honour roll."""

from __future__ import annotations

import asyncio
import io
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any

import asyncpg
import openpyxl
import pytest

from services.events.directives import service
from tests.events.conftest import Bus, Source, new_source, settle
from tests.support import Api, Stack, code, eventually, in_copy

ISSUED = date(2013, 8, 7)


@dataclass
class Tree:
    """A province, two district committees under it, grassroots organisations under them, one mass
    organisation, and a unit outside the province."""

    province: dict[str, Any]
    districts: list[dict[str, Any]]
    grassroots: list[dict[str, Any]]
    mass: dict[str, Any]
    outsider: dict[str, Any]

    @property
    def below(self) -> list[dict[str, Any]]:
        return [*self.districts, *self.grassroots, self.mass]


async def tree(stack: Stack, admin: Api) -> Tree:
    province = await admin.unit("Tỉnh ủy Thử Nghiệm", kind="party_committee")
    d1 = await admin.unit("Huyện ủy Bắc", parent_id=province["id"], kind="party_committee")
    d2 = await admin.unit("Huyện ủy Nam", parent_id=province["id"], kind="party_committee")
    g = [
        await admin.unit("Chi bộ xã An", parent_id=d1["id"]),
        await admin.unit("Chi bộ xã Bình", parent_id=d1["id"]),
        await admin.unit("Chi bộ xã Cường", parent_id=d2["id"]),
    ]
    mass = await admin.unit("Hội Nông dân huyện Nam", parent_id=d2["id"], kind="mass_organization")
    outsider = await admin.unit("Tỉnh ủy Khác", kind="party_committee")
    for u in (province, d1, d2, *g, mass, outsider):
        await eventually(partial(in_copy, stack, "events", u["id"]))
    return Tree(province, [d1, d2], g, mass, outsider)


async def every_page(api: Api, path: str, limit: int, **params: str) -> list[dict[str, Any]]:
    """Every item of a listing of the events service, `limit` a page, following `next_cursor`."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = (
            await api.events.get(path, params={"limit": limit, **params, **({"cursor": cursor} if cursor else {})})
        ).json()
        items += page["items"]
        if not (cursor := page["next_cursor"]):
            return items


def directive_body(t: Tree, *campaigns: Source, **extra: Any) -> dict[str, Any]:
    return {
        "code": code("CTHĐ"),
        "title": "Chương trình hành động thực hiện Nghị quyết 25-NQ/TW",
        "implements": "Nghị quyết 25-NQ/TW ngày 03/6/2013 của Ban Chấp hành Trung ương",
        "issuing_unit_id": t.province["id"],
        "issued_on": ISSUED.isoformat(),
        "campaign_ids": [str(c.campaign_id) for c in campaigns],
        **extra,
    }


def programme(unit: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"unit_id": unit["id"], "number": "05-CTr/HU", "issued_on": "2013-09-10", "title": "Chương trình", **extra}


def session(unit: dict[str, Any], attendees: Any = 100, **extra: Any) -> dict[str, Any]:
    return {
        "unit_id": unit["id"],
        "held_on": "2013-10-02",
        "kind": "study",
        "title": "Hội nghị quán triệt Nghị quyết 25-NQ/TW",
        "attendees": attendees,
        **extra,
    }


@pytest.fixture(scope="module")
async def units(stack: Stack, admin: Api) -> Tree:
    return await tree(stack, admin)


@pytest.fixture
async def directive(committee: Api, units: Tree, source: Source) -> dict[str, Any]:
    resp = await committee.events.post("/directives", json=directive_body(units, source))
    assert resp.status_code == 201, resp.text
    return resp.json()


@pytest.fixture
async def events_db(stack: Stack) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(stack.db_url("events"))
    try:
        yield conn
    finally:
        await conn.close()


async def figures(anonymous: Api, directive: dict[str, Any]) -> dict[str, Any]:
    resp = await anonymous.events.get(f"/directives/{directive['id']}/implementation")
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def is_problem(resp: Any, status: int) -> bool:
    return resp.status_code == status and resp.headers["content-type"].startswith("application/problem+json")


# ------------------------------------------------------------------ issuing
async def test_a_directive_is_issued_by_the_committee_and_read_by_anyone(
    committee: Api, admin: Api, anonymous: Api, units: Tree, source: Source, bus: Bus
) -> None:
    other = await new_source(bus, anonymous.events)
    body = directive_body(units, source, other)
    created = await committee.events.post("/directives", json=body)
    assert created.status_code == 201, created.text
    d = created.json()
    assert d["code"] == body["code"] and d["issuing_unit_name"] == "Tỉnh ủy Thử Nghiệm"
    assert d["campaign_ids"] == [str(source.campaign_id), str(other.campaign_id)]
    assert d["issued_on"] == "2013-08-07"
    assert (await anonymous.events.get(f"/directives/{d['id']}")).json() == d
    assert d in await every_page(anonymous, "/directives", 200)

    # The same code, in another case: 409. The admin may issue too.
    again = await admin.events.post("/directives", json={**directive_body(units), "code": body["code"].lower()})
    assert is_problem(again, 409), again.text
    # Unknown ids are named, every one of them.
    unknown_unit, unknown_campaign = uuid.uuid4(), uuid.uuid4()
    bad = await committee.events.post(
        "/directives",
        json=directive_body(units, source, issuing_unit_id=str(unknown_unit))
        | {"campaign_ids": [str(source.campaign_id), str(unknown_campaign)]},
    )
    assert is_problem(bad, 400), bad.text
    fields = {e["field"]: e["message"] for e in bad.json()["errors"]}
    assert set(fields) == {"issuing_unit_id", "campaign_ids[1]"}
    assert str(unknown_unit) in fields["issuing_unit_id"] and str(unknown_campaign) in fields["campaign_ids[1]"]
    # Only the committee and the admin issue.
    officer = await admin.as_new("officer", units.province["id"])
    try:
        assert (await officer.events.post("/directives", json=directive_body(units))).status_code == 403
    finally:
        await officer.aclose()
    assert (await anonymous.events.post("/directives", json=directive_body(units))).status_code == 401
    assert is_problem(await anonymous.events.get(f"/directives/{uuid.uuid4()}"), 404)


# ------------------------------------------------------------------ figures
async def test_the_figures_follow_every_report_and_award_at_once(
    admin: Api, anonymous: Api, units: Tree, source: Source, directive: dict[str, Any]
) -> None:
    start = await figures(anonymous, directive)
    assert start == {
        "programmes": {
            "grassroots_party_org": {"done": 0, "of": 3},
            "mass_organization": {"done": 0, "of": 1},
            "party_committee": {"done": 0, "of": 2},
        },
        "sessions": {"count": 0, "attendees": 0},
        "honoured": {
            "collectives": 0,
            "individuals": 0,
            "by_campaign": [
                {
                    "campaign_id": str(source.campaign_id),
                    "name": source.campaign.name,
                    "collectives": 0,
                    "individuals": 0,
                }
            ],
        },
        # The higher first, then in Vietnamese order; never the issuing unit itself.
        "missing": [
            {"id": u["id"], "name": u["name"], "kind": u["kind"]}
            for u in (*units.districts, *units.grassroots, units.mass)
        ],
    }

    d1 = units.districts[0]
    assert (await admin.events.post(f"/directives/{directive['id']}/programmes", json=programme(d1))).status_code == 201
    g = units.grassroots[2]
    answer = await admin.events.post(f"/directives/{directive['id']}/programmes", json=programme(g))
    assert answer.status_code == 201, answer.text
    assert answer.json()["unit_name"] == g["name"] and answer.json()["number"] == "05-CTr/HU"
    for n in (120, 35):
        assert (
            await admin.events.post(f"/directives/{directive['id']}/sessions", json=session(g, n))
        ).status_code == 201
    # The issuing unit holds sessions too (its own conference).
    own = await admin.events.post(f"/directives/{directive['id']}/sessions", json=session(units.province, 400))
    assert own.status_code == 201, own.text

    kept = [await source.grant(f"Nguyễn Văn Gương {i}") for i in range(3)]
    team = await source.grant("Chi bộ xã An", kind="collective")
    await source.revoke(kept[0].award_id)
    await settle(anonymous.events, source)

    now = await figures(anonymous, directive)  # no wait: each figure is counted when asked
    assert now["programmes"] == {
        "grassroots_party_org": {"done": 1, "of": 3},
        "mass_organization": {"done": 0, "of": 1},
        "party_committee": {"done": 1, "of": 2},
    }
    assert now["sessions"] == {"count": 3, "attendees": 555}
    assert now["honoured"]["collectives"] == 1 and now["honoured"]["individuals"] == 2
    assert now["honoured"]["by_campaign"][0]["individuals"] == 2
    assert {m["id"] for m in now["missing"]} == {u["id"] for u in units.below} - {d1["id"], g["id"]}
    assert team.name


async def test_the_report_s_interface_counts_by_district_and_by_month(
    admin: Api, units: Tree, directive: dict[str, Any], events_db: asyncpg.Connection
) -> None:
    path = f"/directives/{directive['id']}"
    for unit in (units.districts[0], units.grassroots[0], units.grassroots[2]):
        assert (await admin.events.post(f"{path}/programmes", json=programme(unit))).status_code == 201
    for held_on, n in (("2013-09-03", 10), ("2013-09-28", 20), ("2014-01-15", 7)):
        resp = await admin.events.post(f"{path}/sessions", json=session(units.grassroots[1], n, held_on=held_on))
        assert resp.status_code == 201, resp.text

    did = uuid.UUID(directive["id"])
    got = await service.get_directive(events_db, did)
    assert got.code == directive["code"] and got.issuing_unit_name == units.province["name"]
    by_district = await service.coverage_by_district(events_db, did)
    assert [(c.name, c.done, c.of) for c in by_district] == [("Huyện ủy Bắc", 2, 3), ("Huyện ủy Nam", 1, 3)]
    months = await service.sessions_by_month(events_db, did)
    assert [(m.month, m.count, m.attendees) for m in months] == [(date(2013, 9, 1), 2, 30), (date(2014, 1, 1), 1, 7)]
    whole = await service.implementation(events_db, did)
    assert sum(c.of for c in by_district) == sum(c.of for c in whole.programmes.values())
    assert whole.sessions.attendees == 37
    with pytest.raises(Exception, match="does not exist"):
        await service.implementation(events_db, uuid.uuid4())


# ------------------------------------------------------------------ who reports what
async def test_an_officer_reports_for_its_own_subtree_only_and_once_per_unit(
    admin: Api, committee: Api, units: Tree, directive: dict[str, Any]
) -> None:
    path = f"/directives/{directive['id']}"
    d1, d2 = units.districts
    officer = await admin.as_new("officer", d1["id"])
    try:
        mine = units.grassroots[0]
        assert (await officer.events.post(f"{path}/programmes", json=programme(mine))).status_code == 201
        assert (await officer.events.post(f"{path}/sessions", json=session(mine))).status_code == 201
        # A unit of another district: 403, for programmes and sessions alike.
        theirs = units.grassroots[2]
        refused = await officer.events.post(f"{path}/programmes", json=programme(theirs))
        assert is_problem(refused, 403), refused.text
        assert is_problem(await officer.events.post(f"{path}/sessions", json=session(theirs)), 403)
        assert is_problem(await officer.events.post(f"{path}/programmes", json=programme(d2)), 403)
        # A second programme for a unit: 409, whoever sends it.
        second = await officer.events.post(f"{path}/programmes", json=programme(mine, number="06-CTr"))
        assert is_problem(second, 409), second.text
        assert is_problem(await admin.events.post(f"{path}/programmes", json=programme(mine)), 409)
    finally:
        await officer.aclose()
    # The committee issues; it does not report for units.
    assert (await committee.events.post(f"{path}/programmes", json=programme(d2))).status_code == 403
    # The issuing unit's programme is the directive; a unit outside it or unknown is no report of it.
    for unit_id in (units.province["id"], units.outsider["id"], str(uuid.uuid4())):
        bad = await admin.events.post(f"{path}/programmes", json={**programme(d2), "unit_id": unit_id})
        assert is_problem(bad, 400), bad.text
        assert bad.json()["errors"][0]["field"] == "unit_id"
    assert is_problem(await admin.events.post(f"{path}/sessions", json=session(units.outsider)), 400)
    # Before the directive's day: no programme carries it out yet.
    early = await admin.events.post(f"{path}/programmes", json=programme(d2, issued_on="2013-08-06"))
    assert is_problem(early, 400) and early.json()["errors"][0]["field"] == "issued_on"
    assert (
        await admin.events.post(f"{path}/programmes", json=programme(d2, issued_on="2013-08-07"))
    ).status_code == 201


async def test_two_programmes_for_one_unit_at_once_make_one(admin: Api, units: Tree, directive: dict[str, Any]) -> None:
    path = f"/directives/{directive['id']}/programmes"
    answers = await asyncio.gather(*(admin.events.post(path, json=programme(units.mass)) for _ in range(8)))
    assert sorted(a.status_code for a in answers) == [201] + [409] * 7


async def test_attendees_from_one_to_a_million(admin: Api, units: Tree, directive: dict[str, Any]) -> None:
    path = f"/directives/{directive['id']}/sessions"
    for bad in (0, -1, -1_000_000, 1_000_001, 10**30, 1.5, "mười", "", None, True, [5]):
        resp = await admin.events.post(path, json=session(units.grassroots[0], bad))
        assert is_problem(resp, 400), (bad, resp.text)
    for good in (1, 1_000_000):
        assert (await admin.events.post(path, json=session(units.grassroots[0], good))).status_code == 201
    for kind in ("lecture", "", "STUDY"):
        assert is_problem(await admin.events.post(path, json=session(units.grassroots[0], kind=kind)), 400)
    for kind in ("training", "dialogue", "other"):
        assert (await admin.events.post(path, json=session(units.grassroots[0], kind=kind))).status_code == 201


async def test_fifty_sessions_reported_at_once_add_up_exactly(
    admin: Api, anonymous: Api, units: Tree, directive: dict[str, Any]
) -> None:
    path = f"/directives/{directive['id']}/sessions"
    sizes = [17 * i + 3 for i in range(50)]
    officers = [await admin.as_new("officer", d["id"]) for d in units.districts]
    try:
        targets = [units.grassroots[i % 2] if i % 3 else units.grassroots[2] for i in range(50)]
        callers = [officers[0] if t in units.grassroots[:2] else officers[1] for t in targets]
        answers = await asyncio.gather(
            *(c.events.post(path, json=session(t, n)) for c, t, n in zip(callers, targets, sizes, strict=True))
        )
    finally:
        for o in officers:
            await o.aclose()
    assert [a.status_code for a in answers] == [201] * 50, [a.text for a in answers if a.status_code != 201]
    assert len({a.json()["id"] for a in answers}) == 50
    assert (await figures(anonymous, directive))["sessions"] == {"count": 50, "attendees": sum(sizes)}


# ------------------------------------------------------------------ files from the admin
def csv_file(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8-sig")


def xlsx_file(rows: list[list[Any]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_programmes_from_a_file_all_checked_before_any_is_written(
    admin: Api, anonymous: Api, units: Tree, directive: dict[str, Any]
) -> None:
    path = f"/directives/{directive['id']}/programmes/import"
    g0, g1, g2 = (u["code"] for u in units.grassroots)
    d1 = units.districts[0]["code"]
    bad = csv_file(
        "Mã đơn vị;Số;Ngày;Tên",
        f"{g0};01-CTr/CB;15/9/2013;Chương trình hành động",  # row 2: good
        "NO-SUCH-UNIT;02-CTr;2013-09-15;Chương trình",  # row 3: unknown unit
        f"{g1};03-CTr;31/02/2013;Chương trình",  # row 4: no such day
        f"{units.outsider['code']};04-CTr;2013-09-15;Chương trình",  # row 5: outside the province
        f"{g0};05-CTr;2013-09-15;Chương trình",  # row 6: the same unit again
        f"{g2};06-CTr;2013-07-01;",  # row 7: before the directive, no title
        f"{units.province['code']};07-CTr;2013-09-15;Chương trình",  # row 8: the issuing unit
    )
    refused = await admin.events.post(path, files={"file": ("chuong-trinh.csv", bad, "text/csv")})
    assert is_problem(refused, 400), refused.text
    fields = {e["field"] for e in refused.json()["errors"]}
    assert fields == {
        "rows[3].unit_code",
        "rows[4].issued_on",
        "rows[5].unit_code",
        "rows[6].unit_code",
        "rows[7].issued_on",
        "rows[7].title",
        "rows[8].unit_code",
    }
    assert (await figures(anonymous, directive))["programmes"]["grassroots_party_org"]["done"] == 0

    good = xlsx_file(
        [
            ["unit_code", "number", "issued_on", "title"],
            [g0, "01-CTr/CB", date(2013, 9, 15), "Chương trình hành động của chi bộ"],
            [d1, "05-CTr/HU", "2013-08-20", "Chương trình hành động của huyện ủy"],
        ]
    )
    xlsx_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    imported = await admin.events.post(path, files={"file": ("chuong-trinh.xlsx", good, xlsx_type)})
    assert imported.status_code == 201, imported.text
    assert imported.json() == {"created": 2}
    now = await figures(anonymous, directive)
    assert now["programmes"]["grassroots_party_org"]["done"] == 1 and now["programmes"]["party_committee"]["done"] == 1
    # Sent again: every unit has one already, each named; nothing changes.
    again = await admin.events.post(path, files={"file": ("chuong-trinh.xlsx", good, xlsx_type)})
    assert is_problem(again, 409), again.text
    assert {e["field"] for e in again.json()["errors"]} == {"rows[2].unit_code", "rows[3].unit_code"}
    # Listed a page at a time, each once; or one unit's.
    listed = await every_page(anonymous, f"/directives/{directive['id']}/programmes", 1)
    assert sorted(p["number"] for p in listed) == ["01-CTr/CB", "05-CTr/HU"]
    mine = await every_page(
        anonymous, f"/directives/{directive['id']}/programmes", 1, unit_id=units.grassroots[0]["id"]
    )
    assert [(p["number"], p["unit_name"]) for p in mine] == [("01-CTr/CB", "Chi bộ xã An")]
    # Only the admin imports.
    officer = await admin.as_new("officer", units.province["id"])
    try:
        assert (await officer.events.post(path, files={"file": ("x.csv", bad, "text/csv")})).status_code == 403
    finally:
        await officer.aclose()


async def test_sessions_from_a_file(admin: Api, anonymous: Api, units: Tree, directive: dict[str, Any]) -> None:
    path = f"/directives/{directive['id']}/sessions/import"
    g0, g1 = units.grassroots[0]["code"], units.grassroots[1]["code"]
    bad = csv_file(
        "unit_code,held_on,kind,title,attendees",
        f"{g0},2013-09-01,study,Quán triệt,120",
        f"{g0},2013-09-02,lecture,Quán triệt,120",  # row 3: kind
        f"{g1},2013-09-02,Tập huấn,Tập huấn,0",  # row 4: attendees
        f"{g1},2013-09-02,training,Tập huấn,1000001",  # row 5: attendees
        f"{g1},2013-09-02,training,Tập huấn,abc",  # row 6: attendees
        ",2013-09-02,training,Tập huấn,5",  # row 7: no unit
        f"{g1},hôm qua,other,Khác,5",  # row 8: no date
    )
    refused = await admin.events.post(path, files={"file": ("buoi-hoc.csv", bad, "text/csv")})
    assert is_problem(refused, 400), refused.text
    assert {e["field"] for e in refused.json()["errors"]} == {
        "rows[3].kind",
        "rows[4].attendees",
        "rows[5].attendees",
        "rows[6].attendees",
        "rows[7].unit_code",
        "rows[8].held_on",
    }
    good = csv_file(
        "unit_code,held_on,kind,title,attendees",
        f"{g0},2013-09-01,study,Quán triệt,120",
        f"{g1},02/09/2013,Tập huấn,Tập huấn nghiệp vụ,1.234",
        f'{units.province["code"]},2013-08-20,Đối thoại,Đối thoại với nhân dân,"2,000"',
    )
    # The body itself may be the CSV.
    imported = await admin.events.post(path, content=good, headers={"Content-Type": "text/csv"})
    assert imported.status_code == 201, imported.text
    assert imported.json() == {"created": 3}
    assert (await figures(anonymous, directive))["sessions"] == {"count": 3, "attendees": 120 + 1234 + 2000}
    listed = (await anonymous.events.get(f"/directives/{directive['id']}/sessions")).json()["items"]
    assert sorted(s["kind"] for s in listed) == ["dialogue", "study", "training"]
    # A page at a time, in the same order; or one unit's.
    assert await every_page(anonymous, f"/directives/{directive['id']}/sessions", 1) == listed
    mine = await every_page(anonymous, f"/directives/{directive['id']}/sessions", 1, unit_id=units.province["id"])
    assert [(s["attendees"], s["unit_name"]) for s in mine] == [(2000, "Tỉnh ủy Thử Nghiệm")]


# ------------------------------------------------------------------ hostile input
async def test_hostile_input_is_refused_never_a_500(
    admin: Api, committee: Api, units: Tree, directive: dict[str, Any]
) -> None:
    path = f"/directives/{directive['id']}"
    bodies: list[Any] = [
        directive_body(units) | {"code": "x" * 101},
        directive_body(units) | {"title": "A\x00B"},
        directive_body(units) | {"title": "   "},
        directive_body(units) | {"issued_on": "2013-02-30"},
        directive_body(units) | {"issued_on": "0001-01-01"},
        directive_body(units) | {"campaign_ids": ["not-a-uuid"]},
        directive_body(units) | {"campaign_ids": [str(uuid.uuid4())] * 51},
        directive_body(units) | {"extra": 1},
        directive_body(units) | {"issuing_unit_id": 12},
        [1, 2, 3],
        "text",
    ]
    for body in bodies:
        resp = await committee.events.post("/directives", json=body)
        assert is_problem(resp, 400), (body if not isinstance(body, dict) else list(body.items())[-1], resp.text)
    assert (
        await committee.events.post("/directives", content=b"{not json", headers={"Content-Type": "application/json"})
    ).status_code == 400
    for body in (
        programme(units.mass, number="\u202e" + "x"),
        programme(units.mass, title="t" * 1001),
        programme(units.mass, issued_on="20144-01-01"),
        programme(units.mass, unit_id="'; DROP TABLE units; --"),
        {"unit_id": units.mass["id"]},
    ):
        resp = await admin.events.post(f"{path}/programmes", json=body)
        assert resp.status_code == 400, resp.text
    for files in (
        {"file": ("x.exe", b"MZ\x90\x00", "application/octet-stream")},
        {"file": ("x.xlsx", b"PK\x03\x04 not really a zip", "application/zip")},
        {"file": ("x.csv", b"\xff\xfe\x00bad", "text/csv")},
        {"file": ("x.csv", b"", "text/csv")},
        {"file": ("x.csv", b"unit_code,held_on\n", "text/csv")},
        {"file": ("x.csv", b"a,b,c\n1,2,3\n", "text/csv")},
        {"other": ("x.csv", b"a\n1\n", "text/csv")},
    ):
        for what in ("programmes", "sessions"):
            resp = await admin.events.post(f"{path}/{what}/import", files=files)
            assert is_problem(resp, 400), (what, files, resp.text)
    assert (
        await admin.events.post(f"{path}/sessions/import", content=b"x", headers={"Content-Type": "image/png"})
    ).status_code == 400
    unknown = f"/directives/{uuid.uuid4()}"
    assert is_problem(await admin.events.post(f"{unknown}/programmes", json=programme(units.mass)), 404)
    assert is_problem(await admin.events.post(f"{unknown}/sessions", json=session(units.mass)), 404)
    assert is_problem(await admin.events.get(f"{unknown}/implementation"), 404)
    assert (await admin.events.get("/directives/not-a-uuid/implementation")).status_code in (400, 404)
    assert (await admin.events.get("/directives", params={"cursor": "garbage"})).status_code == 400
