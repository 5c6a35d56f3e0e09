"""Every call of the units service, by every role: who gets in, and who gets 401 or 403."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.support import Api, code
from tests.units.conftest import Tree
from tests.units.helpers import problem

ROLES = ("anonymous", "committee", "officer", "admin")
PUBLIC = set(ROLES)
AUTHENTICATED = {"committee", "officer", "admin"}
ADMIN = {"admin"}
ADMIN_OR_OFFICER = {"admin", "officer"}


@pytest.fixture(scope="module")
async def callers(admin: Api, officer_a: Api, committee: Api) -> AsyncIterator[dict[str, Api]]:
    anonymous = Api(admin.stack)
    yield {"anonymous": anonymous, "committee": committee, "officer": officer_a, "admin": admin}
    await anonymous.aclose()


@pytest.fixture(scope="module")
async def person(admin: Api, tree: Tree) -> dict:
    return await admin.person(tree.a1["id"], "Lý Thị Kiểm")


def calls(tree: Tree, person: dict) -> list[tuple[str, str, Any, set[str]]]:
    """(method, path, json body, who may) for every call; bodies are valid, so only the guard can refuse."""
    return [
        ("GET", "/auth/keys", None, PUBLIC),
        ("GET", "/auth/me", None, AUTHENTICATED),
        ("GET", "/units", None, PUBLIC),
        ("GET", f"/units/{tree.a['id']}", None, PUBLIC),
        ("POST", "/units", {"code": code(), "name": "Chi bộ Gác", "kind": "other", "parent_id": tree.a1["id"]}, ADMIN),
        (
            "POST",
            "/units/import",
            [{"code": code(), "name": "Chi bộ Nhập", "kind": "other", "parent_code": tree.a1["code"]}],
            ADMIN,
        ),
        ("PATCH", f"/units/{tree.a1['id']}", {"name": tree.a1["name"]}, ADMIN),
        ("GET", "/people", None, AUTHENTICATED),
        ("GET", f"/people/{person['id']}", None, AUTHENTICATED),
        ("POST", "/people", {"full_name": "Lý Văn Gác", "unit_id": tree.a1["id"]}, ADMIN_OR_OFFICER),
        ("PATCH", f"/people/{person['id']}", {"position": "Đảng viên"}, ADMIN_OR_OFFICER),
        ("GET", "/accounts", None, ADMIN),
        ("GET", f"/accounts/{uuid.uuid4()}", None, ADMIN),
        (
            "POST",
            "/accounts",
            {"username": f"g-{uuid.uuid4().hex[:8]}", "password": "long-enough-1", "role": "committee"},
            ADMIN,
        ),
    ]


CALL_NAMES = [
    "GET /auth/keys",
    "GET /auth/me",
    "GET /units",
    "GET /units/{id}",
    "POST /units",
    "POST /units/import",
    "PATCH /units/{id}",
    "GET /people",
    "GET /people/{id}",
    "POST /people",
    "PATCH /people/{id}",
    "GET /accounts",
    "GET /accounts/{id}",
    "POST /accounts",
]


@pytest.mark.parametrize("index", range(len(CALL_NAMES)), ids=CALL_NAMES)
@pytest.mark.parametrize("role", ROLES)
async def test_each_call_lets_in_exactly_its_roles(
    callers: dict[str, Api], tree: Tree, person: dict, index: int, role: str
) -> None:
    method, path, body, allowed = calls(tree, person)[index]
    resp = await callers[role].units.request(method, path, json=body)
    if role in allowed:
        assert resp.status_code < 400 or resp.status_code == 404 and "/accounts/" in path, (
            role,
            method,
            path,
            resp.text,
        )
    elif role == "anonymous":
        problem(resp, 401)
        assert resp.headers.get("www-authenticate", "").lower().startswith("bearer")
    else:
        problem(resp, 403)


async def test_an_officer_is_confined_to_its_subtree_on_every_people_call(
    callers: dict[str, Api], admin: Api, tree: Tree
) -> None:
    officer = callers["officer"]
    outsider = await admin.person(tree.b["id"], "Lý Văn Ngoài")
    problem(await officer.units.post("/people", json={"full_name": "X Y", "unit_id": tree.b["id"]}), 403)
    problem(await officer.units.post("/people", json={"full_name": "X Y", "unit_id": tree.root["id"]}), 403)
    problem(await officer.units.get(f"/people/{outsider['id']}"), 403)
    problem(await officer.units.patch(f"/people/{outsider['id']}", json={"position": "X"}), 403)
    problem(await officer.units.get("/people", params={"unit_id": tree.root["id"]}), 403)
    listed = (await officer.units.get("/people", params={"limit": 200})).json()["items"]
    assert outsider["id"] not in {p["id"] for p in listed}
    assert {p["unit_id"] for p in listed} <= {tree.a["id"], tree.a1["id"]}
