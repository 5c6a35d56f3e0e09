"""The console's own rules, without a server: where a sign-in may lead, how long a session lasts, what
a form's nominee and text become, and that every status the awards service has reads in Vietnamese."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.awards.domain.statuses import NominationStatus
from services.console import domain


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/nominations?campaign_id=1", "/nominations?campaign_id=1"),
        ("/review", "/review"),
        (None, "/"),
        ("", "/"),
        ("//evil.example/x", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("/a\r\nSet-Cookie: x=1", "/"),
        ("nominations", "/"),
    ],
)
def test_a_sign_in_leads_only_to_a_page_of_this_site(target: str | None, expected: str) -> None:
    assert domain.safe_next(target) == expected


def test_a_session_ends_idle_or_old() -> None:
    now = datetime.now(UTC)
    fresh = domain.SessionTimes(created_at=now, last_seen_at=now, access_expires_at=now + timedelta(minutes=15))
    assert not domain.session_over(fresh, now)
    assert domain.session_over(fresh, now + domain.IDLE_LIMIT + timedelta(seconds=1))
    busy_all_day = domain.SessionTimes(
        created_at=now - domain.MAX_AGE - timedelta(seconds=1), last_seen_at=now, access_expires_at=now
    )
    assert domain.session_over(busy_all_day, now)


def test_the_token_is_refreshed_before_it_runs_out() -> None:
    now = datetime.now(UTC)
    times = domain.SessionTimes(now, now, now + domain.REFRESH_MARGIN + timedelta(seconds=5))
    assert not domain.needs_refresh(times, now)
    assert domain.needs_refresh(times, now + timedelta(seconds=10))
    assert not domain.needs_touch(times, now + timedelta(seconds=5))
    assert domain.needs_touch(times, now + domain.TOUCH_EVERY + timedelta(seconds=1))


def test_a_nominee_names_its_kind_and_id() -> None:
    ident = uuid.uuid4()
    assert domain.parse_nominee(domain.nominee_value("collective", ident)) == ("nominee_unit_id", ident)
    assert domain.parse_nominee(domain.nominee_value("individual", ident)) == ("nominee_person_id", ident)
    for bad in (None, "", str(ident), f"group:{ident}", "person:../../x", "person:", f"unit:{ident}x"):
        assert domain.parse_nominee(bad) is None
    assert domain.parse_uuid("../campaigns") is None and domain.parse_uuid(f" {ident} ") == ident


def test_a_textarea_keeps_its_lines_without_carriage_returns() -> None:
    assert domain.textarea("Dòng một\r\nDòng hai\rDòng ba\n") == "Dòng một\nDòng hai\nDòng ba\n"


def test_every_status_reads_in_vietnamese() -> None:
    for status in NominationStatus:
        assert domain.status_name(status) != status, status
    assert set(domain.FILTER_STATUSES) == {s.value for s in NominationStatus}
    assert [domain.status_name(s) for s in ("submitted", "returned", "approved", "rejected")] == [
        "Đã gửi",
        "Trả lại",
        "Đã duyệt",
        "Không duyệt",
    ]
    assert [domain.status_name(s) for s in ("withdrawn", "granted", "revoked")] == [
        "Đã rút",
        "Đã khen thưởng",
        "Đã thu hồi",
    ]


def test_each_role_has_the_links_of_the_contract() -> None:
    officer = [link.text for link in domain.nav_for("officer")]
    assert officer[:2] == ["Hồ sơ đề nghị", "Đề nghị mới"] and "Phong trào" in officer
    assert "Lễ khen thưởng" not in officer  # ceremonies are the committee's and the admin's
    assert [link.text for link in domain.nav_for("committee")] == [
        "Hồ sơ đề nghị",
        "Xét duyệt",
        "Quyết định",
        "Niêm yết",
        "Phong trào",
        "Lễ khen thưởng",
        "Chương trình hành động",
    ]
    assert "Niêm yết" in [link.text for link in domain.nav_for("admin")]
    assert "Niêm yết" not in officer
    assert domain.nav_for("nobody") == ()
    assert domain.LIST_PAGE_CALLS < 3
