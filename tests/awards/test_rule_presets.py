"""The starter set through the service: a preset put on a category as `GET /rules/presets` gives it checks a
2014 campaign by the law of 2003 and a 2025 campaign by Law 06/2022/QH15 (in force from 2024-01-01), with a
real nomination refused naming the rule of the law in force, then let in once the history is known."""

from __future__ import annotations

from typing import Any

from tests.support import Api

from .conftest import World
from .helpers import assert_problem, campaign, category, nomination_body
from .test_eligibility import fresh_people, titles_csv

LDTT = "Lao động tiên tiến"
CSTDCS = "Chiến sĩ thi đua cơ sở"
CSTDT = "Chiến sĩ thi đua cấp tỉnh"
CSTDTQ = "Chiến sĩ thi đua toàn quốc"
LAW_2003 = "Luật Thi đua, khen thưởng 2003"
LAW_2022 = "Luật Thi đua, khen thưởng 2022 (số 06/2022/QH15)"


async def the_presets(world: World) -> dict[str, list[dict[str, Any]]]:
    anonymous = Api(world.admin.stack)
    try:
        resp = await anonymous.awards.get("/rules/presets")
    finally:
        await anonymous.aclose()
    assert resp.status_code == 200, resp.text
    return {p["title"]: p["rules"] for p in resp.json()["items"]}


async def preset_category(world: World, year: int, title: str, rules: list[dict[str, Any]]) -> dict:
    c = await campaign(world.committee, world.province["id"], year=year)
    cat = await category(world.committee, c["id"], "individual", name=f"{title} năm {year}", title=title, rules=rules)
    assert cat["rules"] == rules  # kept as the preset gives it
    return cat


async def nominate(world: World, category_id: str, person: dict) -> Any:
    return await world.admin.awards.post("/nominations", json=nomination_body(category_id, person_id=person["id"]))


async def checks_of(world: World, nomination_id: str) -> dict:
    resp = await world.committee.awards.get(f"/nominations/{nomination_id}/eligibility")
    assert resp.status_code == 200, resp.text
    return resp.json()


def imported(person: dict, title: str, *years: int) -> list[str]:
    return [f"individual,,,{person['id']},{title},{y}" for y in years]


async def test_basic_emulation_fighter_preset_checks_2014_by_the_2003_law_and_2025_by_the_2022_law(
    world: World,
) -> None:
    rules = (await the_presets(world))[CSTDCS]
    old = await preset_category(world, 2014, CSTDCS, rules)
    new = await preset_category(world, 2025, CSTDCS, rules)
    _, [person] = await fresh_people(world, "Đặng Thị Hạnh")

    # No "Lao động tiên tiến" yet: each campaign refuses, naming only the rule of the law in force then.
    for cat, year, index, law in ((old, 2014, 0, LAW_2003), (new, 2025, 1, LAW_2022)):
        problem = assert_problem(await nominate(world, cat["id"], person), 409)
        assert problem["type"] == "/problems/ineligible"
        [error] = problem["errors"]
        assert error["field"] == f"rules[{index}]"
        assert f"Chưa có Lao động tiên tiến năm {year}: không đạt" in error["message"]
        assert law in error["message"] and "Điều 23 khoản 1" in error["message"]
        assert "Đặng Thị Hạnh" in problem["detail"]

    # The office imports the person's titles of 2014 and 2025: both nominations go in, each checked once.
    resp = await titles_csv(world.admin, imported(person, LDTT, 2014, 2025))
    assert resp.status_code == 200 and resp.json() == {"imported": 2, "unchanged": 0}, resp.text
    for cat, year, index, law in ((old, 2014, 0, LAW_2003), (new, 2025, 1, LAW_2022)):
        resp = await nominate(world, cat["id"], person)
        assert resp.status_code == 201, resp.text
        answer = await checks_of(world, resp.json()["id"])
        assert answer["eligible"] is True and answer["reference_date"] == f"{year}-01-01"
        [check] = answer["checks"]
        assert check["index"] == index and check["citation"].startswith(law)
        assert check["reason"] == f"Đã có Lao động tiên tiến năm {year} (danh sách nhập): đạt"


