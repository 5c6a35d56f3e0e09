"""The awards service's app: its routes and consumers on the common service skeleton."""

from __future__ import annotations

from litestar import Litestar
from litestar.datastructures import State

from shared.consumer import Consumer
from shared.settings import Settings
from shared.web import ServiceSpec, create_service_app

from . import handlers


def consumers(state: State) -> list[Consumer]:
    return [
        Consumer(
            state.pool, state.js, stream="UNITS", durable="awards-units", subjects=["units.>"],
            handler=handlers.on_units_event, max_deliver=state.settings.max_deliver,
        )
    ]


SPEC = ServiceSpec(
    name="awards",
    title="thidua – awards",
    description="Emulation campaigns, nominations, the committee's review, decisions and awards.",
    route_handlers=[],
    consumers=consumers,
)


def create_app(settings: Settings | None = None) -> Litestar:
    return create_service_app(SPEC, settings)
