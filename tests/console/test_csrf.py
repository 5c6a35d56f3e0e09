"""Every form that changes something carries the session's CSRF token: a POST without it, or with
another session's, is refused (403) and changes nothing. The sign-in form has its own."""

from __future__ import annotations

import pytest

from tests.awards.helpers import nominate

from .conftest import World
from .helpers import ConsoleClient


@pytest.fixture
async def submitted(world: World) -> dict:
    return await nominate(world.officer_a.api, world.collective["id"], unit_id=world.commune_a["id"])


async def status_of(world: World, nomination: dict) -> str:
    resp = await world.officer_a.api.awards.get(f"/nominations/{nomination['id']}")
    return str(resp.json()["status"])


async def test_a_post_without_the_token_changes_nothing(world: World, submitted: dict) -> None:
    officer, member = ConsoleClient(world), ConsoleClient(world)
    try:
        await officer.sign_in(world.officer_a)
        await member.sign_in(world.committee[2])
        path = f"/nominations/{submitted['id']}"
        for client, action, data in [
            (officer, "withdraw", {}),
            (member, "approve", {}),
            (member, "reject", {"reason": "Không đủ tiêu chuẩn"}),
            (member, "vote", {"approve": "1"}),
        ]:
            without = await client.post(f"{path}/{action}", data)
            assert without.status_code == 403, (action, without.status_code)
            assert "mã xác thực" in without.text
            wrong = await client.post(f"{path}/{action}", {**data, "_csrf_token": "x" * 43})
            assert wrong.status_code == 403
        # The other session's token is not this one's.
        theirs = await member.token_on(path)
        assert (await officer.post(f"{path}/withdraw", {"_csrf_token": theirs})).status_code == 403
        # A new nomination, a decision, a password change, a sign-out: refused alike.
        assert (await officer.post("/nominations/new", {"category_id": world.individual["id"]})).status_code == 403
        assert (
            await member.post("/decisions/new", {"number": "1/QĐ", "nomination_id": submitted["id"]})
        ).status_code == 403
        assert (await officer.post("/password", {"current_password": "a", "new_password": "b" * 8})).status_code == 403
        assert (await officer.post("/logout")).status_code == 403
        assert (await officer.get("/nominations")).status_code == 200  # still signed in
        votes = await world.committee[2].api.awards.get(f"/nominations/{submitted['id']}/votes")
        assert votes.json()["votes"] == []
        assert await status_of(world, submitted) == "submitted"
        # With its own token, the same withdrawal goes through.
        mine = await officer.token_on(path)
        done = await officer.post(f"{path}/withdraw", {"_csrf_token": mine})
        assert done.status_code == 303 and done.headers["location"] == f"{path}?done=withdrawn"
        assert await status_of(world, submitted) == "withdrawn"
    finally:
        await officer.aclose()
        await member.aclose()


async def test_the_sign_in_form_needs_its_token(world: World) -> None:
    client = ConsoleClient(world)
    try:
        creds = {"username": world.officer_a.username, "password": world.officer_a.password}
        resp = await client.post("/login", creds)
        assert resp.status_code == 403 and "thidua_session" not in resp.headers.get("set-cookie", "")
        await client.get("/login")  # sets the form's cookie
        resp = await client.post("/login", {**creds, "_csrf_token": "guessed-" + "x" * 40})
        assert resp.status_code == 403
        assert (await client.get("/nominations")).status_code == 303  # not signed in
        await client.sign_in(world.officer_a)
        assert (await client.get("/nominations")).status_code == 200
    finally:
        await client.aclose()
