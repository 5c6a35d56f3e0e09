"""Events applied in batches: one transaction for many, the acks after it, and every guarantee kept.

A poison event in a batch costs the others nothing; a redelivery in a batch is
not applied twice; a database lost in the middle of a batch only delays it;
and the backlog shows on `/metrics` while it lasts.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter
from collections.abc import Sequence
from functools import partial
from typing import Any

import asyncpg
import httpx
import pytest
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from prometheus_client.parser import text_string_to_metric_families

from shared import events, unit_copy
from shared.consumer import Consumer
from shared.messaging import DEAD_LETTER_STREAM
from tests.delivery.scratch import (
    LogRecords,
    add_test_stream,
    counting_batch_handler,
    counting_handler,
    settled,
    subscription,
    unit_event,
    unit_id,
)
from tests.support import Api, Stack, code, eventually


async def _publish(js: JetStreamContext, prefix: str, sent: Sequence[events.Envelope], *, msg_id: str = "") -> None:
    for env in sent:
        await js.publish(f"{prefix}.unit.created", events.encode(env), headers={"Nats-Msg-Id": f"{env.id}{msg_id}"})


async def _applications(pool: asyncpg.Pool) -> dict[uuid.UUID, int]:
    rows = await pool.fetch("SELECT event_id, count(*) AS n FROM applications GROUP BY event_id")
    return {r["event_id"]: r["n"] for r in rows}


class RecordingConsumer(Consumer):
    """The real consumer, noting how many times each message of each batch it fetched had been delivered."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.batches: list[list[int]] = []

    async def process_batch(self, msgs: Sequence[Msg]) -> None:
        self.batches.append([m.metadata.num_delivered for m in msgs])
        await super().process_batch(msgs)


async def test_a_poison_event_in_a_batch_costs_the_others_nothing(
    nc: NATS, scratch_pool: asyncpg.Pool, consumer_log: LogRecords
) -> None:
    js = nc.jetstream()
    stream, prefix = await add_test_stream(js)
    root = unit_event()
    poison = unit_event(name="Chi bộ độc", parent_id=unit_id(root))
    good = [unit_event(parent_id=unit_id(root)) for _ in range(4)]
    sent = [root, good[0], good[1], poison, good[2], good[3]]

    async def handler(conn: asyncpg.Connection, env: events.Envelope) -> None:
        await counting_handler(conn, env)
        if env.id == poison.id:
            raise ValueError("this unit cannot be applied")

    durable = "delivery-batch-poison"
    # Published before the consumer starts: its first fetch takes them all, one batch.
    await _publish(js, prefix, sent)
    consumer = RecordingConsumer(
        scratch_pool, js, subscription(stream, durable, [f"{prefix}.>"], handler), max_deliver=3
    )
    await consumer.start()
    try:
        await eventually(partial(settled, js, stream, durable, len(sent)), timeout=20)
    finally:
        await consumer.stop()
        await js.delete_stream(stream)

    assert consumer.batches[0] == [1] * len(sent)  # all six came in one batch
    assert any("applying its events one by one" in m for m in consumer_log.messages)
    # The others were applied once each; the poison left nothing but its dead letter.
    assert await _applications(scratch_pool) == {e.id: 1 for e in sent if e is not poison}
    assert {r["event_id"] for r in await scratch_pool.fetch("SELECT event_id FROM inbox")} == {
        e.id for e in sent if e is not poison
    }
    letter = await scratch_pool.fetchrow("SELECT event_id, deliveries, error FROM dead_letters")
    assert (letter["event_id"], letter["deliveries"]) == (str(poison.id), 3)
    assert "this unit cannot be applied" in letter["error"]
    on_subject = await js.get_last_msg(DEAD_LETTER_STREAM, f"dead.{durable}.{prefix}.unit.created")
    assert on_subject.data is not None and events.decode(on_subject.data).id == poison.id
    paths = await scratch_pool.fetch("SELECT id, path::text FROM units")
    assert {r["id"] for r in paths} == {unit_id(e) for e in sent if e is not poison}
    assert all(r["path"] for r in paths)


