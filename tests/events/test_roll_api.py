"""The public roll as a citizen and a journalist use it: filters, accent-free
search, Vietnamese order, paging, counts, the CSV for Excel, caching, and bad
input of every kind answered with a clear 4xx."""

from __future__ import annotations

import csv
import functools
import io
import random
import uuid

import pytest

from services.events.roll.collation import sort_key
from tests.events.conftest import Bus, Source, new_source, settle, whole_roll
from tests.support import Api, Stack, eventually, in_copy

PEOPLE = [
    "Nguyễn Văn An",
    "Lê Thị An",
    "Trần Bình",
    "Đặng Văn Bình",
    "Dương Thị Bình",
    "Phạm Anh",
    "Hoàng Ánh",
    "Vũ Văn Ân",
    "Ngô Thị Ăn",
    "Đỗ Thị Ơn",
    "Hồ Văn On",
    "Mai Thị Ôn",
    "Lý Quốc Đạt",
    "Lý Quốc Dạt",
]
COLLECTIVES = ["Chi bộ Thôn 10", "Chi bộ Thôn 3", "Đoàn Thanh niên xã Đông Hòa", "Công đoàn cơ sở Trường Tiểu học A"]


@pytest.fixture(scope="module")
async def roll(bus: Bus, stack: Stack) -> Source:
    import httpx

    async with httpx.AsyncClient(base_url=stack.url("events"), timeout=30) as client:
        source = await new_source(bus, client, name="Phong trào “Dân vận khéo” năm 2023", year=2023)
        rng = random.Random(7)
        names = [(n, "individual") for n in PEOPLE] + [(n, "collective") for n in COLLECTIVES]
        rng.shuffle(names)
        for name, kind in names:
            await source.grant(name, kind=kind, unit_name="Đảng bộ xã Đông Hòa")
        await settle(client, source)
    return source


async def test_sorted_as_a_vietnamese_reader_expects(roll: Source, anonymous: Api) -> None:
    rows = await whole_roll(anonymous.events, campaign_id=str(roll.campaign_id))
    names = [r["name"] for r in rows]
    assert names[: len(COLLECTIVES)] == [
        "Chi bộ Thôn 3",
        "Chi bộ Thôn 10",
        "Công đoàn cơ sở Trường Tiểu học A",
        "Đoàn Thanh niên xã Đông Hòa",
    ]
    assert names[len(COLLECTIVES) :] == [
        "Lê Thị An",
        "Nguyễn Văn An",
        "Phạm Anh",
        "Hoàng Ánh",
        "Ngô Thị Ăn",
        "Vũ Văn Ân",
        "Dương Thị Bình",
        "Đặng Văn Bình",
        "Trần Bình",
        "Lý Quốc Dạt",
        "Lý Quốc Đạt",
        "Hồ Văn On",
        "Mai Thị Ôn",
        "Đỗ Thị Ơn",
    ]
    assert names == sorted(
        names, key=lambda n: (n not in COLLECTIVES, sort_key(n, "collective" if n in COLLECTIVES else "individual"))
    )


async def test_keyset_pages_walk_the_whole_roll_once(roll: Source, anonymous: Api) -> None:
    whole = await whole_roll(anonymous.events, campaign_id=str(roll.campaign_id))
    walked, cursor, pages = [], None, 0
    while True:
        params: dict[str, str | int] = {
            "campaign_id": str(roll.campaign_id),
            "limit": 4,
            **({"cursor": cursor} if cursor else {}),
        }
        body = (await anonymous.events.get("/honorees", params=params)).json()
        walked.extend(body["items"])
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert walked == whole and pages == -(-len(whole) // 4)


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("nguyen van an", {"Nguyễn Văn An"}),
        ("NGUYỄN", {"Nguyễn Văn An"}),
        ("an nguyen", {"Nguyễn Văn An"}),  # words in any order
        ("dat", {"Lý Quốc Đạt", "Lý Quốc Dạt"}),  # d finds đ
        ("đạt", {"Lý Quốc Đạt", "Lý Quốc Dạt"}),
        ("Nguye\u0302\u0303n", {"Nguyễn Văn An"}),  # typed in NFD
        ("thon 3", {"Chi bộ Thôn 3"}),
        ("100%", set()),  # % is a character, not a wildcard
        ("_", set()),
    ],
)
async def test_search_ignores_case_and_diacritics(roll: Source, anonymous: Api, q: str, expected: set[str]) -> None:
    rows = await whole_roll(anonymous.events, campaign_id=str(roll.campaign_id), q=q)
    assert {r["name"] for r in rows} == expected


