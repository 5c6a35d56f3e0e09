"""`GET /metrics` on every service: the Prometheus text format, for the operators' scraper.

Read at scrape time, not kept in shared memory: a figure that belongs to a
durable (messages waiting, awaiting an ack, redelivered) comes from
JetStream's consumer info, so every worker process and every replica answers
the same, right, value. A counter a process keeps (events applied) is that
process's own, labelled with its pid, as Prometheus expects of a
per-process counter (sum it across `pid`).

Not authenticated and not in the OpenAPI document: it is for a scraper on
the operators' private network, like the health checks; a reverse proxy that
publishes a service must not route `/metrics` (README, "Running it at scale").

To add metrics: write an async `Source` (the service's state in, metric
families out) and append it to `SOURCES`; one that only a service has (the
events service's roll cache) is added by that service at start with
`add_source(service, source)`. The requests per route are counted by
`shared/http_metrics.py`.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Iterator

from litestar import get
from litestar.response import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from shared import coalesce, fast_path, http_metrics
from shared.state import ServiceState, StateKey

Source = Callable[[ServiceState], Awaitable[Iterable[Metric]]]

CONSUMER_LABELS = ["stream", "durable"]


async def consumer_metrics(service: ServiceState) -> list[Metric]:
    """Per durable this service consumes: its backlog (the lag) and its redeliveries, and what this process applied."""
    pending = GaugeMetricFamily(
        "thidua_consumer_pending_messages",
        "Messages of the stream the durable has not been sent yet (JetStream num_pending): the lag.",
        labels=CONSUMER_LABELS,
    )
    ack_pending = GaugeMetricFamily(
        "thidua_consumer_ack_pending_messages",
        "Messages sent to the durable's processes and not yet acknowledged (JetStream num_ack_pending).",
        labels=CONSUMER_LABELS,
    )
    redelivered = GaugeMetricFamily(
        "thidua_consumer_redelivered_messages",
        "Messages sent more than once and not yet acknowledged (JetStream num_redelivered).",
        labels=CONSUMER_LABELS,
    )
    info_up = GaugeMetricFamily(
        "thidua_consumer_info_up",
        "1 when the durable's consumer info could be read from JetStream for this scrape, else 0.",
        labels=CONSUMER_LABELS,
    )
    applied = CounterMetricFamily(
        "thidua_consumer_events_applied",
        "Events this process applied (not those the inbox already held); per process: sum over pid.",
        labels=[*CONSUMER_LABELS, "pid"],
    )
    pid = str(os.getpid())

    async def info(stream: str, durable: str) -> object:
        async with asyncio.timeout(2):
            return await service.js.consumer_info(stream, durable)

    consumers = list(service.consumers)
    infos = await asyncio.gather(*(info(c.stream, c.durable) for c in consumers), return_exceptions=True)
    for consumer, found in zip(consumers, infos, strict=True):
        labels = [consumer.stream, consumer.durable]
        applied.add_metric([*labels, pid], consumer.applied)
        if isinstance(found, BaseException):
            info_up.add_metric(labels, 0)
            continue
        info_up.add_metric(labels, 1)
        pending.add_metric(labels, getattr(found, "num_pending", 0) or 0)
        ack_pending.add_metric(labels, getattr(found, "num_ack_pending", 0) or 0)
        redelivered.add_metric(labels, getattr(found, "num_redelivered", 0) or 0)
    return [pending, ack_pending, redelivered, info_up, applied]


DATABASE_FIGURES = """
    SELECT (SELECT count(*) FROM outbox WHERE sent_at IS NULL) AS backlog,
           (SELECT extract(epoch FROM now() - min(created_at)) FROM outbox WHERE sent_at IS NULL) AS oldest,
           (SELECT coalesce(array_agg(consumer), '{}') FROM dead_letters
             WHERE replayed_at IS NULL AND discarded_at IS NULL) AS dead"""


async def database_metrics(service: ServiceState) -> list[Metric]:
    """The outbox's backlog and its oldest unsent row, the dead letters still open, and this process's pool.

    One query (the pending rows and the open letters are partial indexes), two seconds at most: a
    scrape while the database is away says so (`thidua_database_up` 0) instead of failing.
    """
    up = GaugeMetricFamily("thidua_database_up", "1 when the service's database answered this scrape, else 0.")
    backlog = GaugeMetricFamily(
        "thidua_outbox_backlog_events", "Events written to the outbox and not yet published (acknowledged) to NATS."
    )
    oldest = GaugeMetricFamily(
        "thidua_outbox_oldest_unsent_seconds", "Age of the oldest event not yet published; 0 when none waits."
    )
    dead = GaugeMetricFamily(
        "thidua_dead_letters_open",
        "Dead letters neither replayed nor discarded (thidua dead-letters), by consumer.",
        labels=["durable"],
    )
    pool_size = GaugeMetricFamily(
        "thidua_db_pool_connections", "Connections this process's pool holds.", labels=["pid"]
    )
    pool_busy = GaugeMetricFamily(
        "thidua_db_pool_connections_in_use", "Connections of this process's pool lent out now.", labels=["pid"]
    )
    pid = str(os.getpid())
    pool = service.pool
    pool_size.add_metric([pid], pool.get_size())
    pool_busy.add_metric([pid], pool.get_size() - pool.get_idle_size())
    try:
        async with asyncio.timeout(2):
            row = await pool.fetchrow(DATABASE_FIGURES)
    except Exception:  # the database is away: the scrape still answers, and says so
        up.add_metric([], 0)
        return [up, pool_size, pool_busy]
    up.add_metric([], 1)
    backlog.add_metric([], row["backlog"])
    oldest.add_metric([], float(row["oldest"] or 0))
    for durable, count in sorted(Counter(row["dead"]).items()):
        dead.add_metric([durable], count)
    return [up, backlog, oldest, dead, pool_size, pool_busy]


# Every source a scrape reads, in order. Another part of the product adds its own here.
SOURCES: list[Source] = [
    http_metrics.request_metrics,
    fast_path.outcome_metrics,
    coalesce.written_metrics,
    consumer_metrics,
    database_metrics,
]

# The sources a service added for itself at start (after SOURCES in a scrape).
SERVICE_SOURCES: StateKey[list[Source]] = StateKey("metrics_sources")


def add_source(service: ServiceState, source: Source) -> None:
    """A source that only this service has, read by its every scrape from now on."""
    found = service.find(SERVICE_SOURCES)
    if found is None:
        service.put(SERVICE_SOURCES, found := [])
    found.append(source)


class _Collected:
    """The families one scrape gathered, as a collector for a registry of that scrape alone."""

    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterator[Metric]:
        return iter(self.families)


async def render(service: ServiceState) -> bytes:
    families: list[Metric] = []
    for source in [*SOURCES, *(service.find(SERVICE_SOURCES) or ())]:
        families.extend(await source(service))
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collected(families))
    return generate_latest(registry)


@get("/metrics", include_in_schema=False)
async def metrics(service: ServiceState) -> Response[bytes]:
    return Response(await render(service), media_type=CONTENT_TYPE_LATEST)