class LosingFirstAcks(Consumer):
    """Commits its first batch and loses its acks (as when NATS drops them): the batch comes back."""

    lost = False

    async def acknowledge(self, msgs: Sequence[Msg]) -> None:
        if not self.lost and len(msgs) > 1:
            self.lost = True
            return
        await super().acknowledge(msgs)


async def test_redelivered_events_in_a_batch_are_applied_once(nc: NATS, scratch_pool: asyncpg.Pool) -> None:
    js = nc.jetstream()
    stream, prefix = await add_test_stream(js)
    first = [unit_event() for _ in range(4)]
    later = [unit_event() for _ in range(2)]
    durable = "delivery-batch-redelivered"
    ack_wait = 1.0
    # The first four, and the second of them again under another message id (a resend): one batch.
    await _publish(js, prefix, first)
    await _publish(js, prefix, first[1:2], msg_id="-again")
    losing = LosingFirstAcks(
        scratch_pool, js, subscription(stream, durable, [f"{prefix}.>"], counting_handler, ack_wait=ack_wait)
    )

    async def lost() -> bool:
        return losing.lost

    await losing.start()
    try:
        await eventually(lost, timeout=10)
    finally:
        await losing.stop()
    assert losing.applied == len(first)  # the repeat in the batch was not applied
    assert await _applications(scratch_pool) == {e.id: 1 for e in first}
    assert (await js.consumer_info(stream, durable)).ack_floor.stream_seq == 0  # nothing acknowledged

    # New events wait beside the unacknowledged ones; once ack_wait has passed, one fetch takes
    # the redeliveries and the new events together.
    await _publish(js, prefix, later)
    await asyncio.sleep(ack_wait + 0.5)
    consumer = RecordingConsumer(
        scratch_pool, js, subscription(stream, durable, [f"{prefix}.>"], counting_handler, ack_wait=ack_wait)
    )
    await consumer.start()
    try:
        await eventually(partial(settled, js, stream, durable, len(first) + 1 + len(later)), timeout=15)
    finally:
        await consumer.stop()
        await js.delete_stream(stream)

    assert any(max(b) > 1 and min(b) == 1 for b in consumer.batches), consumer.batches  # a mixed batch
    assert consumer.applied == len(later)
    assert await _applications(scratch_pool) == {e.id: 1 for e in [*first, *later]}
    assert await scratch_pool.fetchval("SELECT count(*) FROM inbox") == len(first) + len(later)


async def test_a_database_lost_in_the_middle_of_a_batch_only_delays_it(
    nc: NATS, scratch: str, scratch_pool: asyncpg.Pool, consumer_log: LogRecords
) -> None:
    """The connection dies under the batch's transaction more times than max_deliver: no dead letter."""
    js = nc.jetstream()
    stream, prefix = await add_test_stream(js)
    sent = [unit_event() for _ in range(5)]
    victim = sent[2]
    outages = 4  # more than max_deliver
    attempts: Counter[uuid.UUID] = Counter()
    killer = await asyncpg.connect(scratch)

    async def handler(conn: asyncpg.Connection, env: events.Envelope) -> None:
        await counting_handler(conn, env)
        attempts[env.id] += 1
        if env.id == victim.id and attempts[env.id] <= outages:
            # The server ends the connection in the middle of the transaction, as a restart does.
            await killer.execute("SELECT pg_terminate_backend($1, 5000)", conn.get_server_pid())
            await conn.execute("SELECT 1")

    durable = "delivery-batch-outage"
    await _publish(js, prefix, sent)
    consumer = RecordingConsumer(
        scratch_pool, js, subscription(stream, durable, [f"{prefix}.>"], handler), max_deliver=3
    )
    await consumer.start()
    try:
        await eventually(partial(settled, js, stream, durable, len(sent)), timeout=40)
    finally:
        await consumer.stop()
        await killer.close()
        await js.delete_stream(stream)

    assert consumer.batches[0] == [1] * len(sent)
    assert attempts[victim.id] == outages + 1
    assert any("batch not applied; will be redelivered" in m for m in consumer_log.messages)
    assert await scratch_pool.fetchval("SELECT count(*) FROM dead_letters") == 0
    assert await _applications(scratch_pool) == {e.id: 1 for e in sent}
    assert consumer.applied == len(sent)


