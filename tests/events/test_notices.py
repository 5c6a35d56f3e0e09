"""The public notice ("Niêm yết lấy ý kiến") on the events service, over HTTP on the real stack.

An approved nomination of a category with a comment window is listed from the
awards service's events until the window's last day; anyone may object from
the page, and the objection leaves through the events service's outbox as
`events.objection.received` for the awards service to file. The contact is
never in a public answer.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

import asyncpg
import httpx
import nats
import pytest

from services.events import domain
from services.events.domain import VIETNAM, NoticeState, ObjectionStatus
from shared import events
from shared.consumer import Consumer, Subscription
from tests.awards.helpers import approve, campaign, category, nominate, unit_here
from tests.browser import artifact, chromium
from tests.events.conftest import Bus, Source
from tests.events.test_statuses import allowed
from tests.support import Api, Stack, eventually

CONTACT = "0912 345 678 – nguoi.gop.y@example.vn"


def today() -> date:
    return datetime.now(UTC).astimezone(VIETNAM).date()


@pytest.fixture
async def events_db(stack: Stack) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(stack.db_url("events"))
    # Every test posts from 127.0.0.1: each starts with that address's count at zero.
    await conn.execute("DELETE FROM objection_throttle")
    try:
        yield conn
    finally:
        await conn.close()


def approved(source: Source, name: str, *, until: date | None, kind: str = "individual") -> events.NominationApproved:
    category = source.category(kind)
    return events.NominationApproved(
        id=uuid.uuid4(),
        campaign_id=source.campaign_id,
        category_id=category.id,
        nominee_kind=kind,
        nominee_name=name,
        unit_id=uuid.uuid4(),
        unit_name="Chi bộ Thôn Bắc",
        status="approved",
        approved_on=today(),
        comment_until=until,
    )


def rejected(n: events.NominationApproved) -> events.NominationRejected:
    fields = {f: getattr(n, f) for f in n.__struct_fields__ if f not in ("approved_on", "comment_until", "status")}
    return events.NominationRejected(**fields, status="rejected", reason="Chưa đạt")


async def notices(client: httpx.AsyncClient, **params: Any) -> dict[str, dict[str, Any]]:
    resp = await client.get("/notices.json", params=params)
    assert resp.status_code == 200, resp.text
    return {item["nomination_id"]: item for item in resp.json()["items"]}


async def listed(client: httpx.AsyncClient, nomination_id: object) -> dict[str, Any] | None:
    return (await notices(client)).get(str(nomination_id))


async def on_notice(bus: Bus, client: httpx.AsyncClient, n: events.NominationApproved, version: int = 2) -> dict:
    await bus.publish(n, aggregate_id=n.id, version=version)
    return await eventually(lambda: listed(client, n.id))


def body(name: str = "Trần Văn Góp Ý", contact: str = CONTACT, content: str = "Thành tích chưa đúng thực tế.") -> dict:
    return {"name": name, "contact": contact, "content": content}


async def received_rows(conn: asyncpg.Connection, nomination_id: object) -> list[dict[str, Any]]:
    rows = await conn.fetch("SELECT payload FROM outbox WHERE subject = 'events.objection.received'")
    found = [json.loads(bytes(r["payload"])) for r in rows]
    return [e for e in found if e["data"]["nomination_id"] == str(nomination_id)]


# ------------------------------------------------------------ the rules
def test_the_rules_of_the_notice() -> None:
    assert domain.notice_after("approved", date(2026, 1, 9)) == NoticeState.LISTED
    assert domain.notice_after("approved", None) == NoticeState.CLOSED
    assert domain.notice_after("rejected", date(2026, 1, 9)) == NoticeState.CLOSED
    # The window's last day still takes objections; the next does not.
    assert domain.is_on_notice(date(2026, 1, 9), date(2026, 1, 9))
    assert not domain.is_on_notice(date(2026, 1, 9), date(2026, 1, 10))
    text = domain.objection_text(" Lê  Thi\u0301 An ", "  0912 ", "Một.\r\n\tHai.  ")
    assert text == domain.ObjectionText("Lê Thí An", "0912", "Một.\n\tHai.")
    with pytest.raises(domain.Invalid) as refused:
        domain.objection_text("A\u200bB\x00", "", "x" * 5001)
    assert {(e.field, e.message.split()[0]) for e in refused.value.errors} == {
        ("name", "must"),
        ("contact", "is"),
        ("content", "is"),
    }
    assert domain.throttle_wait(4, 3000.0) is None
    assert domain.throttle_wait(5, 3000.0) == 600.0
    assert domain.throttle_wait(5, 3599.9) == 1.0


@pytest.mark.parametrize(
    ("table", "column", "enum"), [("notices", "state", NoticeState), ("notice_objections", "status", ObjectionStatus)]
)
async def test_each_status_enum_is_its_check_constraint(
    stack: Stack, table: str, column: str, enum: type[StrEnum]
) -> None:
    assert await allowed(stack, table, column) == {s.value for s in enum}


# ------------------------------------------------------------ the listing
async def test_listed_from_the_events_with_its_names_and_window(bus: Bus, source: Source, anonymous: Api) -> None:
    until = today() + timedelta(days=6)
    n = approved(source, "Nguyễn Thị Niêm", until=until)
    item = await on_notice(bus, anonymous.events, n)
    category = source.category("individual")
    assert item == {
        "nomination_id": str(n.id),
        "name": "Nguyễn Thị Niêm",
        "kind": "individual",
        "unit_name": "Chi bộ Thôn Bắc",
        "campaign": {"id": str(source.campaign_id), "name": source.campaign.name, "year": source.campaign.year},
        "category": {"id": str(category.id), "name": category.name},
        "form": category.form,
        "approved_on": today().isoformat(),
        "window_ends_on": until.isoformat(),
        "objections_open": 0,
    }
    # Filtered by campaign, and on the page, grouped under its campaign.
    assert str(n.id) in await notices(anonymous.events, campaign_id=str(source.campaign_id))
    assert str(n.id) not in await notices(anonymous.events, campaign_id=str(uuid.uuid4()))
    page = await anonymous.events.get("/notices", params={"campaign_id": str(source.campaign_id)})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "Niêm yết lấy ý kiến" in page.text and source.campaign.name in page.text
    assert "Nguyễn Thị Niêm" in page.text and f"Niêm yết đến ngày {until:%d/%m/%Y}" in page.text
    assert "0 ý kiến đang được xem xét" in page.text
    for label in ("Họ và tên", "Thông tin liên hệ", "Nội dung ý kiến", "Gửi ý kiến", "không bao giờ được công khai"):
        assert label in page.text
    assert f'action="/notices/{n.id}/objections"' in page.text
    # No script at all, and the policy says so.
    assert "<script" not in page.text.lower()
    assert "script-src" not in page.headers["content-security-policy"]
    assert "default-src 'none'" in page.headers["content-security-policy"]
    # The roll's header leads here.
    assert 'href="/notices"' in (await anonymous.events.get("/")).text


async def test_approved_without_a_window_is_not_listed(bus: Bus, source: Source, anonymous: Api) -> None:
    plain = approved(source, "Lê Văn Không", until=None)
    marker = approved(source, "Lê Văn Đánh Dấu", until=today() + timedelta(days=3))
    await bus.publish(plain, aggregate_id=plain.id, version=2)
    await on_notice(bus, anonymous.events, marker)  # published after: once it shows, the first was applied
    assert await listed(anonymous.events, plain.id) is None


async def test_rejected_leaves_and_a_late_approval_never_brings_it_back(
    bus: Bus, source: Source, anonymous: Api
) -> None:
    n = approved(source, "Phạm Văn Rời", until=today() + timedelta(days=5))
    await on_notice(bus, anonymous.events, n)
    await bus.publish(rejected(n), aggregate_id=n.id, version=3)

    async def gone() -> bool:
        return await listed(anonymous.events, n.id) is None

    await eventually(gone)
    # The approval again (a replay, past de-duplication) and a grant's older version: nothing comes back.
    await bus.publish(n, aggregate_id=n.id, version=2)
    # Rejected first, approved late: never listed.
    late = approved(source, "Đỗ Thị Trễ", until=today() + timedelta(days=5))
    await bus.publish(rejected(late), aggregate_id=late.id, version=3)
    await bus.publish(late, aggregate_id=late.id, version=2)
    marker = approved(source, "Hồ Văn Mốc", until=today() + timedelta(days=5))
    await on_notice(bus, anonymous.events, marker)
    shown = await notices(anonymous.events)
    assert str(n.id) not in shown and str(late.id) not in shown


async def test_granted_leaves_the_notice(bus: Bus, source: Source, anonymous: Api) -> None:
    n = approved(source, "Vũ Thị Khen", until=today() + timedelta(days=1))
    await on_notice(bus, anonymous.events, n)
    grant = source.grant_event("Vũ Thị Khen")
    grant = events.AwardGranted(**{**{f: getattr(grant, f) for f in grant.__struct_fields__}, "nomination_id": n.id})
    await bus.publish(grant, aggregate_id=grant.award_id, version=3)

    async def gone() -> bool:
        return await listed(anonymous.events, n.id) is None

    await eventually(gone)


async def test_objections_open_are_counted_once_whatever_the_order(bus: Bus, source: Source, anonymous: Api) -> None:
    n = approved(source, "Trịnh Văn Đếm", until=today() + timedelta(days=4))
    await on_notice(bus, anonymous.events, n)
    now = datetime.now(UTC)
    first, second = uuid.uuid4(), uuid.uuid4()

    def filed(oid: uuid.UUID) -> events.ObjectionFiled:
        return events.ObjectionFiled(id=oid, nomination_id=n.id, status="open", filed_at=now)

    resolved = events.ObjectionResolved(id=first, nomination_id=n.id, status="resolved", filed_at=now, resolved_at=now)
    await bus.publish(filed(first), aggregate_id=first, version=1)
    await bus.publish(filed(first), aggregate_id=first, version=1)  # repeated: one objection still
    await bus.publish(filed(second), aggregate_id=second, version=1)

    async def count(expected: int) -> bool:
        item = await listed(anonymous.events, n.id)
        return item is not None and item["objections_open"] == expected

    await eventually(lambda: count(2))
    await bus.publish(resolved, aggregate_id=first, version=2)
    await bus.publish(filed(first), aggregate_id=first, version=1)  # late: does not reopen it
    await eventually(lambda: count(1))
    page = await anonymous.events.get("/notices")
    assert "1 ý kiến đang được xem xét" in page.text


# ------------------------------------------------------------ objections
async def test_an_objection_from_the_page_leaves_through_the_outbox(
    bus: Bus, source: Source, anonymous: Api, events_db: asyncpg.Connection
) -> None:
    n = approved(source, "Ngô Văn Phản", until=today() + timedelta(days=2))
    await on_notice(bus, anonymous.events, n)
    resp = await anonymous.events.post(
        f"/notices/{n.id}/objections",
        data=body(name="  Trần   Văn Góp Ý ", content="Dòng một.\r\nDòng hai."),
        headers={"Origin": anonymous.events.base_url.scheme + "://" + anonymous.events.base_url.netloc.decode()},
    )
    assert resp.status_code == 303, resp.text
    assert resp.headers["location"].startswith("/notices/received")
    thanks = await anonymous.events.get(resp.headers["location"])
    assert thanks.status_code == 200 and "Đã nhận ý kiến" in thanks.text and "Ngô Văn Phản" in thanks.text
    assert CONTACT not in thanks.text
    [sent] = await received_rows(events_db, n.id)
    assert sent["type"] == "events.objection.received" and sent["producer"] == "events"
    data = sent["data"]
    assert (data["name"], data["contact"], data["content"]) == ("Trần Văn Góp Ý", CONTACT, "Dòng một.\nDòng hai.")

    # JSON too: 201 with its id, the same event.
    resp = await anonymous.events.post(f"/notices/{n.id}/objections", json=body(content="Ý kiến thứ hai."))
    assert resp.status_code == 201, resp.text
    oid = resp.json()["id"]
    assert resp.json() == {"id": oid}
    assert oid in {e["data"]["id"] for e in await received_rows(events_db, n.id)}


async def test_the_contact_is_in_no_public_answer(
    bus: Bus, source: Source, anonymous: Api, events_db: asyncpg.Connection
) -> None:
    n = approved(source, "Lý Thị Kín", until=today() + timedelta(days=2))
    await on_notice(bus, anonymous.events, n)
    contact = f"kin-{uuid.uuid4().hex[:8]}@example.vn"
    objector = f"Người Gửi {uuid.uuid4().hex[:6]}"
    resp = await anonymous.events.post(f"/notices/{n.id}/objections", json=body(name=objector, contact=contact))
    assert resp.status_code == 201, resp.text
    now = datetime.now(UTC)
    oid = uuid.UUID(resp.json()["id"])
    # As the awards service would file it: only its status comes back.
    filed = events.ObjectionFiled(id=oid, nomination_id=n.id, status="open", filed_at=now)
    await bus.publish(filed, aggregate_id=oid, version=1)

    async def counted() -> bool:
        item = await listed(anonymous.events, n.id)
        return item is not None and item["objections_open"] == 1

    await eventually(counted)
    for path in ("/notices", "/notices.json", "/", "/honorees", f"/notices/received?n={n.id}"):
        text = (await anonymous.events.get(path)).text
        assert contact not in text and objector not in text, path
    assert set((await notices(anonymous.events))[str(n.id)]) == {
        "nomination_id",
        "name",
        "kind",
        "unit_name",
        "campaign",
        "category",
        "form",
        "approved_on",
        "window_ends_on",
        "objections_open",
    }


@pytest.mark.parametrize(
    ("sent", "fields"),
    [
        ({"name": "", "contact": "", "content": ""}, {"name", "contact", "content"}),
        ({**body(), "name": "Tên\x00độc"}, {"name"}),
        ({**body(), "contact": "0912\x1b[31m"}, {"contact"}),
        ({**body(), "content": "x" * 5001}, {"content"}),
        ({**body(), "name": "   "}, {"name"}),
        ({"name": "Thiếu"}, {"contact"}),
        ({**body(), "name": 12}, {"name"}),
    ],
)
async def test_hostile_input_is_400_naming_the_field(
    bus: Bus, source: Source, anonymous: Api, events_db: asyncpg.Connection, sent: dict, fields: set[str]
) -> None:
    n = approved(source, "Cao Văn Thử", until=today() + timedelta(days=2))
    await on_notice(bus, anonymous.events, n)
    resp = await anonymous.events.post(f"/notices/{n.id}/objections", json=sent)
    assert resp.status_code == 400, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert fields <= {e["field"] for e in resp.json()["errors"]}
    assert await received_rows(events_db, n.id) == []


async def test_a_bad_form_comes_back_with_the_reasons_and_what_was_typed(
    bus: Bus, source: Source, anonymous: Api, events_db: asyncpg.Connection
) -> None:
    n = approved(source, "Mai Văn Sửa", until=today() + timedelta(days=2))
    await on_notice(bus, anonymous.events, n)
    resp = await anonymous.events.post(
        f"/notices/{n.id}/objections",
        data={"name": "Đinh Thị <b>Gõ</b>", "contact": "", "content": "Nội dung đã gõ\x07"},
    )
    assert resp.status_code == 400
    assert resp.headers["content-type"].startswith("text/html")
    assert "Vui lòng nhập thông tin liên hệ." in resp.text
    assert "Nội dung ý kiến có ký tự không hợp lệ." in resp.text
    assert 'value="Đinh Thị &lt;b&gt;Gõ&lt;/b&gt;"' in resp.text  # kept, and escaped
    assert re.search(rf'<article class="notice" id="nt-{n.id}">.*?<details class="objection" open>', resp.text, re.S)
    assert await received_rows(events_db, n.id) == []


async def test_cross_site_posting_is_refused(bus: Bus, source: Source, anonymous: Api) -> None:
    n = approved(source, "Tạ Văn Chéo", until=today() + timedelta(days=2))
    await on_notice(bus, anonymous.events, n)
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}, {"Origin": "null"}):
        resp = await anonymous.events.post(f"/notices/{n.id}/objections", data=body(), headers=headers)
        assert resp.status_code == 403, (headers, resp.text)
    resp = await anonymous.events.post(
        f"/notices/{n.id}/objections", json=body(), headers={"Referer": "https://evil.example/page"}
    )
    assert resp.status_code == 403
    resp = await anonymous.events.post(
        f"/notices/{n.id}/objections", content=json.dumps(body()), headers={"Content-Type": "text/plain"}
    )
    assert resp.status_code == 415


async def test_the_rate_limit_holds_per_address(
    bus: Bus, source: Source, anonymous: Api, events_db: asyncpg.Connection
) -> None:
    n = approved(source, "Hà Văn Giới", until=today() + timedelta(days=2))
    await on_notice(bus, anonymous.events, n)
    for _ in range(5):
        resp = await anonymous.events.post(f"/notices/{n.id}/objections", json=body())
        assert resp.status_code == 201, resp.text
    resp = await anonymous.events.post(f"/notices/{n.id}/objections", json=body())
    assert resp.status_code == 429, resp.text
    assert 1 <= int(resp.headers["retry-after"]) <= 3600
    page = await anonymous.events.post(f"/notices/{n.id}/objections", data=body())
    assert page.status_code == 429 and "Vui lòng thử lại sau" in page.text and page.headers["retry-after"]
    assert len(await received_rows(events_db, n.id)) == 5


async def test_a_window_that_ended_is_not_listed_and_takes_no_objection(
    bus: Bus, source: Source, anonymous: Api, events_db: asyncpg.Connection
) -> None:
    n = approved(source, "Kiều Văn Hết", until=today() + timedelta(days=2))
    await on_notice(bus, anonymous.events, n)
    # The window's last day was yesterday (in Vietnam).
    await events_db.execute("UPDATE notices SET comment_until = $2 WHERE id = $1", n.id, today() - timedelta(days=1))
    assert await listed(anonymous.events, n.id) is None
    assert "Kiều Văn Hết" not in (await anonymous.events.get("/notices")).text
    resp = await anonymous.events.post(f"/notices/{n.id}/objections", json=body())
    assert resp.status_code == 409, resp.text
    page = await anonymous.events.post(f"/notices/{n.id}/objections", data=body())
    assert page.status_code == 409 and "đã kết thúc" in page.text
    # Its last day itself still takes them.
    await events_db.execute("UPDATE notices SET comment_until = $2 WHERE id = $1", n.id, today())
    assert await listed(anonymous.events, n.id) is not None
    assert (await anonymous.events.post(f"/notices/{n.id}/objections", json=body())).status_code == 201
    # A nomination never on notice: 404.
    resp = await anonymous.events.post(f"/notices/{uuid.uuid4()}/objections", json=body())
    assert resp.status_code == 404, resp.text


async def test_a_citizen_objects_in_a_browser_without_javascript(
    bus: Bus, source: Source, stack: Stack, anonymous: Api, events_db: asyncpg.Connection
) -> None:
    n = approved(source, "Dương Thị Trình Duyệt", until=today() + timedelta(days=3), kind="collective")
    await on_notice(bus, anonymous.events, n)
    async with chromium() as browser:
        context = await browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
        page = await context.new_page()
        refused: list[str] = []
        page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
        try:
            await page.goto(stack.url("events") + "/")
            await page.click("header nav a:has-text('Niêm yết lấy ý kiến')")
            assert await page.title() == "Niêm yết lấy ý kiến – Hội đồng Thi đua – Khen thưởng"
            item = page.locator(f"#nt-{n.id}")
            await item.locator("summary").click()
            await item.get_by_label("Họ và tên").fill("Phan Văn Dân")
            await item.get_by_label("Thông tin liên hệ").fill(CONTACT)
            await item.get_by_label("Nội dung ý kiến").fill("Tập thể chưa hoàn thành chỉ tiêu năm nay.")
            await page.screenshot(path=str(artifact("public-notice.png")), full_page=True)
            await item.get_by_role("button", name="Gửi ý kiến").click()
            assert "Đã nhận ý kiến" in await page.locator("h1").inner_text()
            assert CONTACT not in await page.content()
        finally:
            await context.close()
    assert not refused, refused
    [sent] = await received_rows(events_db, n.id)
    assert sent["data"]["name"] == "Phan Văn Dân" and sent["data"]["contact"] == CONTACT


# ------------------------------------------------------------ the durable's filter
async def test_an_existing_durable_takes_the_new_subjects(stack: Stack) -> None:
    """A deployment whose events-awards durable was made with the old filter gets the new one at start."""
    from services.events.consumes import AWARDS

    nc = await nats.connect(stack.nats_url)
    js = nc.jetstream()
    durable = f"upgrade-{uuid.uuid4().hex[:8]}"  # as events-awards was, on the real AWARDS stream
    old = Subscription(
        durable=durable,
        stream=events.AWARDS_STREAM,
        handlers={t: AWARDS.handlers[t] for t in (events.CampaignCreated, events.AwardGranted)},
    )
    new = Subscription(durable=durable, stream=events.AWARDS_STREAM, handlers=AWARDS.handlers)
    try:
        await Consumer(None, js, old).provision()  # provisioning needs no database
        before = await js.consumer_info(events.AWARDS_STREAM.name, durable)
        assert sorted(before.config.filter_subjects or []) == old.subjects
        await Consumer(None, js, new).provision()
        after = await js.consumer_info(events.AWARDS_STREAM.name, durable)
        assert sorted(after.config.filter_subjects or []) == new.subjects
        assert {"awards.nomination.approved", "awards.objection.filed"} <= set(new.subjects)
    finally:
        await js.delete_consumer(events.AWARDS_STREAM.name, durable)
        await nc.drain()


# ------------------------------------------------------------ driven through the awards service
async def test_through_the_awards_service_approved_listed_objected_rejected(
    stack: Stack, admin: Api, committee: Api, anonymous: Api, events_db: asyncpg.Connection
) -> None:
    unit = await unit_here(admin, name=f"Chi bộ Niêm Yết {uuid.uuid4().hex[:4]}")
    officer = await admin.as_new("officer", unit["id"])
    try:
        c = await campaign(committee, unit["id"], year=today().year)
        k = await category(committee, c["id"], kind="collective", comment_working_days=5)
        n = await nominate(officer, k["id"], unit_id=unit["id"])
        await approve(committee, n["id"])
        item = await eventually(lambda: listed(anonymous.events, n["id"]), timeout=10)
        assert item["name"] == unit["name"] and item["category"]["name"] == k["name"]
        assert item["campaign"]["name"] == c["name"]
        assert date.fromisoformat(item["window_ends_on"]) >= today() + timedelta(days=5)

        # An objection from the page reaches the awards service, contact and all, for the committee.
        contact = f"0987 {uuid.uuid4().hex[:6]}"
        resp = await anonymous.events.post(f"/notices/{n['id']}/objections", json=body(contact=contact))
        assert resp.status_code == 201, resp.text
        assert await received_rows(events_db, n["id"])

        async def filed() -> list[dict] | None:
            got = await committee.awards.get(f"/nominations/{n['id']}/objections")
            items = got.json().get("items", []) if got.status_code == 200 else []
            return [o for o in items if o.get("contact") == contact] or None

        await eventually(filed, timeout=10)

        async def counted() -> bool:
            now = await listed(anonymous.events, n["id"])
            return now is not None and now["objections_open"] == 1

        await eventually(counted, timeout=10)
        assert contact not in (await anonymous.events.get("/notices")).text

        # Rejected by the committee: off the notice.
        resp = await committee.awards.post(f"/nominations/{n['id']}/reject", json={"reason": "Có ý kiến xác đáng"})
        assert resp.status_code == 200, resp.text

        async def gone() -> bool:
            return await listed(anonymous.events, n["id"]) is None

        await eventually(gone, timeout=10)
    finally:
        await officer.aclose()
