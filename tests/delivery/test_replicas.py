"""Two awards processes on one durable consumer share the work; no event is applied twice.

The stack's own awards process steps aside for the test, so that the two
replicas' counts (each logs how many events it applied when it stops) add up
to exactly what was published.
"""

from __future__ import annotations

import asyncio
import re
import uuid

import asyncpg

from tests.support import Api, Stack, code, eventually
from thidua import devstack


def applied_by(process: devstack.ServiceProcess, durable: str) -> int:
    """What the process logged when its consumer stopped: `consumer <durable> stopped, <n> events applied`."""
    assert process.log_path is not None
    found = re.findall(
        rf"consumer {durable} stopped, (\d+) events applied", process.log_path.read_text(encoding="utf-8")
    )
    assert len(found) == 1, f"no single 'consumer stopped' line for {durable} in {process.log_path}"
    return int(found[0])


async def test_two_awards_processes_share_one_durable(stack: Stack, admin: Api) -> None:
    main_awards = stack.services["awards"]
    replicas = [stack.service_process("awards"), stack.service_process("awards")]
    await asyncio.to_thread(main_awards.stop)
    try:
        for replica in replicas:
            replica.start()
        for replica in replicas:
            await asyncio.to_thread(replica.wait_ready)

        root = await admin.unit("Đảng bộ khối nhân bản", kind="party_committee")
        root_code = (await admin.units.get(f"/units/{root['id']}")).json()["code"]
        rows = [
            {"code": code("R"), "name": f"Chi bộ {i}", "kind": "grassroots_party_org", "parent_code": root_code}
            for i in range(200)
        ]
        resp = await admin.units.post("/units/import", json=rows)
        assert resp.status_code in (200, 201), resp.text
        ids = [uuid.UUID(u["id"]) for u in resp.json()["items"]]
        assert len(ids) == 200

        conn = await asyncpg.connect(stack.db_url("awards"))
        try:

            async def all_in_copy() -> bool:
                n = await conn.fetchval(
                    "SELECT count(*) FROM units WHERE id = ANY($1::uuid[]) AND path IS NOT NULL", ids
                )
                return n == len(ids)

            await eventually(all_in_copy, timeout=30)
        finally:
            await conn.close()
    finally:
        for replica in replicas:
            await asyncio.to_thread(replica.stop)
        main_awards.start()
        await asyncio.to_thread(main_awards.wait_ready)

    counts = [applied_by(r, "awards-units") for r in replicas]
    assert sum(counts) == len(ids) + 1  # the root and the 200, each applied by exactly one process
    assert all(counts), f"one replica did all the work: {counts}"
