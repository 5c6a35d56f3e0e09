"""A rolling upgrade: a newer producer's events reach a consumer of the version before.

A new event type, or a new field on a known one, must pass an older consumer:
the new type is acknowledged and logged (not dead-lettered, no inbox row), the
new field is ignored, and the events after them are applied as usual.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from functools import partial

import asyncpg
import msgspec
from nats.aio.client import Client as NATS

from shared import events
from shared.consumer import Consumer
from tests.delivery.scratch import LogRecords, add_test_stream, counting_handler, settled, subscription, unit_event
from tests.support import eventually


def from_a_newer_producer(subject: str, data: dict[str, object]) -> tuple[uuid.UUID, bytes]:
    """An envelope as a later version would write it: (its id, its bytes)."""
    event_id = uuid.uuid4()
    body = {
        "id": str(event_id),
        "type": subject,
        "occurred_at": datetime.now(UTC).isoformat(),
        "producer": "units",
        "aggregate_id": str(uuid.uuid4()),
        "version": 1,
        "data": {"type": subject, **data},
    }
    return event_id, msgspec.json.encode(body)


async def test_a_new_event_type_and_a_new_field_pass_an_older_consumer(
    nc: NATS, scratch_pool: asyncpg.Pool, consumer_log: LogRecords
) -> None:
    js = nc.jetstream()
    stream, prefix = await add_test_stream(js)
    # This build's consumer of unit events, on a wildcard, so that it is offered the new type too.
    consumer = Consumer(scratch_pool, js, subscription(stream, "delivery-upgrade", [f"{prefix}.>"], counting_handler))
    await consumer.start()
    try:
        unknown_id, unknown = from_a_newer_producer("units.unit.archived", {"id": str(uuid.uuid4()), "reason": "x"})
        assert "units.unit.archived" not in events.KNOWN_SUBJECTS
        widened = unit_event()
        widened_body = msgspec.json.decode(events.encode(widened))
        widened_body["data"]["archived_on"] = "2027-01-01"  # a field this version does not have
        after = unit_event()
        for subject, payload, msg_id in (
            (f"{prefix}.unit.archived", unknown, unknown_id),
            (f"{prefix}.unit.created", msgspec.json.encode(widened_body), widened.id),
            (f"{prefix}.unit.created", events.encode(after), after.id),
        ):
            await js.publish(subject, payload, headers={"Nats-Msg-Id": str(msg_id)})

        await eventually(partial(settled, js, stream, "delivery-upgrade", 3), timeout=10)
    finally:
        await consumer.stop()
        await js.delete_stream(stream)

    assert await scratch_pool.fetchval("SELECT count(*) FROM dead_letters") == 0
    applied = {r["event_id"] for r in await scratch_pool.fetch("SELECT event_id FROM applications")}
    assert applied == {widened.id, after.id}
    inbox = {r["event_id"] for r in await scratch_pool.fetch("SELECT event_id FROM inbox")}
    assert inbox == {widened.id, after.id}  # the skipped event left no row
    assert any("a type this version does not know" in m for m in consumer_log.messages)


async def test_a_known_type_the_subscription_does_not_handle_is_acknowledged_without_an_inbox_row(
    nc: NATS, scratch_pool: asyncpg.Pool, consumer_log: LogRecords
) -> None:
    js = nc.jetstream()
    stream, prefix = await add_test_stream(js)
    consumer = Consumer(scratch_pool, js, subscription(stream, "delivery-unhandled", [f"{prefix}.>"], counting_handler))
    await consumer.start()
    try:
        person = events.envelope(
            events.PersonCreated(id=uuid.uuid4(), full_name="Nguyễn Văn A", unit_id=uuid.uuid4()),
            producer="units",
            aggregate_id=uuid.uuid4(),
            version=1,
        )
        unit = unit_event()
        for env in (person, unit):
            subject = f"{prefix}.{env.type.split('.', 1)[1]}"
            await js.publish(subject, events.encode(env), headers={"Nats-Msg-Id": str(env.id)})

        await eventually(partial(settled, js, stream, "delivery-unhandled", 2), timeout=10)
    finally:
        await consumer.stop()
        await js.delete_stream(stream)

    assert [r["event_id"] for r in await scratch_pool.fetch("SELECT event_id FROM inbox")] == [unit.id]
    assert await scratch_pool.fetchval("SELECT count(*) FROM dead_letters") == 0
    assert any("not handled by this consumer" in m for m in consumer_log.messages)


def test_a_subscription_filters_on_exactly_the_subjects_of_its_types() -> None:
    from services.events.service import SERVICE

    awards = next(s for s in SERVICE.subscriptions if s.durable == "events-awards")
    assert awards.subjects == sorted(
        [
            "awards.campaign.created",
            "awards.campaign.updated",
            "awards.award.granted",
            "awards.award.revoked",
            # the public notice (services/events/notices/)
            "awards.nomination.approved",
            "awards.nomination.rejected",
            "awards.nomination.withdrawn",
            "awards.nomination.returned",
            "awards.objection.filed",
            "awards.objection.resolved",
        ]
    )
