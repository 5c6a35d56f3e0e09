"""The events service's rules (services/events/domain.py), as plain functions: no stack, milliseconds."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from services.events import domain
from services.events.domain import CeremonyStatus, Entry, Kind, RollStatus
from shared.errors import Conflict, Invalid

GRANTED, REVOKED = RollStatus.GRANTED, RollStatus.REVOKED


# ------------------------------------------------------------------ the roll
def test_only_a_newer_event_changes_what_is_held() -> None:
    assert domain.is_newer(1, None)
    assert domain.is_newer(3, 2)
    assert not domain.is_newer(2, 2)  # the same event again
    assert not domain.is_newer(1, 2)  # a late one


def test_a_revoke_before_its_grant_leaves_a_tombstone_the_grant_cannot_overwrite() -> None:
    tombstone = domain.apply(None, REVOKED, 2)
    assert tombstone == Entry(REVOKED, 2)
    assert domain.apply(tombstone, GRANTED, 1) is None  # the older grant, arriving late
    assert not domain.is_public(tombstone.status)


def test_a_grant_then_its_revoke_then_a_newer_grant() -> None:
    granted = domain.apply(None, GRANTED, 1)
    assert granted == Entry(GRANTED, 1) and domain.is_public(granted.status)
    revoked = domain.apply(granted, REVOKED, 2)
    assert revoked == Entry(REVOKED, 2)
    assert domain.apply(revoked, GRANTED, 1) is None  # replayed
    assert domain.apply(revoked, GRANTED, 3) == Entry(GRANTED, 3)  # granted again


# ------------------------------------------------------------------ searches
def test_search_words_are_folded_distinct_and_limited() -> None:
    assert domain.search_words("  Nguyễn  VĂN nguyen ") == ("Nguyễn VĂN nguyen", ("nguyen", "van"))
    assert domain.search_words("Nguye\u0302\u0303n") == ("Nguyễn", ("nguyen",))  # typed in NFD
    assert domain.search_words("") == ("", ())
    assert domain.search_words("a\tb") == ("a b", ("a", "b"))  # white space is not a control character here


@pytest.mark.parametrize(
    ("q", "message"),
    [
        ("a" * (domain.MAX_Q + 1), f"is at most {domain.MAX_Q} characters; this one has {domain.MAX_Q + 1}"),
        ("an\x00", "holds control characters"),
        (" ".join(f"w{i}" for i in range(domain.MAX_WORDS + 1)), f"at most {domain.MAX_WORDS} words"),
    ],
)
def test_a_bad_search_names_q(q: str, message: str) -> None:
    with pytest.raises(Invalid) as refused:
        domain.search_words(q)
    assert refused.value.detail == f"q: {message}"
    assert [(e.field, e.message) for e in refused.value.errors] == [("q", message)]


def test_a_short_word_matches_the_start_of_a_word_a_long_one_anywhere() -> None:
    assert domain.word_matches("an", "anh") and not domain.word_matches("an", "lan")
    assert domain.word_matches("uye", "nguyen")
    assert domain.word_matches("d", "dat")


@pytest.mark.parametrize("value", ["abc", "1800", "2101", "-2024", "99999999999999999999", "２０２４", "24"])
def test_a_year_is_four_digits_within_the_roll(value: str) -> None:
    with pytest.raises(Invalid) as refused:
        domain.year(value)
    assert refused.value.errors[0].field == "year"
    assert refused.value.detail == "year: must be a year from 1900 to 2100, like 2024"


def test_years_and_kinds() -> None:
    assert domain.year("2024") == 2024
    assert domain.kind("collective") is Kind.COLLECTIVE
    with pytest.raises(Invalid, match="kind: must be collective or individual"):
        domain.kind("both")


# ---------------------------------------------------------------- ceremonies
CAMPAIGN, OTHER = uuid.uuid4(), uuid.uuid4()


def test_a_ceremony_is_held_once() -> None:
    with pytest.raises(Conflict) as refused:
        domain.check_hold(CeremonyStatus.HELD, date(2024, 6, 1), date(2024, 6, 2))
    assert refused.value.detail == "the ceremony has already been held"
    assert refused.value.errors[0].field == "status"


def test_a_ceremony_is_held_on_or_after_its_day() -> None:
    domain.check_hold(CeremonyStatus.PLANNED, date(2024, 6, 1), date(2024, 6, 1))
    domain.check_hold(CeremonyStatus.PLANNED, date(2024, 6, 1), date(2024, 7, 1))
    with pytest.raises(Conflict) as refused:
        domain.check_hold(CeremonyStatus.PLANNED, date(2024, 6, 2), date(2024, 6, 1))
    assert refused.value.detail == "the ceremony is planned for 2024-06-02; it can be held from that day on"
    assert refused.value.errors[0].field == "held_on"


def test_its_day_is_vietnams() -> None:
    # 18:00 UTC on 31 May is already 1 June in Vietnam (UTC+7).
    assert domain.vietnam_day(datetime(2024, 5, 31, 18, 0, tzinfo=UTC)) == date(2024, 6, 1)
    assert domain.vietnam_day(datetime(2024, 5, 31, 16, 59, tzinfo=UTC)) == date(2024, 5, 31)


def test_a_title_or_venue_is_never_blank() -> None:
    assert domain.ceremony_text("  Lễ  trao tặng ", "title") == "Lễ trao tặng"
    with pytest.raises(Invalid) as refused:
        domain.ceremony_text("   ", "venue")
    assert refused.value.detail == "venue: must not be blank"
    assert [(e.field, e.message) for e in refused.value.errors] == [("venue", "must not be blank")]


def test_a_plan_names_a_known_host_and_known_campaigns() -> None:
    host = uuid.uuid4()
    domain.check_plan(host, True, [CAMPAIGN, CAMPAIGN], {CAMPAIGN})
    with pytest.raises(Invalid) as refused:
        domain.check_plan(host, False, [CAMPAIGN, OTHER], {CAMPAIGN})
    assert [e.field for e in refused.value.errors] == ["host_unit_id", "campaign_ids[1]"]
    assert refused.value.detail == f"no unit {host} is known here; no campaign {OTHER} is known here"
    assert domain.distinct_campaigns([OTHER, CAMPAIGN, OTHER]) == [OTHER, CAMPAIGN]


def test_a_ceremony_honours_its_campaigns_granted_honourees_decided_by_its_day() -> None:
    held_on = date(2024, 6, 1)

    def presents(**award: object) -> bool:
        fields: dict = dict(campaign_id=CAMPAIGN, decision_date=date(2024, 5, 19), status=GRANTED, presented=False)
        return domain.presents([CAMPAIGN], held_on, **{**fields, **award})

    assert presents()
    assert presents(decision_date=held_on)
    assert not presents(decision_date=date(2024, 6, 2))  # decided after it
    assert not presents(campaign_id=OTHER)
    assert not presents(status=REVOKED)
    assert not presents(presented=True)  # an earlier ceremony keeps it


def test_a_late_grant_was_presented_at_the_first_ceremony_on_or_after_its_decision() -> None:
    first, second, before = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    held = [(date(2024, 7, 1), second), (date(2024, 6, 1), first), (date(2024, 5, 1), before)]
    assert domain.presenting_ceremony(held, date(2024, 5, 30)) == first
    assert domain.presenting_ceremony(held, date(2024, 6, 1)) == first
    assert domain.presenting_ceremony(held, date(2024, 8, 1)) is None
    assert domain.presenting_ceremony([], date(2024, 5, 30)) is None
    same_day = sorted([uuid.uuid4(), uuid.uuid4()])
    assert (
        domain.presenting_ceremony([(date(2024, 6, 1), u) for u in reversed(same_day)], date(2024, 6, 1))
        == (same_day[0])
    )
