"""q= searches: every way a search may be read (roll/search.py's through
PostgreSQL's trigram indexes, and the embedded index of roll/index.py) gives
exactly the rows the rule (domain.word_matches) names, in the roll's order,
page by page, with every filter; the SQL ways give what the embedded index
gives on random queries; a search follows every change of the roll (grant,
revoke, re-grant, unit rename).

The rule: a word of 3+ letters matches a word of the name or unit that
contains it, a shorter one a word that starts with it; case and diacritics
are ignored; every word of the query must match."""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import pytest

from services.events import domain
from services.events.roll import projection, queries
from services.events.roll.collation import sort_group, sort_key
from services.events.roll.filters import RollFilter
from services.events.roll.search import PLANS
from shared import db, events
from shared.text import fold
from tests.events.conftest import Bus, Source, new_source, settle, whole_roll
from tests.support import Api, Stack, eventually

FAMILIES = ["Nguyễn", "Trần", "Lê", "Đặng", "Dương", "Hoàng", "Huỳnh"]
MIDDLES = ["Văn", "Thị", "Hữu", "Ngọc", ""]
GIVENS = ["An", "Anh", "Ánh", "Ân", "Bình", "Yến", "Uyên", "Nguyên", "Đạt", "Dạt", "Lan", "Hà", "Tân"]
UNITS = ["Chi bộ Thôn 3", "Chi bộ Thôn 10", "Đoàn xã An Bình", "Công đoàn Trường Tiểu học Yên Lãng"]


@pytest.fixture(scope="module")
async def roll(bus: Bus, stack: Stack) -> Source:
    """One campaign of ~120 honourees whose names and units share words and parts of words."""
    import httpx

    async with httpx.AsyncClient(base_url=stack.url("events"), timeout=30) as client:
        source = await new_source(bus, client, year=2022)
        rng = random.Random(11)
        units = {name: uuid.uuid4() for name in UNITS}
        for _ in range(100):
            name = " ".join(w for w in (rng.choice(FAMILIES), rng.choice(MIDDLES), rng.choice(GIVENS)) if w)
            unit = rng.choice(UNITS)
            await source.grant(name, unit_id=units[unit], unit_name=unit)
        for unit in UNITS:
            await source.grant(unit, kind="collective", unit_id=units[unit], unit_name=unit)
        await settle(client, source, timeout=15)
    return source


@pytest.fixture
async def pool(stack: Stack) -> AsyncIterator[asyncpg.Pool]:
    pool = await db.create_pool(stack.db_url("events"), 1, 2)  # as the service's (its codecs too)
    yield pool
    await pool.close()


def matches(words: tuple[str, ...], name: str, unit_name: str) -> bool:
    tokens = fold(f"{name} {unit_name}").split()
    return all(any(domain.word_matches(w, t) for t in tokens) for w in words)


def expected(source: Source, q: str) -> list[str]:
    """The award ids the rule finds in this campaign, in the roll's order."""
    words = tuple(dict.fromkeys(fold(q).split()))
    found = [
        (sort_group(d.kind), sort_key(d.name, d.kind), str(d.award_id))
        for _, d in source.awards.values()
        if d is not None and matches(words, d.name, source.unit_names.get(d.unit_id, d.unit_name))
    ]
    return [award_id for *_, award_id in sorted(found)]


QUERIES = [
    "an",
    "a",
    "AN",
    "ân",
    "anh",
    "yen",
    "yến",
    "uye",
    "nguyen",
    "nguyên",
    "ng",
    "n",
    "d",
    "đ",
    "dat",
    "đạt",
    "thon 3",
    "thon 10",
    "3",
    "1",
    "10",
    "chi bo",
    "an binh",
    "le an",
    "van an",
    "thi yen",
    "hoang yen xa",
    "tieu hoc yen",
    "t",
    "ta",
    "tan",
    "an an",
    "ngu ye",
    "zzz",
    "a zzz",
    "y l",
    "truong lang",
]


@pytest.mark.parametrize("plan", PLANS)
async def test_every_plan_finds_what_the_rule_names_page_by_page(roll: Source, pool: asyncpg.Pool, plan: str) -> None:
    f = RollFilter
    for q in QUERIES:
        words = tuple(dict.fromkeys(fold(q).split()))
        want = expected(roll, q)
        for limit in (3, 50):
            got, after = [], None
            while True:
                page = await queries.list_honorees(
                    pool, f(campaign_id=roll.campaign_id, words=words), after, limit, plan=plan
                )
                got += [str(h.award_id) for h, _ in page]
                if len(page) < limit:
                    break
                after = page[-1][1]
            assert got == want, (plan, q, limit)


