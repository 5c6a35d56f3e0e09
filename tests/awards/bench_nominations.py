"""POST /nominations against pgbench running the same SQL, side by side on one machine.

    .venv/bin/python -m tests.awards.bench_nominations [--seconds 10] [--clients 16] [--workers 1] [--grants 300]

Starts its own stack (as the tests do), makes a tree of units and an open
campaign, then measures
  1. HTTP: `--clients` keep-alive connections posting nominations (token check,
     validation, scope check, the two statements, outbox), each for a unit of
     its own, for `--seconds`. The service writes the requests that arrive
     together in one batch (nominations/service.py `write_nominations`);
  2. pgbench: the same two statements (the context read and the one-statement
     insert with its audit and outbox rows) for one nomination a transaction,
     prepared, same client count.
  3. pgbench: the same work with no notify at all (the reference the write path is held against);
  4. the wake-up latency: `--grants` decisions of one nomination each, from the
     201 of POST /decisions to the first GET /honorees (events service) that
     shows the award, p50/p99 (the target: p99 under 50 ms);
and prints the rates and their ratios (the targets, docs/architecture.md).
Not a test: it is not collected by pytest.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
from prometheus_client.parser import text_string_to_metric_families

from services.awards.nominations import repository
from shared import events
from tests.support import ADMIN_PASSWORD, Api, Stack, code, eventually, start_stack
from thidua import devstack

from .helpers import approve, campaign, category, decide, nomination_body


async def _http(
    stack_url: str, token: str, category_id: str, unit_ids: list[str], clients: int, seconds: float
) -> tuple[int, int]:
    host, port = stack_url.removeprefix("http://").split(":")
    queue = list(unit_ids)
    done = failed = 0
    deadline = time.monotonic() + seconds

    async def client() -> None:
        nonlocal done, failed
        reader, writer = await asyncio.open_connection(host, int(port))
        while queue and time.monotonic() < deadline:
            unit_id = queue.pop()
            body = json.dumps(
                {
                    "category_id": category_id,
                    "nominee_unit_id": unit_id,
                    "achievements": "Hoàn thành xuất sắc nhiệm vụ năm 2025",
                }
            ).encode()
            writer.write(
                f"POST /nominations HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            if b" 201 " in status_line:
                done += 1
            else:
                failed += 1
        writer.close()

    await asyncio.gather(*(client() for _ in range(clients)))
    return done, failed


WRK_SCRIPT = """\
-- One nomination per request, each for a unit of its own (the ids below); counts the 201s.
ids = {%(ids)s}
i = 0
created = 0
other = 0
request = function()
  i = i + 1
  local body = '{"category_id": "%(category_id)s", "nominee_unit_id": "' .. (ids[i] or ids[1])
    .. '", "achievements": "Hoàn thành xuất sắc nhiệm vụ năm 2025"}'
  return wrk.format("POST", "/nominations", {["Authorization"] = "Bearer %(token)s",
    ["Content-Type"] = "application/json"}, body)
end
response = function(status)
  if status == 201 then created = created + 1 else other = other + 1 end
end
threads = {}
setup = function(thread) table.insert(threads, thread) end
done = function(summary)
  local made, refused = 0, 0
  for _, t in ipairs(threads) do made = made + t:get("created"); refused = refused + t:get("other") end
  io.write(string.format("RESULT %%d %%d %%d\\n", made, refused, summary.duration))
