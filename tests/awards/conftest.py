"""The awards suites' world: a small unit tree, people, and an account of each role.

Tỉnh ủy (province)
└── Huyện ủy (district)          officer_district
    ├── Chi bộ A (commune_a)      officer_a, person_a
    └── Chi bộ B (commune_b)      person_b
Đảng ủy khác (other root)         officer_other, person_other
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from tests.support import Api

from .helpers import person_here, unit_here


@dataclass
class World:
    admin: Api
    committee: Api
    committee2: Api
    officer_district: Api
    officer_a: Api
    officer_other: Api
    province: dict
    district: dict
    commune_a: dict
    commune_b: dict
    other: dict
    person_a: dict
    person_b: dict
    person_other: dict


@pytest.fixture(scope="session")
async def world(admin: Api) -> AsyncIterator[World]:
    province = await unit_here(admin, name="Tỉnh ủy Thử nghiệm", kind="party_committee")
    district = await unit_here(admin, name="Huyện ủy Đông", kind="party_committee", parent_id=province["id"])
    commune_a = await unit_here(admin, name="Chi bộ Ấp Một", parent_id=district["id"])
    commune_b = await unit_here(admin, name="Chi bộ Ấp Hai", parent_id=district["id"])
    other = await unit_here(admin, name="Đảng ủy Khối khác", kind="party_committee")
    person_a = await person_here(admin, commune_a["id"], full_name="Nguyễn Thị Ánh", position="Bí thư")
    person_b = await person_here(admin, commune_b["id"], full_name="Trần Văn Bình")
    person_other = await person_here(admin, other["id"], full_name="Lê Văn Cường")
    committee = await admin.as_new("committee")
    committee2 = await admin.as_new("committee")
    officer_district = await admin.as_new("officer", district["id"])
    officer_a = await admin.as_new("officer", commune_a["id"])
    officer_other = await admin.as_new("officer", other["id"])
    apis = [committee, committee2, officer_district, officer_a, officer_other]
    yield World(
        admin,
        committee,
        committee2,
        officer_district,
        officer_a,
        officer_other,
        province,
        district,
        commune_a,
        commune_b,
        other,
        person_a,
        person_b,
        person_other,
    )
    for api in apis:
        await api.aclose()