FILTERED_QUERIES = ["an", "a", "n", "t", "nguyen", "thon 3", "le an", "ngu ye", "chi bo", "zzz"]


@pytest.mark.parametrize("plan", PLANS)
async def test_every_plan_filters_as_the_rule_names(roll: Source, pool: asyncpg.Pool, plan: str) -> None:
    """Each filter (year, kind, category, unit, ceremony) with the words gives what the rule gives,
    also after a ceremony is stamped on some of them by a bare UPDATE."""
    awards = sorted((d for _, d in roll.awards.values() if d is not None), key=lambda d: str(d.award_id))
    ceremony = uuid.uuid5(roll.campaign_id, "ceremony")
    stamped = {d.award_id for d in awards[::3]}
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            """INSERT INTO ceremonies (id, title, held_on, venue, host_unit_id, campaign_ids, status, created_by)
               VALUES ($1, 'Lễ tuyên dương', '2022-12-01', 'Hội trường', $2, $3, 'held', $2) ON CONFLICT DO NOTHING""",
            ceremony,
            awards[0].unit_id,
            [roll.campaign_id],
        )
        await conn.execute(
            "UPDATE honorees SET ceremony_id = $1 WHERE award_id = ANY($2::uuid[])", ceremony, list(stamped)
        )
        await projection.bump_version(conn)
    unit = awards[1].unit_id
    individual = roll.category("individual").id
    f = RollFilter
    cases: list[tuple[dict[str, Any], Callable[[events.AwardGranted], bool]]] = [
        (dict(kind="individual"), lambda d: d.kind == "individual"),
        (dict(kind="collective"), lambda d: d.kind == "collective"),
        (dict(year=2022), lambda d: True),
        (dict(year=2021), lambda d: False),
        (dict(category_id=individual), lambda d: d.category_id == individual),
        (dict(unit_id=unit), lambda d: d.unit_id == unit),
        (dict(ceremony_id=ceremony), lambda d: d.award_id in stamped),
        (
            dict(year=2022, kind="individual", ceremony_id=ceremony),
            lambda d: d.kind == "individual" and d.award_id in stamped,
        ),
    ]
    for filters, keep in cases:
        for q in FILTERED_QUERIES:
            words = tuple(dict.fromkeys(fold(q).split()))
            allowed = {str(d.award_id) for d in awards if keep(d)}
            want = [a for a in expected(roll, q) if a in allowed]
            got, after = [], None
            while True:
                page = await queries.list_honorees(
                    pool, f(campaign_id=roll.campaign_id, words=words, **filters), after, 7, plan=plan
                )
                got += [str(h.award_id) for h, _ in page]
                if len(page) < 7:
                    break
                after = page[-1][1]
            assert got == want, (plan, filters, q)


async def test_the_roll_answers_as_every_plan_does(roll: Source, anonymous: Api) -> None:
    for q in QUERIES:
        rows = await whole_roll(anonymous.events, campaign_id=str(roll.campaign_id), q=q)
        assert [r["award_id"] for r in rows] == expected(roll, q), q


async def test_without_a_filter_a_search_spans_every_campaign(roll: Source, bus: Bus, anonymous: Api) -> None:
    marker = f"Quyen{uuid.uuid4().hex[:6]}"  # a word no one else has
    other = await new_source(bus, anonymous.events, year=2018)
    first = await roll.grant(f"Nguyễn Thị {marker}")
    second = await other.grant(f"Trần Văn {marker}", kind="individual")
    await settle(anonymous.events, roll)
    await settle(anonymous.events, other)
    for q in (marker, marker[:5], fold(marker)[2:9], f"{marker} nguyen"):
        rows = await whole_roll(anonymous.events, q=q)
        want = {first.award_id, second.award_id} if "nguyen" not in q else {first.award_id}
        assert {r["award_id"] for r in rows} == {str(a) for a in want}, q


async def test_revoked_not_found_and_found_again_when_granted_anew(source: Source, bus: Bus, anonymous: Api) -> None:
    marker = f"Khoa{uuid.uuid4().hex[:6]}"
    granted = await source.grant(f"Phan Văn {marker}")
    await settle(anonymous.events, source)
    assert [r["name"] for r in await whole_roll(anonymous.events, q=marker)] == [f"Phan Văn {marker}"]
    await source.revoke(granted.award_id)
    await settle(anonymous.events, source)
    assert await whole_roll(anonymous.events, q=marker) == []
    assert await whole_roll(anonymous.events, q=f"phan {marker[:2]}", campaign_id=str(source.campaign_id)) == []
    await bus.send(source.record_grant(granted, version=3))  # granted again (a newer version)
    await settle(anonymous.events, source)
    assert [r["name"] for r in await whole_roll(anonymous.events, q=marker)] == [f"Phan Văn {marker}"]