end
"""


def _wrk(url: str, token: str, category_id: str, unit_ids: list[str], clients: int, seconds: float, tmp: Path):
    """The same requests from wrk (C: the client takes a small share of the machine's two cores)."""
    script = tmp / "nominations.lua"
    ids = ",".join(f'"{u}"' for u in unit_ids)
    script.write_text(WRK_SCRIPT % {"ids": ids, "category_id": category_id, "token": token}, encoding="utf-8")
    run = ["wrk", "-t1", f"-c{clients}", f"-d{int(seconds)}s", "-s", str(script), url]
    out = subprocess.run(run, capture_output=True, text=True, check=True).stdout
    made, refused, micros = (int(x) for x in next(ln for ln in out.splitlines() if ln.startswith("RESULT")).split()[1:])
    return made, refused, micros / 1e6


async def _server_time(url: str) -> tuple[float, float]:
    """The seconds and the count of `POST /nominations` answered 201, as the worker that answers the scrape
    counts them (a process's own: with one worker, the service's)."""
    async with httpx.AsyncClient(base_url=url) as client:
        text = (await client.get("/metrics")).text
    seconds = count = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = sample.labels
            if (labels.get("method"), labels.get("route"), labels.get("status")) != ("POST", "/nominations", "201"):
                continue
            if sample.name == "thidua_http_request_duration_seconds_sum":
                seconds += sample.value
            elif sample.name == "thidua_http_request_duration_seconds_count":
                count += sample.value
    return seconds, count


def _pgbench_script(ctx: dict) -> str:
    """The service's two statements for one nomination, with literal values; each nominates a fresh nominee id."""

    def literal(sql: str, values: dict[int, str]) -> str:  # `$n::type[]` becomes a one-item array of the value
        return " ".join(re.sub(r"\$(\d+)(?=::)", lambda m: f"ARRAY[{values[int(m[1])]}]", sql).split())

    context_sql = literal(
        repository.NOMINATION_CONTEXTS,
        {
            1: f"'{ctx['category_id']}'::uuid",
            2: f"'{ctx['unit_id']}'::uuid",
            3: "NULL::uuid",
            4: f"'{ctx['scope']}'::uuid",
        },
    )
    insert_sql = literal(
        repository.INSERT_NOMINATIONS,
        {
            1: "gen_random_uuid()",
            2: f"'{ctx['campaign_id']}'::uuid",
            3: f"'{ctx['category_id']}'::uuid",
            4: "'collective'",
            5: "gen_random_uuid()",
            6: f"'{ctx['unit_name']}'",
            7: f"'{ctx['unit_id']}'::uuid",
            8: f"'{ctx['unit_name']}'",
            9: "'Hoàn thành xuất sắc nhiệm vụ năm 2025'",
            10: f"'{ctx['account_id']}'::uuid",
            11: "'bench-officer'",
            12: f"'{ctx['scope']}'::uuid",
            13: "'officer'",
            14: "gen_random_uuid()",
            15: "'awards.nomination.submitted'",
            16: f"'\\x{ctx['payload'].hex()}'::bytea",
            17: "NULL::text",  # the writer's trace context
            18: "NULL::text",  # and request id (none in pgbench)
        },
    )
    return context_sql + ";\n" + insert_sql + ";\n"


def _without_notify(script: str) -> str:
    """The same script with the relay's notify left out (when the insert still sends one)."""
    return script.replace("pg_notify('outbox_awards', '')::text", "NULL::text")


def _pgbench(script: Path, url: str, clients: int, seconds: float) -> float:
    pgbench = devstack._postgres_bin() / "pgbench"
    out = subprocess.run(
        [
            str(pgbench),
            "-n",
            "-M",
            "prepared",
            "-c",
            str(clients),
            "-j",
            "2",
            "-T",
            str(int(seconds)),
            "-f",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(next(line for line in out.splitlines() if line.startswith("tps")).split("=")[1].split()[0])


async def _latency(stack: Stack, url: str, admin: Api, officer: Api, root: dict, unit_ids: list[str]) -> list[float]:
    """Seconds from each decision's 201 to the first public GET /honorees that shows its award."""
    committee = await admin.as_new("committee")
    c = await campaign(committee, root["id"])
    k = await category(committee, c["id"], "collective", quota=1_000_000)
    lags: list[float] = []
    try:
        for unit_id in unit_ids:
            resp = await officer.awards.post(url + "/nominations", json=nomination_body(k["id"], unit_id=unit_id))
            assert resp.status_code == 201, resp.text
            nomination = resp.json()
            await approve(committee, nomination["id"])
            decision = await decide(committee, [nomination["id"]])
            granted = time.monotonic()
            award_id = decision["awards"][0]["award_id"]
            params = {"campaign_id": c["id"], "unit_id": unit_id}
            while True:
                resp = await officer.events.get("/honorees", params=params)
                if resp.status_code == 200 and any(i["award_id"] == award_id for i in resp.json()["items"]):
                    break
                await asyncio.sleep(0.001)
            lags.append(time.monotonic() - granted)
    finally:
        await committee.aclose()
    return lags


def main(seconds: float, clients: int, workers: int, grants: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-awards-"))
    started: list = []
    extra = None
    try:
        stack, started = start_stack(tmp)
        if workers > 1:  # a second awards process with more workers, on its own port
            extra = stack.service_process("awards")
            extra.workers = workers
            extra.start()
            extra.wait_ready(120)
        asyncio.run(measure(stack, extra.url if extra else stack.url("awards"), seconds, clients, workers, grants, tmp))
    finally:
        if extra:
            extra.stop()
        for part in reversed(started):
            part.stop()
        shutil.rmtree(tmp, ignore_errors=True)


async def measure(stack: Stack, url: str, seconds: float, clients: int, workers: int, grants: int, tmp: Path) -> None:
    admin = await Api.login(stack, "admin", ADMIN_PASSWORD)
    root = await admin.unit("Tỉnh ủy bench", kind="party_committee")
    count = max(20_000, int(seconds * 4_000))  # a unit of its own for every nomination, at up to 4k a second
    rows = [
        {"code": code("B"), "name": f"Chi bộ {i}", "kind": "other", "parent_code": root["code"]} for i in range(count)
    ]
    unit_ids = []
    for start in range(0, count, 20_000):  # the import's limit per call
        resp = await admin.units.post("/units/import", json=rows[start : start + 20_000], timeout=300)
        assert resp.status_code in (200, 201), resp.text
        unit_ids += [u["id"] for u in resp.json()["items"]]

    async def copied() -> bool:
        awards = await asyncpg.connect(stack.db_url("awards"))
        events_db = await asyncpg.connect(stack.db_url("events"))
        try:
            return (
                await awards.fetchval("SELECT count(*) FROM units WHERE path IS NOT NULL") >= count + 1
                and await events_db.fetchval("SELECT count(*) FROM units") >= count + 1
            )
        finally:
            await awards.close()
            await events_db.close()

    await eventually(copied, timeout=300, interval=0.5)
    officer = await admin.as_new("officer", root["id"])
    lags: list[float] = []
    if grants:
        lags = sorted(await _latency(stack, url, admin, officer, root, unit_ids[:grants]))
        del unit_ids[:grants]
    c = await campaign(admin, root["id"])
    k = await category(admin, c["id"], "collective", quota=1_000_000)
    # Warm up (token cache, prepared statements), then measure.
    await _http(url, officer.token or "", k["id"], unit_ids[-200:], clients, 5)
    del unit_ids[-200:]
    server_before = await _server_time(url)
    if shutil.which("wrk"):
        client = "wrk"
        done, failed, took = await asyncio.to_thread(
            _wrk, url, officer.token or "", k["id"], unit_ids, clients, seconds, tmp
        )
    else:
        client = "an asyncio client (no wrk here)"
        started_at = time.monotonic()
        done, failed = await _http(url, officer.token or "", k["id"], unit_ids, clients, seconds)
        took = time.monotonic() - started_at
    http_rate = done / took
    server_after = await _server_time(url)

    event = events.NominationSubmitted(
        id=uuid.uuid4(),
        campaign_id=uuid.UUID(c["id"]),
        category_id=uuid.UUID(k["id"]),
        nominee_kind="collective",
        nominee_unit_id=uuid.UUID(unit_ids[0]),
        nominee_name="Chi bộ 0",
        unit_id=uuid.UUID(unit_ids[0]),
        unit_name="Chi bộ 0",
        status="submitted",
    )
    payload = events.encode(events.envelope(event, producer="awards", aggregate_id=event.id, version=1))
    script = tmp / "nomination.sql"
    script.write_text(
        _pgbench_script(
            {
                "category_id": k["id"],
                "campaign_id": c["id"],
                "unit_id": unit_ids[0],
                "unit_name": "Chi bộ 0",
                "scope": root["id"],
                "account_id": str(uuid.uuid4()),
                "payload": payload,
            }
        )
    )
    tps = _pgbench(script, stack.db_url("awards"), clients, seconds)
    bare = tmp / "nomination-without-notify.sql"
    bare.write_text(_without_notify(script.read_text()))
    bare_tps = _pgbench(bare, stack.db_url("awards"), clients, seconds)
    print(
        f"POST /nominations: {http_rate:.0f}/s ({done} created, {failed} refused) with {clients} clients "
        f"({client}), {workers} granian worker(s)"
    )
    if workers == 1 and server_after[1] > server_before[1]:
        server_ms = (server_after[0] - server_before[0]) / (server_after[1] - server_before[1]) * 1000
        print(
            f"  a request's mean time: {clients / http_rate * 1000:.1f} ms at the client, {server_ms:.1f} ms of it "
            "in the awards worker (its /metrics)"
        )
    print(f"pgbench, same SQL: {tps:.0f} tps with {clients} clients")
    print(f"pgbench, same work without a notify: {bare_tps:.0f} tps with {clients} clients")
    print(f"ratios: HTTP/same SQL {http_rate / tps:.0%}; HTTP/without notify {http_rate / bare_tps:.0%} (target 50%)")
    if lags:
        p50, p99 = lags[len(lags) // 2], lags[min(len(lags) - 1, int(len(lags) * 0.99))]
        print(
            f"grant to public roll: p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, max {lags[-1] * 1000:.1f} ms "
            f"over {len(lags)} grants (target p99 under 50 ms)"
        )
    await admin.aclose()
    await officer.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--grants", type=int, default=300)
    args = parser.parse_args()
    main(args.seconds, args.clients, args.workers, args.grants)
