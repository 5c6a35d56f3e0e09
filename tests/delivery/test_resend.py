"""`thidua resend`: the reconciliation path for a broker that lost acknowledged events."""

from __future__ import annotations

from functools import partial

import asyncpg
from nats.aio.client import Client as NATS

from shared import outbox
from tests.delivery.scratch import run_thidua, unit_event, unit_id
from tests.support import Api, Stack, eventually, in_copy


async def test_resend_publishes_what_the_broker_lost_and_repeats_nothing(stack: Stack, admin: Api, nc: NATS) -> None:
    js = nc.jetstream()
    earlier = await admin.unit("Chi bộ trước mốc")
    for service in ("awards", "events"):
        await eventually(partial(in_copy, stack, service, earlier["id"]))
    units_db = await asyncpg.connect(stack.db_url("units"))
    try:
        since = await units_db.fetchval("SELECT now()")
        # An event the relay published and marked sent, and the broker then lost (its end state).
        lost = unit_event(name="Chi bộ bị mất")
        async with units_db.transaction():
            await outbox.emit(units_db, [(lost.data, unit_id(lost), 1)], producer="units")
            await units_db.execute(
                "UPDATE outbox SET sent_at = now() WHERE subject = $1 AND sent_at IS NULL"
                " AND convert_from(payload, 'UTF8')::jsonb #>> '{data,id}' = $2",
                lost.type,
                str(unit_id(lost)),
            )
        delivered = await admin.unit("Chi bộ sau mốc")  # published and delivered as usual
        for service in ("awards", "events"):
            await eventually(partial(in_copy, stack, service, delivered["id"]))
            assert not await in_copy(stack, service, str(unit_id(lost)))
        earlier_sent = await units_db.fetchval(
            "SELECT sent_at FROM outbox WHERE created_at < $1 ORDER BY seq DESC LIMIT 1", since
        )
        before = (await js.stream_info("UNITS")).state.last_seq

        code, out, err = await run_thidua(stack, "resend", "units", "--since", since.isoformat())
        assert code == 0, err
        assert out.strip().startswith("2 units events since"), out

        for service in ("awards", "events"):
            await eventually(partial(in_copy, stack, service, str(unit_id(lost))))

        async def all_sent() -> bool:
            return not await units_db.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL")

        await eventually(all_sent)
        # The lost event is in the stream once more; the delivered one was de-duplicated, not repeated.
        assert (await js.stream_info("UNITS")).state.last_seq == before + 1
        assert (
            await units_db.fetchval("SELECT sent_at FROM outbox WHERE created_at < $1 ORDER BY seq DESC LIMIT 1", since)
            == earlier_sent
        )  # nothing before --since was touched
        ids = [r["id"] for r in await units_db.fetch("SELECT id FROM outbox WHERE created_at >= $1", since)]
    finally:
        await units_db.close()
    for service in ("awards", "events"):
        conn = await asyncpg.connect(stack.db_url(service))
        try:
            assert await conn.fetchval("SELECT count(*) FROM inbox WHERE event_id = ANY($1::uuid[])", ids) == 2
        finally:
            await conn.close()


async def test_resend_refuses_a_time_it_cannot_read(stack: Stack) -> None:
    code, _, err = await run_thidua(stack, "resend", "units", "--since", "last tuesday")
    assert code == 2
    assert "ISO 8601" in err
