"""The local cluster drill (`thidua drill`, `make drill`): writes under faults, then every one counted.

It starts, in a temporary folder, a three-node NATS cluster from the wheel on
loopback (routes, JetStream and a store of its own on each node, streams of
three replicas), one PostgreSQL, and two granian replicas of every service
sharing the database. Writers post a scenario through both replicas of each
service, as a client behind a load balancer would (each request to the next
replica; a refused connection, a reset, 502/503/504 or 429 tried again on the
other, honouring `Retry-After`; every POST with an `Idempotency-Key`): units,
campaigns, nominations, approvals, decisions granting awards, ceremonies.
Meanwhile it kills -9 the NATS node leading the AWARDS stream (and starts it
again), kills -9 one replica of each service (and starts them again), and
restarts PostgreSQL (a fast stop, then a start).

Then it waits for the read models and counts (docs/architecture.md, "The
cluster drill", says why these are the measures):

- lost: a write the client was told was accepted (2xx) that is not in its
  source or in a read model that must hold it (a unit in the awards and events
  copies, a campaign in the events service's, an award on the honour roll), and
  an event a service's outbox holds that a consumer subscribed to it has not
  applied (no inbox row);
- applied twice: a change applied more than once by a consumer (two inbox rows
  of one consumer for one event id, or for two events announcing the same
  change: the same type, aggregate and version), a change announced twice by
  its producer, and a write done twice (two live nominations of one nominee in
  one category, two roll rows for one nominee and category).

It prints `writes accepted: N`, `lost: N`, `applied twice: N` and, for each
fault, how long until writes and reads succeeded again and until the read
models caught up; it exits 1 when lost or twice is not 0, and stops everything
it started, also on Ctrl-C or an error.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import secrets
import shutil
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import asyncpg
import httpx

from shared.batches import not_known_yet
from shared.settings import service_database_url
from thidua import devstack, registry

REPLICAS = ("a", "b")
RETRY_STATUSES = {429, 502, 503, 504}
IN_PROGRESS = "still in progress"  # shared/idempotency.py: the key is claimed by a request that did not finish


@dataclass(frozen=True)
class Plan:
    writers: int = 6  # scenario chains posted at once
    warmup: float = 4.0  # seconds of writing before the first fault
    nats_down: float = 3.0  # seconds the killed NATS node stays down
    replicas_down: float = 2.0  # seconds the killed replicas stay down
    gap: float = 6.0  # seconds between one fault's end and the next fault
    cooldown: float = 3.0  # seconds of writing after the last fault
    stuck_after: float = 12.0  # a key answered "still in progress" this long: the outcome is unknown to the client
    settle_timeout: float = 90.0  # seconds to wait for the read models at the end


# --- the stack ----------------------------------------------------------------------------------------------


class Lab:
    """What the drill runs: PostgreSQL, a three-node NATS cluster, two replicas of every service."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.pg = devstack.LocalPostgres(root / "postgres", preferred_port=None)
        self.nats = devstack.LocalNatsCluster(root / "nats")
        self.replicas: dict[str, list[devstack.ServiceProcess]] = {}
        self.admin_password = "drill-" + secrets.token_hex(8)

    def db_url(self, service: str) -> str:
        return service_database_url(self.pg.url, service)

    def start(self, say: Callable[[str], None]) -> None:
        from thidua.commands.database import migrate_all

        say(f"PostgreSQL on port {self.pg.port}")
        self.pg.start()
        self.nats.start()
        say("NATS cluster: " + ", ".join(f"{n.name} on port {n.port}" for n in self.nats.nodes))
        asyncio.run(migrate_all(self.pg.url))
        ports = {name: [devstack.free_port() for _ in REPLICAS] for name in registry.NAMES}
        # Where a service finds another (the keys at units, the console's calls): replica a, standing for the
        # address of a load balancer. The drill kills replica b, so a restarting replica finds the keys.
        urls = {name: f"http://127.0.0.1:{ports[name][0]}" for name in registry.NAMES}
        env = devstack.service_env(self.pg.url, self.nats.url, urls, NATS_STREAM_REPLICAS="3")
        (self.root / "logs").mkdir(exist_ok=True)
        for name in registry.NAMES:
            self.replicas[name] = [
                devstack.ServiceProcess(name, port, env, log_path=self.root / "logs" / f"{name}-{r}.log")
                for r, port in zip(REPLICAS, ports[name], strict=True)
            ]
        for svc in self.processes():
            svc.start()
        for svc in self.processes():
            svc.wait_ready(180)
        say(
            "services: " + ", ".join(f"{n} on {'+'.join(str(s.port) for s in self.replicas[n])}" for n in self.replicas)
        )
        asyncio.run(self._create_admin())

    def processes(self) -> list[devstack.ServiceProcess]:
        return [svc for group in self.replicas.values() for svc in group]

    async def _create_admin(self) -> None:
        from services.units.accounts.service import create_account

        conn = await asyncpg.connect(self.db_url("units"))
        try:
            await create_account(conn, "admin", self.admin_password, "admin")
        finally:
            await conn.close()

    def stop(self) -> None:
        """Everything, whatever state it is in: the services at once (killed: the count is done), then the
        servers."""
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda svc: svc.kill(), self.processes()))
        self.nats.stop()
        self.pg.stop()


