"""Working days in Vietnam: Monday to Friday, less the public holidays and the days off announced for them.

A nomination's public notice runs for its category's `comment_working_days`
working days (`window_end`). What counts as a working day is the calendar of
public servants (cán bộ, công chức, viên chức), whose offices keep Saturday and
Sunday as their weekly rest:

- the holidays of the Labour Code: Bộ luật Lao động 45/2019/QH14, Điều 112
  (from 2021): Tết Dương lịch (1/1), Tết Âm lịch (5 days), Giỗ Tổ Hùng Vương
  (10/3 âm lịch), 30/4, 1/5, Quốc khánh 2/9 and one day before or after it.
  Until 2020 the Bộ luật Lao động 10/2012/QH13, Điều 115, gave the same days
  but only one for Quốc khánh. A holiday that falls on a weekly rest day is
  made up on the next working day ("nghỉ bù": Điều 111 khoản 3 of the 2019
  code, Điều 110 khoản 3 of the 2012 code; article numbers from the codes'
  text as recalled, not confirmed here). An amendment of 2025 adding a holiday
  (Ngày Văn hóa Việt Nam, 24/11) was looked for and not confirmed here: it is
  not in the table.
- the days off announced for each year (the Government's agreement, passed on
  by the Ministry of Labour / the Ministry of Home Affairs): which five days of
  Tết, which day beside 2 September, and swapped days ("hoán đổi"): a weekday
  off whose work is made up on a Saturday, which then is a working day.

The table below is that calendar, one entry per year, each with its source.
Where an announcement was found it is cited (a news page that reports it);
what could not be confirmed is DERIVED from the codes' rule and says so:
Tết is then the last day of the lunar year and the first four days of the new
one, each falling on a weekend made up on the next weekdays; a holiday on a
weekend is made up on the next working day; the day beside 2/9 is the
weekday next to it (before on a Tuesday, after otherwise). A derived year
has no swapped days (they are only ever announced).

A date outside the table's years is refused (409), never guessed: add the
year's entry when its calendar is announced (usually in the autumn before).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from shared.errors import Conflict


@dataclass(frozen=True, slots=True)
class Year:
    """One year's calendar: weekdays that are not worked, Saturdays or Sundays that are, and where it comes from."""

    off: frozenset[date]
    worked: frozenset[date]
    source: str


def _year(y: int, off: str, worked: str = "", *, source: str) -> Year:
    """Dates written `dd/mm` (of year `y`, or `dd/mm/yyyy` for another), space-separated."""

    def parse(text: str) -> frozenset[date]:
        days = set()
        for token in text.split():
            parts = [int(p) for p in token.split("/")]
            days.add(date(parts[2] if len(parts) == 3 else y, parts[1], parts[0]))
        return frozenset(days)

    return Year(off=parse(off), worked=parse(worked), source=source)


