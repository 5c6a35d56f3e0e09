"""Units and nominations from the office's files, sent through the services' HTTP APIs.

Every row is checked before anything is sent, and every create carries an
Idempotency-Key made from the content it sends, so running an import again
creates nothing twice. The nominations go through the bulk paths
(`shared/batches.py`): the people the file adds in one or a few `POST
/people/batch`, then the nominations in requests of up to 500 (`POST
/nominations/batch`), sending again only those the awards service does not
know the nominee of yet.
"""

from __future__ import annotations

import asyncio
import sys
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from shared import batches
from shared.tables import NOMINATION_COLUMNS, NOMINATION_REQUIRED, canonical, content_key, read_table, require_columns
from thidua.apiclient import ApiError, Client

UNIT_COLUMNS = ("code", "name", "kind", "parent_code")
PROPAGATION_TIMEOUT = 15.0


class UsageError(Exception):
    """A row of the file says something the services do not know; the message says what."""


# ------------------------------------------------------------------ import-units
async def import_units(client: Client, token: str, path: Path, out: Any = sys.stdout) -> int:
    table = read_table(path)
    require_columns(table, UNIT_COLUMNS[:3], path)
    rows = [
        {
            "code": r.get("code", ""),
            "name": r.get("name", ""),
            "kind": r.get("kind", ""),
            "parent_code": r.get("parent_code") or None,
        }
        for r in table
    ]
    body = [dict(r) for r in rows]
    answer = await client.post(
        "units",
        "/units/import",
        token=token,
        json=body,
        idempotency_key=content_key("import-units", repr(body)),
        ok=(200, 201),
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
        # Each looked up once, however many rows name it at once (the rows are resolved concurrently).
        self.units: dict[str, asyncio.Future[dict[str, Any] | None]] = {}
        self.rosters: dict[str, asyncio.Future[dict[str, str]]] = {}  # unit id -> casefolded name -> person id

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
            (cat, camp)
            for camp in campaigns
            for cat in camp.get("categories") or []
            if category_ref.lower() in (cat["id"], cat["code"].lower())
        ]
        if not found:
            raise UsageError(
                f"no category has code or id {category_ref!r}" + (f" in {campaign_ref}" if campaign_ref else "")
            )
        if len(found) > 1:
            raise UsageError(f"category {category_ref!r} is in several campaigns: add a 'campaign' column")
        return found[0][0]

    async def unit(self, code: str) -> dict[str, Any]:
        if code not in self.units:
            self.units[code] = asyncio.ensure_future(self.c.unit_by_code(code))
        unit = await self.units[code]
        if unit is None:
            raise UsageError(f"no unit has code {code!r}")
        return unit

    async def _roster(self, unit_id: str) -> dict[str, str]:
        """The unit's people by name: one listing per unit, not one search per row."""
        listed = await self.c.all("units", "/people", token=self.token, params={"unit_id": unit_id})
        roster: dict[str, str] = {}
        for p in listed:
            roster.setdefault(p["full_name"].casefold(), p["id"])
        return roster

    async def found(self, full_name: str, unit_id: str) -> str | ApiError | None:
        """The id of the person of that name in the unit, if there is one; or why the unit cannot be read."""
        if unit_id not in self.rosters:
            self.rosters[unit_id] = asyncio.ensure_future(self._roster(unit_id))
        try:
            return (await self.rosters[unit_id]).get(full_name.casefold())
        except ApiError as exc:
            return exc

    def poster(self, service: str, path: str) -> Callable[[list[Any], str], Awaitable[batches.Answer]]:
        """One request of a bulk path, as `shared.batches.send` makes it: a refusal of the whole is an answer too."""

        async def post(items: list[Any], key: str) -> batches.Answer:
            try:
                resp = await self.c.post(
                    service, path, token=self.token, json={"items": items}, idempotency_key=key, ok=(200,), raw=True
                )
            except ApiError as exc:
                return exc.status, exc.body, False
            return 200, resp.json(), resp.headers.get("idempotent-replayed") == "true"

        return post

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


