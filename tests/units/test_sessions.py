"""Sessions and the account lifecycle over HTTP: refresh tokens that rotate and detect reuse, sign-out,
password change and reset ending other sign-ins, accounts disabled (their tokens refused by every service
within a second) and changed, and the sign-in throttle per account."""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import pytest

from shared import events
from tests.support import Api, Stack, eventually
from tests.units.conftest import Tree
from tests.units.helpers import outbox, problem, units_db_value

DISABLED = "this account is disabled"


@dataclass
class User:
    """An account made for one test, with its password."""

    id: str
    username: str
    password: str
    role: str


async def new_user(admin: Api, role: str = "committee", unit_id: str | None = None, **extra: Any) -> User:
    username, password = f"{role}-{uuid.uuid4().hex[:8]}", "pw-" + secrets.token_hex(8)
    resp = await admin.units.post(
        "/accounts", json={"username": username, "password": password, "role": role, "unit_id": unit_id, **extra}
    )
    assert resp.status_code == 201, resp.text
    return User(resp.json()["id"], username, password, role)


@pytest.fixture
async def units(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    """An anonymous client of the units service."""
    async with httpx.AsyncClient(base_url=stack.url("units"), timeout=30) as client:
        yield client


async def sign_in(units: httpx.AsyncClient, user: User, password: str | None = None) -> dict:
    resp = await units.post("/auth/token", json={"username": user.username, "password": password or user.password})
    assert resp.status_code == 200, resp.text
    return resp.json()


async def refreshed(units: httpx.AsyncClient, refresh_token: str) -> httpx.Response:
    return await units.post("/auth/refresh", json={"refresh_token": refresh_token})


def bearer(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}"}


async def me_status(units: httpx.AsyncClient, access_token: str) -> int:
    return (await units.get("/auth/me", headers=bearer(access_token))).status_code


# ------------------------------------------------------------------ refresh tokens
async def test_a_sign_in_gives_a_refresh_token_that_works_once(admin: Api, units: httpx.AsyncClient) -> None:
    user = await new_user(admin)
    first = await sign_in(units, user)
    assert set(first) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert first["token_type"] == "bearer" and first["expires_in"] > 0
    assert first["refresh_token"] != first["access_token"] and len(first["refresh_token"]) >= 40
    # Stored hashed: what the database holds of it is its SHA-256.
    stored = await units_db_value(
        admin.stack,
        "SELECT count(*) FROM sign_ins WHERE account_id = $1 AND token_hash = sha256(convert_to($2, 'UTF8'))",
        uuid.UUID(user.id),
        first["refresh_token"],
    )
    assert stored == 1

    second = await refreshed(units, first["refresh_token"])
    assert second.status_code == 200, second.text
    pair = second.json()
    assert set(pair) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert pair["refresh_token"] != first["refresh_token"] and pair["access_token"] != first["access_token"]
    me = await units.get("/auth/me", headers=bearer(pair["access_token"]))
    assert me.status_code == 200 and me.json()["id"] == user.id
    # The next refresh takes the new token.
    third = await refreshed(units, pair["refresh_token"])
    assert third.status_code == 200, third.text


async def test_a_used_refresh_token_ends_the_whole_sign_in(admin: Api, units: httpx.AsyncClient) -> None:
    user = await new_user(admin)
    stolen = (await sign_in(units, user))["refresh_token"]
    current = (await refreshed(units, stolen)).json()["refresh_token"]
    elsewhere = (await sign_in(units, user))["refresh_token"]  # another sign-in of the same account

    reused = problem(await refreshed(units, stolen), 401)
    assert "already used" in reused["detail"]
    assert (await refreshed(units, stolen)).status_code == 401
    # The rotated token of that sign-in stops working too: whoever holds it, it is no longer trusted.
    ended = problem(await refreshed(units, current), 401)
    assert "ended" in ended["detail"]
    # Another sign-in of the account is not touched.
    assert (await refreshed(units, elsewhere)).status_code == 200


async def test_two_refreshes_racing_with_one_token_leave_one_winner_at_most(
    admin: Api, units: httpx.AsyncClient
) -> None:
    user = await new_user(admin)
    token = (await sign_in(units, user))["refresh_token"]
    answers = await asyncio.gather(*(refreshed(units, token) for _ in range(5)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200, 401, 401, 401, 401], statuses
    # The second presentation was a reuse: the sign-in ended, the winner's token with it.
    [winner] = [a.json()["refresh_token"] for a in answers if a.status_code == 200]
    problem(await refreshed(units, winner), 401)


async def test_an_expired_unknown_or_malformed_refresh_token_is_401(
    stack: Stack, admin: Api, units: httpx.AsyncClient
) -> None:
    user = await new_user(admin)
    token = (await sign_in(units, user))["refresh_token"]
    # Thirty days are not waited for: the stored expiry is moved into the past.
    sign_in_id = uuid.UUID(hex=token.split(".")[0])
    await units_db_value(
        stack, "UPDATE sign_ins SET expires_at = now() - interval '1 second' WHERE id = $1 RETURNING 1", sign_in_id
    )
    assert "expired" in problem(await refreshed(units, token), 401)["detail"]
    for bad in (
        "x",
        "not.a.token",
        f"{uuid.uuid4().hex}.{secrets.token_urlsafe(32)}",
        f"{'0' * 32}.abc",
        "\u0000" * 10,
        "đ" * 200,
        f"{uuid.uuid4()}",
    ):
        resp = await refreshed(units, bad)
        problem(resp, 401)
        assert resp.headers["www-authenticate"].lower().startswith("bearer")


async def test_a_refresh_carries_the_account_as_it_is_now(admin: Api, units: httpx.AsyncClient, tree: Tree) -> None:
    user = await new_user(admin)
    token = (await sign_in(units, user))["refresh_token"]
    changed = await admin.units.patch(f"/accounts/{user.id}", json={"role": "officer", "unit_id": tree.a["id"]})
    assert changed.status_code == 200, changed.text
    pair = (await refreshed(units, token)).json()
    claims = jwt.decode(pair["access_token"], options={"verify_signature": False})
    assert (claims["role"], claims["unit"]) == ("officer", tree.a["id"])


# ------------------------------------------------------------------ sign-out
async def test_logout_ends_the_sign_in_and_is_quiet_about_the_rest(admin: Api, units: httpx.AsyncClient) -> None:
    user = await new_user(admin)
    first = await sign_in(units, user)
    other = await sign_in(units, user)
    out = await units.post("/auth/logout", json={"refresh_token": first["refresh_token"]})
    assert out.status_code == 204 and out.content == b""
    assert "ended" in problem(await refreshed(units, first["refresh_token"]), 401)["detail"]
    assert (await refreshed(units, other["refresh_token"])).status_code == 200  # only that sign-in
    # Again, or with a token that names nothing: still 204; no access token is needed.
    for token in (first["refresh_token"], "nothing", f"{uuid.uuid4().hex}.x"):
        assert (await units.post("/auth/logout", json={"refresh_token": token})).status_code == 204


async def test_logout_with_a_used_token_ends_the_sign_in_too(admin: Api, units: httpx.AsyncClient) -> None:
    user = await new_user(admin)
    used = (await sign_in(units, user))["refresh_token"]
    current = (await refreshed(units, used)).json()["refresh_token"]
    assert (await units.post("/auth/logout", json={"refresh_token": used})).status_code == 204
    problem(await refreshed(units, current), 401)


# ------------------------------------------------------------------ passwords
async def test_changing_ones_password_ends_the_other_sign_ins_and_keeps_this_one(
    admin: Api, units: httpx.AsyncClient
) -> None:
    user = await new_user(admin)
    here = await sign_in(units, user)
    there = await sign_in(units, user)
    new_password = "new-" + secrets.token_hex(8)
    resp = await units.post(
        "/auth/password",
        json={
            "current_password": user.password,
            "new_password": new_password,
            "refresh_token": here["refresh_token"],
        },
        headers=bearer(here["access_token"]),
    )
    assert resp.status_code == 204, resp.text
    assert (await refreshed(units, here["refresh_token"])).status_code == 200
    problem(await refreshed(units, there["refresh_token"]), 401)
    problem(await units.post("/auth/token", json={"username": user.username, "password": user.password}), 401)
    await sign_in(units, user, new_password)


async def test_changing_ones_password_without_naming_the_sign_in_ends_them_all(
    admin: Api, units: httpx.AsyncClient
) -> None:
    user = await new_user(admin)
    here = await sign_in(units, user)
    there = await sign_in(units, user)
    theirs = await sign_in(units, await new_user(admin))
    resp = await units.post(
        "/auth/password",
        json={"current_password": user.password, "new_password": "another-pw-1"},
        headers=bearer(here["access_token"]),
    )
    assert resp.status_code == 204, resp.text
    for token in (here, there):
        problem(await refreshed(units, token["refresh_token"]), 401)
    # Someone else's refresh token names no sign-in of this account: it is neither kept nor ended.
    assert (await refreshed(units, theirs["refresh_token"])).status_code == 200


async def test_a_wrong_current_password_is_400_and_changes_nothing(admin: Api, units: httpx.AsyncClient) -> None:
    user = await new_user(admin)
    here = await sign_in(units, user)
    there = await sign_in(units, user)
    wrong = await units.post(
        "/auth/password",
        json={"current_password": "not-" + user.password, "new_password": "another-pw-1"},
        headers=bearer(here["access_token"]),
    )
    body = problem(wrong, 400, "current_password")
    assert body["type"] == "/problems/wrong-password"
    await sign_in(units, user)  # the old password still works
    assert (await refreshed(units, there["refresh_token"])).status_code == 200
    problem(await units.post("/auth/password", json={"current_password": "x", "new_password": "another-pw-1"}), 401)


async def test_a_wrong_current_password_counts_as_a_failed_sign_in(stack: Stack, admin: Api) -> None:
    user = await new_user(admin)
    async with httpx.AsyncClient(base_url=stack.url("units"), timeout=30, transport=from_address("127.0.0.9")) as units:
        token = (await sign_in(units, user))["access_token"]
        for _ in range(10):
            wrong = await units.post(
                "/auth/password",
                json={"current_password": "guess-" + secrets.token_hex(4), "new_password": "another-pw-1"},
                headers=bearer(token),
            )
            problem(wrong, 400, "current_password")
        limited = await units.post(
            "/auth/password",
            json={"current_password": user.password, "new_password": "another-pw-1"},
            headers=bearer(token),
        )
        problem(limited, 429)
        assert int(limited.headers["retry-after"]) >= 1


async def test_an_admin_resets_a_password_and_every_sign_in_ends(admin: Api, units: httpx.AsyncClient) -> None:
    user = await new_user(admin)
    sessions = [await sign_in(units, user) for _ in range(2)]
    resp = await admin.units.post(f"/accounts/{user.id}/password", json={"password": "reset-pw-123"})
    assert resp.status_code == 204, resp.text
    for session in sessions:
        problem(await refreshed(units, session["refresh_token"]), 401)
    problem(await units.post("/auth/token", json={"username": user.username, "password": user.password}), 401)
    await sign_in(units, user, "reset-pw-123")
    problem(await admin.units.post(f"/accounts/{uuid.uuid4()}/password", json={"password": "reset-pw-123"}), 404)
    problem(await admin.units.post(f"/accounts/{user.id}/password", json={"password": "short"}), 400, "password")


async def test_only_an_admin_resets_passwords_or_changes_accounts(
    admin: Api, officer_a: Api, committee: Api, anonymous: Api
) -> None:
    user = await new_user(admin)
    for api, status in ((officer_a, 403), (committee, 403), (anonymous, 401)):
        problem(await api.units.post(f"/accounts/{user.id}/password", json={"password": "reset-pw-123"}), status)
        problem(await api.units.patch(f"/accounts/{user.id}", json={"disabled": True}), status)
    assert (await admin.units.get(f"/accounts/{user.id}")).json()["disabled"] is False


# ------------------------------------------------------------------ disabled accounts
async def authorized_everywhere(stack: Stack, access_token: str) -> dict[str, httpx.Response]:
    """One authenticated call per service with this token (a committee member's)."""
    headers = bearer(access_token)
    async with httpx.AsyncClient(timeout=30, headers=headers) as client:
        return {
            "units": await client.get(f"{stack.url('units')}/auth/me"),
            "awards": await client.get(f"{stack.url('awards')}/nominations", params={"limit": 1}),
            # An invalid body: with a good token the answer is 400, so only the token can make it 401.
            "events": await client.post(f"{stack.url('events')}/ceremonies", json={}),
        }


async def test_a_disabled_account_is_refused_by_every_service_within_a_second(
    stack: Stack, admin: Api, units: httpx.AsyncClient
) -> None:
    user = await new_user(admin)
    session = await sign_in(units, user)
    before = await authorized_everywhere(stack, session["access_token"])
    assert {name: r.status_code for name, r in before.items()} == {"units": 200, "awards": 200, "events": 400}

    resp = await admin.units.patch(f"/accounts/{user.id}", json={"disabled": True})
    started = time.monotonic()
    assert resp.status_code == 200, resp.text
    assert resp.json()["disabled"] is True

    async def all_refused() -> bool:
        answers = await authorized_everywhere(stack, session["access_token"])
        return all(r.status_code == 401 for r in answers.values())

    await eventually(all_refused, timeout=1.0, interval=0.01)
    took = time.monotonic() - started
    for name, answer in (await authorized_everywhere(stack, session["access_token"])).items():
        body = problem(answer, 401)
        assert (body["detail"], body["type"]) == (DISABLED, "/problems/account-disabled"), name
    print(f"disabled account refused by all three services {took * 1000:.0f} ms after the PATCH answered")

    # It cannot sign in (its right password says why; a wrong one says nothing), nor refresh.
    locked = problem(await units.post("/auth/token", json={"username": user.username, "password": user.password}), 401)
    assert locked["detail"] == DISABLED
    wrong = await units.post("/auth/token", json={"username": user.username, "password": "wrong-password"})
    assert problem(wrong, 401)["detail"] == "the username or password is wrong"
    problem(await refreshed(units, session["refresh_token"]), 401)

    # Enabled again: a new sign-in works everywhere; the sign-in it had is not revived.
    enabled = await admin.units.patch(f"/accounts/{user.id}", json={"disabled": False})
    assert enabled.status_code == 200 and enabled.json()["disabled"] is False
    fresh = await sign_in(units, user)

    async def all_let_in() -> bool:
        answers = await authorized_everywhere(stack, fresh["access_token"])
        return [r.status_code for r in answers.values()] == [200, 200, 400]

    await eventually(all_let_in, timeout=1.0, interval=0.01)
    problem(await refreshed(units, session["refresh_token"]), 401)


async def test_every_worker_of_a_service_learns_it(stack: Stack, admin: Api, units: httpx.AsyncClient) -> None:
    """A durable hands each event to one process; the refusal must reach every worker all the same."""
    awards = stack.service_process("awards")
    awards.workers = 2
    awards.start()
    try:
        await asyncio.to_thread(awards.wait_ready, 60)
        user = await new_user(admin)
        token = (await sign_in(units, user))["access_token"]

        async def statuses() -> set[int]:
            # A new connection each time: granian spreads connections over its workers.
            found = set()
            for _ in range(16):
                async with httpx.AsyncClient(timeout=30) as client:
                    resp = await client.get(f"{awards.url}/nominations", headers=bearer(token))
                    found.add(resp.status_code)
            return found

        assert await statuses() == {200}
        resp = await admin.units.patch(f"/accounts/{user.id}", json={"disabled": True})
        assert resp.status_code == 200, resp.text

        async def all_refused() -> bool:
            return await statuses() == {401}

        await eventually(all_refused, timeout=2.0, interval=0.01)
        # And stays refused: no worker lags behind.
        assert await statuses() == {401}
    finally:
        await asyncio.to_thread(awards.stop)


async def test_a_process_started_later_refuses_a_disabled_account_from_its_first_request(
    stack: Stack, admin: Api, units: httpx.AsyncClient
) -> None:
    """The set is loaded at start, not only learnt from notifications."""
    user = await new_user(admin)
    token = (await sign_in(units, user))["access_token"]
    assert (await admin.units.patch(f"/accounts/{user.id}", json={"disabled": True})).status_code == 200
    events_process = stack.service_process("events")

    async def in_events_copy() -> bool:
        return bool(
            await _db_value(stack, "events", "SELECT disabled FROM account_blocks WHERE account_id = $1", user.id)
        )

    await eventually(in_events_copy, timeout=5)
    events_process.start()
    try:
        await asyncio.to_thread(events_process.wait_ready, 60)
        async with httpx.AsyncClient(timeout=30) as client:
            resp = await client.post(f"{events_process.url}/ceremonies", json={}, headers=bearer(token))
        assert problem(resp, 401)["detail"] == DISABLED
    finally:
        await asyncio.to_thread(events_process.stop)


async def _db_value(stack: Stack, service: str, sql: str, *args: object) -> object:
    import asyncpg

    conn = await asyncpg.connect(stack.db_url(service))
    try:
        return await conn.fetchval(sql, *(uuid.UUID(a) if isinstance(a, str) else a for a in args))
    finally:
        await conn.close()


# ------------------------------------------------------------------ an admin's changes
async def test_an_admin_changes_role_unit_and_display_name(admin: Api, tree: Tree) -> None:
    user = await new_user(admin, display_name="  Nguyễn   Văn  Ấn ")
    shown = (await admin.units.get(f"/accounts/{user.id}")).json()
    assert (shown["display_name"], shown["disabled"], shown["version"]) == ("Nguyễn Văn Ấn", False, 1)

    resp = await admin.units.patch(
        f"/accounts/{user.id}", json={"role": "officer", "unit_id": tree.a1["id"], "display_name": "Trần Thị Bé"}
    )
    assert resp.status_code == 200, resp.text
    changed = resp.json()
    assert (changed["role"], changed["unit_id"], changed["display_name"], changed["version"]) == (
        "officer",
        tree.a1["id"],
        "Trần Thị Bé",
        2,
    )
    assert (await admin.units.get(f"/accounts/{user.id}")).json() == changed
    # Only what is sent changes; null clears the display name; the same values again change nothing.
    cleared = (await admin.units.patch(f"/accounts/{user.id}", json={"display_name": None})).json()
    assert (cleared["display_name"], cleared["role"], cleared["unit_id"], cleared["version"]) == (
        None,
        "officer",
        tree.a1["id"],
        3,
    )
    same = (await admin.units.patch(f"/accounts/{user.id}", json={"role": "officer", "disabled": False})).json()
    assert same["version"] == 3

    # An officer keeps a unit; the unit must exist.
    problem(await admin.units.patch(f"/accounts/{user.id}", json={"unit_id": None}), 400, "unit_id")
    problem(await admin.units.patch(f"/accounts/{user.id}", json={"unit_id": str(uuid.uuid4())}), 400, "unit_id")
    committee = await new_user(admin)
    problem(await admin.units.patch(f"/accounts/{committee.id}", json={"role": "officer"}), 400, "unit_id")
    assert (await admin.units.get(f"/accounts/{committee.id}")).json()["role"] == "committee"
    problem(await admin.units.patch(f"/accounts/{uuid.uuid4()}", json={"disabled": True}), 404)


async def test_every_change_of_an_account_is_published_without_its_password(admin: Api, tree: Tree) -> None:
    user = await new_user(admin, display_name="Lê Văn Sự")
    await admin.units.patch(f"/accounts/{user.id}", json={"role": "officer", "unit_id": tree.b["id"]})
    await admin.units.patch(f"/accounts/{user.id}", json={"disabled": True})
    await admin.units.post(f"/accounts/{user.id}/password", json={"password": "reset-pw-123"})  # not news
    found = await outbox(admin.stack, user.id)
    assert [(e.type, e.version) for e in found] == [
        ("units.account.created", 1),
        ("units.account.updated", 2),
        ("units.account.updated", 3),
    ]
    last = found[-1].data
    assert isinstance(last, events.AccountUpdated)
    assert (last.username, last.role, last.unit_id, last.disabled, last.display_name) == (
        user.username,
        "officer",
        uuid.UUID(tree.b["id"]),
        True,
        "Lê Văn Sự",
    )
    raw = await units_db_value(  # every event that mentions the account, as JSON
        admin.stack,
        "SELECT string_agg(convert_from(payload, 'UTF8'), ' ') FROM outbox "
        "WHERE convert_from(payload, 'UTF8') LIKE '%' || $1 || '%'",
        user.id,
    )
    assert raw and user.username in str(raw)
    assert "argon2" not in str(raw) and "password" not in str(raw)


async def test_an_admin_cannot_disable_itself_or_change_its_own_role(admin: Api) -> None:
    me = (await admin.units.get("/auth/me")).json()
    problem(await admin.units.patch(f"/accounts/{me['id']}", json={"disabled": True}), 409, "disabled")
    problem(await admin.units.patch(f"/accounts/{me['id']}", json={"role": "committee"}), 409, "role")
    account = (await admin.units.get(f"/accounts/{me['id']}")).json()
    assert (account["disabled"], account["role"]) == (False, "admin")
    # Another admin it may disable.
    other = await new_user(admin, "admin")
    assert (await admin.units.patch(f"/accounts/{other.id}", json={"disabled": True})).json()["disabled"] is True


# ------------------------------------------------------------------ the throttle per account
def from_address(address: str) -> httpx.AsyncHTTPTransport:
    """Connections from another loopback address: what clients behind different addresses look like."""
    return httpx.AsyncHTTPTransport(local_address=address)


async def test_failures_from_many_addresses_lock_the_account_not_the_others(stack: Stack, admin: Api) -> None:
    user = await new_user(admin)
    bystander = await new_user(admin)
    for n in range(2, 5):  # three addresses, each staying under its own limit of 10 failures
        async with httpx.AsyncClient(
            base_url=stack.url("units"), timeout=30, transport=from_address(f"127.0.0.{n}")
        ) as client:
            for _ in range(10):
                wrong = await client.post(
                    "/auth/token", json={"username": user.username, "password": "guess-" + secrets.token_hex(4)}
                )
                problem(wrong, 401)
    async with httpx.AsyncClient(
        base_url=stack.url("units"), timeout=30, transport=from_address("127.0.0.5")
    ) as client:
        # 30 failures in all: a fourth address, even with the right password, waits.
        limited = await client.post("/auth/token", json={"username": user.username.upper(), "password": user.password})
        problem(limited, 429)
        assert 1 <= int(limited.headers["retry-after"]) <= 300
        # Another account from the same address is not locked out.
        assert (
            await client.post("/auth/token", json={"username": bystander.username, "password": bystander.password})
        ).status_code == 200


async def test_one_address_hammering_an_account_locks_out_that_address_only(stack: Stack, admin: Api) -> None:
    user = await new_user(admin)
    async with httpx.AsyncClient(
        base_url=stack.url("units"), timeout=30, transport=from_address("127.0.0.6")
    ) as client:
        for _ in range(40):  # past the account's limit of 30, but refused by the address's limit from the 11th
            resp = await client.post("/auth/token", json={"username": user.username, "password": "wrong-password"})
            assert resp.status_code in (401, 429)
        problem(await client.post("/auth/token", json={"username": user.username, "password": user.password}), 429)
    async with httpx.AsyncClient(
        base_url=stack.url("units"), timeout=30, transport=from_address("127.0.0.7")
    ) as client:
        assert (
            await client.post("/auth/token", json={"username": user.username, "password": user.password})
        ).status_code == 200


# ------------------------------------------------------------------ hostile bodies
HUGE = "x" * 100_000


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/auth/refresh", {}, "refresh_token"),
        ("/auth/refresh", {"refresh_token": None}, "refresh_token"),
        ("/auth/refresh", {"refresh_token": 12}, "refresh_token"),
        ("/auth/refresh", {"refresh_token": ""}, "refresh_token"),
        ("/auth/refresh", {"refresh_token": HUGE}, "refresh_token"),
        ("/auth/refresh", {"refresh_token": "x", "remember": True}, "remember"),
        ("/auth/refresh", ["x"], "body"),
        ("/auth/logout", {}, "refresh_token"),
        ("/auth/logout", {"refresh_token": ["x"]}, "refresh_token"),
        ("/auth/logout", {"refresh_token": HUGE}, "refresh_token"),
        ("/auth/logout", "x", "body"),
    ],
)
async def test_a_malformed_session_request_is_400(
    units: httpx.AsyncClient, path: str, body: object, field: str
) -> None:
    problem(await units.post(path, json=body), 400, field)