HOLIDAYS: dict[int, Year] = {
    # Bộ luật Lao động 2012, Điều 115. Tết Giáp Ngọ (lunar new year 31/1) ANNOUNCED: off Tue 28/1 to Wed 5/2,
    # Saturdays 25/1 and 8/2 worked (laodong.com.vn, "Ấn định thời gian nghỉ Tết Giáp Ngọ và ngày lễ 2014").
    # Saturday 27/12 worked for Friday 2/1/2015 off: ANNOUNCED (baomoi.com, "Lịch nghỉ Tết Dương lịch 2015").
    # 1/1, Giỗ Tổ (Wed 9/4), 30/4, 1/5 and 2/9: DERIVED (any swap of that year not confirmed here).
    2014: _year(
        2014,
        "1/1 28/1 29/1 30/1 31/1 3/2 4/2 5/2 9/4 30/4 1/5 2/9",
        "25/1 8/2 27/12",
        source="Tết and the 2015 New Year swap announced; the rest derived",
    ),
    # 1/1 and 2/1 ANNOUNCED (see 2014). Tết Ất Mùi (19/2), Giỗ Tổ (28/4), 30/4, 1/5, 2/9: DERIVED.
    2015: _year(
        2015,
        "1/1 2/1 18/2 19/2 20/2 23/2 24/2 28/4 30/4 1/5 2/9",
        source="New Year announced; the rest derived",
    ),
    # DERIVED: Tết Bính Thân (8/2; eve Sun 7/2 made up Fri 12/2), Giỗ Tổ Sat 16/4 -> Mon 18/4,
    # 30/4 Sat and 1/5 Sun -> Mon 2/5 and Tue 3/5, 2/9 Fri.
    2016: _year(2016, "1/1 8/2 9/2 10/2 11/2 12/2 18/4 2/5 3/5 2/9", source="derived"),
    # DERIVED: 1/1 Sun -> Mon 2/1; Tết Đinh Dậu (Sat 28/1; eve Fri 27/1; 28, 29 made up 1/2, 2/2);
    # Giỗ Tổ Thu 6/4; 30/4 Sun -> Tue 2/5 (1/5 Mon); 2/9 Sat -> Mon 4/9.
    2017: _year(2017, "2/1 27/1 30/1 31/1 1/2 2/2 6/4 1/5 2/5 4/9", source="derived"),
    # DERIVED: Tết Mậu Tuất (Fri 16/2; eve Thu 15/2; 17, 18 made up 20/2, 21/2); Giỗ Tổ Wed 25/4;
    # 30/4 Mon, 1/5 Tue; 2/9 Sun -> Mon 3/9.
    2018: _year(2018, "1/1 15/2 16/2 19/2 20/2 21/2 25/4 30/4 1/5 3/9", source="derived"),
    # DERIVED: Tết Kỷ Hợi (Tue 5/2; eve Mon 4/2); Giỗ Tổ Sun 14/4 -> Mon 15/4; 30/4 Tue, 1/5 Wed; 2/9 Mon.
    2019: _year(2019, "1/1 4/2 5/2 6/2 7/2 8/2 15/4 30/4 1/5 2/9", source="derived"),
    # Tết Canh Tý ANNOUNCED: Thu 23/1 to Wed 29/1 (socongthuong.daklak.gov.vn). The rest DERIVED:
    # Giỗ Tổ Thu 2/4, 30/4 Thu, 1/5 Fri, 2/9 Wed (the last year of the 2012 code: one day).
    2020: _year(2020, "1/1 23/1 24/1 27/1 28/1 29/1 2/4 30/4 1/5 2/9", source="Tết announced; the rest derived"),
    # Bộ luật Lao động 2019, Điều 112, from here on. ANNOUNCED: Tết Tân Sửu Wed 10/2 to Tue 16/2 and
    # Quốc khánh Thu 2/9 to Sun 5/9 (vietnamnet.vn, the labour ministry's plan; quangtrungcorp.vn's list);
    # 1/5 Sat made up Mon 3/5 (giadinhcuquang.net). Giỗ Tổ Wed 21/4, 30/4 Fri: the codes' days.
    2021: _year(2021, "1/1 10/2 11/2 12/2 15/2 16/2 21/4 30/4 3/5 2/9 3/9", source="announced (Tết, 2/9, 30/4-1/5)"),
    # ANNOUNCED: Tết Nhâm Dần Sat 29/1 to Sun 6/2 (wikihoc.com; Văn phòng Chính phủ 245 of 11/1/2022,
    # kinhtemoitruong.vn); Giỗ Tổ Sun 10/4 made up Mon 11/4 and Quốc khánh Thu 1/9 and Fri 2/9 (scon.com.vn's
    # list of 2022). DERIVED: 1/1 Sat -> Mon 3/1; 30/4 Sat and 1/5 Sun -> Mon 2/5 and Tue 3/5.
    2022: _year(
        2022,
        "3/1 31/1 1/2 2/2 3/2 4/2 11/4 2/5 3/5 1/9 2/9",
        source="announced (Tết, Giỗ Tổ, 2/9); New Year and 30/4-1/5 derived",
    ),
    # ANNOUNCED: 1/1 Sun made up Mon 2/1 (a public-servants notice quoted on 118.69.84.237); Tết Quý Mão
    # Fri 20/1 to Thu 26/1 and Quốc khánh Fri 1/9 to Mon 4/9 (Văn phòng Chính phủ 8056/VPCP-KGVX of
    # 1/12/2022, quoted on kiemtientuweb.com); Giỗ Tổ Sat 29/4 and 30/4 Sun made up Tue 2/5 and Wed 3/5,
    # with 1/5 Mon: off 29/4 to 3/5 (todaycnews.com).
    2023: _year(2023, "2/1 20/1 23/1 24/1 25/1 26/1 1/5 2/5 3/5 1/9 4/9", source="announced"),
    # ANNOUNCED: Tết Giáp Thìn Thu 8/2 to Wed 14/2 and Quốc khánh Sat 31/8 to Tue 3/9 (1thegioi.vn, the
    # Ministry of Home Affairs agreeing to the labour ministry's plan); 30/4-1/5: Sat 27/4 to Wed 1/5 with
    # Mon 29/4 off and Sat 4/5 worked (Văn phòng Chính phủ 2450/VPCP-KGVX of 12/4/2024: baophapluat.vn,
    # xaydungchinhsach.chinhphu.vn); Giỗ Tổ Thu 18/4 (chinhphu.vn). 1/1 Mon: the code's day.
    2024: _year(2024, "1/1 8/2 9/2 12/2 13/2 14/2 18/4 29/4 30/4 1/5 2/9 3/9", "4/5", source="announced"),
    # ANNOUNCED (tet-amlich.com's list; baophapluat.vn on the Ministry of Home Affairs' answer): 1/1 Wed;
    # Tết Ất Tỵ Sat 25/1 to Sun 2/2; Giỗ Tổ Mon 7/4; 30/4 to 4/5 with Fri 2/5 off and Sat 26/4 worked;
    # Quốc khánh Sat 30/8 to Tue 2/9.
    2025: _year(2025, "1/1 27/1 28/1 29/1 30/1 31/1 7/4 30/4 1/5 2/5 1/9 2/9", "26/4", source="announced"),
    # ANNOUNCED: 1/1 to Sun 4/1 with Fri 2/1 off and Sat 10/1 worked (24h.com.vn, the Government's agreement
    # of 25/12/2025); Tết Bính Ngọ Sat 14/2 to Sun 22/2 (congan.com.vn). DERIVED: Giỗ Tổ Sun 26/4 -> Mon 27/4;
    # 30/4 Thu, 1/5 Fri; Quốc khánh Wed 2/9 with Tue 1/9 (the ministry proposed a longer break; its final
    # days are not confirmed here).
    2026: _year(
        2026,
        "1/1 2/1 16/2 17/2 18/2 19/2 20/2 27/4 30/4 1/5 1/9 2/9",
        "10/1",
        source="New Year and Tết announced; the rest derived",
    ),
    # DERIVED (not yet announced here): 1/1 Fri; Tết Đinh Mùi (Sat 6/2; eve Fri 5/2; 6, 7 made up 10/2, 11/2);
    # Giỗ Tổ Fri 16/4; 30/4 Fri; 1/5 Sat -> Mon 3/5; Quốc khánh Thu 2/9 with Fri 3/9.
    2027: _year(2027, "1/1 5/2 8/2 9/2 10/2 11/2 16/4 30/4 3/5 2/9 3/9", source="derived"),
}

