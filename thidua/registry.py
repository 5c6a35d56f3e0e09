"""Every service of the product, by name: the one list the `thidua` command and the local stack read.

Adding a service is a `services/<name>/service.py` with its `ServiceSpec`,
and a line here.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # at run time they come with the services, imported only when asked for
    from shared.consumer import Subscription
    from shared.web import ServiceSpec

# In start order: units publishes the keys the others verify with; the console, a client of the other
# three, comes last (and is printed first by `make run`: it is where people work).
NAMES = ("units", "awards", "events", "console")


@cache
def all_services() -> tuple[ServiceSpec, ...]:
    """The services' descriptions (importing them imports each service's code)."""
    from services.awards.service import SERVICE as AWARDS
    from services.console.service import SERVICE as CONSOLE
    from services.events.service import SERVICE as EVENTS
    from services.units.service import SERVICE as UNITS

    found = (UNITS, AWARDS, EVENTS, CONSOLE)
    assert tuple(s.name for s in found) == NAMES
    return found


def service(name: str) -> ServiceSpec:
    return next(s for s in all_services() if s.name == name)


def default_port(name: str) -> int:
    return service(name).port


def subscribers(producer: str) -> list[tuple[str, Subscription]]:
    """Who consumes what `producer` publishes: each consuming service's name and its subscription to it."""
    stream = service(producer).publishes
    return [(s.name, sub) for s in all_services() for sub in s.subscriptions if sub.stream == stream]
