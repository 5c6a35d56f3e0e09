"""The events service's app: its routes and consumers on the common service skeleton."""

from __future__ import annotations

from pathlib import Path

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide

from shared.consumer import Consumer
from shared.settings import Settings
from shared.web import ServiceSpec, create_service_app

from . import handlers
from .roll_cache import RollCache
from .routes import ceremonies, honorees, page

# Handlers take milliseconds: a message fetched by a process that died comes
# back to another within seconds, not the default half minute.
ACK_WAIT_SECONDS = 5.0


def consumers(state: State) -> list[Consumer]:
    return [
        Consumer(
            state.pool, state.js, stream="UNITS", durable="events-units", subjects=["units.>"],
            handler=handlers.on_units_event, max_deliver=state.settings.max_deliver, ack_wait=ACK_WAIT_SECONDS,
        ),
        Consumer(
            state.pool, state.js, stream="AWARDS", durable="events-awards", subjects=["awards.>"],
            handler=handlers.on_awards_event, max_deliver=state.settings.max_deliver, ack_wait=ACK_WAIT_SECONDS,
        ),
    ]


async def start_roll_cache(state: State) -> None:
    state.roll = RollCache(state.pool, state.settings.database_url)
    await state.roll.start()


async def stop_roll_cache(app: Litestar) -> None:
    roll = getattr(app.state, "roll", None)
    if roll is not None:
        await roll.stop()


def provide_roll(state: State) -> RollCache:
    return state.roll


SPEC = ServiceSpec(
    name="events",
    title="thidua – events",
    description="Recognition ceremonies and the public honour roll (a read model of the awards' events).",
    route_handlers=[
        page.roll_page,
        honorees.list_honorees,
        honorees.honoree_stats,
        honorees.honorees_csv,
        ceremonies.create_ceremony,
        ceremonies.list_ceremonies,
        ceremonies.get_ceremony,
        ceremonies.hold_ceremony,
    ],
    consumers=consumers,
    on_startup=[start_roll_cache],
    template_dir=Path(__file__).parent / "templates",
    dependencies={"roll": Provide(provide_roll, sync_to_thread=False)},
)


def create_app(settings: Settings | None = None) -> Litestar:
    app = create_service_app(SPEC, settings)
    app.on_shutdown.append(stop_roll_cache)
    return app