# --- the client ---------------------------------------------------------------------------------------------


@dataclass
class Attempt:
    kind: str  # "write" or "read"
    service: str
    sent: float
    done: float
    ok: bool
    status: int  # 0: no answer (refused, reset, timed out)


@dataclass
class Call:
    """One probe's request, with its retries: from when it was first sent to its answer."""

    kind: str
    service: str
    sent: float
    done: float
    ok: bool


@dataclass
class Outcome:
    result: str  # "accepted", "refused", "unknown" (the key stuck in progress), "gave up"
    status: int = 0
    body: Any = None

    @property
    def accepted(self) -> bool:
        return self.result == "accepted"


class Client:
    """A client of both replicas of each service, as one behind a load balancer: each request to the next
    replica; what failed for the service's sake tried again on the other, after `Retry-After` when given."""

    def __init__(self, lab: Lab) -> None:
        self.bases = {name: [svc.url for svc in group] for name, group in lab.replicas.items()}
        self.http = httpx.AsyncClient(timeout=10, limits=httpx.Limits(max_connections=64))
        self.turn = itertools.count()
        self.attempts: list[Attempt] = []
        self.calls: list[Call] = []  # the probes' requests
        self.accepted: Counter[str] = Counter()  # writes answered 2xx, by what they wrote
        self.unknown: list[tuple[str, str]] = []  # (what, natural key): writes whose key stayed "in progress"
        self.retried = Counter[str]()  # answers tried again, by status ("0": no answer)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def call(
        self,
        method: str,
        service: str,
        path: str,
        *,
        token: str | None = None,
        json: Any = None,
        what: str | None = None,
        honour_retry_after: bool = True,
        give_up_after: float = 60.0,
        stuck_after: float = 12.0,
        probe: bool = False,
    ) -> Outcome:
        """One request, retried as a client would until answered; a write (`what` names it) carries an
        Idempotency-Key, the same on every retry. A probe's is timed whole (`calls`)."""
        began = time.monotonic()
        outcome = await self._call(
            method, service, path, token, json, what, honour_retry_after, give_up_after, stuck_after
        )
        if probe:
            kind = "write" if method == "POST" else "read"
            self.calls.append(Call(kind, service, began, time.monotonic(), outcome.accepted))
        return outcome

    async def _call(
        self,
        method: str,
        service: str,
        path: str,
        token: str | None,
        json: Any,
        what: str | None,
        honour_retry_after: bool,
        give_up_after: float,
        stuck_after: float,
    ) -> Outcome:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if method == "POST":
            headers["Idempotency-Key"] = str(uuid.uuid4())
        kind = "write" if method == "POST" else "read"
        start = time.monotonic()
        in_progress_since: float | None = None
        bases = self.bases[service]
        i = next(self.turn)
        while True:
            base = bases[i % len(bases)]
            i += 1
            sent = time.monotonic()
            try:
                resp = await self.http.request(method, base + path, json=json, headers=headers)
            except httpx.TransportError:
                self.attempts.append(Attempt(kind, service, sent, time.monotonic(), False, 0))
                self.retried["0"] += 1
                if time.monotonic() - start > give_up_after:
                    return Outcome("gave up")
                await asyncio.sleep(0.05)
                continue
            status = resp.status_code
            ok = 200 <= status < 300
            self.attempts.append(Attempt(kind, service, sent, time.monotonic(), ok, status))
            if ok:
                if what:
                    self.accepted[what] += 1
                json_answer = resp.headers.get("content-type", "").endswith("json")
                return Outcome("accepted", status, resp.json() if json_answer else None)
            if status in RETRY_STATUSES:
                self.retried[str(status)] += 1
                if time.monotonic() - start > give_up_after:
                    return Outcome("gave up", status)
                after = resp.headers.get("retry-after", "")
                wait = float(after) if after.isdigit() and honour_retry_after else 0.1
                await asyncio.sleep(wait)
                continue
            body = resp.json() if resp.headers.get("content-type", "").endswith("json") else resp.text
            if status == 409 and isinstance(body, dict) and IN_PROGRESS in str(body.get("detail", "")):
                # The key is claimed by an attempt that got no answer to us (its process killed, or its
                # database gone before it could release the claim): wait for it, then call it unknown.
                self.retried["409 in progress"] += 1
                in_progress_since = in_progress_since or time.monotonic()
                if time.monotonic() - in_progress_since > stuck_after:
                    return Outcome("unknown", status, body)
                await asyncio.sleep(0.5)
                continue
            return Outcome("refused", status, body)


# --- the scenario -------------------------------------------------------------------------------------------


