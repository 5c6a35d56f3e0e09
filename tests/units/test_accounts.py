"""Accounts: created by an admin or from the shell, Argon2id, listed for admins only."""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
import uuid
from dataclasses import dataclass

import httpx
import pytest

from tests.support import Api, Stack
from tests.units.conftest import Tree
from tests.units.helpers import problem, units_db_value


def new_name(role: str = "user") -> str:
    return f"{role}-{uuid.uuid4().hex[:8]}"


async def login_status(stack: Stack, username: str, password: str) -> int:
    async with httpx.AsyncClient(base_url=stack.url("units"), timeout=30) as client:
        return (await client.post("/auth/token", json={"username": username, "password": password})).status_code


@pytest.mark.parametrize("role", ["admin", "committee", "officer"])
async def test_admin_creates_an_account_of_each_role(stack: Stack, admin: Api, tree: Tree, role: str) -> None:
    username, password = new_name(role), "pw-" + secrets.token_hex(6)
    unit_id = tree.a["id"] if role == "officer" else None
    resp = await admin.units.post(
        "/accounts", json={"username": username, "password": password, "role": role, "unit_id": unit_id}
    )
    assert resp.status_code == 201, resp.text
    account = resp.json()
    assert (account["username"], account["role"], account["unit_id"]) == (username, role, unit_id)
    assert "password" not in account and "password_hash" not in account
    stored = await units_db_value(stack, "SELECT password_hash FROM accounts WHERE id = $1", uuid.UUID(account["id"]))
    assert str(stored).startswith("$argon2id$") and password not in str(stored)
    assert await login_status(stack, username, password) == 200


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"role": "officer", "unit_id": None}, 400, "unit_id"),
        ({"role": "officer", "unit_id": str(uuid.uuid4())}, 400, "unit_id"),
        ({"role": "committee", "unit_id": str(uuid.uuid4())}, 400, "unit_id"),
        ({"role": "root"}, 400, "role"),
        ({"password": "short"}, 400, "password"),
        ({"username": "a b"}, 400, "username"),
        ({"username": "ab"}, 400, "username"),
        ({"username": "Nguyễn"}, 400, "username"),
        ({"unit_id": "unit-a"}, 400, "unit_id"),
        ({"is_admin": True}, 400, "is_admin"),
    ],
)
async def test_a_bad_account_is_refused_and_not_created(admin: Api, change: dict, status: int, field: str) -> None:
    body = {"username": new_name(), "password": "long-enough-1", "role": "committee", "unit_id": None, **change}
    problem(await admin.units.post("/accounts", json=body), status, field)
    if isinstance(body["username"], str):
        assert (
            await units_db_value(admin.stack, "SELECT count(*) FROM accounts WHERE username = $1", body["username"])
            == 0
        )


async def test_usernames_are_unique_whatever_their_case(admin: Api) -> None:
    username, _ = await admin.account("committee")
    resp = await admin.units.post(
        "/accounts", json={"username": username.upper(), "password": "long-enough-1", "role": "committee"}
    )
    problem(resp, 409, "username")


async def test_only_an_admin_creates_or_lists_accounts(
    officer_a: Api, committee: Api, anonymous: Api, tree: Tree
) -> None:
    body = {"username": new_name(), "password": "long-enough-1", "role": "admin"}
    for api, status in ((officer_a, 403), (committee, 403), (anonymous, 401)):
        problem(await api.units.post("/accounts", json=body), status)
        problem(await api.units.get("/accounts"), status)
        problem(await api.units.get(f"/accounts/{uuid.uuid4()}"), status)