async def test_a_unit_renamed_is_found_by_its_new_words_only(
    stack: Stack, source: Source, bus: Bus, anonymous: Api
) -> None:
    unit_id = uuid.uuid4()
    old, new = f"Đoàn xã Cũ{uuid.uuid4().hex[:4]}", f"Đoàn phường Mới{uuid.uuid4().hex[:4]}"
    state: dict[str, Any] = dict(id=unit_id, code=f"U-{uuid.uuid4().hex[:8]}", kind="mass_organization", parent_id=None)
    await bus.publish(events.UnitCreated(name=old, **state), aggregate_id=unit_id, version=1, producer="units")
    granted = await source.grant("Lê Thị Hạnh", unit_id=unit_id, unit_name=old)
    await settle(anonymous.events, source)
    assert [r["award_id"] for r in await whole_roll(anonymous.events, q=fold(old).split()[-1])] == [
        str(granted.award_id)
    ]

    await bus.publish(events.UnitRenamed(name=new, **state), aggregate_id=unit_id, version=2, producer="units")
    source.unit_names[unit_id] = new
    await settle(anonymous.events, source)

    async def renamed() -> bool:
        return [r["award_id"] for r in await whole_roll(anonymous.events, q=f"hanh {fold(new).split()[-1]}")] == [
            str(granted.award_id)
        ]

    await eventually(renamed)
    assert await whole_roll(anonymous.events, q=fold(old).split()[-1]) == []
    assert await whole_roll(anonymous.events, q=f"hanh xa {fold(old).split()[-1][:5]}") == []


def random_query(rng: random.Random, texts: list[str]) -> str:
    """A q= as a visitor might type it: parts of the roll's words, with or without diacritics, in any
    case; a word inside another (3+ letters) or a word's start (1-2 letters); now and then a word that
    no one has."""
    words = []
    for _ in range(rng.choice((1, 1, 2, 2, 3))):
        if rng.random() < 0.05:
            words.append(rng.choice(["zzq", "x", "qq", "Ư"]))
            continue
        word = rng.choice(rng.choice(texts).split())
        size = rng.randint(1, len(word))
        at = rng.randint(0, len(word) - size) if size >= domain.TRIGRAM else 0
        part = word[at : at + size]
        if rng.random() < 0.4:
            part = fold(part)
        words.append(part.upper() if rng.random() < 0.2 else part)
    return " ".join(words)


async def test_the_sql_ways_give_what_the_embedded_index_gives(roll: Source, pool: asyncpg.Pool) -> None:
    """Random queries, filters and page sizes, within the campaign and across the whole roll."""
    rng = random.Random(23)
    awards = [d for _, d in roll.awards.values() if d is not None]
    texts = [d.name for d in awards] + UNITS
    units = sorted({d.unit_id for d in awards}, key=str)
    individual = roll.category("individual").id
    for i in range(120):
        q = random_query(rng, texts)
        words = tuple(dict.fromkeys(fold(q).split()))
        filters: dict[str, Any] = {}
        if i % 4 != 3:
            filters["campaign_id"] = roll.campaign_id
        for name, value in (
            ("kind", rng.choice(["individual", "collective"])),
            ("unit_id", rng.choice(units)),
            ("year", rng.choice([2022, 2021])),
            ("category_id", individual),
        ):
            if rng.random() < 0.15:
                filters[name] = value
        f = RollFilter(words=words, **filters)
        limit = rng.choice((1, 2, 5, 13, 60))
        pages: dict[str, list[list[str]]] = {}
        for plan in PLANS:
            got, after = [], None
            while True:
                page = await queries.list_honorees(pool, f, after, limit, plan=plan)
                got.append([str(h.award_id) for h, _ in page])
                if len(page) < limit:
                    break
                after = page[-1][1]
            pages[plan] = got
        if "campaign_id" in filters and len(filters) == 1:
            assert sum(pages["index"], []) == expected(roll, q), q
        for plan in PLANS:
            assert pages[plan] == pages["index"], (plan, q, filters, limit)


async def test_a_word_asked_before_it_is_on_the_roll_is_found_once_it_is(source: Source, anonymous: Api) -> None:
    """A word no one had is found as soon as someone has it."""
    marker = f"Vy{uuid.uuid4().hex[:6]}"
    for q in (marker, marker[:5]):
        assert await whole_roll(anonymous.events, q=q) == [], q
    granted = await source.grant(f"Lê Thị {marker}")
    await settle(anonymous.events, source)
    for q in (marker, marker[:5], f"le {marker[:5]}"):
        assert [r["award_id"] for r in await whole_roll(anonymous.events, q=q)] == [str(granted.award_id)], q