@dataclass
class Written:
    """What the client was told was accepted, by kind, with the ids the answers gave."""

    units: list[uuid.UUID] = field(default_factory=list)
    campaigns: list[uuid.UUID] = field(default_factory=list)
    nominations: list[uuid.UUID] = field(default_factory=list)
    approvals: list[uuid.UUID] = field(default_factory=list)
    decisions: list[uuid.UUID] = field(default_factory=list)
    awards: list[uuid.UUID] = field(default_factory=list)
    ceremonies: list[uuid.UUID] = field(default_factory=list)
    # Writes not answered 2xx, each with how to tell afterwards whether it was done anyway: (what, the
    # service whose database holds it, a query counting it, its arguments).
    refused: list[tuple[str, Probe | None]] = field(default_factory=list)
    unknown: list[tuple[str, Probe | None]] = field(default_factory=list)


Probe = tuple[str, str, tuple[Any, ...]]


@dataclass
class Fault:
    name: str
    at: float
    restored_at: float | None = None
    caught_up_at: float | None = None
    marker_unit: uuid.UUID | None = None
    marker_award: uuid.UUID | None = None


class Scenario:
    def __init__(self, lab: Lab, client: Client, plan: Plan, say: Callable[[str], None]) -> None:
        self.lab = lab
        self.client = client
        self.plan = plan
        self.say = say
        self.written = Written()
        self.tag = secrets.token_hex(3).upper()
        self.serial = itertools.count(1)
        self.tokens: dict[str, str] = {}
        self.root_id = ""
        self.category_id = ""
        self.campaign_id = ""
        self.probing: set[asyncio.Task[Any] | None] = set()

    async def post(
        self, service: str, path: str, who: str, body: Any, what: str, probe: Probe | None = None
    ) -> Outcome:
        # The prober's writes are timed, and tried again at once rather than after Retry-After (for the timings).
        probing = asyncio.current_task() in self.probing
        outcome = await self.client.call(
            "POST",
            service,
            path,
            token=self.tokens.get(who),
            json=body,
            what=what,
            stuck_after=self.plan.stuck_after,
            honour_retry_after=not probing,
            probe=probing,
        )
        if outcome.result == "unknown":
            self.written.unknown.append((f"{what}: POST {path}", probe))
        elif not outcome.accepted and not _propagating(outcome):
            detail = outcome.body.get("detail") if isinstance(outcome.body, dict) else outcome.body
            self.written.refused.append((f"{what}: {outcome.result} {outcome.status} {detail}", probe))
        return outcome

    async def login(self, username: str, password: str) -> str:
        outcome = await self.client.call(
            "POST", "units", "/auth/token", json={"username": username, "password": password}
        )
        if not outcome.accepted:
            raise RuntimeError(f"could not sign in as {username}: {outcome.status} {outcome.body}")
        return str(outcome.body["access_token"])

    async def setup(self) -> None:
        self.tokens["admin"] = await self.login("admin", self.lab.admin_password)
        root = await self.post(
            "units",
            "/units",
            "admin",
            {"code": f"DRILL-{self.tag}", "name": f"Đảng bộ diễn tập {self.tag}", "kind": "party_committee"},
            "units",
        )
        if not root.accepted:
            raise RuntimeError(f"the drill's root unit was not created: {root}")
        self.root_id = root.body["id"]
        self.written.units.append(uuid.UUID(self.root_id))
        for role, unit in (("committee", None), ("officer", self.root_id)):
            password = "pw-" + secrets.token_hex(8)
            username = f"drill-{role}-{self.tag.lower()}"
            answer = await self.post(
                "units",
                "/accounts",
                "admin",
                {"username": username, "password": password, "role": role, "unit_id": unit},
                "accounts",
            )
            if not answer.accepted:
                raise RuntimeError(f"the drill's {role} account was not created: {answer}")
            self.tokens[role] = await self.login(username, password)
        campaign = await self._until_known(self._campaign, "the drill's campaign")
        self.campaign_id = campaign["id"]
        category = await self.post(
            "awards",
            f"/campaigns/{self.campaign_id}/categories",
            "committee",
            {
                "code": "TT",
                "name": "Tập thể tiêu biểu",
                "nominee_kind": "collective",
                "quota": 100000,
                "form": "Bằng khen",
            },
            "categories",
        )
        if not category.accepted:
            raise RuntimeError(f"the drill's category was not created: {category}")
        self.category_id = category.body["id"]

    async def _campaign(self) -> Outcome:
        code = f"PT-{self.tag}-{next(self.serial)}"
        outcome = await self.post(
            "awards",
            "/campaigns",
            "committee",
            {"code": code, "name": f"Phong trào diễn tập {code}", "organizer_unit_id": self.root_id, "year": 2026},
            "campaigns",
            ("awards", "SELECT count(*) FROM campaigns WHERE code = $1", (code,)),
        )
        if outcome.accepted:
            self.written.campaigns.append(uuid.UUID(outcome.body["id"]))
        return outcome

    async def _until_known(self, call: Callable[[], Awaitable[Outcome]], what: str, timeout: float = 60) -> Any:
        """A write refused because what it names has not reached this service yet (404, or 409 "... yet"), tried
        again (thidua/apiclient.py `propagating`)."""
        deadline = time.monotonic() + timeout
        while True:
            outcome = await call()
            if outcome.accepted:
                return outcome.body
            if not _propagating(outcome) or time.monotonic() > deadline:
                raise ChainBroken(what)
            await asyncio.sleep(0.1)

    async def chain(self) -> tuple[uuid.UUID, uuid.UUID] | None:
        """One nominee's path: its unit, a nomination, the approval, a decision granting the award.
        Returns the unit's id and the award's, or None when a step was refused or left unknown."""
        n = next(self.serial)
        code = f"DRILL-{self.tag}-{n}"
        unit = await self.post(
            "units",
            "/units",
            "admin",
            {
                "code": code,
                "name": f"Chi bộ diễn tập {code}",
                "kind": "grassroots_party_org",
                "parent_id": self.root_id,
            },
            "units",
            ("units", "SELECT count(*) FROM units WHERE code = $1", (code,)),
        )
        if not unit.accepted:
            return None
        unit_id = uuid.UUID(unit.body["id"])
        self.written.units.append(unit_id)
        try:
            nomination = await self._until_known(
                lambda: self.post(
                    "awards",
                    "/nominations",
                    "officer",
                    {
                        "category_id": self.category_id,
                        "nominee_unit_id": str(unit_id),
                        "achievements": "Hoàn thành xuất sắc nhiệm vụ (diễn tập)",
                    },
                    "nominations",
                    (
                        "awards",
                        "SELECT count(*) FROM nominations WHERE category_id = $1 AND nominee_id = $2",
                        (uuid.UUID(self.category_id), unit_id),
                    ),
                ),
                "nomination",
            )
        except ChainBroken:
            return None
        nomination_id = uuid.UUID(nomination["id"])
        self.written.nominations.append(nomination_id)
        approval = await self.post(
            "awards",
            f"/nominations/{nomination_id}/approve",
            "committee",
            None,
            "approvals",
            ("awards", "SELECT count(*) FROM nominations WHERE id = $1 AND status <> 'submitted'", (nomination_id,)),
        )
        if not approval.accepted:
            return None
        self.written.approvals.append(nomination_id)
        number = f"{n}/QĐ-DT-{self.tag}"
        decision = await self.post(
            "awards",
            "/decisions",
            "committee",
            {
                "number": number,
                "signed_on": "2026-11-30",
                "signer": "Bí thư (diễn tập)",
                "nomination_ids": [str(nomination_id)],
            },
            "decisions",
            ("awards", "SELECT count(*) FROM decisions WHERE number = $1", (number,)),
        )
        if not decision.accepted:
            return None
        self.written.decisions.append(uuid.UUID(decision.body["id"]))
        award_ids = [uuid.UUID(a["award_id"]) for a in decision.body["awards"]]
        self.written.awards.extend(award_ids)
        return unit_id, award_ids[0]

    async def ceremony(self) -> None:
        title = f"Gặp mặt biểu dương (diễn tập {self.tag}) {next(self.serial)}"
        outcome = await self.post(
            "events",
            "/ceremonies",
            "committee",
            {
                "title": title,
                "held_on": "2026-12-20",
                "venue": "Hội trường Tỉnh ủy",
                "host_unit_id": self.root_id,
                "campaign_ids": [self.campaign_id],
            },
            "ceremonies",
            ("events", "SELECT count(*) FROM ceremonies WHERE title = $1", (title,)),
        )
        if outcome.accepted:
            self.written.ceremonies.append(uuid.UUID(outcome.body["id"]))

    async def writer(self, stop: asyncio.Event, number: int) -> None:
        rounds = 0
        while not stop.is_set():
            rounds += 1
            await self.chain()
            if rounds % 4 == number % 4:
                await self._campaign()
            if rounds % 6 == number % 6:
                await self.ceremony()

    async def prober(self, stop: asyncio.Event) -> None:
        """For the recovery times: a read of each service every 0.1 s, and a write to each service that takes
        writes (a unit, a campaign, a ceremony) every 0.25 s, through the replicas in turn, tried again as the
        writers do but at once (0.1 s) after a 503, each timed from its first attempt to its answer. Their writes
        are the scenario's like any other (and counted)."""

        async def read(service: str, path: str) -> None:
            while not stop.is_set():
                await self.client.call("GET", service, path, honour_retry_after=False, probe=True)
                await asyncio.sleep(0.1)

        async def write(make: Callable[[], Awaitable[Any]]) -> None:
            self.probing.add(asyncio.current_task())
            while not stop.is_set():
                await make()
                await asyncio.sleep(0.25)

        async def unit() -> None:
            code = f"DRILL-{self.tag}-{next(self.serial)}"
            outcome = await self.post(
                "units",
                "/units",
                "admin",
                {"code": code, "name": f"Tổ thăm dò {code}", "kind": "other", "parent_id": self.root_id},
                "units",
            )
            if outcome.accepted:
                self.written.units.append(uuid.UUID(outcome.body["id"]))

        await asyncio.gather(
            read("units", f"/units/{self.root_id}"),
            read("awards", f"/campaigns/{self.campaign_id}"),
            read("events", "/ceremonies?limit=5"),
            read("console", "/login"),
            write(unit),
            write(self._campaign),
            write(self.ceremony),
        )


