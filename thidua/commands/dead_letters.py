"""`thidua dead-letters`: the events a consumer gave up on, listed, shown, replayed or discarded.

    thidua dead-letters list [SERVICE] [--consumer C] [--settled]
    thidua dead-letters show SERVICE/ID
    thidua dead-letters replay SERVICE/ID... | --all [--service S] [--consumer C]
    thidua dead-letters discard SERVICE/ID --reason TEXT

A dead letter lives in the consuming service's database (DATABASE_URL names
the server), so its id is the service's name and the row's number, as `list`
prints it. `replay` applies the event through its consumer's own handler,
exactly once by the consumer's inbox, and marks it replayed in the same
transaction (shared/dead_letters.py says why it does not publish it again);
fix what made it fail first. Settled letters are kept, with when and why.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Iterable

import asyncpg

from shared.settings import service_database_url
from thidua import registry
from thidua.commands import Subparsers
from thidua.settings import DatabaseServer


def add_parser(sub: Subparsers) -> None:
    group = sub.add_parser("dead-letters", help="list, show, replay or discard the events consumers gave up on")
    verbs = group.add_subparsers(dest="action", required=True)

    ls = verbs.add_parser("list", help="the open dead letters (every service's, or one's)")
    ls.add_argument("service", nargs="?", choices=registry.NAMES)
    ls.add_argument("--consumer", help="only this consumer's (its durable name)")
    ls.add_argument("--settled", action="store_true", help="replayed and discarded ones too")
    ls.set_defaults(func=cmd_list)

    show = verbs.add_parser("show", help="one dead letter whole, its event decoded")
    show.add_argument("id", type=_letter_id, help="SERVICE/ID, as `list` prints it")
    show.set_defaults(func=cmd_show)

    replay = verbs.add_parser("replay", help="apply dead letters through their consumer's handler, once")
    replay.add_argument("ids", nargs="*", type=_letter_id, metavar="SERVICE/ID")
    replay.add_argument("--all", action="store_true", help="every open dead letter (of --service, --consumer)")
    replay.add_argument("--service", choices=registry.NAMES, help="with --all: only this service's")
    replay.add_argument("--consumer", help="with --all: only this consumer's")
    replay.set_defaults(func=cmd_replay)

    discard = verbs.add_parser("discard", help="mark a dead letter settled without applying it")
    discard.add_argument("id", type=_letter_id, help="SERVICE/ID, as `list` prints it")
    discard.add_argument("--reason", required=True, help="why it is not applied (kept with it)")
    discard.set_defaults(func=cmd_discard)


def _letter_id(text: str) -> tuple[str, int]:
    service, _, number = text.partition("/")
    if service not in registry.NAMES or not number.isdigit():
        raise argparse.ArgumentTypeError(f"not SERVICE/ID (e.g. events/12): {text!r}")
    return service, int(number)


def _server() -> str | None:
    url = DatabaseServer.from_env().url
    if not url:
        print("thidua: set DATABASE_URL to the PostgreSQL server of the services", file=sys.stderr)
    return url


async def _connect(server_url: str, service: str) -> asyncpg.Connection:
    return await asyncpg.connect(service_database_url(server_url, service))


def _one_line(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


# ------------------------------------------------------------------ list
def cmd_list(args: argparse.Namespace) -> int:
    server_url = _server()
    if not server_url:
        return 2
    services = [args.service] if args.service else list(registry.NAMES)
    return asyncio.run(_list(server_url, services, args.consumer, args.settled))


async def _list(server_url: str, services: Iterable[str], consumer: str | None, settled: bool) -> int:
    from shared import dead_letters  # lazily: see thidua/commands/__init__.py

    code, rows = 0, []
    for service in services:
        try:
            conn = await _connect(server_url, service)
        except (OSError, asyncpg.PostgresError) as exc:
            print(f"thidua: cannot reach the {service} database: {exc}", file=sys.stderr)
            code = 1
            continue
        try:
            rows += [(service, letter) for letter in await dead_letters.list_letters(conn, consumer, settled=settled)]
        finally:
            await conn.close()
    if not rows:
        if not code:  # every database asked
            print("no dead letters" if settled else "no open dead letters")
        return code
    header = ["ID", "CONSUMER", "SUBJECT", "EVENT ID", "DELIVERIES", "WHEN"] + (["STATE"] if settled else [])
    table = [
        [
            f"{service}/{letter.id}",
            letter.consumer,
            letter.subject,
            letter.event_id or "-",
            str(letter.deliveries),
            f"{letter.created_at:%Y-%m-%d %H:%M:%S}",
        ]
        + ([letter.state] if settled else [])
        for service, letter in rows
    ]
    widths = [max(len(r[i]) for r in [header, *table]) for i in range(len(header))]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + "  ERROR")
    for row, (_, letter) in zip(table, rows, strict=True):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + "  " + _one_line(letter.error, 80))
    print(f"{len(rows)} dead letters")
    return code


# ------------------------------------------------------------------ show
def cmd_show(args: argparse.Namespace) -> int:
    server_url = _server()
    if not server_url:
        return 2
    return asyncio.run(_show(server_url, *args.id))


async def _show(server_url: str, service: str, letter_id: int) -> int:
    import msgspec

    from shared import dead_letters  # lazily: see thidua/commands/__init__.py

    try:
        conn = await _connect(server_url, service)
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"thidua: cannot reach the {service} database: {exc}", file=sys.stderr)
        return 1
    try:
        letter = await dead_letters.get(conn, letter_id)
    finally:
        await conn.close()
    if letter is None:
        print(f"thidua: no dead letter {service}/{letter_id}", file=sys.stderr)
        return 1
    for name, value in (
        ("id", f"{service}/{letter.id}"),
        ("state", letter.state),
        ("consumer", letter.consumer),
        ("subject", letter.subject),
        ("event id", letter.event_id or "-"),
        ("deliveries", letter.deliveries),
        ("dead since", letter.created_at.isoformat()),
        ("replayed at", letter.replayed_at.isoformat() if letter.replayed_at else "-"),
        ("discarded at", letter.discarded_at.isoformat() if letter.discarded_at else "-"),
        ("note", letter.note or "-"),
        ("error", letter.error),
    ):
        print(f"{name + ':':<14}{value}")
    print("event:")
    print(msgspec.json.format(msgspec.json.encode(letter.decoded()), indent=2).decode())
    return 0


# ------------------------------------------------------------------ replay
def cmd_replay(args: argparse.Namespace) -> int:
    if bool(args.ids) == bool(args.all):
        print("thidua: name the dead letters to replay (SERVICE/ID...) or --all", file=sys.stderr)
        return 2
    if (args.service or args.consumer) and not args.all:
        print("thidua: --service and --consumer go with --all", file=sys.stderr)
        return 2
    server_url = _server()
    if not server_url:
        return 2
    return asyncio.run(_replay(server_url, args.ids, args.all, args.service, args.consumer))


async def _replay(
    server_url: str, ids: list[tuple[str, int]], every: bool, only_service: str | None, consumer: str | None
) -> int:
    from shared import dead_letters  # lazily: see thidua/commands/__init__.py

    targets: dict[str, list[int] | None] = {}  # None: every open letter of the service
    if every:
        targets = dict.fromkeys([only_service] if only_service else registry.NAMES)
    else:
        for service, letter_id in ids:
            listed = targets.setdefault(service, [])
            assert listed is not None
            listed.append(letter_id)
    code = replayed = 0
    for service, letter_ids in targets.items():
        # The service's consumers, by durable name: their handlers are what a replay runs.
        subscriptions = {sub.durable: sub for sub in registry.service(service).subscriptions}
        try:
            conn = await _connect(server_url, service)
        except (OSError, asyncpg.PostgresError) as exc:
            print(f"thidua: cannot reach the {service} database: {exc}", file=sys.stderr)
            code = 1
            continue
        try:
            if letter_ids is None:
                letter_ids = [letter.id for letter in await dead_letters.list_letters(conn, consumer)]
            for letter_id in letter_ids:
                try:
                    done = await dead_letters.replay(conn, letter_id, subscriptions)
                except dead_letters.NotReplayable as exc:
                    print(f"thidua: not replayed: {exc}", file=sys.stderr)
                    code = 1
                    continue
                except (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError):
                    raise
                except Exception as exc:  # the handler's failure: rolled back, the letter stays open
                    print(
                        f"thidua: not replayed: {service}/{letter_id}: the handler failed again: {exc!r}",
                        file=sys.stderr,
                    )
                    code = 1
                    continue
                replayed += 1
                print(f"{service}/{letter_id} replayed: {done.letter.note}")
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            print(f"thidua: the {service} database: {exc}", file=sys.stderr)
            code = 1
        finally:
            await conn.close()
    print(f"{replayed} dead letters replayed")
    return code


# ------------------------------------------------------------------ discard
def cmd_discard(args: argparse.Namespace) -> int:
    server_url = _server()
    if not server_url:
        return 2
    service, letter_id = args.id
    if not args.reason.strip():
        print("thidua: give a reason (--reason)", file=sys.stderr)
        return 2
    return asyncio.run(_discard(server_url, service, letter_id, args.reason))


async def _discard(server_url: str, service: str, letter_id: int, reason: str) -> int:
    from shared import dead_letters  # lazily: see thidua/commands/__init__.py

    try:
        conn = await _connect(server_url, service)
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"thidua: cannot reach the {service} database: {exc}", file=sys.stderr)
        return 1
    try:
        await dead_letters.discard(conn, letter_id, reason)
    except dead_letters.NotReplayable as exc:
        print(f"thidua: not discarded: {exc}", file=sys.stderr)
        return 1
    finally:
        await conn.close()
    print(f"{service}/{letter_id} discarded")
    return 0
