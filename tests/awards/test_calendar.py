"""Vietnam's working days and a public notice's window, without a server (services/awards/domain/calendar.py)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.awards.domain import notice
from services.awards.domain.calendar import HOLIDAYS, is_working_day, window_end
from shared.errors import Conflict


def test_the_table_covers_2014_to_2027_and_each_entry_is_coherent() -> None:
    assert set(range(2014, 2028)) <= set(HOLIDAYS)
    for year, entry in HOLIDAYS.items():
        assert entry.source
        assert all(d.weekday() < 5 for d in entry.off), year  # a weekend day is off anyway
        assert all(d.weekday() >= 5 for d in entry.worked), year  # a swap makes a Saturday a working day
        # The fixed holidays are off (or a weekend, made up on a weekday of the table).
        for month, day in ((1, 1), (4, 30), (5, 1), (9, 2)):
            d = date(year, month, day)
            assert d in entry.off or d.weekday() >= 5, (year, d)
        # Tết: at least five weekdays off in January or February.
        assert sum(1 for d in entry.off if d.month in (1, 2) and d.year == year) >= 5, year
        # From 2021 (Labour Code 2019, Điều 112) Quốc khánh is two days: one more weekday beside 2/9.
        if year >= 2021:
            assert sum(1 for d in entry.off if d.month == 9) >= 2, year


def test_weekends_are_not_working_days_and_weekdays_are() -> None:
    assert is_working_day(date(2024, 3, 8))  # a Friday
    assert not is_working_day(date(2024, 3, 9))  # Saturday
    assert not is_working_day(date(2024, 3, 10))  # Sunday
    assert is_working_day(date(2024, 3, 11))


def test_a_window_skips_the_weekend() -> None:
    assert window_end(date(2024, 3, 8), 1) == date(2024, 3, 11)  # Friday -> Monday
    assert window_end(date(2024, 3, 9), 1) == date(2024, 3, 11)  # approved on a Saturday: Monday is day one
    assert window_end(date(2024, 3, 4), 5) == date(2024, 3, 11)  # Monday + 5 working days


def test_n_zero_is_no_window() -> None:
    assert window_end(date(2024, 3, 8), 0) == date(2024, 3, 8)
    assert notice.window(date(2024, 3, 8), 0).comment_until is None
    assert notice.window(date(2024, 3, 8), 2).comment_until == date(2024, 3, 12)


def test_across_tet_2024() -> None:
    # Tết Giáp Thìn: public servants off Thursday 8/2 to Wednesday 14/2/2024.
    assert all(not is_working_day(date(2024, 2, d)) for d in range(8, 15))
    assert window_end(date(2024, 2, 6), 1) == date(2024, 2, 7)
    assert window_end(date(2024, 2, 7), 1) == date(2024, 2, 15)
    assert window_end(date(2024, 2, 7), 5) == date(2024, 2, 21)


def test_across_tet_2025() -> None:
    # Tết Ất Tỵ: off Saturday 25/1 to Sunday 2/2/2025.
    assert window_end(date(2025, 1, 24), 1) == date(2025, 2, 3)
    assert window_end(date(2025, 1, 22), 5) == date(2025, 2, 5)  # Thu 23, Fri 24, Mon 3, Tue 4, Wed 5


def test_across_tet_2014_the_demo_year() -> None:
    # Tết Giáp Ngọ: off Tuesday 28/1 to Wednesday 5/2/2014; Saturdays 25/1 and 8/2 worked.
    assert is_working_day(date(2014, 1, 25)) and is_working_day(date(2014, 2, 8))
    assert window_end(date(2014, 1, 24), 1) == date(2014, 1, 25)
    assert window_end(date(2014, 1, 27), 1) == date(2014, 2, 6)
    assert window_end(date(2014, 1, 27), 3) == date(2014, 2, 8)  # Thu 6, Fri 7, Sat 8 (worked)


def test_across_2_september_2024_and_2025() -> None:
    # 2024: off Saturday 31/8 to Tuesday 3/9.
    assert window_end(date(2024, 8, 29), 1) == date(2024, 8, 30)
    assert window_end(date(2024, 8, 29), 2) == date(2024, 9, 4)
    # 2025: off Saturday 30/8 to Tuesday 2/9.
    assert window_end(date(2025, 8, 29), 1) == date(2025, 9, 3)
    assert window_end(date(2025, 8, 28), 2) == date(2025, 9, 3)


def test_swapped_days() -> None:
    # 2024: Monday 29/4 off, Saturday 4/5 worked; 2025: Friday 2/5 off, Saturday 26/4 worked.
    assert not is_working_day(date(2024, 4, 29)) and is_working_day(date(2024, 5, 4))
    assert window_end(date(2024, 4, 26), 1) == date(2024, 5, 2)
    assert window_end(date(2024, 5, 3), 1) == date(2024, 5, 4)
    assert is_working_day(date(2025, 4, 26)) and not is_working_day(date(2025, 5, 2))
    assert window_end(date(2025, 4, 29), 1) == date(2025, 5, 5)
    # New Year 2026: Friday 2/1 off, Saturday 10/1 worked.
    assert window_end(date(2025, 12, 31), 1) == date(2026, 1, 5)


def test_a_window_counts_across_a_new_year() -> None:
    assert window_end(date(2026, 12, 30), 2) == date(2027, 1, 4)  # Thu 31, (Fri 1/1 off), Mon 4


def test_outside_the_table_is_refused_not_guessed() -> None:
    for d in (date(2013, 12, 31), date(2028, 1, 3)):
        with pytest.raises(Conflict) as caught:
            is_working_day(d)
        assert "holiday table does not cover" in caught.value.detail and str(d.year) in caught.value.detail
    # A window that would run into an uncovered year is refused too.
    with pytest.raises(Conflict):
        window_end(date(2027, 12, 28), 10)
    with pytest.raises(Conflict):
        window_end(date(2013, 6, 3), 0)


def test_days_between_holidays_are_working_days() -> None:
    # A spot check of a whole ordinary month: only weekends are off in March 2025.
    d = date(2025, 3, 1)
    while d.month == 3:
        assert is_working_day(d) == (d.weekday() < 5), d
        d += timedelta(days=1)


def test_decidable_names_the_nominee_and_why() -> None:
    import uuid

    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    held = {
        a: notice.Held("Chi bộ Một", date(2026, 12, 7), 0),
        b: notice.Held("Chi bộ Hai", date(2026, 11, 1), 2),
        c: notice.Held("Chi bộ Ba", date(2026, 11, 1), 0),
    }
    with pytest.raises(Conflict) as caught:
        notice.check_decidable([c, a, b], held, date(2026, 11, 30))
    err = caught.value
    assert [e.field for e in err.errors] == ["nomination_ids[1]", "nomination_ids[2]"]
    assert "Chi bộ Một" in err.detail and "07/12/2026" in err.detail
    assert "Chi bộ Hai" in err.detail and "2 unresolved" in err.detail and "Chi bộ Ba" not in err.detail
    notice.check_decidable([c], held, date(2026, 11, 30))
    notice.check_decidable([a], {a: notice.Held("x", date(2026, 11, 29), 0)}, date(2026, 11, 30))
