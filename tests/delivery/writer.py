"""A second process that writes outbox rows while the leading relay runs elsewhere.

Run as `python -m tests.delivery.writer --db URL --nats URL --service S --count N`
(tests/delivery/test_wakes.py): it runs a relay of the service that stands by
(the test's relay holds the lock), emits N events in one transaction with
`outbox.emit` (no NOTIFY in it: the wake goes to this process's standby, which
passes it on), waits until every row is marked sent, and prints
`sent N`.
"""

from __future__ import annotations

import argparse
import asyncio

import asyncpg

from shared import messaging, outbox
from shared.outbox import Relay
from tests.delivery.scratch import unit_event, unit_id


async def run(args: argparse.Namespace) -> None:
    pool = await asyncpg.create_pool(args.db, min_size=1, max_size=3)
    nc = await messaging.connect(args.nats, "wake-writer")
    # Its own idle poll never comes: only the wake passed on can get the rows relayed.
    standby = Relay(pool, nc.jetstream(), args.service, poll_seconds=3600)
    standby.start()
    try:
        written = [unit_event() for _ in range(args.count)]
        async with pool.acquire() as conn, conn.transaction():
            await outbox.emit(conn, [(e.data, unit_id(e), 1) for e in written], producer=args.service)
        # The scratch database's outbox holds these rows only.
        while await pool.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL"):
            await asyncio.sleep(0.02)  # the test bounds the whole run
        sent = await pool.fetchval("SELECT count(*) FROM outbox")
        print(f"sent {sent} published here {standby.published}", flush=True)
    finally:
        await standby.stop()
        await nc.close()
        await pool.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--nats", required=True)
    parser.add_argument("--service", required=True)
    parser.add_argument("--count", type=int, default=5)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
