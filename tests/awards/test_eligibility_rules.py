"""The eligibility rules as pure functions: each kind on both sides of an effective date, the reasons, the
reading of hostile rule input, and the starter set. No server."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from services.awards.domain import eligibility as el
from services.awards.domain.rule_presets import PRESETS, presets
from shared.errors import Conflict, Invalid

CITE = "Điều 22 Luật Thi đua, khen thưởng (thử)"


def rule(**raw: object) -> el.Rule:
    return el.parse_rules([{"citation": CITE, **raw}], nominee_kind="individual")[0]


def holding(title: str, year: int, *, award: bool = True, form: str | None = None) -> el.Holding:
    return el.Holding(
        title=title,
        year=year,
        form=form,
        award_id=uuid.uuid4() if award else None,
        title_id=None if award else uuid.uuid4(),
        decision_number="12/QĐ-UBND" if award else None,
    )


def subject(year: int, *holdings: el.Holding, **extra: object) -> el.Subject:
    return el.Subject(year=year, category_title="Bằng khen của Chủ tịch UBND tỉnh", holdings=holdings, **extra)  # type: ignore[arg-type]


LDTT = "Lao động tiên tiến"


# ------------------------------------------------------------------ each kind, on both sides of an effective date
def test_holds_title_consecutive_on_both_sides_of_its_effective_date() -> None:
    r = rule(kind="holds_title", title=LDTT, years=2, consecutive=True, effective_from="2014-01-01")
    history = (holding(LDTT, 2012), holding("“Lao động  tiên tiến”", 2013, award=False))
    # 2013 campaign: judged on 2013-01-01, before the rule took effect: not checked at all.
    assert el.evaluate([r], subject(2013, *history)) == []
    # 2014 campaign: in force; 2012 and 2013 held (one imported, spelled with quotes and two spaces).
    [check] = el.evaluate([r], subject(2014, *history))
    assert check.passed
    assert check.reason == "Có danh hiệu Lao động tiên tiến 2 năm liên tục 2012, 2013: đạt"
    assert {h.year for h in check.relies_on} == {2012, 2013}
    # 2015 campaign: 2014 missing.
    [check] = el.evaluate([r], subject(2015, *history))
    assert not check.passed
    assert check.reason == "Không có danh hiệu Lao động tiên tiến năm 2014 (cần 2 năm liên tục 2013–2014): không đạt"
    assert check.relies_on == ()


def test_holds_title_not_consecutive_counts_any_earlier_years() -> None:
    r = rule(kind="holds_title", title=LDTT, years=3, consecutive=False, effective_until="2024-01-01")
    history = (holding(LDTT, 2010), holding(LDTT, 2015), holding(LDTT, 2019), holding(LDTT, 2023))
    [check] = el.evaluate([r], subject(2020, *history))
    assert check.passed and "3 năm (2010, 2015, 2019)" in check.reason
    [check] = el.evaluate([r], subject(2019, *history))  # 2019 itself does not count for a 2019 campaign
    assert not check.passed and "2 năm (2010, 2015)" in check.reason
    # The day it stops being in force: a 2024 campaign is not checked by it, a 2023 one is.
    assert el.evaluate([r], subject(2024, *history)) == []
    assert len(el.evaluate([r], subject(2023, *history))) == 1


def test_share_of_unit_on_both_sides_of_its_effective_date() -> None:
    r = rule(kind="share_of_unit", max_percent=15, of_title=LDTT, effective_from="2024-01-01")
    key = el.title_key(LDTT)
    at_cap = {key: el.ShareFigures(nominations=3, holders=20)}  # 15% of 20 = 3
    over = {key: el.ShareFigures(nominations=4, holders=20)}
    assert el.evaluate([r], subject(2023, shares=over, unit_name="Chi bộ A")) == []
    [ok] = el.evaluate([r], subject(2024, shares=at_cap, unit_name="Chi bộ A"))
    assert ok.passed
    assert ok.reason == (
        "Đơn vị Chi bộ A: 3 đề nghị trên 20 người có danh hiệu Lao động tiên tiến năm 2024 (tối đa 15% = 3): đạt"
    )
    [refused] = el.evaluate([r], subject(2024, shares=over, unit_name="Chi bộ A"))
    assert not refused.passed and refused.reason.endswith("(tối đa 15% = 3): không đạt")
    # No holders at all: no place (15% of 0 is 0).
    [none] = el.evaluate([r], subject(2024, shares={key: el.ShareFigures(1, 0)}))
    assert not none.passed and "tối đa 15% = 0" in none.reason
    # 19 holders: 15% is 2.85, and "not more than" keeps 2.
    [floor] = el.evaluate([r], subject(2024, shares={key: el.ShareFigures(3, 19)}))
    assert not floor.passed and "= 2" in floor.reason


def test_at_most_once_in_on_both_sides_of_its_effective_date() -> None:
    r = rule(kind="at_most_once_in", years=5, effective_from="2020-01-01")
    title = "Bằng khen của Chủ tịch UBND tỉnh"
    history = (holding(title, 2016),)
    assert el.evaluate([r], subject(2019, *history)) == []  # not in force for 2019
    [check] = el.evaluate([r], subject(2020, *history))  # 2016..2020: 2016 inside
    assert not check.passed
    assert check.reason == (
        "Đã có Bằng khen của Chủ tịch UBND tỉnh năm 2016 (không quá 1 lần trong 5 năm 2016–2020): không đạt"
    )
    [check] = el.evaluate([r], subject(2021, *history))  # 2017..2021: none
    assert check.passed and check.reason == "Không có Bằng khen của Chủ tịch UBND tỉnh trong 5 năm 2017–2021: đạt"


def test_requires_award_on_both_sides_of_its_effective_date_and_links_the_award() -> None:
    r = rule(kind="requires_award", title=LDTT, within_years=0, effective_until="2024-01-01")
    award = holding(LDTT, 2014)
    [check] = el.evaluate([r], subject(2014, award, holding(LDTT, 2014, award=False)))
    assert check.passed and check.reason == "Đã có Lao động tiên tiến năm 2014 (quyết định 12/QĐ-UBND): đạt"
    assert check.relies_on == (award,)  # the award of this service, before the imported title
    [check] = el.evaluate([r], subject(2015, award))
    assert not check.passed and check.reason == "Chưa có Lao động tiên tiến năm 2015: không đạt"
    assert el.evaluate([r], subject(2024, award)) == []  # the 2003 law's rule, not in force in 2024
    assert len(el.evaluate([r], subject(2023, award))) == 1


def test_requires_award_by_form_within_years() -> None:
    r = rule(kind="requires_award", form="Bằng khen", within_years=5)
    [check] = el.evaluate([r], subject(2020, holding("Tập thể tiêu biểu", 2015, form="Bằng khen")))
    assert check.passed
    [check] = el.evaluate([r], subject(2021, holding("Tập thể tiêu biểu", 2015, form="Bằng khen")))
    assert not check.passed and "từ năm 2016 đến năm 2021" in check.reason


def test_refusal_names_each_failed_check_with_its_citation() -> None:
    rules = [
        rule(kind="requires_award", title=LDTT),
        rule(kind="at_most_once_in", years=2),
    ]
    checks = el.evaluate(rules, subject(2014))
    assert [c.passed for c in checks] == [False, True]
    refused = el.refusal(checks, "Nguyễn Văn A")
    assert isinstance(refused, Conflict) and refused.kind == "ineligible"
    assert [e.field for e in refused.errors] == ["rules[0]"]
    assert CITE in refused.errors[0].message and "Chưa có Lao động tiên tiến" in refused.detail
    assert el.refusal(checks[1:], "Nguyễn Văn A") is None


# ------------------------------------------------------------------ hostile rule input
@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"kind": "magic", "citation": CITE}, "rules[0].kind"),
        ({"kind": "holds_title", "citation": CITE, "years": 2}, "rules[0].title"),
        ({"kind": "holds_title", "citation": CITE, "title": LDTT, "years": -1}, "rules[0].years"),
        ({"kind": "holds_title", "citation": CITE, "title": LDTT, "years": 0}, "rules[0].years"),
        ({"kind": "holds_title", "citation": CITE, "title": LDTT, "years": True}, "rules[0].years"),
        ({"kind": "holds_title", "citation": CITE, "title": LDTT, "years": "2"}, "rules[0].years"),
        (
            {"kind": "holds_title", "citation": CITE, "title": LDTT, "years": 2, "consecutive": "yes"},
            "rules[0].consecutive",
        ),
        ({"kind": "holds_title", "title": LDTT, "years": 2}, "rules[0].citation"),
        ({"kind": "holds_title", "title": LDTT, "years": 2, "citation": "  "}, "rules[0].citation"),
        ({"kind": "share_of_unit", "citation": CITE, "max_percent": 101, "of_title": LDTT}, "rules[0].max_percent"),
        ({"kind": "share_of_unit", "citation": CITE, "max_percent": 0, "of_title": LDTT}, "rules[0].max_percent"),
        ({"kind": "share_of_unit", "citation": CITE, "max_percent": 15}, "rules[0].of_title"),
        ({"kind": "at_most_once_in", "citation": CITE, "years": 10_000}, "rules[0].years"),
        ({"kind": "requires_award", "citation": CITE}, "rules[0].title"),
        ({"kind": "requires_award", "citation": CITE, "title": LDTT, "within_years": -2}, "rules[0].within_years"),
        ({"kind": "requires_award", "citation": CITE, "title": LDTT, "max_percent": 5}, "rules[0].max_percent"),
        ({"kind": "requires_award", "citation": CITE, "title": "x\x00y"}, "rules[0].title"),
        (
            {"kind": "requires_award", "citation": CITE, "title": LDTT, "effective_from": "2024-13-01"},
            "rules[0].effective_from",
        ),
        (
            {
                "kind": "requires_award",
                "citation": CITE,
                "title": LDTT,
                "effective_from": "2024-01-01",
                "effective_until": "2023-01-01",
            },
            "rules[0].effective_until",
        ),
        ("holds_title", "rules[0]"),
    ],
)
def test_hostile_rules_are_refused_naming_the_field(raw: object, field: str) -> None:
    with pytest.raises(Invalid) as refused:
        el.parse_rules([raw], nominee_kind="individual")
    assert field in [e.field for e in refused.value.errors], refused.value.errors


def test_rules_must_be_a_short_list_and_share_needs_individuals() -> None:
    with pytest.raises(Invalid):
        el.parse_rules({"kind": "holds_title"}, nominee_kind=None)
    with pytest.raises(Invalid):
        el.parse_rules([{"kind": "at_most_once_in", "years": 1, "citation": CITE}] * 21, nominee_kind=None)
    with pytest.raises(Invalid) as refused:
        el.parse_rules(
            [{"kind": "share_of_unit", "max_percent": 15, "of_title": LDTT, "citation": CITE}],
            nominee_kind="collective",
        )
    assert refused.value.errors[0].field == "rules[0].kind"


def test_a_rule_round_trips_through_its_json() -> None:
    r = rule(kind="holds_title", title=" Lao   động tiên tiến ", years=2, effective_from="2014-01-01")
    assert r.title == LDTT
    assert r.as_json() == {
        "kind": "holds_title",
        "title": LDTT,
        "years": 2,
        "consecutive": True,
        "citation": CITE,
        "effective_from": "2014-01-01",
        "effective_until": None,
    }
    assert el.load_rules([r.as_json()]) == [r]


def test_reference_date_is_the_campaign_years_first_day() -> None:
    assert el.reference_date(2014) == date(2014, 1, 1)


LAW_2003 = "Luật Thi đua, khen thưởng 2003"
LAW_2022 = "Luật Thi đua, khen thưởng 2022 (số 06/2022/QH15)"


def preset(title: str) -> list[el.Rule]:
    return el.parse_rules(PRESETS[title], nominee_kind="individual")


def test_the_starter_set_is_valid_and_cited() -> None:
    for p in presets():
        parsed = el.parse_rules(p["rules"], nominee_kind="individual")
        assert parsed and all(r.citation.startswith("Luật") for r in parsed)
        # Every rule belongs to one law: the 2003 law's until 2024-01-01, Law 06/2022/QH15's from that day.
        for r in parsed:
            if r.citation.startswith(LAW_2022):
                assert r.effective_from == date(2024, 1, 1) and r.effective_until is None
            else:
                assert r.citation.startswith(LAW_2003)
                assert r.effective_from is None and r.effective_until == date(2024, 1, 1)
    # Each campaign is checked by the one law in force on 1 January of its year, never by both.
    cstdcs = preset("Chiến sĩ thi đua cơ sở")
    assert [c.rule.citation for c in el.evaluate(cstdcs, subject(2023))] == [
        "Luật Thi đua, khen thưởng 2003 (sửa đổi, bổ sung năm 2013), Điều 23 khoản 1"
    ]
    assert [c.rule.citation for c in el.evaluate(cstdcs, subject(2024))] == [
        "Luật Thi đua, khen thưởng 2022 (số 06/2022/QH15), Điều 23 khoản 1"
    ]


def test_the_basic_emulation_fighter_preset_asks_the_same_years_advanced_worker_under_both_laws() -> None:
    rules = preset("Chiến sĩ thi đua cơ sở")
    for year in (2014, 2025):
        [check] = el.evaluate(rules, subject(year, holding(LDTT, year)))
        assert check.passed and check.reason == f"Đã có Lao động tiên tiến năm {year} (quyết định 12/QĐ-UBND): đạt"
        [check] = el.evaluate(rules, subject(year, holding(LDTT, year - 1)))
        assert not check.passed and check.reason == f"Chưa có Lao động tiên tiến năm {year}: không đạt"
    [check] = el.evaluate(rules, subject(2025, holding(LDTT, 2025)))
    assert check.rule.citation.startswith(LAW_2022) and "Điều 23 khoản 1" in check.rule.citation


def test_the_provincial_emulation_fighter_preset_counts_the_campaign_year_as_the_third() -> None:
    rules = preset("Chiến sĩ thi đua cấp tỉnh")
    cstdcs = "Chiến sĩ thi đua cơ sở"
    for year in (2014, 2025):  # the law of 2003, then Law 06/2022/QH15 (Article 22.1.a)
        three = [holding(cstdcs, y) for y in (year - 2, year - 1, year)]
        checks = el.evaluate(rules, subject(year, *three))
        assert len(checks) == 2 and all(c.passed for c in checks)
        law = LAW_2003 if year < 2024 else LAW_2022
        assert all(c.rule.citation.startswith(law) for c in checks)
        assert [c.passed for c in el.evaluate(rules, subject(year, *three[:2]))] == [True, False]
        assert [c.passed for c in el.evaluate(rules, subject(year, three[0], three[2]))] == [False, True]
    assert all("Điều 22 khoản 1 điểm a" in c.rule.citation for c in el.evaluate(rules, subject(2024)))


def test_the_national_emulation_fighter_preset_asks_the_provincial_title_twice_from_2024() -> None:
    rules = preset("Chiến sĩ thi đua toàn quốc")
    tinh = "Chiến sĩ thi đua cấp tỉnh"
    # No rule of the law of 2003 is in the preset: a 2023 campaign is not checked by it.
    assert el.evaluate(rules, subject(2023, holding(tinh, 2020))) == []
    # From 2024 (Article 21.1.a): the provincial title in two earlier years, not necessarily adjacent ones
    # (it is given after three years of "Chiến sĩ thi đua cơ sở", so two in a row are years apart).
    [check] = el.evaluate(rules, subject(2025, holding(tinh, 2019), holding(tinh, 2022)))
    assert check.passed
    assert check.reason == "Có danh hiệu Chiến sĩ thi đua cấp tỉnh 2 năm (2019, 2022) trước năm 2025, cần 2 năm: đạt"
    assert "Điều 21 khoản 1 điểm a" in check.rule.citation and check.rule.citation.startswith(LAW_2022)
    [check] = el.evaluate(rules, subject(2025, holding(tinh, 2022), holding(tinh, 2025)))
    assert not check.passed  # the campaign's own year does not count
