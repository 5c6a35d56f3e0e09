"""Backup and restore, drilled: `thidua backup` of a stack with data, `thidua restore` into an empty PostgreSQL, the
services started on it and an empty NATS, the read models brought back with `thidua republish` and `thidua rebuild
events`, and nothing lost: every table's rows, the units, the awards, a dossier's file to the byte, the roll.

The backup is taken while the events service is stopped after a second decision: the awards database holds awards
that the events database does not, and the NATS that carried them is not restored (an empty one is started). So
the restored roll misses them until the reconciliation verbs restate them, as after losing a machine whose read
model had fallen behind. The suite runs its own servers (whatever DATABASE_URL / NATS_URL say).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from tests.awards.helpers import approve, campaign, category, decide, nominate, person_here, unit_here
from tests.awards.test_attachments import pdf_bytes, upload
from tests.events.conftest import whole_roll
from tests.support import ADMIN_PASSWORD, Api, Stack, _create_admin, eventually
from thidua import devstack
from thidua.registry import NAMES as SERVICES

ROOT = Path(__file__).resolve().parents[2]


class Servers:
    """A PostgreSQL and a NATS from the wheels, new and empty, and the services (not yet started) on them."""

    def __init__(self, tmp: Path) -> None:
        self.pg = devstack.LocalPostgres(tmp / "postgres", preferred_port=None)
        self.nats = devstack.LocalNats(tmp / "nats", preferred_port=None)
        self.pg.start()
        self.nats.start()
        ports = {name: devstack.free_port() for name in SERVICES}
        urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        env = devstack.service_env(self.pg.url, self.nats.url, urls, LOG_LEVEL="INFO")
        self.stack = Stack(database_url=self.pg.url, nats_url=self.nats.url, tmp=tmp, env=env)
        for name in SERVICES:
            self.stack.services[name] = devstack.ServiceProcess(name, ports[name], env, log_path=tmp / f"{name}.log")

    def start_services(self) -> None:
        for service in self.stack.services.values():
            service.start()
        for service in self.stack.services.values():
            service.wait_ready(120)

    def stop(self) -> None:
        for service in self.stack.services.values():
            service.stop()
        self.nats.stop()
        self.pg.stop()


def thidua(stack: Stack, *args: str) -> str:
    """A `thidua` verb run as an operator runs it, against the stack's PostgreSQL server."""
    env = {**os.environ, "DATABASE_URL": stack.database_url}
    done = subprocess.run(
        [sys.executable, "-m", "thidua.cli", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout


def thidua_refuses(database_url: str | None, *args: str) -> str:
    """A verb that must fail: exit code 1, and what it says on stderr."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    done = subprocess.run(
        [sys.executable, "-m", "thidua.cli", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 1, (args, done.stdout, done.stderr)
    return done.stderr


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    servers = Servers(tmp_path_factory.mktemp("backup-source"))
    try:
        servers.start_services()
        asyncio.run(_create_admin(servers.stack))
        yield servers
    finally:
        servers.stop()


async def table_rows(stack: Stack) -> dict[str, dict[str, int]]:
    """Per service database, the rows of each of its tables."""
    counts: dict[str, dict[str, int]] = {}
    for name in SERVICES:
        conn = await asyncpg.connect(stack.db_url(name))
        try:
            tables = [
                r["t"]
                for r in await conn.fetch(
                    "SELECT format('%I.%I', schemaname, tablename) AS t FROM pg_tables"
                    " WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1"
                )
            ]
            counts[name] = {t: await conn.fetchval(f"SELECT count(*) FROM {t}") for t in tables}
        finally:
            await conn.close()
    return counts


async def every_page(client: httpx.AsyncClient, path: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        resp = await client.get(path, params={**params, "limit": 100, **({"cursor": cursor} if cursor else {})})
        assert resp.status_code == 200, resp.text
        body = resp.json()
        items.extend(body["items"])
        if (cursor := body["next_cursor"]) is None:
            return items


async def what_users_see(api: Api, campaign_id: str, nomination_ids: list[str]) -> dict[str, Any]:
    """The units, the people, the campaign, the nominations and the awards as the services answer them."""
    return {
        "units": await every_page(api.units, "/units"),
        "people": await every_page(api.units, "/people"),
        "campaign": (await api.awards.get(f"/campaigns/{campaign_id}")).json(),
        "nominations": [(await api.awards.get(f"/nominations/{n}")).json() for n in nomination_ids],
        "awards": await every_page(api.awards, "/awards", campaign_id=campaign_id),
    }


async def test_a_backup_restored_into_empty_servers_loses_nothing(source: Servers, tmp_path: Path) -> None:
    stack = source.stack
    admin = await Api.login(stack, "admin", ADMIN_PASSWORD)
    province = await unit_here(admin, name="Tỉnh ủy Sao Lưu", kind="party_committee")
    district = await unit_here(admin, name="Huyện ủy Phục Hồi", kind="party_committee", parent_id=province["id"])
    communes = [await unit_here(admin, name=f"Chi bộ Ấp {i}", parent_id=district["id"]) for i in range(3)]
    person = await person_here(admin, district["id"], full_name="Nguyễn Thị Lưu Trữ", position="Bí thư")
    committee = await admin.as_new("committee")
    officer = await admin.as_new("officer", district["id"])
    c = await campaign(committee, province["id"], name="Phong trào sao lưu 2025")
    collective = await category(committee, c["id"], "collective", quota=10)
    individual = await category(committee, c["id"], "individual", quota=10)
    first = [await nominate(officer, collective["id"], unit_id=u["id"]) for u in communes[:2]]
    second = await nominate(officer, individual["id"], person_id=person["id"])
    waiting = await nominate(officer, collective["id"], unit_id=communes[2]["id"])  # left submitted
    dossier = pdf_bytes("Bang thanh tich sao luu") + b"%" + os.urandom(4096)  # bytes no other file has
    attached = await upload(officer, second["id"], "thành tích.pdf", dossier)
    assert attached.status_code == 201, attached.text
    for n in [*first, second]:
        await approve(committee, n["id"])
    await decide(committee, [n["id"] for n in first])

    async def on_roll(count: int) -> bool:
        roll = await whole_roll(admin.events, campaign_id=c["id"])
        return len(roll) == count

    await eventually(lambda: on_roll(2), timeout=10)

    # The events service away, a second decision: its awards are in the awards database, not in the roll's.
    source.stack.services["events"].stop()
    await decide(committee, [second["id"]])
    backup = tmp_path / "backup"
    out = thidua(stack, "backup", str(backup))
    assert "backup of 4 databases" in out, out
    at_backup = await table_rows(stack)
    assert "holds a backup already" in thidua_refuses(stack.database_url, "backup", str(backup))
    assert at_backup["awards"]["public.attachments"] >= 1

    source.stack.services["events"].start()
    source.stack.services["events"].wait_ready(120)
    await eventually(lambda: on_roll(3), timeout=10)
    nominations = [*(n["id"] for n in first), second["id"], waiting["id"]]
    expected = await what_users_see(admin, c["id"], nominations)
    expected_roll = await whole_roll(admin.events)
    assert len(expected["awards"]) == 3 and {n["status"] for n in expected["nominations"]} == {"granted", "submitted"}
    await admin.aclose()
    for api in (committee, officer):
        await api.aclose()
    source.stop()  # the machine is gone: only the backup folder is left

    restored = Servers(tmp_path / "restored")  # an empty PostgreSQL and an empty NATS
    try:
        out = thidua(restored.stack, "restore", str(backup))
        assert "thidua republish awards" in out, out
        assert await table_rows(restored.stack) == at_backup  # every row of every table, before any service starts
        # A second restore onto the same server is refused, and changes nothing.
        assert "already holds" in thidua_refuses(restored.stack.database_url, "restore", str(backup))
        assert await table_rows(restored.stack) == at_backup

        restored.start_services()
        admin = await Api.login(restored.stack, "admin", ADMIN_PASSWORD)
        try:
            # The roll lost what the lost NATS was carrying to it: the second decision's award.
            assert len(await whole_roll(admin.events, campaign_id=c["id"])) == 2
            thidua(restored.stack, "republish", "units")
            thidua(restored.stack, "republish", "awards")
            rebuilt = subprocess.run(
                [sys.executable, "-m", "thidua.cli", "rebuild", "events", "--timeout", "120"],
                env={**os.environ, "DATABASE_URL": restored.stack.database_url},
                cwd=ROOT,
                capture_output=True,
                text=True,
            )
            if rebuilt.returncode != 0:  # say why: the events the consumers gave up on
                letters = subprocess.run(
                    [sys.executable, "-m", "thidua.cli", "dead-letters", "list"],
                    env={**os.environ, "DATABASE_URL": restored.stack.database_url},
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                )
                raise AssertionError(f"rebuild failed: {rebuilt.stderr}\ndead letters:\n{letters.stdout}")
            await eventually(lambda: on_roll(3), timeout=30)
            assert await whole_roll(admin.events) == expected_roll
            assert await what_users_see(admin, c["id"], nominations) == expected
            got = await admin.awards.get(f"/attachments/{attached.json()['id']}")
            assert got.status_code == 200 and got.content == dossier
        finally:
            await admin.aclose()
    finally:
        restored.stop()


def test_a_restore_refuses_what_is_not_a_whole_backup(tmp_path: Path) -> None:
    """Checked before any server is reached: a folder whose backup did not finish, a manifest of something
    else, a dump that is not the file the backup wrote."""
    unreachable = "postgresql://postgres@127.0.0.1:1/postgres"
    assert "set DATABASE_URL" in thidua_refuses(None, "restore", str(tmp_path))
    assert "no manifest.json" in thidua_refuses(unreachable, "restore", str(tmp_path))
    (tmp_path / "manifest.json").write_text("{not json")
    assert "not a backup's manifest" in thidua_refuses(unreachable, "restore", str(tmp_path))
    (tmp_path / "manifest.json").write_text(json.dumps({"format": 99, "services": {}}))
    assert "format 1" in thidua_refuses(unreachable, "restore", str(tmp_path))
    (tmp_path / "manifest.json").write_text(json.dumps({"format": 1, "services": {"units": {"file": 7}}}))
    assert "does not list the dumps" in thidua_refuses(unreachable, "restore", str(tmp_path))
    (tmp_path / "units.dump").write_bytes(b"PGDMP tampered")
    entry = {"database": "thidua_units", "file": "units.dump", "sha256": "0" * 64}
    (tmp_path / "manifest.json").write_text(json.dumps({"format": 1, "services": {"units": entry}}))
    assert "SHA-256 differs" in thidua_refuses(unreachable, "restore", str(tmp_path))
    escaping = {**entry, "file": "../../etc/passwd"}
    (tmp_path / "manifest.json").write_text(json.dumps({"format": 1, "services": {"units": escaping}}))
    assert "is missing" in thidua_refuses(unreachable, "restore", str(tmp_path))
    (tmp_path / "manifest.json").write_text(json.dumps({"format": 1, "services": {"ledger": entry}}))
    assert "does not know: ledger" in thidua_refuses(unreachable, "restore", str(tmp_path))
    # A backup with nowhere to read from: refused, and no manifest is left to pass for a whole backup.
    assert "pg_dump of the units database failed" in thidua_refuses(unreachable, "backup", str(tmp_path / "new"))
    assert not (tmp_path / "new" / "manifest.json").exists()
