"""Units and nominations from the office's files, sent through the services' HTTP APIs.

Every row is checked before anything is sent, and every create carries an
Idempotency-Key made from the row's content, so running an import again
creates nothing twice.
"""

from __future__ import annotations

import asyncio
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from shared.tables import NOMINATION_COLUMNS, NOMINATION_REQUIRED, canonical, content_key, read_table, require_columns
from thidua.apiclient import ApiError, Client, until_known

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

    async def person(self, full_name: str, unit_id: str, position: str) -> tuple[str, bool]:
        """The person's id (found, or added to the unit now) and whether it was added."""
        key = (full_name.casefold(), unit_id)
        if key not in self.people:
            self.people[key] = asyncio.ensure_future(self._person(full_name, unit_id, position))
        return await self.people[key]

    async def _roster(self, unit_id: str) -> dict[str, str]:
        """The unit's people by name: one listing per unit, not one search per row."""
        listed = await self.c.all("units", "/people", token=self.token, params={"unit_id": unit_id})
        roster: dict[str, str] = {}
        for p in listed:
            roster.setdefault(p["full_name"].casefold(), p["id"])
        return roster

    async def _person(self, full_name: str, unit_id: str, position: str) -> tuple[str, bool]:
        if unit_id not in self.rosters:
            self.rosters[unit_id] = asyncio.ensure_future(self._roster(unit_id))
        found = (await self.rosters[unit_id]).get(full_name.casefold())
        if found is not None:
            return found, False
        person = await self.c.post(
            "units",
            "/people",
            token=self.token,
            idempotency_key=content_key("import-person", full_name, unit_id),
            json={"full_name": full_name, "unit_id": unit_id, "position": position or None},
            ok=(201,),
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
        key = content_key(
            "import-nomination",
            body["category_id"],
            body.get("nominee_unit_id") or body["nominee_person_id"],
            body["achievements"],
        )

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
    # Every new person first, all of them: they reach the awards service while the rest are added, so its
    # nominations seldom wait for one. A failure here is told by its row below (the future keeps it).
    await asyncio.gather(*(importer.person(*b["_person"]) for b in bodies if "_person" in b), return_exceptions=True)
    results = await asyncio.gather(*(importer.submit(i, body) for i, body in enumerate(bodies, start=1)))
    return Counter(outcome for outcome, _ in results), [m for _, m in results if m]
