"""`/metrics` moves when it should: a publish held back grows the outbox's backlog and its oldest age; an open
dead letter counts until it is settled; the database's absence is said, not failed on."""

from __future__ import annotations

import uuid

import asyncpg
import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.support import Stack


async def scrape(stack: Stack, service: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with httpx.AsyncClient(base_url=stack.url(service)) as client:
        resp = await client.get("/metrics")
    assert resp.status_code == 200, resp.text
    return {
        (sample.name, tuple(sorted((k, v) for k, v in sample.labels.items() if k != "pid"))): sample.value
        for family in text_string_to_metric_families(resp.text)
        for sample in family.samples
    }


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
