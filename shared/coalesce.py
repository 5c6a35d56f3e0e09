"""Calls that arrive together, written together: natural batching for a hot write path.

A request that writes one row pays for its statement's round trip and for a
commit; under load, most of a process's requests are waiting on those. A
`Coalescer` takes the requests of one kind that arrive while earlier ones are
being written and writes them together, with one statement and one commit:
the first request of a quiet moment goes at once, alone (nothing waits on a
timer), and the batches grow by themselves with the load, up to `max_batch`.
At most `in_flight` batches are written at a time, so a commit's wait for
the disk overlaps the next batch's work.

The batch function returns one outcome per item: a result, or the exception
that item alone is refused with (a refusal of one refuses no other). If it
raises instead, each item of the batch is written again alone, so that an
error belongs to the item that causes it.

Each item carries what its caller needs carried (for instance the request's
`contextvars.Context`, whose trace context and request id its outbox row
keeps); the batch runs in a context of its own, not any one caller's.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Generic, TypeVar

from prometheus_client.core import CounterMetricFamily
from prometheus_client.metrics_core import Metric

T = TypeVar("T")
R = TypeVar("R")

# Batches and items written by this process's coalescers, by name (the metrics: their ratio is the mean batch).
WRITTEN: Counter[tuple[str, str]] = Counter()  # (name, "batches" or "items")


class Coalescer(Generic[T, R]):
    """Writes the items `submit`ted together, with `write`: a batch function answering each item in order."""

    def __init__(
        self,
        name: str,
        write: Callable[[Sequence[T]], Awaitable[Sequence[R | Exception]]],
        *,
        max_batch: int = 64,
        in_flight: int = 2,
    ) -> None:
        self.name = name
        self.write = write
        self.max_batch = max_batch
        self.in_flight = in_flight
        self._waiting: list[tuple[T, asyncio.Future[R]]] = []
        self._writing: set[asyncio.Task[None]] = set()  # the batches being written (the loop keeps only weak refs)
        self._scheduled = False

    async def submit(self, item: T) -> R:
        """Write `item` with whatever else is waiting; its own result, or its own refusal raised."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        self._waiting.append((item, future))
        if not self._scheduled:
            # After the callbacks already due: the requests that arrived in this turn of the loop go together.
            self._scheduled = True
            loop.call_soon(self._start, context=contextvars.Context())
        return await future

    def _start(self) -> None:
        self._scheduled = False
        while len(self._writing) < self.in_flight and self._waiting:
            taken, self._waiting = self._waiting[: self.max_batch], self._waiting[self.max_batch :]
            taken = [(item, future) for item, future in taken if not future.cancelled()]
            if taken:
                task = asyncio.get_running_loop().create_task(self._write(taken), context=contextvars.Context())
                self._writing.add(task)
                task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._writing.discard(task)
        if self._waiting:
            self._start()

    async def _write(self, taken: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            WRITTEN[self.name, "batches"] += 1
            WRITTEN[self.name, "items"] += len(taken)
            try:
                outcomes = list(await self.write([item for item, _ in taken]))
            except Exception as exc:
                if len(taken) == 1:
                    outcomes = [exc]
                else:  # each alone: the error is the one item's that causes it
                    outcomes = []
                    for item, _ in taken:
                        try:
                            outcomes += await self.write([item])
                        except Exception as one:
                            outcomes.append(one)
            for (_, future), outcome in zip(taken, outcomes, strict=True):
                if future.done():  # its caller went away
                    continue
                if isinstance(outcome, Exception):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)
        except BaseException as exc:  # cancelled (the process stopping), or a bug: no caller waits forever
            for _, future in taken:
                if not future.done():
                    future.set_exception(exc if isinstance(exc, Exception) else RuntimeError("write interrupted"))
            raise


async def written_metrics(_service: object) -> Iterable[Metric]:
    """The metrics source (shared/metrics.py SOURCES): the batches this process's coalescers wrote."""
    batches = CounterMetricFamily(
        "thidua_coalesced_batches",
        "Batches written together by a coalescer (shared/coalesce.py); per process: sum over pid.",
        labels=["name", "pid"],
    )
    items = CounterMetricFamily(
        "thidua_coalesced_items",
        "Items those batches held: items / batches is the mean batch; per process: sum over pid.",
        labels=["name", "pid"],
    )
    pid = str(os.getpid())
    for (name, what), count in sorted(WRITTEN.items()):
        (batches if what == "batches" else items).add_metric([name, pid], count)
    return [batches, items]
