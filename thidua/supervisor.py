"""Keeps what `thidua run` started running: a child that exits is started again, with backoff, and logged.

The children are the PostgreSQL and the NATS server that `thidua run` started
(never servers it was given by DATABASE_URL / NATS_URL: those are someone
else's to run) and each service's granian process. A granian worker that dies
is respawned by granian itself (`--respawn-failed-workers`, see
devstack.ServiceProcess); a whole service, PostgreSQL or NATS that exits is the
supervisor's. The others keep serving meanwhile: a service whose database or
broker is away answers what it can and catches up when it is back (the outbox
and the consumers' redeliveries: docs/architecture.md).

The wait before each new start doubles from half a second up to 30 s while a
child keeps failing, and starts again from half a second once it has stayed up
for a minute: a crash loop costs little, a single crash is mended at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

FIRST_WAIT = 0.5
LONGEST_WAIT = 30.0
STABLE_AFTER = 60.0  # seconds up after which a child's next failure counts as its first


def wait_before(failures: int) -> float:
    """How long to wait before starting a child again after its `failures`-th failure in a row (1, 2, …)."""
    return min(FIRST_WAIT * 2 ** max(failures - 1, 0), LONGEST_WAIT)


@dataclass
class Child:
    """One supervised process: how to tell that it runs, why it stopped, and how to start it again."""

    name: str  # as the log says it: "the awards service", "PostgreSQL"
    running: Callable[[], bool]
    exit_status: Callable[[], str]  # e.g. "code 1", "killed by signal 9"
    start: Callable[[], None]
    failures: int = 0
    restarts: int = 0
    up_since: float = field(default_factory=time.monotonic)
    down_since: float | None = None
    next_start: float = 0.0


class Supervisor:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.children: list[Child] = []

    def watch(self, child: Child) -> None:
        child.up_since = time.monotonic()
        self.children.append(child)

    def say(self, text: str) -> None:
        print(f"thidua: {text}", file=self.out, flush=True)

    def tick(self) -> None:
        """Look at every child once; start again those whose wait is over. Never raises for a child."""
        for child in self.children:
            now = time.monotonic()
            if child.down_since is None:
                if child.running():
                    continue
                if now - child.up_since >= STABLE_AFTER:
                    child.failures = 0
                child.failures += 1
                child.down_since = now
                child.next_start = now + wait_before(child.failures)
                self.say(
                    f"{child.name} stopped ({child.exit_status()}); starting it again in "
                    f"{wait_before(child.failures):.1f} s"
                )
            if now < child.next_start:
                continue
            try:
                child.start()
            except Exception as exc:  # a start that fails is logged and tried again later, never fatal
                child.failures += 1
                child.next_start = time.monotonic() + wait_before(child.failures)
                self.say(f"{child.name} did not start ({exc}); trying again in {wait_before(child.failures):.1f} s")
                continue
            child.restarts += 1
            child.up_since = time.monotonic()
            self.say(
                f"{child.name} is running again (after {child.up_since - child.down_since:.1f} s; "
                f"restart {child.restarts})"
            )
            child.down_since = None
