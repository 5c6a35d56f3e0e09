"""`/metrics` moves when it should: a publish held back grows the outbox's backlog and its oldest age; an open
dead letter counts until it is settled; the database's absence is said, not failed on; a request counts under its
route's template and status, in the counter and the histogram; a cached roll answer counts a hit; a consumer
paused grows its lag."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
from nats.aio.client import Client as NATS
from prometheus_client.parser import text_string_to_metric_families

from tests.support import Api, Stack, eventually, in_copy, scrape


async def test_a_publish_held_back_grows_the_backlog_and_an_open_dead_letter_counts(stack: Stack) -> None:
    # The console publishes nothing: no relay takes a row from its outbox, so one written there waits.
    console = await asyncpg.connect(stack.db_url("console"))
    awards = await asyncpg.connect(stack.db_url("awards"))
    try:
        before = await scrape(stack, "console")
        assert before[("thidua_database_up", ())] == 1
        assert before[("thidua_db_pool_connections", ())] >= 1
        row_id = uuid.uuid4()
        await console.execute(
            "INSERT INTO outbox (id, subject, payload, created_at) VALUES ($1, 'console.test', '\\x00', now() - interval '90 seconds')",
            row_id,
        )
        held = await scrape(stack, "console")
        assert held[("thidua_outbox_backlog_events", ())] == before[("thidua_outbox_backlog_events", ())] + 1
        assert held[("thidua_outbox_oldest_unsent_seconds", ())] >= 90
        await console.execute("DELETE FROM outbox WHERE id = $1", row_id)
        assert (await scrape(stack, "console"))[("thidua_outbox_backlog_events", ())] == before[
            ("thidua_outbox_backlog_events", ())
        ]

        durable = f"metrics-test-{uuid.uuid4().hex[:6]}"
        key = ("thidua_dead_letters_open", (("durable", durable),))
        assert key not in await scrape(stack, "awards")
        letter = await awards.fetchval(
            """INSERT INTO dead_letters (consumer, subject, event_id, deliveries, error, payload)
               VALUES ($1, 'units.unit.created', NULL, 5, 'a test letter', '\\x00') RETURNING id""",
            durable,
        )
        assert (await scrape(stack, "awards"))[key] == 1
        await awards.execute("UPDATE dead_letters SET discarded_at = now(), note = 'test' WHERE id = $1", letter)
        assert key not in await scrape(stack, "awards")
    finally:
        await console.close()
        await awards.close()


async def series(stack: Stack, service: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """The scrape's samples, those of every process (`pid`) summed."""
    async with httpx.AsyncClient(base_url=stack.url(service)) as client:
        resp = await client.get("/metrics")
    assert resp.status_code == 200, resp.text
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(resp.text):
        for sample in family.samples:
            key = (sample.name, tuple(sorted((k, v) for k, v in sample.labels.items() if k != "pid")))
            found[key] = found.get(key, 0.0) + sample.value
    return found


def request_count(scraped: dict, method: str, route: str, status: str) -> float:
    return scraped.get(("thidua_http_requests_total", (("method", method), ("route", route), ("status", status))), 0.0)


def duration(scraped: dict, method: str, route: str, status: str, part: str, le: str | None = None) -> float:
    labels = [("method", method), ("route", route), ("status", status)]
    if le is not None:
        labels.append(("le", le))
    return scraped.get((f"thidua_http_request_duration_seconds_{part}", tuple(sorted(labels))), 0.0)