@pytest.fixture(scope="module")
async def signed_in(admin: Api) -> AsyncIterator[tuple[User, str]]:
    user = await new_user(admin)
    async with httpx.AsyncClient(base_url=admin.stack.url("units"), timeout=30) as client:
        yield user, (await sign_in(client, user))["access_token"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"new_password": "another-pw-1"}, "current_password"),
        ({"current_password": "x"}, "new_password"),
        ({"current_password": "x", "new_password": "short"}, "new_password"),
        ({"current_password": "x", "new_password": HUGE}, "new_password"),
        ({"current_password": HUGE, "new_password": "another-pw-1"}, "current_password"),
        ({"current_password": 1, "new_password": "another-pw-1"}, "current_password"),
        ({"current_password": "x", "new_password": "another-pw-1", "refresh_token": 5}, "refresh_token"),
        ({"current_password": "x", "new_password": "another-pw-1", "role": "admin"}, "role"),
    ],
)
async def test_a_malformed_password_change_is_400(
    units: httpx.AsyncClient, signed_in: tuple[User, str], body: dict, field: str
) -> None:
    _, token = signed_in
    problem(await units.post("/auth/password", json=body, headers=bearer(token)), 400, field)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),
        ({"disabled": "yes"}, "disabled"),
        ({"disabled": None}, "disabled"),
        ({"role": "root"}, "role"),
        ({"role": None}, "role"),
        ({"unit_id": "unit-a"}, "unit_id"),
        ({"display_name": 7}, "display_name"),
        ({"display_name": HUGE}, "display_name"),
        ({"display_name": "Ông\u0000A"}, "display_name"),
        ({"password": "another-pw-1"}, "password"),
        ({"username": "renamed"}, "username"),
    ],
)
async def test_a_malformed_account_change_is_400_and_changes_nothing(
    admin: Api, signed_in: tuple[User, str], body: dict, field: str
) -> None:
    user, _ = signed_in
    before = (await admin.units.get(f"/accounts/{user.id}")).json()
    problem(await admin.units.patch(f"/accounts/{user.id}", json=body), 400, field)
    assert (await admin.units.get(f"/accounts/{user.id}")).json() == before


@pytest.mark.parametrize("body", [{}, {"password": 12345678}, {"password": HUGE}, {"password": "x", "role": "a"}])
async def test_a_malformed_password_reset_is_400(admin: Api, signed_in: tuple[User, str], body: dict) -> None:
    user, _ = signed_in
    resp = await admin.units.post(f"/accounts/{user.id}/password", json=body)
    problem(resp, 400)
