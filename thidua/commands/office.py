"""The office verbs: a provincial office's work over the services' HTTP APIs (the work itself: thidua/office/).

    thidua import-units FILE          units from a CSV or XLSX file (code, name, kind, parent_code)
    thidua import-nominations FILE    nominations from a CSV or XLSX file
    thidua export-honorees            the public honour roll as CSV for Excel

Each verb talks to a running system (`--units-url`, `--awards-url`,
`--events-url`; the defaults are the local `thidua run`) and logs in as
`--username` with the password from THIDUA_PASSWORD or typed at the prompt.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
import uuid
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from shared.tables import TableError
from thidua.apiclient import DEFAULT_URLS, ApiError, Client
from thidua.commands import Subparsers
from thidua.office.export import export_honorees
from thidua.office.imports import UsageError, import_nominations, import_units
from thidua.settings import Office


def add_parser(sub: Subparsers) -> None:
    settings = Office.from_env()
    units = sub.add_parser("import-units", help="create units from a CSV or XLSX file (code, name, kind, parent_code)")
    units.add_argument("file", help=".csv or .xlsx; header row: code,name,kind,parent_code; all or nothing")
    _add_connection_arguments(units, settings)
    units.set_defaults(func=cmd_import_units)

    noms = sub.add_parser(
        "import-nominations",
        help="submit nominations from a CSV or XLSX file",
        description=(
            "Columns: category (code or id), campaign (code or id; needed when a category code is in several "
            "campaigns), unit_code (the collective nominated, or the individual's unit), full_name (individuals; "
            "a person not yet on file is added to the unit), position (optional), achievements. Every row is "
            "checked before any is submitted; a nomination already live is skipped."
        ),
    )
    noms.add_argument("file")
    _add_connection_arguments(noms, settings)
    noms.set_defaults(func=cmd_import_nominations)

    export = sub.add_parser("export-honorees", help="the public honour roll as CSV (UTF-8 with BOM, for Excel)")
    export.add_argument("--out", "-o", help="file to write (default: standard output)")
    export.add_argument("--campaign-id", action="append", help="only this campaign (repeat for several)")
    export.add_argument("--year", type=int)
    export.add_argument("--kind", choices=("collective", "individual"))
    export.add_argument("--unit-id")
    export.add_argument("--q", help="search names, ignoring case and diacritics")
    _add_connection_arguments(export, settings, login=False)
    export.set_defaults(func=cmd_export_honorees)


def _add_connection_arguments(parser: argparse.ArgumentParser, settings: Office, *, login: bool = True) -> None:
    for service in DEFAULT_URLS:
        parser.add_argument(
            f"--{service}-url",
            default=settings.urls[service],
            help=f"the {service} service (default {DEFAULT_URLS[service]})",
        )
    if login:
        parser.add_argument(
            "--username",
            default=settings.username,
            help="the account to act as (default: THIDUA_USERNAME, else admin); password from THIDUA_PASSWORD or the prompt",
        )


def _urls(args: argparse.Namespace) -> dict[str, str]:
    return {s: getattr(args, f"{s}_url") for s in DEFAULT_URLS}


async def _logged_in(client: Client, args: argparse.Namespace) -> str:
    password = Office.from_env().password or getpass.getpass("password: ")
    return await client.login(args.username, password)


def _run(main: Callable[[], Coroutine[Any, Any, int]]) -> int:
    try:
        return asyncio.run(main())
    except (UsageError, TableError) as exc:
        print(f"thidua: {exc}", file=sys.stderr)
        return 2
    except ApiError as exc:
        print(f"thidua: {exc.detail} ({exc.status} from {exc.method} {exc.url})", file=sys.stderr)
        if isinstance(exc.body, dict):
            for err in (exc.body.get("errors") or [])[10:]:
                print(f"  {err.get('field')}: {err.get('message')}", file=sys.stderr)
        return 1


def cmd_import_units(args: argparse.Namespace) -> int:
    async def main() -> int:
        async with Client(_urls(args)) as client:
            await import_units(client, await _logged_in(client, args), Path(args.file))
        return 0

    return _run(main)


def cmd_import_nominations(args: argparse.Namespace) -> int:
    async def main() -> int:
        async with Client(_urls(args)) as client:
            outcomes, messages = await import_nominations(client, await _logged_in(client, args), Path(args.file))
        for m in messages:
            print(m, file=sys.stderr)
        print(
            f"{Path(args.file).name}: {outcomes['new']} nominations submitted, {outcomes['again']} submitted before "
            f"(same row), {outcomes['skipped']} already nominated, {outcomes['failed']} not submitted"
        )
        return 1 if outcomes["failed"] else 0

    return _run(main)


def cmd_export_honorees(args: argparse.Namespace) -> int:
    for campaign_id in args.campaign_id or []:
        try:
            uuid.UUID(campaign_id)
        except ValueError:
            print(f"thidua: --campaign-id {campaign_id!r} is not an id", file=sys.stderr)
            return 2

    async def main() -> int:
        async with Client(_urls(args)) as client:
            extra = {"kind": args.kind, "unit_id": args.unit_id, "q": args.q}
            data, rows = await export_honorees(client, args.campaign_id or [], args.year, extra)
        if args.out and args.out != "-":
            Path(args.out).write_bytes(data)
            print(f"wrote {rows} honourees to {args.out}", file=sys.stderr)
        else:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        return 0

    return _run(main)
