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
families out) and append it to `SOURCES`.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Iterable, Iterator

from litestar import get
from litestar.response import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from shared.state import ServiceState

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


# Every source a scrape reads, in order. Another part of the product adds its own here.
SOURCES: list[Source] = [consumer_metrics]


class _Collected:
    """The families one scrape gathered, as a collector for a registry of that scrape alone."""

    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterator[Metric]:
        return iter(self.families)


async def render(service: ServiceState) -> bytes:
    families: list[Metric] = []
    for source in SOURCES:
        families.extend(await source(service))
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collected(families))
    return generate_latest(registry)


@get("/metrics", include_in_schema=False)
async def metrics(service: ServiceState) -> Response[bytes]:
    return Response(await render(service), media_type=CONTENT_TYPE_LATEST)