class ChainBroken(Exception):
    pass


def _propagating(outcome: Outcome) -> bool:
    """Refused as "not here yet" (what it names has not reached this service), as thidua/apiclient.py says."""
    return outcome.result == "refused" and not_known_yet(outcome.status, {"detail": str(outcome.body)})


# --- faults and their recovery --------------------------------------------------------------------------------


class Watcher:
    """Reads the services' databases for the drill (never through the services): is a marker in the read
    models yet? Connections are made again after PostgreSQL's restart."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self.conns: dict[str, asyncpg.Connection] = {}

    async def fetchval(self, service: str, sql: str, *args: Any) -> Any:
        conn = self.conns.get(service)
        if conn is None or conn.is_closed():
            conn = self.conns[service] = await asyncpg.connect(self.lab.db_url(service), timeout=2)
        return await conn.fetchval(sql, *args)

    async def close(self) -> None:
        for conn in self.conns.values():
            with contextlib.suppress(Exception):
                await conn.close()

    async def marker_arrived(self, unit_id: uuid.UUID, award_id: uuid.UUID) -> bool:
        try:
            in_awards = await self.fetchval("awards", "SELECT count(*) FROM units WHERE id = $1", unit_id)
            in_events = await self.fetchval("events", "SELECT count(*) FROM units WHERE id = $1", unit_id)
            on_roll = await self.fetchval(
                "events", "SELECT count(*) FROM honorees WHERE award_id = $1 AND status = 'granted'", award_id
            )
        except Exception:  # PostgreSQL restarting: refused, reset, or a connection asyncpg lost mid-statement
            for conn in self.conns.values():
                with contextlib.suppress(Exception):
                    conn.terminate()
            self.conns.clear()
            return False
        return bool(in_awards and in_events and on_roll)


async def watch_recovery(scenario: Scenario, watcher: Watcher, fault: Fault) -> None:
    """A marker written right after the fault (a unit through to its award), and the time until the read
    models hold it: the unit in the awards and events copies, the award on the honour roll."""
    while True:
        marked = await scenario.chain()
        if marked:
            break
    fault.marker_unit, fault.marker_award = marked
    while not await watcher.marker_arrived(*marked):
        await asyncio.sleep(0.05)
    fault.caught_up_at = time.monotonic()


class Strike:
    """A fault: `strike` does it (and names it), `restore` undoes it."""

    name = ""

    async def strike(self) -> None:
        raise NotImplementedError

    async def restore(self) -> None:
        raise NotImplementedError


class KillNatsLeader(Strike):
    def __init__(self, lab: Lab, down: float) -> None:
        self.lab, self.down = lab, down
        self.node: devstack.LocalNatsNode | None = None

    async def strike(self) -> None:
        import nats

        lab = self.lab

        leader = "n1"
        with contextlib.suppress(Exception):
            nc = await nats.connect(lab.nats.url.split(","), connect_timeout=2, max_reconnect_attempts=1)
            try:
                info = await nc.jetstream().stream_info("AWARDS")
                if info.cluster and info.cluster.leader:
                    leader = info.cluster.leader
            finally:
                await nc.close()
        self.node = lab.nats.node(leader)
        self.name = f"kill -9 NATS node {leader} (leader of the AWARDS stream), started again {self.down:g} s later"
        self.node.kill()

    async def restore(self) -> None:
        await asyncio.sleep(self.down)
        assert self.node is not None
        await asyncio.to_thread(self.node.start)
        while not await asyncio.to_thread(self.node.healthy):  # in steps: Ctrl-C does not wait for a thread
            await asyncio.sleep(0.1)


class KillReplicas(Strike):
    def __init__(self, lab: Lab, down: float) -> None:
        self.lab, self.down = lab, down
        self.victims = [group[1] for group in lab.replicas.values()]
        self.name = (
            "kill -9 one replica of each service ("
            + ", ".join(f"{s.name} :{s.port}" for s in self.victims)
            + f"), started again {down:g} s later"
        )

    async def strike(self) -> None:
        for svc in self.victims:
            svc.kill()

    async def restore(self) -> None:
        await asyncio.sleep(self.down)
        for svc in self.victims:
            svc.start()
        await asyncio.gather(*(ready(svc) for svc in self.victims))


async def ready(svc: devstack.ServiceProcess, timeout: float = 120) -> None:
    """Until the process answers `/health/ready` (devstack's `wait_ready`, without a thread Ctrl-C would wait for)."""
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=1) as http:
        while time.monotonic() < deadline:
            if not svc.running():
                raise RuntimeError(f"the {svc.name} service on port {svc.port} exited: {svc.exit_status()}")
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get(f"{svc.url}/health/ready")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"the {svc.name} service on port {svc.port} was not ready within {timeout:.0f}s")


