"""`make drill` (thidua/drill.py), smaller: a three-node NATS cluster, PostgreSQL and two replicas of every service,
a scenario written through both replicas while a NATS node, one replica of each service and PostgreSQL fail;
nothing accepted is lost, nothing is applied twice, and no call is answered 500.

Then the drill's count itself is shown able to fail: on the data the drill left, an event announced twice and
applied twice, and an event a consumer never applied, are counted as such.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg

from shared import events
from thidua import devstack
from thidua.drill import Written, count_all

ROOT = Path(__file__).resolve().parents[2]


def figure(output: str, name: str) -> int:
    found = re.findall(rf"^{name}: (\d+)$", output, flags=re.MULTILINE)
    assert len(found) == 1, f"no single '{name}: N' line in:\n{output}"
    return int(found[0])


def test_the_drill_loses_nothing_and_applies_nothing_twice(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "NATS_URL")}
    run = subprocess.run(
        [sys.executable, "-m", "thidua.cli", "drill", "--writers", "3", "--gap", "3", "--dir", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert figure(output, "writes accepted") > 50, output
    assert figure(output, "lost") == 0, output
    assert figure(output, "applied twice") == 0, output
    for fault in ("kill -9 NATS node", "kill -9 one replica of each service", "restart PostgreSQL"):
        assert fault in output, output
    assert output.count("the read models caught up after") == 3, output  # each fault's marker arrived
    # Outages are answered as outages (503), never 500: not after a commit, not on a connection PostgreSQL ended.
    assert "answered 500" not in output, output
    # Everything it started has stopped: no server runs from the drill's folder, no service holds its ports.
    assert not devstack.process_exists(devstack.LocalPostgres(tmp_path / "postgres").pid())
    leftovers = subprocess.run(["pgrep", "-f", str(tmp_path)], capture_output=True, text=True).stdout.split()
    assert leftovers == [], leftovers
    (services,) = re.findall(r"^  services: (.*)$", output, flags=re.MULTILINE)
    ports = [int(port) for port in re.findall(r"\d+", services)]
    assert len(ports) == 8 and all(devstack.port_is_free(port) for port in ports), services

    asyncio.run(_the_count_can_fail(tmp_path))


async def _the_count_can_fail(folder: Path) -> None:
    pg = devstack.LocalPostgres(folder / "postgres", preferred_port=None)
    pg.start()
    try:
        from shared.settings import service_database_url

        def db_url(service: str) -> str:
            return service_database_url(pg.url, service)

        clean = await count_all(db_url, Written())
        assert clean.lost == [] and clean.twice == [], (clean.lost, clean.twice)

        units = await asyncpg.connect(db_url("units"))
        awards = await asyncpg.connect(db_url("awards"))
        try:
            row = await units.fetchrow(
                "SELECT subject, payload FROM outbox WHERE subject = 'units.unit.created' ORDER BY seq LIMIT 1"
            )
            again = uuid.uuid4()  # the same change announced again under another id, and applied again
            await units.execute(
                "INSERT INTO outbox (id, subject, payload, sent_at) VALUES ($1, $2, $3, now())",
                again,
                row["subject"],
                row["payload"],
            )
            await awards.execute(
                "INSERT INTO inbox (consumer, event_id, subject) VALUES ('awards-units', $1, $2)", again, row["subject"]
            )
        finally:
            await units.close()
            await awards.close()

        tampered = await count_all(db_url, Written())
        change = events.decode(bytes(row["payload"]))
        key = f"{(change.type, change.aggregate_id, change.version)}"
        assert any("units announced" in line and key in line for line in tampered.twice), tampered.twice
        assert any("awards-units applied" in line and key in line for line in tampered.twice), tampered.twice
        # The events service never applied the new id: lost, as far as the count can tell.
        assert any(line.startswith("events-units has not applied") for line in tampered.lost), tampered.lost
    finally:
        pg.stop()