def _samples(text: str, name: str, durable: str) -> list[float]:
    return [
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name and s.labels.get("durable") == durable
    ]


async def test_metrics_show_a_durable_s_backlog_while_it_lasts(stack: Stack, admin: Api) -> None:
    """The awards consumer held up (the tree lock its handler takes): /metrics shows the messages waiting."""
    root = await admin.unit("Đảng bộ chờ", kind="party_committee")
    root_code = (await admin.units.get(f"/units/{root['id']}")).json()["code"]
    rows = [
        {"code": code("M"), "name": f"Chi bộ chờ {i}", "kind": "grassroots_party_org", "parent_code": root_code}
        for i in range(600)  # more than one batch: the consumer holds at most one while it is stuck
    ]
    async with httpx.AsyncClient(base_url=stack.url("awards"), timeout=10) as awards:

        async def scrape() -> str:
            resp = await awards.get("/metrics")
            assert resp.status_code == 200
            assert resp.headers["content-type"].startswith("text/plain")
            return resp.text

        blocker = await asyncpg.connect(stack.db_url("awards"))
        try:
            await blocker.execute("SELECT pg_advisory_lock($1)", unit_copy.TREE_LOCK)
            resp = await admin.units.post("/units/import", json=rows)
            assert resp.status_code in (200, 201), resp.text
            ids = [uuid.UUID(u["id"]) for u in resp.json()["items"]]

            async def backlog() -> bool:
                return any(v > 0 for v in _samples(await scrape(), "thidua_consumer_pending_messages", "awards-units"))

            await eventually(backlog, timeout=30)
        finally:
            await blocker.execute("SELECT pg_advisory_unlock($1)", unit_copy.TREE_LOCK)
            await blocker.close()

        conn = await asyncpg.connect(stack.db_url("awards"))
        try:

            async def all_in_copy() -> bool:
                n = await conn.fetchval(
                    "SELECT count(*) FROM units WHERE id = ANY($1::uuid[]) AND path IS NOT NULL", ids
                )
                return n == len(ids)

            await eventually(all_in_copy, timeout=30)
        finally:
            await conn.close()

        async def caught_up() -> bool:
            text = await scrape()
            waiting = _samples(text, "thidua_consumer_pending_messages", "awards-units")
            unacked = _samples(text, "thidua_consumer_ack_pending_messages", "awards-units")
            return waiting == [0] and unacked == [0]

        await eventually(caught_up, timeout=30)
        text = await scrape()
        assert _samples(text, "thidua_consumer_info_up", "awards-units") == [1]
        assert sum(_samples(text, "thidua_consumer_events_applied_total", "awards-units")) >= len(ids)

    # A service without consumers answers too, with no durable in it.
    async with httpx.AsyncClient(base_url=stack.url("units"), timeout=10) as units:
        resp = await units.get("/metrics")
        assert resp.status_code == 200
        assert "thidua_consumer_pending_messages" in resp.text
        assert "durable=" not in resp.text


