"""The console suites' world, set up through the services' APIs, and a real headless Chromium.

Tỉnh ủy (province, organizes the campaign)
├── Huyện ủy Hàm Thuận Bắc (district_a)      officer_a
│   └── Đảng ủy xã Hàm Đức (commune_a)        Nguyễn Thị Ánh, Trần Văn Đức, Phạm Văn Bình, Hoàng Thị Lan
└── Huyện ủy Tuy Phong (district_b)           officer_b; Lê Văn Cường
committee: three members. One open campaign with an individual and a collective category.

The browser runs with JavaScript off: every page must work without it. It is
Debian's chromium; without it the tests skip, except where
THIDUA_REQUIRE_BROWSER=1 (CI), where they fail.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.awards.helpers import campaign, category, person_here, unit_here
from tests.browser import chromium
from tests.support import Api, Stack


@dataclass(frozen=True)
class Account:
    username: str
    password: str
    api: Api


@dataclass
class World:
    stack: Stack
    admin: Api
    province: dict
    district_a: dict
    commune_a: dict
    district_b: dict
    people: dict[str, dict]  # full name -> person
    officer_a: Account
    officer_b: Account
    committee: list[Account]
    campaign: dict
    individual: dict  # category
    collective: dict  # category

    @property
    def console(self) -> str:
        return self.stack.url("console")


async def account(admin: Api, role: str, unit_id: str | None = None) -> Account:
    username, password = await admin.account(role, unit_id)
    return Account(username, password, await Api.login(admin.stack, username, password))


@pytest.fixture(scope="session")
async def world(admin: Api) -> AsyncIterator[World]:
    province = await unit_here(admin, name="Tỉnh ủy Bình Thuận", kind="party_committee")
    district_a = await unit_here(admin, name="Huyện ủy Hàm Thuận Bắc", kind="party_committee", parent_id=province["id"])
    commune_a = await unit_here(admin, name="Đảng ủy xã Hàm Đức", parent_id=district_a["id"])
    district_b = await unit_here(admin, name="Huyện ủy Tuy Phong", kind="party_committee", parent_id=province["id"])
    people = {}
    for name, unit, position in [
        ("Nguyễn Thị Ánh", commune_a, "Bí thư Đảng ủy xã"),
        ("Trần Văn Đức", commune_a, "Chủ tịch UBND xã"),
        ("Phạm Văn Bình", commune_a, "Trưởng thôn"),
        ("Hoàng Thị Lan", commune_a, "Chủ tịch Hội Phụ nữ xã"),
        ("Lê Văn Cường", district_b, "Chánh Văn phòng"),
    ]:
        people[name] = await person_here(admin, unit["id"], full_name=name, position=position)
    officer_a = await account(admin, "officer", district_a["id"])
    officer_b = await account(admin, "officer", district_b["id"])
    committee = [await account(admin, "committee") for _ in range(3)]
    tag = uuid.uuid4().hex[:4]
    drive = await campaign(
        committee[0].api,
        province["id"],
        name=f"Phong trào thi đua “Dân vận khéo” {tag}",
        year=2025,
    )
    individual = await category(
        committee[0].api, drive["id"], kind="individual", quota=5, name="Cá nhân tiêu biểu", form="Bằng khen"
    )
    collective = await category(
        committee[0].api, drive["id"], kind="collective", quota=3, name="Tập thể tiêu biểu", form="Bằng khen"
    )
    yield World(
        stack=admin.stack,
        admin=admin,
        province=province,
        district_a=district_a,
        commune_a=commune_a,
        district_b=district_b,
        people=people,
        officer_a=officer_a,
        officer_b=officer_b,
        committee=committee,
        campaign=drive,
        individual=individual,
        collective=collective,
    )
    for a in [officer_a, officer_b, *committee]:
        await a.api.aclose()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Any]:
    async with chromium() as browser:
        yield browser
