"""shared/coalesce.py: calls that arrive together are written together, each answered with its own outcome."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from shared.coalesce import WRITTEN, Coalescer


class Refused(Exception):
    pass


class Writer:
    """A batch function that records its batches, refuses negative items, and fails a batch holding 13."""

    def __init__(self, pause: float = 0.01) -> None:
        self.batches: list[list[int]] = []
        self.pause = pause
        self.writing = 0
        self.most_at_once = 0

    async def __call__(self, items: Sequence[int]) -> list[int | Exception]:
        self.batches.append(list(items))
        self.writing += 1
        self.most_at_once = max(self.most_at_once, self.writing)
        try:
            await asyncio.sleep(self.pause)  # a round trip and a commit
            if 13 in items:
                raise RuntimeError("the statement failed")
            return [Refused(i) if i < 0 else i * 10 for i in items]
        finally:
            self.writing -= 1


async def test_a_call_alone_goes_at_once_and_calls_arriving_meanwhile_go_together() -> None:
    writer = Writer()
    together = Coalescer("test-together", writer, max_batch=64, in_flight=1)
    assert await together.submit(1) == 10
    assert writer.batches == [[1]]
    results = await asyncio.gather(*(together.submit(i) for i in range(2, 12)))
    assert results == [i * 10 for i in range(2, 12)]
    # Called in one turn of the loop: one batch, in the order of the calls.
    assert writer.batches[1:] == [list(range(2, 12))]
    assert WRITTEN["test-together", "batches"] == 2 and WRITTEN["test-together", "items"] == 11


async def test_batches_hold_at_most_max_batch_and_at_most_in_flight_are_written_at_once() -> None:
    writer = Writer()
    together = Coalescer("test-limits", writer, max_batch=4, in_flight=2)
    items = range(100, 120)
    results = await asyncio.gather(*(together.submit(i) for i in items))
    assert results == [i * 10 for i in items]
    assert max(len(b) for b in writer.batches) == 4
    assert sorted(i for b in writer.batches for i in b) == list(items)  # each once
    assert writer.most_at_once == 2


async def test_calls_that_arrive_while_a_batch_is_written_wait_for_the_next_together() -> None:
    writer = Writer(pause=0.05)
    together = Coalescer("test-waiting", writer, in_flight=1)
    first = asyncio.ensure_future(together.submit(0))
    await asyncio.sleep(0.01)  # the first batch is being written
    later = [asyncio.ensure_future(together.submit(i)) for i in range(1, 6)]
    await asyncio.sleep(0.01)
    assert writer.batches == [[0]]
    assert await first == 0 and [await f for f in later] == [10, 20, 30, 40, 50]
    assert writer.batches == [[0], [1, 2, 3, 4, 5]]


async def test_a_refusal_is_its_own_item_s() -> None:
    writer = Writer()
    together = Coalescer("test-refusals", writer)
    results = await asyncio.gather(*(together.submit(i) for i in (1, -2, 3)), return_exceptions=True)
    assert results[0] == 10 and results[2] == 30
    assert isinstance(results[1], Refused) and results[1].args == (-2,)


async def test_a_batch_that_fails_is_written_again_item_by_item_and_only_the_cause_fails() -> None:
    writer = Writer()
    together = Coalescer("test-failures", writer, in_flight=1)
    results = await asyncio.gather(*(together.submit(i) for i in (11, 12, 13, 14)), return_exceptions=True)
    assert results[:2] == [110, 120] and results[3] == 140
    assert isinstance(results[2], RuntimeError)
    assert writer.batches == [[11, 12, 13, 14], [11], [12], [13], [14]]
    # Alone, a failure is its caller's at once.
    with pytest.raises(RuntimeError):
        await together.submit(13)


async def test_a_caller_gone_before_its_batch_is_not_written_and_others_are_answered() -> None:
    writer = Writer(pause=0.05)
    together = Coalescer("test-gone", writer, in_flight=1)
    first = asyncio.ensure_future(together.submit(1))
    await asyncio.sleep(0.01)
    gone = asyncio.ensure_future(together.submit(2))
    stays = asyncio.ensure_future(together.submit(3))
    await asyncio.sleep(0)
    gone.cancel()
    assert await first == 10 and await stays == 30
    assert writer.batches == [[1], [3]]
