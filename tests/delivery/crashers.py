"""Processes that die, for real, at the worst moment of delivery.

Run as `python -m tests.delivery.crashers relay|consumer ...`: each sends
itself SIGKILL at the point under test, so nothing after it runs (no
`finally`, no graceful close), exactly as when a machine loses power.

    relay:    after JetStream acknowledged the batch, before the rows are marked sent
    consumer: after the batch's transaction committed, before the acks (prints how many it held)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
from collections.abc import Sequence

import asyncpg
from nats.aio.msg import Msg

from shared import messaging
from shared.consumer import Consumer
from shared.outbox import Relay
from tests.delivery.scratch import counting_handler, subscription


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


class RelayDyingBeforeMarkingSent(Relay):
    async def mark_sent(self, conn: asyncpg.Connection, seqs: list[int]) -> None:
        print(f"published {len(seqs)}", flush=True)
        _die()


class ConsumerDyingBeforeAck(Consumer):
    async def acknowledge(self, msgs: Sequence[Msg]) -> None:
        print(f"committed {len(msgs)}", flush=True)
        _die()


async def run(args: argparse.Namespace) -> None:
    pool = await asyncpg.create_pool(args.db, min_size=1, max_size=2)
    nc = await messaging.connect(args.nats, "crasher")
    js = nc.jetstream()
    if args.role == "relay":
        RelayDyingBeforeMarkingSent(pool, js, args.service, poll_seconds=0.2, nc=nc).start()  # as one atomic batch
    else:
        consumer = ConsumerDyingBeforeAck(
            pool, js, subscription(args.stream, args.durable, [args.subject], counting_handler, ack_wait=args.ack_wait)
        )
        await consumer.start()
    await asyncio.sleep(60)  # SIGKILL comes long before
    raise SystemExit("the crash point was never reached")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=("relay", "consumer"))
    parser.add_argument("--db", required=True)
    parser.add_argument("--nats", required=True)
    parser.add_argument("--service", default="units")
    parser.add_argument("--stream")
    parser.add_argument("--durable")
    parser.add_argument("--subject")
    parser.add_argument("--ack-wait", type=float, default=1.0)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
