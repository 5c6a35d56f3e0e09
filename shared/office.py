"""What a provincial office does from the command line, over the services' HTTP APIs.

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
import csv
import getpass
import hashlib
import io
import os
import sys
import unicodedata
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from shared.apiclient import DEFAULT_URLS, ApiError, Client, until_known

UNIT_COLUMNS = ("code", "name", "kind", "parent_code")
PROPAGATION_TIMEOUT = 15.0
# Accepted spellings of the nomination file's columns, by the name used here.
NOMINATION_COLUMNS = {
    "campaign": ("campaign", "campaign_code", "campaign_id"),
    "category": ("category", "category_code", "category_id"),
    "unit_code": ("unit_code", "nominee_unit_code", "unit"),
    "full_name": ("full_name", "person_name", "name", "nominee_name"),
    "position": ("position",),
    "achievements": ("achievements", "thanh_tich"),
}


class UsageError(Exception):
    """The file or the arguments are wrong; the message says how."""


# ------------------------------------------------------------------ reading CSV and XLSX
def read_table(path: Path) -> list[dict[str, str]]:
    """The rows of a CSV (UTF-8, with or without BOM; comma, semicolon or tab) or XLSX file (its first sheet).

    Header names are lower-cased and stripped; text is NFC-normalised; blank rows are skipped.
    """
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        header, rows = _xlsx_rows(path)
    elif suffix in (".csv", ".txt"):
        header, rows = _csv_rows(path)
    else:
        raise UsageError(f"{path}: give a .csv or .xlsx file")
    keys = [unicodedata.normalize("NFC", h).strip().lower() for h in header]
    table = []
    for values in rows:
        cells = [_cell(v) for v in values]
        if not any(cells):
            continue
        table.append({k: (cells[i] if i < len(cells) else "") for i, k in enumerate(keys) if k})
    return table


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFC", str(value)).strip()


def _csv_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: the CSV must be UTF-8 (in Excel: Save As, 'CSV UTF-8')") from exc
    dialect: Any = csv.excel
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        pass
    rows = list(csv.reader(io.StringIO(text), dialect))
    if not rows:
        raise UsageError(f"{path}: the file is empty")
    return rows[0], rows[1:]


def _xlsx_rows(path: Path) -> tuple[list[str], list[list[Any]]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a file that is not a workbook
        raise UsageError(f"{path}: not a readable XLSX workbook ({exc})") from exc
    try:
        rows = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    finally:
        book.close()
    if not rows:
        raise UsageError(f"{path}: the first sheet is empty")
    return [_cell(h) for h in rows[0]], rows[1:]


def _require(table: list[dict[str, str]], columns: tuple[str, ...], path: Path) -> None:
    if not table:
        raise UsageError(f"{path}: no rows under the header")
    missing = [c for c in columns if c not in table[0]]
    if missing:
        raise UsageError(f"{path}: the header must name the columns {', '.join(columns)} (missing: {', '.join(missing)})")


def _content_key(prefix: str, *parts: str) -> str:
    return f"{prefix}:" + hashlib.sha256("\0".join(parts).encode()).hexdigest()[:40]


# ------------------------------------------------------------------ import-units
async def import_units(client: Client, token: str, path: Path, out: Any = sys.stdout) -> int:
    table = read_table(path)
    _require(table, UNIT_COLUMNS[:3], path)
    rows = [
        {"code": r.get("code", ""), "name": r.get("name", ""), "kind": r.get("kind", ""),
         "parent_code": r.get("parent_code") or None}
        for r in table
    ]
    body = [dict(r) for r in rows]
    answer = await client.post(
        "units", "/units/import", token=token, json=body,
        idempotency_key=_content_key("import-units", repr(body)), ok=(200, 201),
    )
    print(f"imported {answer['created']} units from {path.name}", file=out)
    return answer["created"]


# ------------------------------------------------------------------ import-nominations
class NominationImporter:
    """Resolves every row first (campaign, category, unit, person); submits only when all rows make sense."""

    def __init__(self, client: Client, token: str, out: Any) -> None:
        self.c = client
        self.token = token
        self.out = out
        self.campaigns: list[dict[str, Any]] = []
        self.units: dict[str, dict[str, Any] | None] = {}
        self.people: dict[tuple[str, str], asyncio.Future[tuple[str, bool]]] = {}

    async def load_campaigns(self) -> None:
        listed = await self.c.all("awards", "/campaigns")
        self.campaigns = await asyncio.gather(*(self.c.get("awards", f"/campaigns/{c['id']}") for c in listed))

    def category(self, campaign_ref: str, category_ref: str) -> dict[str, Any]:
        campaigns = self.campaigns
        if campaign_ref:
            campaigns = [c for c in campaigns if campaign_ref.lower() in (c["id"], c["code"].lower())]
            if not campaigns:
                raise UsageError(f"no campaign has code or id {campaign_ref!r}")
        found = [
            (cat, camp) for camp in campaigns for cat in camp.get("categories") or []
            if category_ref.lower() in (cat["id"], cat["code"].lower())
        ]
        if not found:
            raise UsageError(f"no category has code or id {category_ref!r}" + (f" in {campaign_ref}" if campaign_ref else ""))
        if len(found) > 1:
            raise UsageError(f"category {category_ref!r} is in several campaigns: add a 'campaign' column")
        return found[0][0]

    async def unit(self, code: str) -> dict[str, Any]:
        if code not in self.units:
            self.units[code] = await self.c.unit_by_code(code)
        unit = self.units[code]
        if unit is None:
            raise UsageError(f"no unit has code {code!r}")
        return unit

    async def person(self, full_name: str, unit_id: str, position: str) -> tuple[str, bool]:
        """The person's id (found, or added to the unit now) and whether it was added."""
        key = (full_name.casefold(), unit_id)
        if key not in self.people:
            self.people[key] = asyncio.ensure_future(self._person(full_name, unit_id, position))
        return await self.people[key]

    async def _person(self, full_name: str, unit_id: str, position: str) -> tuple[str, bool]:
        for p in await self.c.all("units", "/people", token=self.token, params={"unit_id": unit_id, "q": full_name}):
            if p["full_name"].casefold() == full_name.casefold():
                return p["id"], False
        person = await self.c.post(
            "units", "/people", token=self.token, idempotency_key=_content_key("import-person", full_name, unit_id),
            json={"full_name": full_name, "unit_id": unit_id, "position": position or None}, ok=(201,),
        )
        return person["id"], True

    async def resolve(self, i: int, row: dict[str, str]) -> tuple[dict[str, Any], bool] | str:
        """The nomination's body and whether its person is new; or what is wrong with the row."""
        try:
            category = self.category(row.get("campaign", ""), row.get("category", ""))
            if not row.get("unit_code"):
                raise UsageError("unit_code is empty")
            if not row.get("achievements"):
                raise UsageError("achievements is empty")
            unit = await self.unit(row["unit_code"])
            body: dict[str, Any] = {"category_id": category["id"], "achievements": row["achievements"]}
            if category["nominee_kind"] == "collective":
                if row.get("full_name"):
                    raise UsageError(f"category {category['code']} honours collectives: leave full_name empty")
                body["nominee_unit_id"] = unit["id"]
                return body, False
            if not row.get("full_name"):
                raise UsageError(f"category {category['code']} honours individuals: full_name is empty")
            return body | {"_person": (row["full_name"], unit["id"], row.get("position", ""))}, True
        except UsageError as exc:
            return f"row {i}: {exc}"

    async def submit(self, i: int, body: dict[str, Any]) -> tuple[str, str]:
        """("new" | "again" | "skipped" | "failed", what to tell the user)."""
        person = body.pop("_person", None)
        if person is not None:
            try:
                body["nominee_person_id"], _ = await self.person(*person)
            except ApiError as exc:
                return "failed", f"row {i}: not submitted: {exc.detail}"
        key = _content_key("import-nomination", body["category_id"],
                           body.get("nominee_unit_id") or body["nominee_person_id"], body["achievements"])

        async def call() -> Any:
            return await self.c.post(
                "awards", "/nominations", token=self.token, json=body, idempotency_key=key, ok=(201,), raw=True
            )

        try:
            # Every nominee was found in (or just added to) the units service: a refusal
            # as unknown means the awards service has not heard of it yet.
            resp = await until_known(call, timeout=PROPAGATION_TIMEOUT)
        except ApiError as exc:
            if exc.status == 409 and "live nomination" in exc.detail:
                return "skipped", f"row {i}: already nominated: {exc.detail}"
            return "failed", f"row {i}: not submitted: {exc.detail}"
        return ("again" if resp.headers.get("idempotent-replayed") == "true" else "new"), ""