async def test_provincial_preset_asks_three_basic_titles_in_a_row_under_both_laws(world: World) -> None:
    rules = (await the_presets(world))[CSTDT]
    old = await preset_category(world, 2014, CSTDT, rules)
    new = await preset_category(world, 2025, CSTDT, rules)
    _, [person] = await fresh_people(world, "Hồ Văn Khánh")
    assert (await titles_csv(world.admin, imported(person, CSTDCS, 2012, 2013, 2023, 2024))).status_code == 200

    # Two in a row before each campaign's year, none in it: the third (the campaign's year) is missing.
    for cat, year, index, law, article in (
        (old, 2014, 1, LAW_2003, "Điều 22"),
        (new, 2025, 3, LAW_2022, "Điều 22 khoản 1 điểm a"),
    ):
        problem = assert_problem(await nominate(world, cat["id"], person), 409)
        [error] = problem["errors"]
        assert error["field"] == f"rules[{index}]"
        assert f"Chưa có Chiến sĩ thi đua cơ sở năm {year}: không đạt" in error["message"]
        assert law in error["message"] and article in error["message"]

    assert (await titles_csv(world.admin, imported(person, CSTDCS, 2014, 2025))).status_code == 200
    for cat, year, indexes, law in ((old, 2014, [0, 1], LAW_2003), (new, 2025, [2, 3], LAW_2022)):
        resp = await nominate(world, cat["id"], person)
        assert resp.status_code == 201, resp.text
        answer = await checks_of(world, resp.json()["id"])
        assert answer["eligible"] is True
        assert [c["index"] for c in answer["checks"]] == indexes
        assert all(c["passed"] and c["citation"].startswith(law) for c in answer["checks"])
        assert answer["checks"][0]["reason"] == (
            f"Có danh hiệu Chiến sĩ thi đua cơ sở 2 năm liên tục {year - 2}, {year - 1}: đạt"
        )


async def test_national_preset_applies_from_2024_and_asks_the_provincial_title_twice(world: World) -> None:
    rules = (await the_presets(world))[CSTDTQ]
    assert all(r["effective_from"] == "2024-01-01" and r["citation"].startswith(LAW_2022) for r in rules)
    old = await preset_category(world, 2014, CSTDTQ, rules)
    new = await preset_category(world, 2025, CSTDTQ, rules)
    _, [person] = await fresh_people(world, "Lý Thị Mai")
    assert (await titles_csv(world.admin, imported(person, CSTDT, 2021))).status_code == 200

    # 2014: no rule of the law of 2003 in this preset, so nothing is checked.
    resp = await nominate(world, old["id"], person)
    assert resp.status_code == 201, resp.text
    assert (await checks_of(world, resp.json()["id"]))["checks"] == []

    # 2025: the provincial title once only: refused, naming Article 21.1.a.
    problem = assert_problem(await nominate(world, new["id"], person), 409)
    [error] = problem["errors"]
    assert error["field"] == "rules[0]" and "Điều 21 khoản 1 điểm a" in error["message"]
    assert (
        "Có danh hiệu Chiến sĩ thi đua cấp tỉnh 1 năm (2021) trước năm 2025, cần 2 năm: không đạt" in (error["message"])
    )
    # A second provincial title, in 2024: now it goes in.
    assert (await titles_csv(world.admin, imported(person, CSTDT, 2024))).status_code == 200
    resp = await nominate(world, new["id"], person)
    assert resp.status_code == 201, resp.text
    [check] = (await checks_of(world, resp.json()["id"]))["checks"]
    assert check["passed"] and check["reason"].startswith("Có danh hiệu Chiến sĩ thi đua cấp tỉnh 2 năm (2021, 2024)")
