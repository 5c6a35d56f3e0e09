"""The directives' rules in plain Python: what a file's cells mean, and where a unit may report."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from services.events.directives import domain
from services.events.directives.domain import SessionKind
from shared.errors import Forbidden, Invalid


@pytest.mark.parametrize(
    ("cell", "day"),
    [
        ("2013-08-07", date(2013, 8, 7)),
        ("2013-08-07 00:00:00", date(2013, 8, 7)),  # a date cell of Excel, as read
        ("7/8/2013", date(2013, 8, 7)),  # day first, as Vietnam writes it
        ("07-08-2013", date(2013, 8, 7)),
        ("07.08.2013", date(2013, 8, 7)),
        ("31/02/2013", None),
        ("2013-13-01", None),
        ("hôm qua", None),
        ("", None),
        ("2013-08-07 12:30:00", None),
    ],
)
def test_a_file_s_dates(cell: str, day: date | None) -> None:
    assert domain.parse_day(cell) == day


@pytest.mark.parametrize(
    ("cell", "count"),
    [
        ("120", 120),
        ("1.234", 1234),
        ("1,234", 1234),
        ("53.486", 53486),
        ("1.000.000", 1_000_000),
        ("1.2", None),
        ("1.234,5", None),
        ("1,234.567", None),
        ("-5", None),
        ("abc", None),
        ("9" * 30, None),
        ("", None),
    ],
)
def test_a_file_s_counts(cell: str, count: int | None) -> None:
    assert domain.parse_count(cell) == count


def test_a_session_s_kind_in_english_or_vietnamese() -> None:
    assert domain.parse_kind("study") is SessionKind.STUDY
    assert domain.parse_kind("Học tập") is SessionKind.STUDY
    assert domain.parse_kind("  TẬP   huấn ") is SessionKind.TRAINING
    assert domain.parse_kind("Đối thoại") is SessionKind.DIALOGUE
    assert domain.parse_kind("khác") is SessionKind.OTHER
    assert domain.parse_kind("lecture") is None


def test_where_a_unit_may_report() -> None:
    assert domain.placement_problem(known=True, below=True, is_issuer=False, programme=True) is None
    assert domain.placement_problem(known=True, below=True, is_issuer=True, programme=False) is None
    assert "issuing unit" in (domain.placement_problem(known=True, below=True, is_issuer=True, programme=True) or "")
    assert "not under" in (domain.placement_problem(known=True, below=False, is_issuer=False, programme=False) or "")
    assert "not a unit" in (domain.placement_problem(known=False, below=False, is_issuer=False, programme=True) or "")
    domain.check_scope(True, False, uuid.uuid4())
    domain.check_scope(False, True, uuid.uuid4())
    with pytest.raises(Forbidden):
        domain.check_scope(False, False, uuid.uuid4())


def test_days_and_text() -> None:
    issued = date(2013, 8, 7)
    assert domain.date_problem(issued, issued) is None
    assert "on or after" in (domain.date_problem(date(2013, 8, 6), issued) or "")
    assert domain.date_problem(date(2101, 1, 1), issued)
    assert domain.text("  Tie\u0302\u0301ng   Vie\u0323\u0302t ", "title") == "Tiếng Việt"  # NFC, single spaces
    for bad in ("", "   ", "a\x00b", "a\u202eb", "x" * 1001):
        with pytest.raises(Invalid):
            domain.text(bad, "title")