async def test_a_first_search_rendered_before_the_framework_is_the_framework_s_answer(
    roll: Source, anonymous: Api
) -> None:
    """The fast path renders a plain query's first page itself (fast_path.py); a query it leaves to the
    framework (here, one with a parameter the roll does not know, which the framework ignores) gets the same
    items and cursors, page after page."""
    base = f"limit=3&q=an%20&campaign_id={roll.campaign_id}"  # an order no other test asks: not cached yet
    pages: dict[str, list[dict]] = {"plain": [], "framework": []}
    for way, extra in (("plain", ""), ("framework", f"&other={uuid.uuid4().hex}")):
        cursor = None
        while True:
            query = base + extra + (f"&cursor={cursor}" if cursor else "")
            resp = await anonymous.events.get(f"/honorees?{query}")
            assert resp.status_code == 200, resp.text
            body = resp.json()
            pages[way].append(body)
            cursor = body["next_cursor"]
            if cursor is None:
                break
    assert pages["plain"] == pages["framework"] and len(pages["plain"]) > 1
    # A bad value on the plain path is the framework's problem document all the same.
    bad = await anonymous.events.get(f"/honorees?campaign_id={roll.campaign_id}&year=20x4")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "year", bad.text


async def test_search_finds_the_unit_too(roll: Source, anonymous: Api) -> None:
    rows = await whole_roll(anonymous.events, campaign_id=str(roll.campaign_id), q="dang bo xa dong hoa")
    assert len(rows) == len(PEOPLE) + len(COLLECTIVES)


async def test_filters_by_kind_year_and_campaign(roll: Source, bus: Bus, anonymous: Api) -> None:
    other = await new_source(bus, anonymous.events, year=2019)
    await other.grant("Nguyễn Văn An")
    await settle(anonymous.events, other)
    both = await whole_roll(anonymous.events, q="nguyen van an")
    assert {r["campaign"]["id"] for r in both} >= {str(roll.campaign_id), str(other.campaign_id)}
    in_2019 = await whole_roll(anonymous.events, q="nguyen van an", year=2019)
    assert {r["campaign"]["id"] for r in in_2019} == {str(other.campaign_id)}
    assert all(r["campaign"]["year"] == 2019 for r in await whole_roll(anonymous.events, year=2019))
    teams = await whole_roll(anonymous.events, campaign_id=str(roll.campaign_id), kind="collective")
    assert {r["name"] for r in teams} == set(COLLECTIVES)
    category = roll.category("individual").id
    people = await whole_roll(anonymous.events, category_id=str(category))
    assert {r["name"] for r in people} == set(PEOPLE)


async def test_unit_filter_takes_the_units_below_it(stack: Stack, admin: Api, source: Source, anonymous: Api) -> None:
    district = await admin.unit("Huyện ủy Phú Lương", kind="party_committee")
    commune = await admin.unit("Đảng ủy xã Yên Ninh", parent_id=district["id"])
    elsewhere = await admin.unit("Huyện ủy Đồng Hỷ", kind="party_committee")
    for unit in (district, commune, elsewhere):
        await eventually(functools.partial(in_copy, stack, "events", unit["id"]))
    await source.grant("Đào Văn Phú", unit_id=uuid.UUID(commune["id"]), unit_name=commune["name"])
    await source.grant(
        "Huyện ủy Phú Lương", kind="collective", unit_id=uuid.UUID(district["id"]), unit_name=district["name"]
    )
    await source.grant("Lưu Thị Hỷ", unit_id=uuid.UUID(elsewhere["id"]), unit_name=elsewhere["name"])
    await settle(anonymous.events, source)
    under = await whole_roll(anonymous.events, unit_id=district["id"])
    assert {r["name"] for r in under} == {"Đào Văn Phú", "Huyện ủy Phú Lương"}
    only = await whole_roll(anonymous.events, unit_id=commune["id"])
    assert {r["name"] for r in only} == {"Đào Văn Phú"}