class RestartPostgres(Strike):
    name = "restart PostgreSQL (pg_ctl stop -m fast, then start)"

    def __init__(self, lab: Lab) -> None:
        self.lab = lab

    async def strike(self) -> None:
        await asyncio.to_thread(self.lab.pg.stop)

    async def restore(self) -> None:
        await asyncio.to_thread(self.lab.pg.start)


# --- the count ------------------------------------------------------------------------------------------------


def subject_matches(pattern: str, subject: str) -> bool:
    """NATS subject matching: `*` one token, `>` the rest."""
    p, s = pattern.split("."), subject.split(".")
    for i, token in enumerate(p):
        if token == ">":
            return len(s) > i
        if i >= len(s) or (token != "*" and token != s[i]):
            return False
    return len(p) == len(s)


@dataclass
class Count:
    lost: list[str] = field(default_factory=list)
    twice: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


async def settle(db_url: Callable[[str], str], written: Written, timeout: float) -> float:
    """Wait until every outbox is sent and every consumer has an inbox row for each event it should apply."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        count = await count_all(db_url, written)
        if not count.lost:
            break
        await asyncio.sleep(0.5)
    return time.monotonic() - start


async def count_all(db_url: Callable[[str], str], written: Written) -> Count:
    """Everything lost or applied twice, read from the services' databases (`db_url(service)`)."""
    from shared import events

    count = Count()
    conns = {name: await asyncpg.connect(db_url(name)) for name in registry.NAMES}
    try:
        # Events: each producer's outbox against each subscribed consumer's inbox.
        changes: dict[str, dict[uuid.UUID, tuple[str, str, int]]] = {}
        for producer in registry.NAMES:
            rows = await conns[producer].fetch("SELECT id, subject, payload, sent_at FROM outbox ORDER BY seq")
            unsent = sum(1 for r in rows if r["sent_at"] is None)
            if unsent:
                count.notes.append(f"{producer}: {unsent} outbox events not yet published")
            changes[producer] = {}
            for r in rows:
                env = events.decode(bytes(r["payload"]))
                changes[producer][r["id"]] = (env.type, env.aggregate_id, env.version)
            for change, n in Counter(changes[producer].values()).items():
                if n > 1:
                    count.twice.append(f"{producer} announced {change} {n} times")
            for consumer, sub in registry.subscribers(producer):
                wanted = {r["id"] for r in rows if any(subject_matches(p, r["subject"]) for p in sub.subjects)}
                inbox = await conns[consumer].fetch(
                    "SELECT event_id, count(*) AS n FROM inbox WHERE consumer = $1 GROUP BY event_id", sub.durable
                )
                have = {r["event_id"] for r in inbox}
                for r in inbox:
                    if r["n"] > 1:
                        count.twice.append(f"{sub.durable} holds event {r['event_id']} {r['n']} times")
                for event_id in sorted(wanted - have):
                    count.lost.append(f"{sub.durable} has not applied {changes[producer][event_id]} ({event_id})")
                applied = Counter(changes[producer][e] for e in have & wanted)
                for change, n in applied.items():
                    if n > 1:
                        count.twice.append(f"{sub.durable} applied {change} {n} times")
        for name, conn in conns.items():
            dead = await conn.fetchval("SELECT count(*) FROM dead_letters")
            if dead:
                count.notes.append(f"{name}: {dead} dead letters")

        # Writes: each accepted one in its source and in the read models that must hold it.
        async def missing(service: str, sql: str, ids: Iterable[uuid.UUID], what: str) -> None:
            ids = list(ids)
            found = {r[0] for r in await conns[service].fetch(sql, ids)}
            for i in ids:
                if i not in found:
                    count.lost.append(f"{what} {i}")

        units = "SELECT id FROM units WHERE id = ANY($1::uuid[])"
        await missing("units", units, written.units, "unit accepted, not in the units service")
        await missing("awards", units + " AND path IS NOT NULL", written.units, "unit accepted, not in the awards copy")
        await missing("events", units + " AND path IS NOT NULL", written.units, "unit accepted, not in the events copy")
        campaigns = "SELECT id FROM campaigns WHERE id = ANY($1::uuid[])"
        await missing("awards", campaigns, written.campaigns, "campaign accepted, not in the awards service")
        await missing("events", campaigns, written.campaigns, "campaign accepted, not in the events copy")
        await missing(
            "awards", "SELECT id FROM nominations WHERE id = ANY($1::uuid[])", written.nominations, "nomination"
        )
        await missing(
            "awards",
            "SELECT id FROM nominations WHERE id = ANY($1::uuid[]) AND status IN ('approved', 'granted')",
            written.approvals,
            "approval accepted, nomination not approved",
        )
        await missing(
            "awards", "SELECT id FROM decisions WHERE id = ANY($1::uuid[])", written.decisions, "decision accepted"
        )
        await missing(
            "awards",
            "SELECT id FROM nominations WHERE id = ANY($1::uuid[]) AND status = 'granted'",
            written.awards,
            "award granted, nomination not granted",
        )
        await missing(
            "events",
            "SELECT award_id FROM honorees WHERE award_id = ANY($1::uuid[]) AND status = 'granted'",
            written.awards,
            "award granted, not on the honour roll",
        )
        await missing(
            "events", "SELECT id FROM ceremonies WHERE id = ANY($1::uuid[])", written.ceremonies, "ceremony accepted"
        )
        # A write done twice: two live nominations of one nominee in a category, two awards on the roll for one.
        for row in await conns["awards"].fetch(
            "SELECT category_id, nominee_id, count(*) AS n FROM nominations "
            "WHERE status IN ('submitted', 'approved', 'granted') GROUP BY 1, 2 HAVING count(*) > 1"
        ):
            count.twice.append(f"{row['n']} live nominations of {row['nominee_id']} in {row['category_id']}")
        for row in await conns["events"].fetch(
            "SELECT unit_id, category_id, count(*) AS n FROM honorees WHERE status = 'granted' "
            "GROUP BY 1, 2 HAVING count(*) > 1"
        ):
            count.twice.append(f"{row['n']} roll rows for {row['unit_id']} in {row['category_id']}")
        for row in await conns["events"].fetch(
            "SELECT d, count(*) AS n FROM (SELECT decision_number AS d FROM honorees WHERE status = 'granted') t "
            "GROUP BY d HAVING count(*) > 1"
        ):
            count.twice.append(f"{row['n']} roll rows for decision {row['d']} (each grants one)")
    finally:
        for conn in conns.values():
            await conn.close()
    return count