FIRST_YEAR, LAST_YEAR = min(HOLIDAYS), max(HOLIDAYS)


def _year_of(d: date) -> Year:
    year = HOLIDAYS.get(d.year)
    if year is None:
        raise Conflict(
            f"the holiday table does not cover {d.year} (it covers {FIRST_YEAR} to {LAST_YEAR}): "
            "working days cannot be counted there",
            kind="holiday-table",
        )
    return year


def is_working_day(d: date) -> bool:
    """Monday to Friday, less the year's days off, plus the Saturdays worked for a swap; 409 outside the table."""
    year = _year_of(d)
    if d in year.worked:
        return True
    return d.weekday() < 5 and d not in year.off


def working_days_after(start: date, n: int) -> list[date]:
    """The `n` working days that follow `start` (`start` itself not counted), in order."""
    if n < 0:
        raise ValueError("n must not be negative")
    days: list[date] = []
    d = start
    while len(days) < n:
        d += timedelta(days=1)
        if is_working_day(d):
            days.append(d)
    return days


def window_end(approved_on: date, n: int) -> date:
    """The last day of a window of `n` working days following the approval day.

    The approval day is not counted, whatever day it is: approved on a
    Thursday, a window of 2 runs Friday and Monday and ends on Monday (the
    notice is up on the approval day too, and through that last day). With
    n = 0 there is no window: the approval day itself is returned (a caller
    stores no window then). A day outside the holiday table is a 409.
    """
    _year_of(approved_on)
    days = working_days_after(approved_on, n)
    return days[-1] if days else approved_on