async def import_nominations(
    client: Client, token: str, path: Path, out: Any = sys.stdout
) -> tuple[Counter[str], list[str]]:
    """Submit the file's nominations: how many rows went which way (new, again, skipped, failed), and what to say."""
    table = [canonical(r, NOMINATION_COLUMNS) for r in read_table(path)]
    require_columns(table, NOMINATION_REQUIRED, path)
    importer = NominationImporter(client, token, out)
    await importer.load_campaigns()
    resolved = await asyncio.gather(*(importer.resolve(i, r) for i, r in enumerate(table, start=1)))
    problems = [r for r in resolved if isinstance(r, str)]
    if problems:
        return Counter(failed=len(problems)), [*problems, "nothing was submitted; correct the file and run again"]
    bodies = [r[0] for r in resolved if not isinstance(r, str)]  # every row's: none failed
    failed: dict[int, str] = {}  # row (from 0) -> the service's reason, for the rows that cannot be sent
    # The people the rows name: found in their unit, or added now, all of them in one or a few requests.
    named: dict[tuple[str, str], tuple[str, str, str]] = {}
    for b in bodies:
        if "_person" in b:  # two rows of one new person add it once, as the first row says
            named.setdefault((b["_person"][0].casefold(), b["_person"][1]), b["_person"])
    found = await asyncio.gather(*(importer.found(name, unit_id) for name, unit_id, _ in named.values()))
    ids = {k: f for k, f in zip(named, found, strict=True) if isinstance(f, str)}
    refused = {k: f.detail for k, f in zip(named, found, strict=True) if isinstance(f, ApiError)}
    missing = [k for k in named if k not in ids and k not in refused]
    added = await batches.send(
        importer.poster("units", "/people/batch"),
        [{"full_name": named[k][0], "unit_id": named[k][1], "position": named[k][2] or None} for k in missing],
        key=batches.PEOPLE_KEY,
        thing="person",
    )
    for k, outcome in zip(missing, added, strict=True):
        if outcome.status == 201:
            ids[k] = outcome.body["id"]
        else:
            refused[k] = _reason(outcome)
    sending: list[int] = []
    for row, body in enumerate(bodies):
        person = body.pop("_person", None)
        if person is not None:
            k = (person[0].casefold(), person[1])
            if k in refused:
                failed[row] = refused[k]
                continue
            body["nominee_person_id"] = ids[k]
        sending.append(row)
    # Every nominee was found in (or just added to) the units service: a refusal as unknown means the
    # awards service has not heard of it yet, and only those items are sent again.
    sent = await batches.send(
        importer.poster("awards", "/nominations/batch"),
        [bodies[row] for row in sending],
        key=batches.NOMINATIONS_KEY,
        thing="nomination",
        retry=batches.not_known_yet,
        timeout=PROPAGATION_TIMEOUT,
    )
    results: dict[int, tuple[str, str]] = {
        row: ("failed", f"row {row + 1}: not submitted: {m}") for row, m in failed.items()
    }
    for row, outcome in zip(sending, sent, strict=True):
        if outcome.status == 201:
            results[row] = ("again" if outcome.replayed else "new"), ""
        elif outcome.status == 409 and "live nomination" in str(outcome.body.get("detail")):
            results[row] = "skipped", f"row {row + 1}: already nominated: {_reason(outcome)}"
        else:
            results[row] = "failed", f"row {row + 1}: not submitted: {_reason(outcome)}"
    ordered = [results[row] for row in range(len(bodies))]
    return Counter(outcome for outcome, _ in ordered), [m for _, m in ordered if m]


def _reason(outcome: batches.Outcome) -> str:
    """An item's refusal as the command says any refusal: its detail and the fields it names."""
    return ApiError("POST", "", outcome.status, outcome.body).detail
