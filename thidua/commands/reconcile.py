"""The reconciliation verbs: what a consumer missed, delivered again.

    thidua resend SERVICE --since T   the service's retained outbox events since T published again
    thidua republish SERVICE          a fresh state event for everything the service owns
    thidua rebuild events             the honour roll restated from the awards service, stale rows dropped

Each works on the services' databases (DATABASE_URL); the services' relays do
the publishing, and the consumers' inbox and version checks make every repeat harmless.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import UTC, datetime

import asyncpg

from shared import db, events
from shared.settings import service_database_url
from thidua import registry
from thidua.commands import Subparsers
from thidua.settings import DatabaseServer


def add_parser(sub: Subparsers) -> None:
    resend = sub.add_parser("resend", help="publish a service's retained events since a time again (reconciliation)")
    resend.add_argument("service", choices=registry.NAMES)
    resend.add_argument("--since", required=True, help="ISO 8601 time (UTC when it has no offset)")
    resend.add_argument("--until", help="ISO 8601 time; only events written before it")
    resend.set_defaults(func=cmd_resend)

    republish = sub.add_parser(
        "republish", help="write a fresh state event for everything a service owns (reconciliation)"
    )
    republish.add_argument("service", choices=registry.NAMES)
    republish.add_argument("--batch", type=_batch_size, default=1000, help="events per transaction (default 1000)")
    republish.set_defaults(func=cmd_republish)

    rebuild = sub.add_parser("rebuild", help="restate a read model from its source, dropping rows it does not have")
    rebuild.add_argument("service", choices=("events",))
    rebuild.add_argument("--batch", type=_batch_size, default=1000, help="events per transaction (default 1000)")
    rebuild.add_argument(
        "--timeout", type=float, default=600, help="seconds to wait for the events service to apply them"
    )
    rebuild.set_defaults(func=cmd_rebuild)


def _batch_size(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _parse_time(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)  # a time without offset is UTC


# ------------------------------------------------------------------ resend
def cmd_resend(args: argparse.Namespace) -> int:
    """The reconciliation path: the service's relay publishes its retained events since a time again.

    For a broker that lost acknowledged messages (or a consumer restored from
    a backup): what JetStream still holds within its duplicate window it
    drops as a duplicate, and the consumers' inbox and version checks make
    every other repeat harmless.
    """
    server_url = DatabaseServer.from_env().url
    if not server_url:
        print("thidua: set DATABASE_URL to the PostgreSQL server of the service", file=sys.stderr)
        return 2
    try:
        since = _parse_time(args.since)
        until = _parse_time(args.until) if args.until else None
    except ValueError as exc:
        print(f"thidua: not an ISO 8601 time: {exc}", file=sys.stderr)
        return 2
    try:
        count, oldest = asyncio.run(_resend(service_database_url(server_url, args.service), args.service, since, until))
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"thidua: cannot reach the {args.service} database: {exc}", file=sys.stderr)
        return 1
    if oldest is not None and since < oldest:
        print(
            f"thidua: the outbox keeps events from {oldest.isoformat()} on (OUTBOX_RETENTION_DAYS);"
            " older ones are gone",
            file=sys.stderr,
        )
    print(f"{count} {args.service} events since {since.isoformat()} marked for publishing again")
    return 0


async def _resend(url: str, service: str, since: datetime, until: datetime | None) -> tuple[int, datetime | None]:
    from shared import outbox  # lazily: see thidua/commands/__init__.py

    conn = await asyncpg.connect(url)
    try:
        count = await outbox.mark_for_resend(conn, service, since, until)
        return count, await conn.fetchval("SELECT min(created_at) FROM outbox")
    finally:
        await conn.close()


# ------------------------------------------------------------------ republish
def cmd_republish(args: argparse.Namespace) -> int:
    """The reconciliation path that needs nothing of the broker or the outbox's past.

    The service's snapshot (services/<service>/snapshot.py) restates every
    aggregate it owns as a new event at the aggregate's current version,
    written to its outbox `--batch` events per transaction; the relay
    publishes them. Each consumer applies what it lacks or holds older, and
    ignores the rest, so running it again changes nothing.
    """
    server_url = DatabaseServer.from_env().url
    if not server_url:
        print("thidua: set DATABASE_URL to the PostgreSQL server of the service", file=sys.stderr)
        return 2
    if registry.service(args.service).snapshot is None:
        print(f"thidua: the {args.service} service owns nothing that others keep a copy of", file=sys.stderr)
        return 2
    try:
        counts = asyncio.run(_republish(service_database_url(server_url, args.service), args.service, args.batch))
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"thidua: cannot reach the {args.service} database: {exc}", file=sys.stderr)
        return 1
    for subject, count in sorted(counts.items()):
        print(f"{count:>9} {subject}")
    print(f"{sum(counts.values())} {args.service} events written to the outbox for publishing")
    return 0


async def _republish(url: str, service: str, batch: int) -> dict[str, int]:
    from shared import outbox  # lazily: see thidua/commands/__init__.py

    snapshot = registry.service(service).snapshot
    assert snapshot is not None, f"the {service} service has no snapshot"  # cmd_republish said so already
    counts: dict[str, int] = {}
    read, write = await asyncpg.connect(url), await asyncpg.connect(url)
    try:
        for conn in (read, write):  # json and jsonb read as values, as the service's own pool reads them
            await db.init_connection(conn)
        async for items in snapshot(read, batch):
            async with write.transaction():
                await outbox.emit(write, items, producer=service)
            for data, _, _ in items:
                counts[events.subject_of(data)] = counts.get(events.subject_of(data), 0) + 1
    finally:
        await read.close()
        await write.close()
    return counts


# ------------------------------------------------------------------ rebuild
def cmd_rebuild(args: argparse.Namespace) -> int:
    """The honour roll and its campaigns confirmed row by row from the awards service.

    Every row is marked unconfirmed (version 0, still shown), the awards
    service republishes, and once the events service has applied all of it,
    what no event confirmed (an award the source does not have) is dropped.
    """
    server_url = DatabaseServer.from_env().url
    if not server_url:
        print("thidua: set DATABASE_URL to the PostgreSQL server of the services", file=sys.stderr)
        return 2
    try:
        return asyncio.run(_rebuild_events(server_url, args.batch, args.timeout))
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"thidua: cannot reach the databases: {exc}", file=sys.stderr)
        return 1


async def _rebuild_events(server_url: str, batch: int, timeout: float) -> int:
    from services.events import snapshot  # lazily: see thidua/commands/__init__.py

    # What the roll takes of the awards service's events: a restated event of any other type never reaches it.
    [feed] = [sub for name, sub in registry.subscribers("awards") if name == "events"]
    roll = await asyncpg.connect(service_database_url(server_url, "events"))
    awards = await asyncpg.connect(service_database_url(server_url, "awards"))
    try:
        pending = await snapshot.begin_rebuild(roll)
        print(f"{pending} roll rows to confirm", flush=True)
        since = await awards.fetchval("SELECT clock_timestamp()")
        counts = await _republish(service_database_url(server_url, "awards"), "awards", batch)
        print(f"{sum(counts.values())} awards events written to the outbox for publishing", flush=True)
        ids = [
            r["id"]
            for r in await awards.fetch(
                "SELECT id FROM outbox WHERE created_at >= $1 AND subject = ANY($2::text[])", since, feed.subjects
            )
        ]
        deadline = time.monotonic() + timeout
        while (
            applied := await roll.fetchval(
                "SELECT count(*) FROM inbox WHERE consumer = $1 AND event_id = ANY($2::uuid[])", feed.durable, ids
            )
        ) < len(ids):
            if time.monotonic() > deadline:
                print(
                    f"thidua: the events service applied {applied} of {len(ids)} events within {timeout:g}s;"
                    " nothing was dropped (unconfirmed rows are still shown): run it again",
                    file=sys.stderr,
                )
                return 1
            await asyncio.sleep(0.5)
        rows, campaigns = await snapshot.finish_rebuild(roll)
    finally:
        await roll.close()
        await awards.close()
    print(f"roll rebuilt: {rows} rows and {campaigns} campaigns the awards service does not have were dropped")
    return 0