async def test_stats_count_by_category_and_kind(roll: Source, anonymous: Api) -> None:
    resp = await anonymous.events.get("/honorees/stats", params={"campaign_id": str(roll.campaign_id)})
    assert resp.status_code == 200, resp.text
    stats = resp.json()
    assert stats["total"] == len(PEOPLE) + len(COLLECTIVES)
    assert stats["by_kind"] == {"collective": len(COLLECTIVES), "individual": len(PEOPLE)}
    by_category = {c["category"]["name"]: (c["collective"], c["individual"], c["total"]) for c in stats["by_category"]}
    assert by_category == {
        "Tập thể tiêu biểu": (len(COLLECTIVES), 0, len(COLLECTIVES)),
        "Cá nhân tiêu biểu": (0, len(PEOPLE), len(PEOPLE)),
    }
    year = await anonymous.events.get("/honorees/stats", params={"year": 2023})
    assert year.json()["total"] >= stats["total"]


async def test_csv_opens_in_excel_with_vietnamese_intact(roll: Source, anonymous: Api) -> None:
    resp = await anonymous.events.get("/honorees.csv", params={"campaign_id": str(roll.campaign_id)})
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/csv")
    assert "attachment" in resp.headers["content-disposition"]
    assert resp.content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    text = resp.content.decode("utf-8-sig")
    assert "\r\n" in text
    table = list(csv.reader(io.StringIO(text)))
    header, rows = table[0], table[1:]
    assert header[:4] == ["STT", "Loại", "Họ và tên / Tên tập thể", "Đơn vị"]
    json_rows = await whole_roll(anonymous.events, campaign_id=str(roll.campaign_id))
    assert [r[2] for r in rows] == [r["name"] for r in json_rows]
    assert [r[0] for r in rows] == [str(i) for i in range(1, len(rows) + 1)]
    assert rows[0][4] == "Phong trào “Dân vận khéo” năm 2023" and rows[0][5] == "2023"
    assert {r[1] for r in rows} == {"Tập thể", "Cá nhân"}
    assert "Đỗ Thị Ơn" in text and "Đoàn Thanh niên xã Đông Hòa" in text

    semi = await anonymous.events.get("/honorees.csv", params={"campaign_id": str(roll.campaign_id), "sep": ";"})
    assert list(csv.reader(io.StringIO(semi.content.decode("utf-8-sig")), delimiter=";")) == table


async def test_csv_cells_never_run_as_formulas(source: Source, anonymous: Api) -> None:
    await source.grant('=HYPERLINK("http://x")', kind="collective")
    await settle(anonymous.events, source)
    text = (
        await anonymous.events.get("/honorees.csv", params={"campaign_id": str(source.campaign_id)})
    ).content.decode("utf-8-sig")
    row = list(csv.reader(io.StringIO(text)))[1]
    assert row[2] == '\'=HYPERLINK("http://x")'


