"""Load the scenario through the services' own HTTP APIs, as the province's users would.

The admin imports the unit tree and opens the accounts; each committee's
officer adds its people and submits its nominations; the standing committee's
members create the campaigns, vote, approve, sign one decision per campaign
and hold the ceremony; the standing committee issues the province's action
programme (a directive of the events service) and the admin imports what the
units reported under it; the awards and events services learn the rest over
NATS, as always. Every step first looks at what is already there, and every
create carries an Idempotency-Key, so running the loader again (or after a
crash half-way) creates nothing twice.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, TextIO

from thidua.apiclient import ApiError, Client, until_known
from thidua.settings import Demo

from .live import LiveReview, live_plan
from .scenario import DEMO_POSITION, DirectivePlan, Plan, build_plan

KEY_PREFIX = "demo-bt2014"
# How long the awards and events services may take to learn of a change over NATS.
PROPAGATION_TIMEOUT = 60.0


def demo_password() -> str:
    return Demo.from_env().password


class DemoError(Exception):
    """The scenario cannot be loaded (say why, in words an operator can act on)."""


@dataclass
class ScenarioResult:
    loaded: bool  # False when it was all there already
    created: int  # things this run created (201 answers that were not replays)
    elapsed: float
    province_id: str
    campaign_ids: dict[str, str] = field(default_factory=dict)  # campaign code -> id
    category_ids: dict[str, str] = field(default_factory=dict)  # category code -> id
    ceremony_id: str | None = None
    directive_id: str | None = None  # Chương trình hành động số 20-NQ/TU
    accounts: list[tuple[str, str, str]] = field(default_factory=list)  # username, role, what it acts for
    password: str = ""


class Loader:
    def __init__(self, client: Client, plan: Plan, admin_password: str | None, out: TextIO) -> None:
        self.c = client
        self.plan = plan
        self.admin_password = admin_password
        self.out = out
        self.password = demo_password()
        self.t0 = time.monotonic()
        self.tokens: dict[str, str] = {}
        self.admin_lock = asyncio.Lock()
        self.unit_ids: dict[str, str] = {}  # code -> id
        self.person_ids: dict[tuple[str, str], str] = {}  # (full name, unit code) -> id
        self.campaigns: dict[str, dict[str, Any]] = {}  # code -> campaign (with its categories)
        self.category_ids: dict[str, str] = {}
        self.nominations: dict[str, dict[str, Any]] = {}  # plan key -> nomination
        self.member_ids: list[str] = []  # the committee members' account ids, in the plan's order
        self.directive_id: str | None = None

    # ------------------------------------------------------------ helpers
    def say(self, text: str) -> None:
        print(f"  [{time.monotonic() - self.t0:5.1f}s] {text}", file=self.out, flush=True)

    @property
    def chair(self) -> str:
        return self.tokens[self.plan.members[0]]

    def officer_of(self, committee_code: str) -> str:
        committee = next(c for c in self.plan.committees if c.code == committee_code)
        return self.tokens[committee.officer]

    async def admin(self) -> str:
        async with self.admin_lock:
            return await self._admin()

    async def _admin(self) -> str:
        if "admin" not in self.tokens:
            password = self.admin_password or Demo.from_env().admin_password
            if not password:
                raise DemoError(
                    "the demo data is incomplete and needs the admin account to go on: "
                    "set THIDUA_ADMIN_PASSWORD to the admin's password, or start from an empty var/ (make clean)"
                )
            self.tokens["admin"] = await self.c.login("admin", password)
        return self.tokens["admin"]

    def key(self, *parts: str) -> str:
        """An Idempotency-Key for one create of the scenario: the same on every run, ASCII as a header must be."""
        return (
            f"{KEY_PREFIX}:{parts[0]}:" + hashlib.sha256("\0".join((self.plan.tag, *parts)).encode()).hexdigest()[:32]
        )

    # ------------------------------------------------------------ the whole scenario
    async def run(self) -> ScenarioResult:
        province = await self.c.unit_by_code(self.plan.province.code)
        if province is not None:
            done = await self.complete(province["id"])
            if done is not None:
                self.say(
                    "the Bình Thuận 2014 scenario is already loaded"
                    + (
                        "; what was missing (the live review, the directive) is completed"
                        if done.loaded
                        else "; nothing to do"
                    )
                )
                return done
            self.say("the scenario is partly loaded; completing it")
        await self.ensure_units(province)
        await self.ensure_accounts(fresh=province is None)
        await gather([self.ensure_people(), self.ensure_campaigns()])
        await self.ensure_directive()
        await self.ensure_nominations()
        await self.review()
        await self.decide()
        await self.wait_for_roll()
        await self.close_campaigns()
        ceremony = await self.ensure_ceremony()  # the last step of 2014: once it is held, 2014 is loaded
        await self.wait_for_roll(ceremony["id"])
        await self.ensure_live_review()
        return self.result(True, ceremony["id"])

    async def ensure_live_review(self) -> bool:
        """The current year's campaign left before the council (live.py); True when this run had work to do."""
        live = LiveReview(self, live_plan(self.plan))
        if await live.done():
            return False
        if not self.tokens:  # 2014 was complete: sign the scenario's users in
            await self.ensure_units({"id": self.unit_ids[self.plan.province.code]})
            await self.ensure_accounts(fresh=False)
        await live.run()
        return True

    def result(self, loaded: bool, ceremony_id: str | None) -> ScenarioResult:
        return ScenarioResult(
            loaded=loaded,
            created=self.c.posts_created,
            elapsed=time.monotonic() - self.t0,
            province_id=self.unit_ids[self.plan.province.code],
            campaign_ids={code: c["id"] for code, c in self.campaigns.items()},
            category_ids=dict(self.category_ids),
            ceremony_id=ceremony_id,
            directive_id=self.directive_id,
            accounts=accounts_of(self.plan),
            password=self.password,
        )

    async def complete(self, province_id: str) -> ScenarioResult | None:
        """The result, when an earlier run got to the end: its ceremony is held (public calls only).

        What users did with the demo data since (a revoked award, a campaign
        opened again) is theirs: a later run does not undo it.
        """
        self.unit_ids[self.plan.province.code] = province_id
        await self.load_campaigns()
        if len(self.campaigns) < len(self.plan.campaigns) or len(self.category_ids) < len(self.plan.counts):
            return None
        ceremony = await self.find_ceremony()
        if ceremony is None or ceremony.get("status") != "held":
            return None
        live = await self.ensure_live_review()
        directive = await self.ensure_directive()
        return self.result(live or directive, ceremony["id"])

    # ------------------------------------------------------------ units
    async def ensure_units(self, province: dict[str, Any] | None) -> None:
        rows = self.plan.units
        if province is not None:
            for unit in await self.c.all("units", "/units", params={"under_id": province["id"]}):
                self.unit_ids[unit["code"]] = unit["id"]
            rows = [r for r in rows if r.code not in self.unit_ids]
        if rows:
            answer = await self.c.post(
                "units",
                "/units/import",
                token=await self.admin(),
                json=[r.as_json() for r in rows],
                idempotency_key=self.key("units", str(len(rows))),
            )
            for unit in answer["items"]:
                self.unit_ids[unit["code"]] = unit["id"]
        self.say(
            f"unit tree: {self.plan.province.name}, {len(self.plan.committees)} committees, "
            f"{len(self.plan.units) - 1 - len(self.plan.committees)} grassroots organisations "
            f"({len(rows)} imported now)"
        )

    # ------------------------------------------------------------ accounts
    async def ensure_accounts(self, *, fresh: bool) -> None:
        """The committee members' and officers' accounts, and a token for each (on a fresh load none can exist yet)."""
        wanted = [(m, "committee", None) for m in self.plan.members] + [
            (c.officer, "officer", self.unit_ids[c.code]) for c in self.plan.committees
        ]
        created = 0

        async def one(username: str, role: str, unit_id: str | None) -> None:
            nonlocal created
            if not fresh:
                try:
                    self.tokens[username] = await self.c.login(username, self.password)
                    return
                except ApiError as exc:
                    if exc.status != 401:
                        raise
            try:
                await self.c.post(
                    "units",
                    "/accounts",
                    token=await self.admin(),
                    idempotency_key=self.key("account", username),
                    json={"username": username, "password": self.password, "role": role, "unit_id": unit_id},
                )
            except ApiError as exc:
                if exc.status == 409:
                    raise DemoError(f"the account {username!r} exists with another password than the demo's") from exc
                raise
            created += 1
            self.tokens[username] = await self.c.login(username, self.password)

        await gather(one(*w) for w in wanted)
        self.say(
            f"accounts: {len(self.plan.members)} committee members, {len(self.plan.committees)} officers "
            f"({created} created now)"
        )

    # ------------------------------------------------------------ people
    async def ensure_people(self) -> None:
        by_committee: dict[str, list[Any]] = {}
        for nom in self.plan.nominations:
            if nom.person is not None:
                by_committee.setdefault(nom.committee_code, []).append(nom.person)
        created = 0

        async def committee(code: str, people: list[Any]) -> None:
            nonlocal created
            token = self.officer_of(code)
            for p in await self.c.all("units", "/people", token=token):
                self.person_ids[(p["full_name"], p["unit_id"])] = p["id"]
            missing = [p for p in people if (p.full_name, self.unit_ids[p.unit_code]) not in self.person_ids]

            async def add(p: Any) -> None:
                nonlocal created
                unit_id = self.unit_ids[p.unit_code]
                person = await self.c.post(
                    "units",
                    "/people",
                    token=token,
                    idempotency_key=self.key("person", p.unit_code, p.full_name),
                    json={"full_name": p.full_name, "unit_id": unit_id, "position": DEMO_POSITION},
                )
                self.person_ids[(p.full_name, unit_id)] = person["id"]
                created += 1

            await gather(add(p) for p in missing)

        await gather(committee(code, people) for code, people in by_committee.items())
        self.say(f"people: {len(self.plan.people)} demo people added by their committees' officers ({created} now)")

    def person_id(self, p: Any) -> str:
        return self.person_ids[(p.full_name, self.unit_ids[p.unit_code])]

    # ------------------------------------------------------------ campaigns
    async def load_campaigns(self) -> None:
        codes = {c.code for c in self.plan.campaigns}
        for campaign in await self.c.all("awards", "/campaigns"):
            if campaign["code"] in codes:
                self.campaigns[campaign["code"]] = campaign
        await gather(self.refresh_campaign(code) for code in list(self.campaigns))

    async def refresh_campaign(self, code: str) -> None:
        campaign = await self.c.get("awards", f"/campaigns/{self.campaigns[code]['id']}")
        self.campaigns[code] = campaign
        wanted = {cat.code for plan in self.plan.campaigns if plan.code == code for cat in plan.categories}
        for category in campaign.get("categories") or []:
            if category["code"] in wanted:
                self.category_ids[category["code"]] = category["id"]

    async def ensure_campaigns(self) -> None:
        await self.load_campaigns()
        created = 0
        for plan in self.plan.campaigns:
            if plan.code not in self.campaigns:
                self.campaigns[plan.code] = await self.c.post(
                    "awards",
                    "/campaigns",
                    token=self.chair,
                    idempotency_key=self.key("campaign", plan.code),
                    json={
                        "code": plan.code,
                        "name": plan.name,
                        "organizer_unit_id": self.unit_ids[self.plan.province.code],
                        "year": plan.year,
                        "starts_on": plan.starts_on.isoformat(),
                        "ends_on": plan.ends_on.isoformat(),
                        "description": plan.description,
                    },
                    ok=(201,),
                )
                created += 1
            for cat in plan.categories:
                if cat.code not in self.category_ids:
                    answer = await self.c.post(
                        "awards",
                        f"/campaigns/{self.campaigns[plan.code]['id']}/categories",
                        token=self.chair,
                        idempotency_key=self.key("category", plan.code, cat.code),
                        json=cat.as_json(),
                        ok=(201,),
                    )
                    category = (
                        answer
                        if answer.get("code") == cat.code
                        else next(c for c in answer.get("categories", []) if c["code"] == cat.code)
                    )
                    self.category_ids[cat.code] = category["id"]
                    created += 1
            await self.refresh_campaign(plan.code)
        self.say(
            f"campaigns: {', '.join(c.name for c in self.plan.campaigns)}; "
            f"{len(self.plan.counts)} categories with quotas "
            f"{'/'.join(str(n) for n in self.plan.counts.values())} ({created} created now)"
        )

    async def ensure_council(self, campaign_id: str) -> None:
        """The campaign's council: the standing committee's members (their categories have pass marks)."""
        if not self.member_ids:
            self.member_ids = [
                (await self.c.get("units", "/auth/me", token=self.tokens[m]))["id"] for m in self.plan.members
            ]
        path = f"/campaigns/{campaign_id}/council"
        current = await self.c.get("awards", path, token=self.chair)
        if sorted(current.get("member_account_ids") or []) == sorted(self.member_ids):
            return
        # The awards service learns of new accounts over NATS, a moment after they were created.
        await until_known(
            lambda: self.c.request(
                "PUT", "awards", path, token=self.chair, json={"member_account_ids": self.member_ids}, ok=(200,)
            ),
            PROPAGATION_TIMEOUT,
            retry=lambda exc: exc.status == 400,
        )

    async def set_campaigns_open(self, wanted_open: bool) -> None:
        action = "open" if wanted_open else "close"
        for code, campaign in self.campaigns.items():
            if (campaign.get("status") == "open") != wanted_open:
                self.campaigns[code] = await self.c.post(
                    "awards", f"/campaigns/{campaign['id']}/{action}", token=self.chair
                )

    async def close_campaigns(self) -> None:
        await self.set_campaigns_open(False)
        self.say("campaigns closed: the 2014 records are complete")

    # ------------------------------------------------------------ the directive and what the units reported
    async def find_directive(self, plan: DirectivePlan) -> dict[str, Any] | None:
        for directive in await self.c.all("events", "/directives"):
            if directive["code"] == plan.code:
                return directive
        return None

    async def ensure_directive(self) -> bool:
        """Chương trình hành động số 20-NQ/TU, issued by the standing committee for the 2014 campaigns, with
        the programmes and sessions of the province's units (the admin imports them as two files; without
        the admin's password, each committee's officer reports its own). True when this run had work."""
        plan = self.plan.directive
        if plan is None:
            return False
        directive = await self.find_directive(plan)
        programmes, sessions = list(plan.programmes), list(plan.sessions)
        counted = 0
        if directive is not None:
            self.directive_id = directive["id"]
            figures = await self.c.get("events", f"/directives/{directive['id']}/implementation")
            province_id = self.unit_ids[self.plan.province.code]
            codes = {u["id"]: u["code"] for u in await self.c.all("units", "/units", params={"under_id": province_id})}
            missing = {codes.get(m["id"]) for m in figures["missing"]}
            programmes = [p for p in programmes if p.unit_code in missing]
            counted = figures["sessions"]["count"]
            if counted >= len(sessions):
                sessions = []
            if not programmes and not sessions:
                return False
        if not self.tokens:  # the rest of the scenario was complete: sign its users in
            await self.ensure_units({"id": self.unit_ids[self.plan.province.code]})
            await self.ensure_accounts(fresh=False)
        if directive is None:
            body = {
                "code": plan.code,
                "title": plan.title,
                "implements": plan.implements,
                "issuing_unit_id": self.unit_ids[self.plan.province.code],
                "issued_on": plan.issued_on.isoformat(),
                "campaign_ids": [self.campaigns[c]["id"] for c in plan.campaign_codes],
            }

            async def issue() -> dict[str, Any]:
                answer: dict[str, Any] = await self.c.post(
                    "events",
                    "/directives",
                    token=self.chair,
                    idempotency_key=self.key("directive"),
                    json=body,
                    ok=(201,),
                )
                return answer

            # The events service learns of the units and campaigns over NATS, a moment after they were made.
            directive = await until_known(issue, PROPAGATION_TIMEOUT, retry=lambda exc: exc.status == 400)
        self.directive_id = directive["id"]
        path = f"/directives/{directive['id']}"
        try:
            admin: str | None = await self.admin()
        except DemoError:
            admin = None
        # A file is all or nothing: sessions are imported only when none is there yet.
        imported = admin is not None and (counted == 0 or not sessions)
        if admin is not None and imported:
            await self.import_reports(path, admin, programmes, sessions)
        else:
            await self.report_one_by_one(path, programmes, sessions)
        self.say(
            f"directive: {plan.title}; programmes of {len(plan.programmes)} units and {len(plan.sessions)} sessions "
            f"({sum(s.attendees for s in plan.sessions):,} attendees) reported ({len(programmes)} and "
            f"{len(sessions)} now, {'imported by the admin' if imported else 'by the officers'})"
        )
        return True

    async def import_reports(self, path: str, admin: str, programmes: list[Any], sessions: list[Any]) -> None:
        """Two files, as an office's Excel would hold them: all the programmes, all the sessions."""
        for what, rows, columns in (
            ("programmes", programmes, ("unit_code", "number", "issued_on", "title")),
            ("sessions", sessions, ("unit_code", "held_on", "kind", "title", "attendees")),
        ):
            if not rows:
                continue
            out = io.StringIO()
            writer = csv.writer(out)
            writer.writerow(columns)
            for row in rows:
                writer.writerow([str(getattr(row, c)) for c in columns])
            content, key = out.getvalue().encode("utf-8"), self.key(what, str(len(rows)))

            async def send(what: str = what, content: bytes = content, key: str = key) -> None:
                await self.c.post(
                    "events",
                    f"{path}/{what}/import",
                    token=admin,
                    content=content,
                    headers={"Content-Type": "text/csv"},
                    idempotency_key=key,
                    ok=(201,),
                )

            # A unit not in the events service's copy yet is a 400 until it is.
            await until_known(send, PROPAGATION_TIMEOUT, retry=lambda exc: exc.status == 400)

    async def report_one_by_one(self, path: str, programmes: list[Any], sessions: list[Any]) -> None:
        """Each committee's officer reports for its own committee and grassroots organisations."""
        officer = {}
        for committee in self.plan.committees:
            for code in (committee.code, *committee.grassroots):
                officer[code] = self.tokens[committee.officer]
        body_of = {
            "programmes": lambda p: {
                "unit_id": self.unit_ids[p.unit_code],
                "number": p.number,
                "issued_on": p.issued_on.isoformat(),
                "title": p.title,
            },
            "sessions": lambda s: {
                "unit_id": self.unit_ids[s.unit_code],
                "held_on": s.held_on.isoformat(),
                "kind": s.kind,
                "title": s.title,
                "attendees": s.attendees,
            },
        }
        assert self.plan.directive is not None
        index = {s: i for i, s in enumerate(self.plan.directive.sessions)}

        async def one(what: str, row: Any) -> None:
            key = self.key("programme", row.unit_code) if what == "programmes" else self.key("session", str(index[row]))
            try:
                await self.c.post(
                    "events",
                    f"{path}/{what}",
                    token=officer[row.unit_code],
                    idempotency_key=key,
                    json=body_of[what](row),
                )
            except ApiError as exc:
                if exc.status != 409:  # a programme reported already
                    raise

        await gather([*(one("programmes", p) for p in programmes), *(one("sessions", s) for s in sessions)])

    # ------------------------------------------------------------ nominations
    async def load_nominations(self) -> None:
        wanted: dict[tuple[str, str], str] = {}
        for nom in self.plan.nominations:
            target = self.unit_ids[nom.unit_code] if nom.unit_code else self.person_id(nom.person)
            wanted[(self.category_ids[nom.category_code], target)] = nom.key
        for campaign in self.campaigns.values():
            for n in await self.c.all(
                "awards", "/nominations", token=self.chair, params={"campaign_id": campaign["id"]}
            ):
                if n.get("status") in ("withdrawn", "rejected"):
                    continue
                nominee: str | None = n.get("nominee_unit_id") or n.get("nominee_person_id")
                key = wanted.get((n["category_id"], nominee)) if nominee else None
                if key:
                    self.nominations[key] = n

    async def ensure_nominations(self) -> None:
        await self.load_nominations()
        missing = [n for n in self.plan.nominations if n.key not in self.nominations]
        if missing:
            await self.set_campaigns_open(True)

        async def submit(nom: Any) -> None:
            body: dict[str, Any] = {
                "category_id": self.category_ids[nom.category_code],
                "achievements": nom.achievements,
            }
            if nom.unit_code:
                body["nominee_unit_id"] = self.unit_ids[nom.unit_code]
            else:
                body["nominee_person_id"] = self.person_id(nom.person)
            self.nominations[nom.key] = await until_known(
                lambda: self.c.post(
                    "awards",
                    "/nominations",
                    token=self.officer_of(nom.committee_code),
                    idempotency_key=self.key("nomination", nom.key),
                    json=body,
                    ok=(201,),
                ),
                PROPAGATION_TIMEOUT,
            )

        await gather(submit(n) for n in missing)
        per_category = Counter(n.category_code for n in self.plan.nominations)
        self.say(
            f"nominations: {len(self.plan.nominations)} submitted by the officers of the nominees' own committees "
            f"({', '.join(f'{k} {v}' for k, v in per_category.items())}; {len(missing)} now)"
        )

    # ------------------------------------------------------------ the committee's review
    async def review(self) -> None:
        pending = [n for n in self.nominations.values() if n["status"] == "submitted"]
        await gather(self.ensure_council(c["id"]) for c in self.campaigns.values())

        async def vote(member: str, n: dict[str, Any]) -> None:
            await self.c.post(
                "awards",
                f"/nominations/{n['id']}/votes",
                token=self.tokens[member],
                json={"approve": True, "comment": "Đồng ý (biểu quyết mẫu)"},
                ok=(200, 201),
            )

        await gather(vote(m, n) for n in pending for m in self.plan.members)

        async def approve(n: dict[str, Any]) -> None:
            approved = await self.c.post("awards", f"/nominations/{n['id']}/approve", token=self.chair, ok=(200,))
            n.update(approved)

        await gather(approve(n) for n in pending)
        self.say(
            f"review: the council of the {len(self.plan.members)} standing members voted on {len(pending)} nominations "
            "(more than half of them must approve); "
            f"{len(pending)} approved"
        )

    async def decide(self) -> None:
        issued = 0
        for plan in self.plan.campaigns:
            campaign_id = self.campaigns[plan.code]["id"]
            granted = {
                a["nomination_id"] for a in await self.c.all("awards", "/awards", params={"campaign_id": campaign_id})
            }
            ids = [
                n["id"]
                for n in self.nominations.values()
                if n["campaign_id"] == campaign_id and n["status"] == "approved" and n["id"] not in granted
            ]
            if not ids:
                continue
            await self.c.post(
                "awards",
                "/decisions",
                token=self.chair,
                idempotency_key=self.key("decision", plan.code, str(len(ids))),
                json={
                    "number": plan.decision_number,
                    "signed_on": plan.decision_signed_on.isoformat(),
                    "signer": self.plan.host,
                    "nomination_ids": sorted(ids),
                },
                ok=(201,),
            )
            issued += 1
        self.say(f"decisions: one per campaign, signed by {self.plan.host} ({issued} issued now)")

    # ------------------------------------------------------------ the public honour roll and the ceremony
    async def roll_counts(self, ceremony_id: str | None = None) -> dict[str, int]:
        """Honourees on the public roll (presented at that ceremony, if given), by the scenario's category codes."""
        codes = {category_id: code for code, category_id in self.category_ids.items()}
        counts: Counter[str] = Counter()
        for plan in self.plan.campaigns:
            if plan.code not in self.campaigns:
                continue
            for h in await self.c.all("events", "/honorees", params={"campaign_id": self.campaigns[plan.code]["id"]}):
                code = codes.get(h["category"]["id"])
                if code and (ceremony_id is None or (h.get("ceremony") or {}).get("id") == ceremony_id):
                    counts[code] += 1
        return dict(counts)

    async def wait_for_roll(self, ceremony_id: str | None = None) -> None:
        deadline = time.monotonic() + PROPAGATION_TIMEOUT
        while (counts := await self.roll_counts(ceremony_id)) != self.plan.counts:
            if time.monotonic() > deadline:
                raise DemoError(
                    f"the honour roll shows {counts}, not {self.plan.counts}, after {PROPAGATION_TIMEOUT:.0f}s"
                )
            await asyncio.sleep(0.1)
        self.say(
            f"honour roll: {sum(counts.values())} honourees public "
            f"({' + '.join(str(v) for v in counts.values())})" + (", each with the ceremony" if ceremony_id else "")
        )

    async def find_ceremony(self) -> dict[str, Any] | None:
        for ceremony in await self.c.all("events", "/ceremonies"):
            if ceremony["title"] == self.plan.ceremony.title:
                return ceremony
        return None

    async def ensure_ceremony(self) -> dict[str, Any]:
        ceremony = await self.find_ceremony()
        if ceremony is None:
            plan = self.plan.ceremony
            ceremony = await self.c.post(
                "events",
                "/ceremonies",
                token=self.chair,
                idempotency_key=self.key("ceremony"),
                json={
                    "title": plan.title,
                    "held_on": plan.held_on.isoformat(),
                    "venue": plan.venue,
                    "host_unit_id": self.unit_ids[self.plan.province.code],
                    "campaign_ids": [self.campaigns[c.code]["id"] for c in self.plan.campaigns],
                },
                ok=(201,),
            )
        if ceremony.get("status") != "held":
            ceremony = await self.c.post("events", f"/ceremonies/{ceremony['id']}/hold", token=self.chair, ok=(200,))
        self.say(
            f'ceremony: "{ceremony["title"]}" held on {ceremony["held_on"]} by {self.plan.host}, '
            f"{sum(self.plan.counts.values())} honourees"
        )
        return ceremony


async def gather(aws: Any) -> list[Any]:
    """Run the awaitables together (the client bounds how many requests are in flight); fail on the first error."""
    tasks = [asyncio.ensure_future(a) for a in aws]
    try:
        return await asyncio.gather(*tasks)
    except BaseException:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


def accounts_of(plan: Plan) -> list[tuple[str, str, str]]:
    return [(m, "committee", plan.host) for m in plan.members] + [
        (c.officer, "officer", c.name) for c in plan.committees
    ]


async def load_scenario(
    urls: dict[str, str],
    *,
    admin_password: str | None,
    out: TextIO,
    concurrency: int = 16,
    plan: Plan | None = None,
    client: Client | None = None,
) -> ScenarioResult:
    """Load the Bình Thuận 2014 scenario into the running services at `urls`, unless it is there already.

    `plan` defaults to the scenario itself (`build_plan()`); `client` to a new one, closed at the end.
    """
    if client is None:
        async with Client(urls, concurrency=concurrency) as own:
            return await Loader(own, plan or build_plan(), admin_password, out).run()
    return await Loader(client, plan or build_plan(), admin_password, out).run()