async def done_anyway(lab: Lab, writes: list[tuple[str, Probe | None]]) -> list[str]:
    """Each write not answered 2xx, with whether its source holds it all the same."""
    out = []
    for what, probe in writes:
        if probe is None:
            out.append(f"{what} (not checked)")
            continue
        service, sql, args = probe
        conn = await asyncpg.connect(lab.db_url(service))
        try:
            done = await conn.fetchval(sql, *args)
        finally:
            await conn.close()
        out.append(f"{what}: {'done all the same' if done else 'not done'}")
    return out


async def stream_counts(lab: Lab) -> dict[str, tuple[int, int]]:
    """Per stream: its messages, and how many times its consumers were sent one again (JetStream's figures)."""
    import nats

    out: dict[str, tuple[int, int]] = {}
    nc = await nats.connect(lab.nats.url.split(","), connect_timeout=2)
    try:
        js = nc.jetstream()
        for name in ("UNITS", "AWARDS", "EVENTS"):
            info = await js.stream_info(name)
            redelivered = 0
            for consumer in await js.consumers_info(name):
                redelivered += consumer.num_redelivered or 0
            out[name] = (info.state.messages, redelivered)
    finally:
        await nc.close()
    return out


# --- the drill --------------------------------------------------------------------------------------------------


def recovery(client: Client, fault: Fault, end: float) -> str:
    """For one fault: the longest a probe's write or read waited for success (its retries included) among those
    sent from the fault until the next one, when the failed part was back, when the read models held the marker
    written right after the fault, and the attempts that failed meanwhile."""

    def waits(kind: str) -> str:
        figures = []
        for service in registry.NAMES:
            calls = [c for c in client.calls if (c.kind, c.service) == (kind, service) and fault.at <= c.sent < end]
            if calls:
                failed = sum(1 for c in calls if not c.ok)
                longest = max(c.done - c.sent for c in calls)
                figures.append(f"{service} {longest:.2f} s" + (f" ({failed} never answered)" if failed else ""))
        return ", ".join(figures)

    failed = Counter(
        (a.service, "no answer" if a.status == 0 else str(a.status))
        for a in client.attempts
        if fault.at <= a.sent < end and not a.ok and a.status not in (404, 409)
    )
    failures = ", ".join(f"{service} {n} × {s}" for (service, s), n in sorted(failed.items())) or "none"
    caught = f"{fault.caught_up_at - fault.at:.2f} s" if fault.caught_up_at else "not within the drill"
    back = f"{fault.restored_at - fault.at:.2f} s" if fault.restored_at else "not within the drill"
    return "\n".join(
        [
            f"    longest wait for a write to succeed: {waits('write')}",
            f"    longest wait for a read to succeed:  {waits('read')}",
            f"    restarted and ready after {back}; the read models caught up after {caught}",
            f"    attempts that failed meanwhile: {failures}",
        ]
    )