@pytest.mark.parametrize("path", ["/honorees", "/honorees.csv", "/honorees/stats", "/"])
async def test_answers_carry_an_etag_that_a_change_to_the_roll_renews(
    path: str, source: Source, anonymous: Api
) -> None:
    params = {"campaign_id": str(source.campaign_id)}
    first = await anonymous.events.get(path, params=params)
    assert first.status_code == 200
    etag = first.headers["etag"]
    cached = await anonymous.events.get(path, params=params)  # served from the cache, before the framework
    assert (cached.status_code, cached.content, cached.headers["etag"]) == (200, first.content, etag)
    assert cached.headers["content-type"] == first.headers["content-type"]
    again = await anonymous.events.get(path, params=params, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    await source.grant("Quách Thị Mới")

    async def renewed() -> bool:
        resp = await anonymous.events.get(path, params=params, headers={"If-None-Match": etag})
        return resp.status_code == 200 and resp.headers["etag"] != etag

    await eventually(renewed)


BAD_INPUT = [
    ({"campaign_id": str(uuid.UUID(int=1))}, 404, "campaign_id"),
    ({"campaign_id": "abc"}, 400, "campaign_id"),
    ({"unit_id": str(uuid.UUID(int=2))}, 404, "unit_id"),
    ({"category_id": str(uuid.UUID(int=3))}, 404, "category_id"),
    ({"ceremony_id": str(uuid.UUID(int=4))}, 404, "ceremony_id"),
    ({"year": "abc"}, 400, "year"),
    ({"year": "99999999999999999999"}, 400, "year"),
    ({"year": "-2024"}, 400, "year"),
    ({"year": "1800"}, 400, "year"),
    ({"kind": "both"}, 400, "kind"),
    ({"q": "a" * 5000}, 400, "q"),
    ({"q": "an\x00"}, 400, "q"),
    ({"q": " ".join(f"w{i}" for i in range(21))}, 400, "q"),
]
PAGED_BAD_INPUT = [
    ({"limit": "0"}, 400, "limit"),
    ({"limit": "201"}, 400, "limit"),
    ({"limit": "ten"}, 400, "limit"),
    ({"cursor": "not-a-cursor"}, 400, "cursor"),
    ({"cursor": "WzEsInh4eCIsIm5vdC1hLXV1aWQiXQ"}, 400, "cursor"),  # [1,"xxx","not-a-uuid"]
    ({"cursor": "WzEsIlx1MDAwMCIsIjAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMCJd"}, 400, "cursor"),  # a NUL
    ({"cursor": "WzksImEiLCIwMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDAiXQ"}, 400, "cursor"),  # group 9
]


@pytest.mark.parametrize(
    ("path", "params", "status", "field"),
    [("/honorees", *case) for case in BAD_INPUT + PAGED_BAD_INPUT]
    + [(path, *case) for path in ("/honorees.csv", "/honorees/stats") for case in BAD_INPUT],
)
async def test_bad_input_is_a_clear_4xx(path: str, params: dict, status: int, field: str, anonymous: Api) -> None:
    resp = await anonymous.events.get(path, params=params)
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    problem = resp.json()
    assert problem["status"] == status and field in {e["field"] for e in problem["errors"]}


@pytest.mark.parametrize(("params", "status", "field"), BAD_INPUT + PAGED_BAD_INPUT)
async def test_bad_input_on_the_page_is_explained_in_vietnamese(
    params: dict, status: int, field: str, anonymous: Api
) -> None:
    resp = await anonymous.events.get("/", params=params)
    assert resp.status_code == status
    assert resp.headers["content-type"].startswith("text/html")
    assert 'role="alert"' in resp.text and "Xem toàn bộ bảng vàng" in resp.text


async def test_a_bad_separator_and_odd_urls_are_4xx(anonymous: Api) -> None:
    resp = await anonymous.events.get("/honorees.csv", params={"sep": "|"})
    assert resp.status_code == 400 and resp.json()["errors"][0]["field"] == "sep"
    for url in (
        "/honorees?year=%FF",
        "/honorees?q=%C3",
        "/honorees?q=%ED%A0%80",
        "/honorees?year=2024&year=abc",
        "/?q=%00",
        "/honorees?limit=%20",
        "/honorees?campaign_id=",
    ):
        resp = await anonymous.events.get(url)
        assert resp.status_code < 500, (url, resp.status_code, resp.text)
