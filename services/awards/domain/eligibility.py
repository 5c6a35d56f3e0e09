"""Eligibility rules as data: what a category asks of a nominee's past, each rule with the article it comes from.

A category carries a list of rules (`categories.rules`, JSON). Each rule has a
`kind`, its own fields, a `citation` (the article it comes from) and the dates
it is in force: `effective_from` (the first day it applies; none: always
before) and `effective_until` (the first day it no longer applies; none: still
in force). So one category can hold the rule of the 2003 law until 2024-01-01
and the rule of the 2022 law from that day, and each campaign is checked by the
rules in force then.

**Which day decides** (`reference_date`): 1 January of the campaign's year.
A campaign is the year's emulation ("thi đua năm 2014"): its nominees are
judged by the rules in force when that year began, whenever the campaign
started taking nominations (the demo's 2014 campaign opened in August 2013)
and whenever its decision is signed. A rule in force from 2024-01-01 applies
to the campaigns of 2024 and later, not to that of 2023.

The kinds (the nominee's history is its granted, unrevoked awards in this
service and the titles imported by `POST /titles/import`; a title is matched
by its name, ignoring case, quotes and spacing: `title_key`):

- `holds_title` {title, years N, consecutive}: with `consecutive` (the
  default), the nominee holds `title` in each of the N years just before the
  campaign's year (Y-N .. Y-1); without it, in any N distinct years before Y.
- `share_of_unit` {max_percent P, of_title}: the nominee's unit (the
  nomination's unit: the person's unit, or the collective itself) may hold at
  most P% of its holders of `of_title` as nominations of this category.
  Counted: *nominations* = the unit's nominations in this category that are
  live at submission (submitted, returned, approved, granted; the new one
  included), or that hold a place at approval (approved and granted, the one
  being approved included); *holders* = the distinct people whose unit (in
  the service's copy of people) is that unit and who hold `of_title` in the
  campaign's year Y (a granted award, or an imported title). It passes when
  nominations <= floor(P x holders / 100). Only individual categories take
  it (a unit's people are what it counts).
- `at_most_once_in` {years K, title}: the nominee has not held `title` (the
  category's own title when none is given) in the K years ending with the
  campaign's year (Y-K+1 .. Y), this nomination aside: at most once in K
  years.
- `requires_award` {title and/or form, within_years W}: the nominee holds an
  award (or imported title) of that title (and form, when given) in the
  campaign's year or the W years before it (W = 0: the same year). The award
  relied on is recorded with the nomination (`reliances`), so revoking it
  puts this nomination or award before the committee (eligibility/service.py).

A `holds_title` rule that passed thanks to awards of this service records
them as well: revoking one of them breaks the chain the same way.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from shared.errors import Conflict, FieldError, Invalid

KINDS = ("holds_title", "share_of_unit", "at_most_once_in", "requires_award")
MAX_RULES = 20
MAX_YEARS = 50
MAX_TEXT = 300
MAX_CITATION = 500
COMMON = ("kind", "citation", "effective_from", "effective_until")
FIELDS: dict[str, tuple[str, ...]] = {
    "holds_title": ("title", "years", "consecutive"),
    "share_of_unit": ("max_percent", "of_title"),
    "at_most_once_in": ("years", "title"),
    "requires_award": ("title", "form", "within_years"),
}
KIND_NAMES = {
    "holds_title": "Có danh hiệu các năm trước",
    "share_of_unit": "Tỷ lệ trong đơn vị",
    "at_most_once_in": "Không quá một lần trong nhiều năm",
    "requires_award": "Đã có khen thưởng khác",
}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_QUOTES = str.maketrans("", "", "\"'“”‘’«»")


def title_key(title: str) -> str:
    """How titles are matched: case, quotes and spacing aside ("“Lao động  tiên tiến”" is "lao động tiên tiến")."""
    return " ".join(title.translate(_QUOTES).split()).casefold()


def reference_date(campaign_year: int) -> date:
    """The day whose rules judge a campaign: 1 January of its year (see the module's docstring)."""
    return date(campaign_year, 1, 1)


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule of a category, checked (see `parse_rules`). Unused fields are None."""

    kind: str
    citation: str
    effective_from: date | None = None
    effective_until: date | None = None
    title: str | None = None
    form: str | None = None
    years: int | None = None
    consecutive: bool = True
    max_percent: int | None = None
    of_title: str | None = None
    within_years: int = 0

    def in_force(self, on: date) -> bool:
        return (self.effective_from is None or self.effective_from <= on) and (
            self.effective_until is None or on < self.effective_until
        )

    def as_json(self) -> dict[str, Any]:
        """The rule as stored and answered: its kind's fields, its citation and its dates."""
        out: dict[str, Any] = {"kind": self.kind}
        for name in FIELDS[self.kind]:
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        out["citation"] = self.citation
        out["effective_from"] = self.effective_from.isoformat() if self.effective_from else None
        out["effective_until"] = self.effective_until.isoformat() if self.effective_until else None
        return out


# ------------------------------------------------------------------ reading rules sent by a client
def _text(raw: dict[str, Any], name: str, where: str, errors: list[FieldError], *, required: bool) -> str | None:
    value = raw.get(name)
    if value is None:
        if required:
            errors.append(FieldError(f"{where}.{name}", "required"))
        return None
    if not isinstance(value, str):
        errors.append(FieldError(f"{where}.{name}", "must be text"))
        return None
    value = " ".join(value.split())
    limit = MAX_CITATION if name == "citation" else MAX_TEXT
    if not value:
        errors.append(FieldError(f"{where}.{name}", "must not be blank"))
    elif len(value) > limit or _CONTROL.search(value):
        errors.append(FieldError(f"{where}.{name}", f"at most {limit} characters of one line"))
    else:
        return unicodedata.normalize("NFC", value)
    return None


def _int(
    raw: dict[str, Any], name: str, where: str, errors: list[FieldError], low: int, high: int, default: int | None
) -> int | None:
    value = raw.get(name, default)
    if value is None:
        errors.append(FieldError(f"{where}.{name}", "required"))
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        errors.append(FieldError(f"{where}.{name}", "must be a whole number"))
        return None
    if not low <= value <= high:
        errors.append(FieldError(f"{where}.{name}", f"must be from {low} to {high}"))
        return None
    return value


def _date(raw: dict[str, Any], name: str, where: str, errors: list[FieldError]) -> date | None:
    value = raw.get(name)
    if value is None:
        return None
    if isinstance(value, str):
        try:
            parsed = date.fromisoformat(value)
            if 1945 <= parsed.year <= 2100 and len(value) == 10:
                return parsed
        except ValueError:
            pass
    errors.append(FieldError(f"{where}.{name}", "a date YYYY-MM-DD between 1945 and 2100"))
    return None


def parse_rule(raw: Any, where: str, errors: list[FieldError], *, nominee_kind: str | None) -> Rule | None:
    """One rule as a client sent it, or None with what is wrong added to `errors` (each naming its field)."""
    if not isinstance(raw, dict):
        errors.append(FieldError(where, "a rule is an object with its kind"))
        return None
    kind = raw.get("kind")
    if kind not in KINDS:
        errors.append(FieldError(f"{where}.kind", f"one of {', '.join(KINDS)}"))
        return None
    before = len(errors)
    for name in raw:
        if name not in COMMON and name not in FIELDS[kind]:
            errors.append(FieldError(f"{where}.{name}", f"not a field of a {kind} rule"))
    citation = _text(raw, "citation", where, errors, required=True)
    start, until = _date(raw, "effective_from", where, errors), _date(raw, "effective_until", where, errors)
    if start and until and until <= start:
        errors.append(FieldError(f"{where}.effective_until", "must come after effective_from"))
    values: dict[str, Any] = {}
    if kind == "holds_title":
        values["title"] = _text(raw, "title", where, errors, required=True)
        values["years"] = _int(raw, "years", where, errors, 1, MAX_YEARS, None)
        consecutive = raw.get("consecutive", True)
        if not isinstance(consecutive, bool):
            errors.append(FieldError(f"{where}.consecutive", "true or false"))
        values["consecutive"] = consecutive is True
    elif kind == "share_of_unit":
        values["max_percent"] = _int(raw, "max_percent", where, errors, 1, 100, None)
        values["of_title"] = _text(raw, "of_title", where, errors, required=True)
        if nominee_kind == "collective":
            errors.append(
                FieldError(f"{where}.kind", "share_of_unit counts a unit's people: individual categories only")
            )
    elif kind == "at_most_once_in":
        values["years"] = _int(raw, "years", where, errors, 1, MAX_YEARS, None)
        values["title"] = _text(raw, "title", where, errors, required=False)
    else:
        values["title"] = _text(raw, "title", where, errors, required=False)
        values["form"] = _text(raw, "form", where, errors, required=False)
        values["within_years"] = _int(raw, "within_years", where, errors, 0, MAX_YEARS, 0)
        if raw.get("title") is None and raw.get("form") is None:
            errors.append(FieldError(f"{where}.title", "name the award required: its title, its form, or both"))
    if len(errors) > before or citation is None:
        return None
    return Rule(kind=kind, citation=citation, effective_from=start, effective_until=until, **values)


def parse_rules(raw: Any, *, nominee_kind: str | None, field_name: str = "rules") -> list[Rule]:
    """A category's rules as a client sent them: 400 naming every field at fault (`rules[2].years`)."""
    if not isinstance(raw, list):
        raise Invalid("rules is a list of rules", field=field_name)
    if len(raw) > MAX_RULES:
        raise Invalid(f"at most {MAX_RULES} rules a category", field=field_name)
    errors: list[FieldError] = []
    rules = [parse_rule(r, f"{field_name}[{i}]", errors, nominee_kind=nominee_kind) for i, r in enumerate(raw)]
    if errors:
        raise Invalid("; ".join(f"{e.field}: {e.message}" for e in errors), errors=errors)
    return [r for r in rules if r is not None]


def load_rules(stored: Sequence[Mapping[str, Any]]) -> list[Rule]:
    """Rules as the database keeps them (written by `Rule.as_json`, so already checked)."""
    return parse_rules([dict(r) for r in stored], nominee_kind=None)


def check_kind_change(rules: Sequence[Rule], nominee_kind: str) -> None:
    """A category becoming collective cannot keep a share_of_unit rule (400)."""
    for i, rule in enumerate(rules):
        if rule.kind == "share_of_unit" and nominee_kind == "collective":
            raise Invalid(
                "share_of_unit counts a unit's people: remove it before the category takes collectives",
                field=f"rules[{i}].kind",
            )


# ------------------------------------------------------------------ what a nominee holds
@dataclass(frozen=True, slots=True)
class Holding:
    """A title or award the nominee holds in a year: a granted award of this service, or an imported title."""

    title: str
    year: int
    form: str | None = None
    award_id: uuid.UUID | None = None
    title_id: uuid.UUID | None = None
    decision_number: str | None = None

    @property
    def source(self) -> str:
        if self.award_id is not None:
            return f"quyết định {self.decision_number}" if self.decision_number else "khen thưởng trong hệ thống"
        return "danh sách nhập"


@dataclass(frozen=True, slots=True)
class ShareFigures:
    """What a share_of_unit rule counts (see the module's docstring)."""

    nominations: int
    holders: int


@dataclass(frozen=True, slots=True)
class Subject:
    """What a nomination is checked against: the campaign's year, the category's title, the nominee's history
    (this nomination's own award aside), the unit's name and the figures of each share rule by `title_key`."""

    year: int
    category_title: str
    holdings: tuple[Holding, ...]
    unit_name: str = ""
    shares: Mapping[str, ShareFigures] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Check:
    index: int  # the rule's place in the category's list
    rule: Rule
    passed: bool
    reason: str
    relies_on: tuple[Holding, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "rule": self.rule.as_json(),
            "passed": self.passed,
            "reason": self.reason,
            "citation": self.rule.citation,
        }


def _years(years: Sequence[int]) -> str:
    return ", ".join(str(y) for y in sorted(years))


def _span(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}–{last}"


def _verdict(passed: bool) -> str:
    return "đạt" if passed else "không đạt"


def _matching(holdings: Sequence[Holding], title: str | None, form: str | None = None) -> list[Holding]:
    tkey = title_key(title) if title else None
    fkey = title_key(form) if form else None
    return [
        h
        for h in holdings
        if (tkey is None or title_key(h.title) == tkey) and (fkey is None or (h.form and title_key(h.form) == fkey))
    ]


def _by_year(found: Sequence[Holding]) -> dict[int, Holding]:
    """One holding per year, an award of this service before an imported title (it can be revoked)."""
    best: dict[int, Holding] = {}
    for h in sorted(found, key=lambda h: h.award_id is None):
        best.setdefault(h.year, h)
    return best


def holds_title(rule: Rule, s: Subject) -> tuple[bool, str, tuple[Holding, ...]]:
    assert rule.title is not None and rule.years is not None
    held = {y: h for y, h in _by_year(_matching(s.holdings, rule.title)).items() if y < s.year}
    n = rule.years
    if rule.consecutive:
        wanted = list(range(s.year - n, s.year))
        missing = [y for y in wanted if y not in held]
        passed = not missing
        if passed:
            reason = f"Có danh hiệu {rule.title} {n} năm liên tục {_years(wanted)}: đạt"
        else:
            reason = (
                f"Không có danh hiệu {rule.title} năm {_years(missing)} (cần {n} năm liên tục "
                f"{_span(wanted[0], wanted[-1])}): không đạt"
            )
        return passed, reason, tuple(held[y] for y in wanted if y in held) if passed else ()
    years = sorted(held)
    passed = len(years) >= n
    have = f"{len(years)} năm ({_years(years)})" if years else "chưa năm nào"
    reason = f"Có danh hiệu {rule.title} {have} trước năm {s.year}, cần {n} năm: {_verdict(passed)}"
    return passed, reason, tuple(held[y] for y in years[-n:]) if passed else ()


def share_of_unit(rule: Rule, s: Subject) -> tuple[bool, str, tuple[Holding, ...]]:
    assert rule.of_title is not None and rule.max_percent is not None
    figures = s.shares.get(title_key(rule.of_title), ShareFigures(0, 0))
    cap = figures.holders * rule.max_percent // 100
    passed = figures.nominations <= cap
    unit = f"Đơn vị {s.unit_name}" if s.unit_name else "Đơn vị"
    reason = (
        f"{unit}: {figures.nominations} đề nghị trên {figures.holders} người có danh hiệu {rule.of_title} "
        f"năm {s.year} (tối đa {rule.max_percent}% = {cap}): {_verdict(passed)}"
    )
    return passed, reason, ()


def at_most_once_in(rule: Rule, s: Subject) -> tuple[bool, str, tuple[Holding, ...]]:
    assert rule.years is not None
    title = rule.title or s.category_title
    first = s.year - rule.years + 1
    found = sorted({h.year for h in _matching(s.holdings, title) if first <= h.year <= s.year})
    window = _span(first, s.year)
    if not found:
        return True, f"Không có {title} trong {rule.years} năm {window}: đạt", ()
    return (
        False,
        f"Đã có {title} năm {_years(found)} (không quá 1 lần trong {rule.years} năm {window}): không đạt",
        (),
    )


def requires_award(rule: Rule, s: Subject) -> tuple[bool, str, tuple[Holding, ...]]:
    what = " – ".join(x for x in (rule.title, rule.form) if x)
    first = s.year - rule.within_years
    found = [h for h in _matching(s.holdings, rule.title, rule.form) if first <= h.year <= s.year]
    window = f"năm {s.year}" if first == s.year else f"từ năm {first} đến năm {s.year}"
    if not found:
        return False, f"Chưa có {what} {window}: không đạt", ()
    best = max(found, key=lambda h: (h.year, h.award_id is not None))
    return True, f"Đã có {what} năm {best.year} ({best.source}): đạt", (best,)


EVALUATORS = {
    "holds_title": holds_title,
    "share_of_unit": share_of_unit,
    "at_most_once_in": at_most_once_in,
    "requires_award": requires_award,
}


def in_force(rules: Sequence[Rule], campaign_year: int) -> list[tuple[int, Rule]]:
    """The rules in force for a campaign of `campaign_year`, with their places in the list."""
    on = reference_date(campaign_year)
    return [(i, r) for i, r in enumerate(rules) if r.in_force(on)]


def evaluate(rules: Sequence[Rule], subject: Subject) -> list[Check]:
    """Every rule in force for the subject's campaign, checked, with its reason in Vietnamese."""
    checks = []
    for index, rule in in_force(rules, subject.year):
        passed, reason, relies = EVALUATORS[rule.kind](rule, subject)
        checks.append(Check(index, rule, passed, reason, relies))
    return checks


def share_titles(rules: Sequence[Rule], campaign_year: int) -> list[str]:
    """The `of_title` of each share rule in force: what the repository must count."""
    return [r.of_title for _, r in in_force(rules, campaign_year) if r.kind == "share_of_unit" and r.of_title]


def refusal(checks: Sequence[Check], nominee_name: str) -> Conflict | None:
    """None when every check passed; else the 409 that names each failed check (its rule and reason)."""
    failed = [c for c in checks if not c.passed]
    if not failed:
        return None
    errors = [FieldError(f"rules[{c.index}]", f"{c.reason} ({c.rule.citation})") for c in failed]
    detail = f"{nominee_name} chưa đủ điều kiện: " + "; ".join(c.reason for c in failed)
    return Conflict(detail, errors=errors, kind="ineligible")