async def run_drill(lab: Lab, plan: Plan, out: TextIO) -> int:
    def say(line: str) -> None:
        print(line, file=out, flush=True)

    client = Client(lab)
    watcher = Watcher(lab)
    scenario = Scenario(lab, client, plan, say)
    faults: list[Fault] = []
    stop_writing, stop_probing = asyncio.Event(), asyncio.Event()
    try:
        await scenario.setup()
        began = time.monotonic()
        say(f"writing with {plan.writers} writers through both replicas of every service")
        writers = [asyncio.create_task(scenario.writer(stop_writing, i)) for i in range(plan.writers)]
        prober = asyncio.create_task(scenario.prober(stop_probing))
        markers: list[asyncio.Task[None]] = []
        await asyncio.sleep(plan.warmup)

        for strike in (
            KillNatsLeader(lab, plan.nats_down),
            KillReplicas(lab, plan.replicas_down),
            RestartPostgres(lab),
        ):
            at = time.monotonic()
            await strike.strike()
            f = Fault(strike.name, at)
            faults.append(f)
            say(f"  {f.at - began:5.1f} s  {f.name}")
            markers.append(asyncio.create_task(watch_recovery(scenario, watcher, f)))
            await strike.restore()
            f.restored_at = time.monotonic()
            await asyncio.sleep(plan.gap)
        await asyncio.sleep(plan.cooldown)
        stop_writing.set()
        await asyncio.gather(*writers)
        await asyncio.wait_for(asyncio.gather(*markers), timeout=plan.settle_timeout)
        stop_probing.set()
        await prober
        wrote_for = time.monotonic() - began
        settled = await settle(lab.db_url, scenario.written, plan.settle_timeout)
        count = await count_all(lab.db_url, scenario.written)
        streams = await stream_counts(lab)
        unknown = await done_anyway(lab, scenario.written.unknown)
        refused = await done_anyway(lab, scenario.written.refused)
    finally:
        stop_writing.set()
        stop_probing.set()
        await watcher.close()
        await client.aclose()

    w = scenario.written
    accepted = sum(client.accepted.values())
    say("")
    say(f"wrote for {wrote_for:.1f} s; the read models settled {settled:.1f} s after the last write")
    for f, following in zip(faults, [*faults[1:], None], strict=True):
        say(f"{f.name}:\n{recovery(client, f, following.at if following else time.monotonic())}")
    say(
        "accepted, by kind: "
        + ", ".join(f"{what} {n}" for what, n in sorted(client.accepted.items()))
        + f"; awards granted {len(w.awards)}"
    )
    if client.retried:
        say("answers tried again: " + ", ".join(f"{s} × {n}" for s, n in sorted(client.retried.items())))
    errors = Counter(a.service for a in client.attempts if a.status == 500)
    if errors:
        say("answered 500: " + ", ".join(f"{name} {n}" for name, n in sorted(errors.items())))
    if unknown:
        say(f"writes whose outcome the client never learnt (its Idempotency-Key left in progress): {len(unknown)}")
        for line in unknown[:10]:
            say(f"    {line}")
    if refused:
        say(f"writes refused: {len(refused)}")
        for line in refused[:10]:
            say(f"    {line}")
    say(
        "streams (messages, redeliveries): "
        + ", ".join(f"{name} {msgs}, {red}" for name, (msgs, red) in streams.items())
    )
    for note in count.notes:
        say(f"note: {note}")
    for line in count.lost[:20]:
        say(f"LOST: {line}")
    for line in count.twice[:20]:
        say(f"TWICE: {line}")
    say(f"writes accepted: {accepted}")
    say(f"lost: {len(count.lost)}")
    say(f"applied twice: {len(count.twice)}")
    return 1 if count.lost or count.twice else 0


