"""A small tree and accounts of every role, shared by the tests of one module.

root (party_committee)
├── a (officer_a acts here)
│   └── a1
└── b
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from tests.support import Api


@dataclass
class Tree:
    root: dict
    a: dict
    a1: dict
    b: dict


@pytest.fixture(scope="module")
async def tree(admin: Api) -> Tree:
    root = await admin.unit("Tỉnh ủy Thử nghiệm", kind="party_committee")
    a = await admin.unit("Huyện ủy A", parent_id=root["id"], kind="party_committee")
    a1 = await admin.unit("Chi bộ A1", parent_id=a["id"])
    b = await admin.unit("Huyện ủy B", parent_id=root["id"], kind="party_committee")
    return Tree(root=root, a=a, a1=a1, b=b)


@pytest.fixture(scope="module")
async def officer_a(admin: Api, tree: Tree) -> AsyncIterator[Api]:
    api = await admin.as_new("officer", tree.a["id"])
    yield api
    await api.aclose()


@pytest.fixture(scope="module")
async def committee(admin: Api) -> AsyncIterator[Api]:
    api = await admin.as_new("committee")
    yield api
    await api.aclose()