async def test_a_request_counts_under_its_route_template_its_status_and_its_histogram(stack: Stack) -> None:
    route = "/campaigns/{campaign_id}"  # Litestar's template of the route: its path_format
    unknown = uuid.uuid4()
    before = await series(stack, "awards")
    async with httpx.AsyncClient(base_url=stack.url("awards")) as client:
        assert (await client.get(f"/campaigns/{unknown}")).status_code == 404
        assert (await client.get(f"/campaigns/{uuid.uuid4()}")).status_code == 404
        assert (await client.get(f"/no-such-path-{unknown.hex}")).status_code == 404
        assert (await client.request("BREW", "/campaigns")).status_code in (404, 405)
        assert (await client.get("/campaigns")).status_code == 200
    after = await series(stack, "awards")

    # Two requests of one route with different ids: one series, by its template.
    assert request_count(after, "GET", route, "404") == request_count(before, "GET", route, "404") + 2
    assert duration(after, "GET", route, "404", "count") == duration(before, "GET", route, "404", "count") + 2
    assert (
        duration(after, "GET", route, "404", "bucket", "+Inf")
        == duration(before, "GET", route, "404", "bucket", "+Inf") + 2
    )
    assert duration(after, "GET", route, "404", "sum") > duration(before, "GET", route, "404", "sum")
    # Every bucket is cumulative and none above the count.
    ours = {("method", "GET"), ("route", route), ("status", "404")}
    by_bound = sorted(
        (float(dict(labels)["le"]), v)
        for (name, labels), v in after.items()
        if name == "thidua_http_request_duration_seconds_bucket" and ours <= set(labels)
    )
    buckets = [v for _, v in by_bound]
    assert len(buckets) > 2 and by_bound[-1][0] == float("inf")
    assert buckets == sorted(buckets) and buckets[-1] == duration(after, "GET", route, "404", "count")
    assert request_count(after, "GET", "/campaigns", "200") == request_count(before, "GET", "/campaigns", "200") + 1
    # A path no route has, and a method no client should send: fixed labels, never the raw path or method.
    assert request_count(after, "GET", "unmatched", "404") == request_count(before, "GET", "unmatched", "404") + 1
    other = sum(
        v
        for (name, labels), v in after.items()
        if name == "thidua_http_requests_total" and ("method", "other") in labels
    )
    assert other == 1 + sum(
        v
        for (name, labels), v in before.items()
        if name == "thidua_http_requests_total" and ("method", "other") in labels
    )
    routes = {dict(labels).get("route") for (name, labels) in after if name == "thidua_http_requests_total"}
    assert not any(unknown.hex in r or str(unknown) in r for r in routes if r), routes


async def test_a_cached_roll_answer_counts_a_hit_and_is_counted_as_a_request(stack: Stack) -> None:
    query = {"q": f"khong-ai-{uuid.uuid4().hex[:8]}"}  # a query no one asked: not cached yet
    hits, misses = ("thidua_roll_cache_hits_total", ()), ("thidua_roll_cache_misses_total", ())
    before = await series(stack, "events")
    async with httpx.AsyncClient(base_url=stack.url("events")) as client:
        first = await client.get("/honorees", params=query)
        assert first.status_code == 200, first.text
        middle = await series(stack, "events")
        assert middle[misses] == before[misses] + 1 and middle[hits] == before[hits]
        second = await client.get("/honorees", params=query)
        assert second.status_code == 200 and second.headers["etag"] == first.headers["etag"]
        again = await client.get("/honorees", params=query, headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304
    after = await series(stack, "events")
    assert after[hits] == before[hits] + 2 and after[misses] == before[misses] + 1
    # The fast path (served before the framework) and the framework count the route alike.
    assert request_count(after, "GET", "/honorees", "200") == request_count(before, "GET", "/honorees", "200") + 2
    assert request_count(after, "GET", "/honorees", "304") == request_count(before, "GET", "/honorees", "304") + 1
    assert after[("thidua_roll_cache_entries", ())] >= 1


async def test_a_paused_consumer_grows_its_lag_and_its_catching_up_empties_it(
    stack: Stack, admin: Api, nc: NATS
) -> None:
    """JetStream pauses the awards service's durable on the units stream (its processes keep running and fetching,
    and are sent nothing): each unit created meanwhile is one more message waiting, on /metrics; resumed, the
    durable takes them and the lag is back to what it was."""
    pending = ("thidua_consumer_pending_messages", (("durable", "awards-units"), ("stream", "UNITS")))
    applied = ("thidua_consumer_events_applied_total", (("durable", "awards-units"), ("stream", "UNITS")))
    before = await series(stack, "awards")
    pause = "$JS.API.CONSUMER.PAUSE.UNITS.awards-units"
    until = (datetime.now(UTC) + timedelta(minutes=5)).isoformat().replace("+00:00", "Z")
    answer = json.loads((await nc.request(pause, json.dumps({"pause_until": until}).encode(), timeout=5)).data)
    assert answer.get("paused") is True, answer
    try:
        units = [await admin.unit(name=f"Chi bộ trễ {i}") for i in range(3)]

        async def waiting(count: float) -> bool:
            return (await series(stack, "awards"))[pending] == count

        await eventually(lambda: waiting(before[pending] + 3), timeout=10)
        assert (await series(stack, "awards"))[applied] == before[applied]
        assert not await in_copy(stack, "awards", units[0]["id"])
    finally:
        answer = json.loads((await nc.request(pause, b"{}", timeout=5)).data)
    assert answer.get("paused") is False, answer
    await eventually(lambda: waiting(before[pending]), timeout=10)

    async def applied_all() -> bool:
        # JetStream counts a message no longer pending once it is sent, before the process has applied it.
        return (await series(stack, "awards"))[applied] == before[applied] + 3

    await eventually(applied_all, timeout=10)
    for unit in units:
        assert await in_copy(stack, "awards", unit["id"])