def drill(plan: Plan, root: Path | None = None, keep: bool = False, out: TextIO = sys.stdout) -> int:
    """Start the stack, run the drill, stop everything (also on Ctrl-C, SIGTERM or an error)."""
    began = time.monotonic()
    folder = root or Path(tempfile.mkdtemp(prefix="thidua-drill-"))
    folder.mkdir(parents=True, exist_ok=True)
    lab = Lab(folder)

    def terminate(*_: object) -> None:
        raise KeyboardInterrupt

    # Ctrl-C and SIGTERM alike end the drill where it is; asyncio.run then cancels its tasks, and everything
    # started is stopped below.
    previous = {sig: signal.signal(sig, terminate) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        print(f"thidua drill: starting in {folder}", file=out, flush=True)
        lab.start(lambda line: print(f"  {line}", file=out, flush=True))
        code = asyncio.run(run_drill(lab, plan, out))
        print(f"the drill took {time.monotonic() - began:.0f} s", file=out, flush=True)
        return code
    except KeyboardInterrupt:
        logging.getLogger("asyncio").disabled = True  # not "Task exception was never retrieved" for the interrupt
        print("thidua drill: interrupted", file=out, flush=True)
        return 130
    finally:
        for sig in previous:  # a second Ctrl-C must not cut the cleaning up short
            signal.signal(sig, signal.SIG_IGN)
        try:
            lab.stop()
            if not keep and root is None:
                shutil.rmtree(folder, ignore_errors=True)
            elif keep:
                print(f"logs and data kept in {folder}", file=out, flush=True)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
