"""Outages answered as outages: while PostgreSQL is away every call that needs it answers 503 with Retry-After in
a problem document (never a 500), and while NATS is away the writes that need only a service's own database
keep working; both servers back, everything answers and catches up.

This suite stops and starts servers, so it runs on a stack of its own (its own PostgreSQL and NATS from the
wheels, whatever DATABASE_URL / NATS_URL say), not on the session's shared one.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import httpx
import pytest

from tests.support import ADMIN_PASSWORD, Api, Stack, code, eventually, start_stack
from thidua import devstack


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, list[Any]]]:
    saved = {k: os.environ.pop(k) for k in ("DATABASE_URL", "NATS_URL") if k in os.environ}
    try:
        stack, started = start_stack(tmp_path_factory.mktemp("outages"))
    finally:
        os.environ.update(saved)
    yield stack, started
    for part in reversed(started):
        part.stop()


def server(started: list[Any], kind: type) -> Any:
    return next(p for p in started if isinstance(p, kind))


@pytest.fixture
async def committee(own_stack: tuple[Stack, list[Any]]) -> AsyncIterator[Api]:
    stack, _ = own_stack
    admin = await Api.login(stack, "admin", ADMIN_PASSWORD)
    member = await admin.as_new("committee")
    await admin.aclose()
    yield member
    await member.aclose()


def assert_outage(resp: httpx.Response) -> None:
    assert resp.status_code == 503, (resp.request.url, resp.status_code, resp.text)
    assert resp.headers["content-type"].startswith("application/problem+json"), resp.headers
    assert int(resp.headers["retry-after"]) > 0
    body = resp.json()
    assert body["status"] == 503 and body["type"] == "/problems/unavailable" and body["detail"], body


async def test_without_postgresql_every_call_that_needs_it_answers_503_with_retry_after(
    own_stack: tuple[Stack, list[Any]], committee: Api
) -> None:
    stack, started = own_stack
    admin = await Api.login(stack, "admin", ADMIN_PASSWORD)
    province = await admin.unit(name="Tỉnh ủy (mất điện)", kind="party_committee")
    pg = server(started, devstack.LocalPostgres)
    pg.stop()
    try:
        calls = [
            admin.units.get("/units"),
            admin.units.post("/units", json={"code": code(), "name": "Chi bộ mới", "kind": "grassroots_party_org"}),
            admin.units.post("/auth/token", json={"username": "admin", "password": ADMIN_PASSWORD}),
            committee.awards.get("/campaigns"),
            committee.awards.post(
                "/campaigns",
                json={"code": code("PT"), "name": "Phong trào", "organizer_unit_id": province["id"], "year": 2026},
            ),
            committee.awards.get(f"/campaigns/{uuid.uuid4()}"),
            committee.awards.post(  # the idempotency keys live in the database too
                "/campaigns",
                headers={"Idempotency-Key": uuid.uuid4().hex},
                json={"code": code("PT"), "name": "Phong trào", "organizer_unit_id": province["id"], "year": 2026},
            ),
            committee.events.get("/honorees", params={"q": f"khong co {uuid.uuid4().hex[:6]}"}),
            committee.events.get("/ceremonies"),
        ]
        for call in calls:
            assert_outage(await call)
        # The console: a page that needs its own database (a signed-in session) or a service is a 503 page.
        async with httpx.AsyncClient(base_url=stack.url("console"), cookies={"thidua_session": "x" * 43}) as console:
            page = await console.get("/nominations")
            assert page.status_code == 503, (page.status_code, page.text[:300])
            assert int(page.headers["retry-after"]) > 0
            assert (await console.get("/health/live")).status_code == 200
            # The metrics still answer, and say that the database is away.
        scraped = await committee.awards.get("/metrics")
        assert scraped.status_code == 200 and "thidua_database_up 0.0" in scraped.text, scraped.text[:500]
        # The readiness says why, without a 500 either.
        for api in (committee.units, committee.awards, committee.events):
            ready = await api.get("/health/ready")
            assert ready.status_code == 503 and ready.json()["checks"]["database"] is False, ready.text
            serving = await api.get("/health/serving")
            assert serving.status_code == 503 and serving.json()["checks"] == {"database": False}, serving.text
    finally:
        pg.start()

    # Back: the same calls answer, through new connections.
    async def answers() -> bool:
        resp = await committee.awards.get("/campaigns")
        return resp.status_code == 200

    await eventually(answers, timeout=30, interval=0.2)
    assert (await admin.units.get("/units")).status_code == 200
    await admin.aclose()


async def test_without_nats_the_writes_of_a_service_keep_working_and_arrive_later(
    own_stack: tuple[Stack, list[Any]], committee: Api
) -> None:
    stack, started = own_stack
    admin = await Api.login(stack, "admin", ADMIN_PASSWORD)
    province = await admin.unit(name="Tỉnh ủy (mất kết nối)", kind="party_committee")
    await eventually(lambda: in_awards(stack, province["id"]), timeout=30)
    nats = server(started, devstack.LocalNats)
    nats.stop()
    try:
        created = await committee.awards.post(
            "/campaigns",
            json={
                "code": code("PT"),
                "name": "Phong trào lúc NATS vắng",
                "organizer_unit_id": province["id"],
                "year": 2026,
            },
        )
        assert created.status_code == 201, created.text
        unit = await admin.units.post(
            "/units", json={"code": code(), "name": "Chi bộ lúc NATS vắng", "kind": "grassroots_party_org"}
        )
        assert unit.status_code == 201, unit.text
        ready = await committee.awards.get("/health/ready")
        assert ready.status_code == 503 and ready.json()["checks"] == {"database": True, "nats": False}, ready.text
        # Still fit to take requests, as the writes above show: the load balancer's probe says so.
        serving = await committee.awards.get("/health/serving")
        assert serving.status_code == 200 and serving.json()["checks"] == {"database": True}, serving.text
    finally:
        nats.start()
    # Back: what was written meanwhile reaches the other services (the outbox kept it), and all are ready.
    await eventually(lambda: in_awards(stack, unit.json()["id"]), timeout=60, interval=0.2)

    async def ready_again() -> bool:
        return all(
            [(await api.get("/health/ready")).status_code == 200 for api in (admin.units, admin.awards, admin.events)]
        )

    await eventually(ready_again, timeout=30, interval=0.2)
    await admin.aclose()


async def in_awards(stack: Stack, unit_id: str) -> bool:
    conn = await asyncpg.connect(stack.db_url("awards"))
    try:
        return bool(await conn.fetchval("SELECT true FROM units WHERE id = $1", uuid.UUID(unit_id)))
    finally:
        await conn.close()
