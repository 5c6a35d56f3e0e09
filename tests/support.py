"""What the tests share: the running system, clients, and small builders.

The tests talk to the real thing: a PostgreSQL server and a NATS server with
JetStream (started here from the wheels, or the ones DATABASE_URL / NATS_URL
name), and the services (the three and the console) running as granian processes, as in production.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from prometheus_client.parser import text_string_to_metric_families

from shared.settings import service_database_url
from thidua import devstack
from thidua.registry import NAMES as SERVICES

ADMIN_PASSWORD = "admin-" + secrets.token_hex(8)


@dataclass
class Stack:
    database_url: str  # the server
    nats_url: str
    tmp: Path
    services: dict[str, devstack.ServiceProcess] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)

    def url(self, service: str) -> str:
        return self.services[service].url

    def db_url(self, service: str) -> str:
        return service_database_url(self.database_url, service)

    def service_process(self, name: str, port: int | None = None, **extra_env: str) -> devstack.ServiceProcess:
        """A further process of a service (not started), e.g. a second replica."""
        env = {**self.env, **extra_env}
        return devstack.ServiceProcess(
            name, port or devstack.free_port(), env, log_path=self.tmp / f"{name}-{uuid.uuid4().hex[:6]}.log"
        )


def start_stack(tmp: Path) -> tuple[Stack, list[Any]]:
    started: list[Any] = []
    database_url = os.environ.get("DATABASE_URL")
    nats_url = os.environ.get("NATS_URL")
    if database_url:
        # A shared server: keep the tests' databases apart from anything else on it.
        os.environ.setdefault("THIDUA_DB_PREFIX", f"thidua_test_{secrets.token_hex(4)}")
    else:
        pg = devstack.LocalPostgres(tmp / "postgres", preferred_port=None)
        pg.start()
        started.append(pg)
        database_url = pg.url
    if not nats_url:
        nats = devstack.LocalNats(tmp / "nats", preferred_port=None)
        nats.start()
        started.append(nats)
        nats_url = nats.url
    ports = {name: devstack.free_port() for name in SERVICES}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    env = devstack.service_env(database_url, nats_url, urls, LOG_LEVEL="INFO")
    stack = Stack(database_url=database_url, nats_url=nats_url, tmp=tmp, env=env)
    for name in SERVICES:
        svc = devstack.ServiceProcess(name, ports[name], env, log_path=tmp / f"{name}.log")
        svc.start()
        stack.services[name] = svc
        started.append(svc)
    for svc in stack.services.values():
        svc.wait_ready(120)
    asyncio.run(_create_admin(stack))
    return stack, started


async def _create_admin(stack: Stack) -> None:
    from services.units.accounts.service import create_account

    conn = await asyncpg.connect(stack.db_url("units"))
    try:
        if not await conn.fetchval("SELECT 1 FROM accounts WHERE username = 'admin'"):
            await create_account(conn, "admin", ADMIN_PASSWORD, "admin")
    finally:
        await conn.close()


def code(prefix: str = "U") -> str:
    """A unit or campaign code no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 5.0, interval: float = 0.02) -> Any:
    """Wait until `check()` returns something truthy (events cross NATS); fail after `timeout`."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s (last value: {last!r})")


class Api:
    """One account's view of the system: an HTTP client per service with its token."""

    def __init__(self, stack: Stack, token: str | None = None) -> None:
        self.stack = stack
        self.token = token
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.units = httpx.AsyncClient(base_url=stack.url("units"), headers=headers, timeout=30)
        self.awards = httpx.AsyncClient(base_url=stack.url("awards"), headers=headers, timeout=30)
        self.events = httpx.AsyncClient(base_url=stack.url("events"), headers=headers, timeout=30)

    async def aclose(self) -> None:
        for client in (self.units, self.awards, self.events):
            await client.aclose()

    @classmethod
    async def login(cls, stack: Stack, username: str, password: str) -> Api:
        async with httpx.AsyncClient(base_url=stack.url("units"), timeout=30) as client:
            resp = await client.post("/auth/token", json={"username": username, "password": password})
            assert resp.status_code == 200, resp.text
            return cls(stack, resp.json()["access_token"])

    # Builders used across the suites.
    async def unit(
        self, name: str | None = None, *, parent_id: str | None = None, kind: str = "grassroots_party_org"
    ) -> dict:
        resp = await self.units.post(
            "/units",
            json={
                "code": code(),
                "name": name or f"Chi bộ {uuid.uuid4().hex[:6]}",
                "kind": kind,
                "parent_id": parent_id,
            },
        )
        assert resp.status_code == 201, resp.text
        return resp.json()

    async def person(self, unit_id: str, full_name: str | None = None, **extra: Any) -> dict:
        resp = await self.units.post(
            "/people",
            json={"full_name": full_name or f"Nguyễn Văn {uuid.uuid4().hex[:5]}", "unit_id": unit_id, **extra},
        )
        assert resp.status_code == 201, resp.text
        return resp.json()

    async def account(self, role: str, unit_id: str | None = None) -> tuple[str, str]:
        username = f"{role}-{uuid.uuid4().hex[:8]}"
        password = "pw-" + secrets.token_hex(8)
        resp = await self.units.post(
            "/accounts", json={"username": username, "password": password, "role": role, "unit_id": unit_id}
        )
        assert resp.status_code == 201, resp.text
        return username, password

    async def as_new(self, role: str, unit_id: str | None = None) -> Api:
        """A new account of `role` (bound to `unit_id` for an officer), logged in."""
        username, password = await self.account(role, unit_id)
        return await Api.login(self.stack, username, password)


async def in_copy(stack: Stack, service: str, unit_id: str, version: int = 1) -> bool:
    """Has `service`'s local copy of the unit tree got this unit at this version (with its path)?"""
    conn = await asyncpg.connect(stack.db_url(service))
    try:
        return bool(
            await conn.fetchval(
                "SELECT true FROM units WHERE id = $1 AND version >= $2 AND path IS NOT NULL",
                uuid.UUID(unit_id),
                version,
            )
        )
    finally:
        await conn.close()


async def scrape(stack: Stack, service: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """The service's `/metrics` samples by name and labels (pid left out: the tests run one worker)."""
    async with httpx.AsyncClient(base_url=stack.url(service)) as client:
        resp = await client.get("/metrics")
    assert resp.status_code == 200, resp.text
    return {
        (sample.name, tuple(sorted((k, v) for k, v in sample.labels.items() if k != "pid"))): sample.value
        for family in text_string_to_metric_families(resp.text)
        for sample in family.samples
    }