@pytest.mark.parametrize("many", [False, True], ids=["one by one", "many at once"])
async def test_a_batch_out_of_order_builds_the_right_tree(nc: NATS, scratch_pool: asyncpg.Pool, many: bool) -> None:
    """A child before its parent and a subtree moved, in one batch: every path as the tree is.

    Both ways a batch's unit events are applied: each by its handler, or all by the batch handler the
    services' copies use (`unit_copy.apply_many`)."""
    js = nc.jetstream()
    stream, prefix = await add_test_stream(js)
    root, other = unit_event(), unit_event()
    middle_id = uuid.uuid4()
    leaf = unit_event(parent_id=middle_id)  # before its parent
    middle = unit_event(unit_id=middle_id, parent_id=unit_id(root))
    moved = unit_event(unit_id=middle_id, parent_id=unit_id(other), version=2)
    orphan = unit_event(parent_id=uuid.uuid4())  # its parent never comes
    sent = [root, other, leaf, middle, moved, orphan]
    durable = "delivery-batch-tree"
    await _publish(js, prefix, sent)
    sub = subscription(
        stream, durable, [f"{prefix}.>"], counting_handler, batch_handler=counting_batch_handler if many else None
    )
    consumer = RecordingConsumer(scratch_pool, js, sub)
    await consumer.start()
    try:
        await eventually(partial(settled, js, stream, durable, len(sent)), timeout=15)
    finally:
        await consumer.stop()
        await js.delete_stream(stream)

    assert consumer.batches[0] == [1] * len(sent)
    assert await _applications(scratch_pool) == {e.id: 1 for e in sent}
    paths = {r["id"]: r["path"] for r in await scratch_pool.fetch("SELECT id, path::text FROM units")}
    label = {e: unit_id(e).hex for e in (root, other, leaf)}
    assert paths == {
        unit_id(root): label[root],
        unit_id(other): label[other],
        middle_id: f"{label[other]}.{middle_id.hex}",
        unit_id(leaf): f"{label[other]}.{middle_id.hex}.{label[leaf]}",
        unit_id(orphan): None,
    }


@pytest.mark.parametrize("seed", range(12))
async def test_unit_events_applied_many_at_once_make_the_copy_one_at_a_time_makes(
    scratch_pool: asyncpg.Pool, seed: int
) -> None:
    """Random histories of a tree (creations, renames, moves; events of different units and versions of
    one unit out of order), applied one event a transaction and in random runs of `apply_many`: the
    same copy both ways, and the tree the history ends in, every path included."""
    rng = random.Random(seed)
    ids = [uuid.uuid4() for _ in range(14)]
    parent: dict[uuid.UUID, uuid.UUID | None] = {}
    version: dict[uuid.UUID, int] = {}
    history: list[events.Envelope] = []

    def below(unit: uuid.UUID, ancestor: uuid.UUID) -> bool:
        at: uuid.UUID | None = unit
        while at is not None:
            if at == ancestor:
                return True
            at = parent.get(at)
        return False

    for unit in ids:  # each unit created under one made before it, or at the top
        parent[unit] = rng.choice([None, *parent])
        version[unit] = 1
        history.append(unit_event(unit_id=unit, parent_id=parent[unit]))
    for _ in range(20):  # renames and moves, never under the unit's own subtree
        unit = rng.choice(ids)
        version[unit] += 1
        if rng.random() < 0.5:
            parent[unit] = rng.choice([None, *(u for u in ids if not below(u, unit))])
        history.append(unit_event(unit_id=unit, parent_id=parent[unit], version=version[unit]))
    arrived = history[:]
    for i in range(len(arrived) - 1):  # neighbours swapped now and then: out of order, as a redelivery is
        if rng.random() < 0.4:
            arrived[i], arrived[i + 1] = arrived[i + 1], arrived[i]

    def path(unit: uuid.UUID) -> str:
        up = parent[unit]
        return unit.hex if up is None else f"{path(up)}.{unit.hex}"

    expected = {u: (parent[u], version[u], path(u)) for u in ids}
    copies = []
    for many in (False, True):
        await scratch_pool.execute("TRUNCATE units")
        if many:
            start = 0
            while start < len(arrived):
                end = start + rng.randint(1, 12)
                async with scratch_pool.acquire() as conn, conn.transaction():
                    await unit_copy.apply_many(conn, arrived[start:end])
                start = end
        else:
            for env in arrived:
                async with scratch_pool.acquire() as conn, conn.transaction():
                    await unit_copy.apply(conn, env)
        rows = await scratch_pool.fetch("SELECT id, parent_id, version, path::text FROM units")
        copies.append({r["id"]: (r["parent_id"], r["version"], r["path"]) for r in rows})
    assert copies[0] == expected
    assert copies[1] == expected
