"""The officer's import of nominations from a spreadsheet: upload, every row checked, then `Gửi tất cả`.

- `GET /nominations/import`: the upload form.
- `POST /nominations/import` (multipart: `file`): the file read (`shared.tables`, the command's
  reader), every row checked (campaign and category, the unit in the user's subtree, the person
  found or to be added, the record of merit); errors by row number and nothing kept when any row
  has one; else the rows as resolved are kept on the server (`nomination_imports`, one per
  session) and the page shows what will be created. Calls: 1 (the campaigns) + one per distinct
  unit code (two when it is outside the officer's subtree) + one per distinct person, 8 at a time.
- `POST /nominations/import/submit`: the kept rows sent (never what the browser holds) through the
  bulk paths, as the command sends them (`shared/batches.py`): the people missing added in one
  `POST /people/batch`, the nominations in one `POST /nominations/batch` (the items the awards
  service does not know the nominee of yet sent again), each request with an Idempotency-Key made
  of its content, so sending the same file again creates nothing twice; the outcome by row.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, TypeVar

import asyncpg
import msgspec
from litestar import Controller, Request, Response, get, post

from shared import batches
from shared.roles import Role
from shared.tables import (
    NOMINATION_COLUMNS,
    NOMINATION_REQUIRED,
    TableError,
    canonical,
    parse_numbered,
    require_columns,
)

from .. import domain
from ..client import Api, Refused, TokenRefused
from ..pages import render
from ..session.guards import allow
from ..session.service import Session
from ..uploads import spreadsheet
from . import plan, repository

NOMINATORS = allow(*domain.NOMINATORS)
AT_ONCE = 8  # calls to the services in flight for one import
PROPAGATION_WAIT = 15.0  # a person just added reaches the awards service's copy within this
T = TypeVar("T")


async def bounded(calls: list[Callable[[], Awaitable[T]]]) -> list[T]:
    gate = asyncio.Semaphore(AT_ONCE)

    async def one(call: Callable[[], Awaitable[T]]) -> T:
        async with gate:
            return await call()

    return list(await asyncio.gather(*(one(c) for c in calls)))


async def tried(call: Callable[[], Awaitable[T]]) -> T | Refused:
    """The call's answer, or the service's refusal of what a row says (an ended session still ends)."""
    try:
        return await call()
    except TokenRefused:
        raise
    except Refused as exc:
        return exc


class NominationImportController(Controller):
    path = "/nominations/import"
    include_in_schema = False
    guards = [NOMINATORS]

    @get("/")
    async def form(self, request: Request[Any, Any, Any]) -> Response[Any]:
        return render(request, "nominations_import.html", stage="upload", file_error=None)

    @post("/")
    async def check(
        self, request: Request[Any, Any, Any], api: Api, session: Session, pool: asyncpg.Pool
    ) -> Response[Any]:
        file = await spreadsheet(await request.form(), plan.MAX_BYTES)
        if isinstance(file, str):
            return self._file_refused(request, file)
        name, data = file
        name = name[-200:]
        try:
            numbered = parse_numbered(name, data, max_rows=plan.MAX_ROWS)
            rows = [(n, canonical(r, NOMINATION_COLUMNS)) for n, r in numbered]
            require_columns([r for _, r in rows], NOMINATION_REQUIRED, name)
        except TableError as exc:
            message = plan.columns_missing(exc.missing) if exc.reason == "columns" else plan.FILE_REASONS[exc.reason]
            return self._file_refused(request, message)
        checked = await self._resolve(api, session, rows)
        bad = [r for r in checked if r["errors"]]
        if bad:
            return render(
                request, "nominations_import.html", status=400, stage="errors", file_name=name, rows=checked, bad=bad
            )
        if len(msgspec.json.encode(checked)) > plan.MAX_KEPT:
            return self._file_refused(request, plan.FILE_REASONS["too-large"])
        await repository.stash(pool, session.id_hash, name, checked)
        return render(request, "nominations_import.html", stage="preview", file_name=name, rows=checked)

    def _file_refused(self, request: Request[Any, Any, Any], message: str) -> Response[Any]:
        return render(request, "nominations_import.html", status=400, stage="upload", file_error=message)

    async def _resolve(
        self, api: Api, session: Session, rows: list[tuple[int, dict[str, str]]]
    ) -> list[dict[str, Any]]:
        """Every row as it would be sent, with what is wrong with it (empty when nothing)."""
        campaigns = (await api.get("awards", "/campaigns", {"limit": 200}))["items"]
        drafts = []
        for line, row in rows:
            draft, errors = plan.first_check(row, campaigns)
            drafts.append({"line": line, **draft, "errors": errors})
        # The units by code, each once: in the user's subtree, or why not.
        scope = str(session.unit_id) if session.role == Role.OFFICER and session.unit_id else None
        codes = sorted({d["unit_code"].lower(): d["unit_code"] for d in drafts if d["unit_code"]}.items())
        found = await bounded([partial(tried, partial(self._unit, api, code, scope)) for _, code in codes])
        units = {key: unit for (key, _), unit in zip(codes, found, strict=True)}
        for d in drafts:
            if not d["unit_code"]:
                continue
            unit = units[d["unit_code"].lower()]
            if isinstance(unit, Refused):
                d["errors"].append(f"Không tìm được đơn vị: {unit.detail}")
            elif isinstance(unit, str):
                d["errors"].append(unit)
            else:
                d["unit_id"], d["unit_name"] = str(unit["id"]), unit["name"]
        # The people by name in their unit, each once: found, or to be added when the rows are sent.
        wanted = sorted(
            {
                (d["unit_id"], d["full_name"].casefold()): d["full_name"]
                for d in drafts
                if d.get("kind") == "individual" and d.get("unit_id") and d["full_name"] and not d["errors"]
            }.items()
        )
        ids = await bounded([partial(tried, partial(self._person, api, k[0], n)) for k, n in wanted])
        people = {k: pid for (k, _), pid in zip(wanted, ids, strict=True)}
        seen: dict[tuple[str, ...], int] = {}
        for d in drafts:
            key = (d.get("unit_id"), d["full_name"].casefold())
            if d.get("kind") == "individual" and key in people:
                pid = people[key]
                if isinstance(pid, Refused):
                    d["errors"].append(f"Không tìm được người này: {pid.detail}")
                else:
                    d["person_id"] = pid
            same = seen.setdefault(plan.row_identity(d), d["line"])
            if same != d["line"] and not d["errors"]:
                d["errors"].append(f"Trùng với dòng {same}.")
        return drafts

    async def _unit(self, api: Api, code: str, scope: str | None) -> dict[str, Any] | str:
        page = await api.get("units", "/units", {"q": code[:200], "under_id": scope, "limit": 200})
        unit = next((u for u in page["items"] if str(u["code"]).lower() == code.lower()), None)
        if unit is not None:
            return unit
        if scope is not None:
            anywhere = await api.get("units", "/units", {"q": code[:200], "limit": 200})
            if any(str(u["code"]).lower() == code.lower() for u in anywhere["items"]):
                return f"Đơn vị mã “{code}” không thuộc phạm vi của bạn."
        return f"Không có đơn vị mã “{code}”."

    async def _person(self, api: Api, unit_id: str, full_name: str) -> str | None:
        page = await api.get("units", "/people", {"unit_id": unit_id, "q": full_name, "limit": 200})
        return next((str(p["id"]) for p in page["items"] if p["full_name"].casefold() == full_name.casefold()), None)

    # ------------------------------------------------------------ Gửi tất cả
    @post("/submit")
    async def submit(
        self, request: Request[Any, Any, Any], api: Api, session: Session, pool: asyncpg.Pool
    ) -> Response[Any]:
        kept = await repository.take(pool, session.id_hash)
        if kept is None:
            return render(
                request,
                "nominations_import.html",
                status=409,
                stage="upload",
                file_error="Không còn tệp nào chờ gửi (đã gửi, hoặc phiên đã hết): hãy tải tệp lên lại.",
            )
        name, rows = kept
        # The people to add, each once (two rows of one new person add it once, as the first row says),
        # looked for again first: someone may have added one since the check.
        new: dict[tuple[str, str], dict[str, Any]] = {}
        for d in rows:
            if d["kind"] == "individual" and not d.get("person_id"):
                new.setdefault((d["unit_id"], d["full_name"].casefold()), d)
        looked = await bounded(
            [partial(tried, partial(self._person, api, d["unit_id"], d["full_name"])) for d in new.values()]
        )
        people: dict[tuple[str, str], str] = {}
        refused: dict[tuple[str, str], str] = {}
        for key, found in zip(new, looked, strict=True):
            if isinstance(found, Refused):
                refused[key] = found.detail
            elif found:
                people[key] = found
        missing = [k for k in new if k not in people and k not in refused]
        added = await batches.send(
            _poster(api, "units", "/people/batch"),
            [
                {"full_name": new[k]["full_name"], "unit_id": new[k]["unit_id"], "position": new[k]["position"] or None}
                for k in missing
            ],
            key=batches.PEOPLE_KEY,
            thing="person",
        )
        for k, outcome in zip(missing, added, strict=True):
            if outcome.status == 201:
                people[k] = str(outcome.body["id"])
            else:
                refused[k] = _detail(outcome)
        sending: list[tuple[dict[str, Any], dict[str, Any]]] = []
        for d in rows:
            person_id = d.get("person_id")
            if d["kind"] == "individual" and not person_id:
                key = (d["unit_id"], d["full_name"].casefold())
                if key in refused:
                    d["outcome"] = {"error": refused[key]}
                    continue
                person_id = people[key]
            sending.append((d, plan.nomination_body(d, person_id)))
        # A refusal as unknown (404, or 409 "not known yet") means the awards service has not heard yet of a
        # person just added: only those items are sent again, until PROPAGATION_WAIT; any other answer is final.
        sent = await batches.send(
            _poster(api, "awards", "/nominations/batch"),
            [body for _, body in sending],
            key=batches.NOMINATIONS_KEY,
            thing="nomination",
            retry=batches.not_known_yet,
            timeout=PROPAGATION_WAIT,
        )
        for (d, _), outcome in zip(sending, sent, strict=True):
            d["outcome"] = {"id": str(outcome.body["id"])} if outcome.status == 201 else {"error": _detail(outcome)}
        sent_count = sum(1 for d in rows if d["outcome"].get("id"))
        return render(request, "nominations_import.html", stage="done", file_name=name, rows=rows, sent=sent_count)


def _poster(api: Api, service: str, path: str) -> Callable[[list[Any], str], Awaitable[batches.Answer]]:
    """One request of a bulk path as `shared.batches.send` makes it, with the user's token; a refusal of the
    whole is every item's answer (an ended session still ends; a service away still shows its page)."""

    async def post(items: list[Any], key: str) -> batches.Answer:
        try:
            return 200, await api.post(service, path, {"items": items}, idempotency_key=key), False
        except TokenRefused:
            raise
        except Refused as exc:
            errors = [{"field": e.field, "message": e.message} for e in exc.errors]
            return exc.status, {"detail": exc.detail, "errors": errors}, False

    return post


def _detail(outcome: batches.Outcome) -> str:
    """An item's refusal as the page says any refusal of a service: its detail."""
    return str(outcome.body.get("detail") or outcome.body.get("title") or f"HTTP {outcome.status}")