async def import_nominations(client: Client, token: str, path: Path, out: Any = sys.stdout) -> tuple[Counter[str], list[str]]:
    """Submit the file's nominations: how many rows went which way (new, again, skipped, failed), and what to say."""
    table = [_canonical(r) for r in read_table(path)]
    _require(table, ("category", "unit_code", "achievements"), path)
    importer = NominationImporter(client, token, out)
    await importer.load_campaigns()
    resolved = await asyncio.gather(*(importer.resolve(i, r) for i, r in enumerate(table, start=1)))
    problems = [r for r in resolved if isinstance(r, str)]
    if problems:
        return Counter(failed=len(problems)), [*problems, "nothing was submitted; correct the file and run again"]
    results = await asyncio.gather(*(importer.submit(i, body) for i, (body, _) in enumerate(resolved, start=1)))  # type: ignore[misc]
    return Counter(outcome for outcome, _ in results), [m for _, m in results if m]


def _canonical(row: dict[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, spellings in NOMINATION_COLUMNS.items():
        for s in spellings:
            if row.get(s):
                out[name] = row[s]
                break
        else:
            if any(s in row for s in spellings):
                out[name] = ""
    return out


# ------------------------------------------------------------------ export-honorees
async def export_honorees(
    client: Client, campaign_ids: list[str], year: int | None, extra: dict[str, Any] | None = None
) -> tuple[bytes, int]:
    """GET /honorees.csv, once per campaign asked for, as one CSV for Excel, and its number of rows.

    One part is passed on byte for byte. Several are joined under one header
    (UTF-8 with BOM, CRLF), the row numbers of a leading "STT" column running on.
    """
    parts: list[bytes] = []
    for campaign_id in campaign_ids or [None]:  # type: ignore[list-item]
        resp = await client.get(
            "events", "/honorees.csv", params={"campaign_id": campaign_id, "year": year, **(extra or {})}, raw=True,
        )
        parts.append(resp.content)
    tables = [list(csv.reader(io.StringIO(p.decode("utf-8-sig")))) for p in parts]
    if len(parts) == 1:
        return parts[0], max(len(tables[0]) - 1, 0)
    header = next((t[0] for t in tables if t), [])
    rows = [row for t in tables for row in t[1:]]
    if header and header[0].strip().upper() == "STT":
        rows = [[str(n), *row[1:]] for n, row in enumerate(rows, start=1)]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return "\ufeff".encode() + out.getvalue().encode("utf-8"), len(rows)


# ------------------------------------------------------------------ the command-line glue
def add_connection_arguments(parser: argparse.ArgumentParser, *, login: bool = True) -> None:
    for service in ("units", "awards", "events"):
        parser.add_argument(
            f"--{service}-url", default=os.environ.get(f"THIDUA_{service.upper()}_URL", DEFAULT_URLS[service]),
            help=f"the {service} service (default {DEFAULT_URLS[service]})",
        )
    if login:
        parser.add_argument(
            "--username", default=os.environ.get("THIDUA_USERNAME", "admin"),
            help="the account to act as (default: THIDUA_USERNAME, else admin); password from THIDUA_PASSWORD or the prompt",
        )


def _urls(args: argparse.Namespace) -> dict[str, str]:
    return {s: getattr(args, f"{s}_url") for s in ("units", "awards", "events")}


def _password() -> str:
    return os.environ.get("THIDUA_PASSWORD") or getpass.getpass("password: ")


async def _logged_in(client: Client, args: argparse.Namespace) -> str:
    return await client.login(args.username, _password())


def _run(main: Callable[[], Awaitable[int]]) -> int:
    try:
        return asyncio.run(main())
    except UsageError as exc:
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


def add_parsers(sub: Any) -> None:
    """The office verbs, added to the `thidua` command's subparsers."""
    units = sub.add_parser("import-units", help="create units from a CSV or XLSX file (code, name, kind, parent_code)")
    units.add_argument("file", help=".csv or .xlsx; header row: code,name,kind,parent_code; all or nothing")
    add_connection_arguments(units)
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
    add_connection_arguments(noms)
    noms.set_defaults(func=cmd_import_nominations)

    export = sub.add_parser("export-honorees", help="the public honour roll as CSV (UTF-8 with BOM, for Excel)")
    export.add_argument("--out", "-o", help="file to write (default: standard output)")
    export.add_argument("--campaign-id", action="append", help="only this campaign (repeat for several)")
    export.add_argument("--year", type=int)
    export.add_argument("--kind", choices=("collective", "individual"))
    export.add_argument("--unit-id")
    export.add_argument("--q", help="search names, ignoring case and diacritics")
    add_connection_arguments(export, login=False)
    export.set_defaults(func=cmd_export_honorees)