async def test_admin_lists_accounts_by_username_in_pages(admin: Api, tree: Tree) -> None:
    prefix = f"list{uuid.uuid4().hex[:6]}"
    made = []
    for i in range(5):
        role = "officer" if i % 2 else "committee"
        resp = await admin.units.post(
            "/accounts",
            json={
                "username": f"{prefix}-{i}",
                "password": "long-enough-1",
                "role": role,
                "unit_id": tree.b["id"] if role == "officer" else None,
            },
        )
        assert resp.status_code == 201, resp.text
        made.append(resp.json())
    first = (await admin.units.get("/accounts", params={"q": prefix.upper(), "limit": 3})).json()
    second = (
        await admin.units.get("/accounts", params={"q": prefix, "limit": 3, "cursor": first["next_cursor"]})
    ).json()
    assert [a["username"] for a in first["items"] + second["items"]] == [f"{prefix}-{i}" for i in range(5)]
    assert second["next_cursor"] is None
    assert all("password_hash" not in a for a in first["items"])

    officers = (await admin.units.get("/accounts", params={"q": prefix, "role": "officer"})).json()["items"]
    assert [a["username"] for a in officers] == [f"{prefix}-1", f"{prefix}-3"]
    by_unit = (await admin.units.get("/accounts", params={"unit_id": tree.b["id"], "q": prefix})).json()["items"]
    assert len(by_unit) == 2
    assert (await admin.units.get(f"/accounts/{made[0]['id']}")).json() == made[0]
    problem(await admin.units.get(f"/accounts/{uuid.uuid4()}"), 404)
    problem(await admin.units.get("/accounts", params={"role": "root"}), 400, "role")
    problem(await admin.units.get("/accounts", params={"cursor": "e30"}), 400, "cursor")


# ------------------------------------------------------------------ thidua create-account
@dataclass
class Ran:
    code: int
    stdout: str
    stderr: str


async def create_account_cli(stack: Stack, *args: str, stdin: str) -> Ran:
    """`thidua create-account`, a separate process against the tests' database server."""
    env = {**os.environ, "DATABASE_URL": stack.database_url}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "thidua.cli",
        "create-account",
        *args,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(stdin.encode()), timeout=60)
    assert proc.returncode is not None
    return Ran(proc.returncode, out.decode(), err.decode())


async def test_create_account_from_the_shell_makes_an_admin_who_can_log_in(stack: Stack) -> None:
    username, password = new_name("root"), "shell-" + secrets.token_hex(6)
    ran = await create_account_cli(
        stack, "--username", username, "--role", "admin", "--password-stdin", stdin=password + "\n"
    )
    assert ran.code == 0, ran.stderr
    assert f"created admin account {username}" in ran.stdout
    assert password not in ran.stdout + ran.stderr
    assert await login_status(stack, username, password) == 200

    again = await create_account_cli(
        stack, "--username", username.upper(), "--role", "admin", "--password-stdin", stdin="another-pw-1\n"
    )
    assert again.code == 1 and "taken" in again.stderr


async def test_create_account_from_the_shell_binds_an_officer_to_a_unit(stack: Stack, tree: Tree) -> None:
    username = new_name("officer")
    ran = await create_account_cli(
        stack,
        "--username",
        username,
        "--role",
        "officer",
        "--unit-id",
        tree.a1["id"],
        "--password-stdin",
        stdin="officer-pw-1\r\n",
    )
    assert ran.code == 0, ran.stderr
    assert (
        await units_db_value(stack, "SELECT unit_id::text FROM accounts WHERE username = $1", username) == tree.a1["id"]
    )
    assert await login_status(stack, username, "officer-pw-1") == 200


@pytest.mark.parametrize(
    ("args", "stdin", "code", "says"),
    [
        (["--role", "admin"], "short\n", 2, "--password"),
        (["--role", "officer"], "long-enough-1\n", 2, "--unit-id"),
        (["--role", "officer", "--unit-id", "not-a-uuid"], "long-enough-1\n", 2, "--unit-id"),
        (["--role", "officer", "--unit-id", str(uuid.uuid4())], "long-enough-1\n", 1, "does not exist"),
        (["--role", "admin", "--username", "bad name"], "long-enough-1\n", 2, "--username"),
    ],
)
async def test_create_account_from_the_shell_refuses_what_the_api_refuses(
    stack: Stack, args: list[str], stdin: str, code: int, says: str
) -> None:
    if "--username" not in args:
        args = ["--username", new_name(), *args]
    ran = await create_account_cli(stack, *args, "--password-stdin", stdin=stdin)
    assert (ran.code, ran.stdout) == (code, ""), ran
    assert says in ran.stderr and "Traceback" not in ran.stderr, ran.stderr
    username = args[args.index("--username") + 1]
    assert await units_db_value(stack, "SELECT count(*) FROM accounts WHERE username = $1", username) == 0
