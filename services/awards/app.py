"""The awards service's app: its routes and consumers on the common service skeleton."""

from __future__ import annotations

from litestar import Litestar
from litestar.datastructures import State

from shared.consumer import Consumer
from shared.settings import Settings
from shared.web import ServiceSpec, create_service_app

from . import handlers
from .routes import awards, campaigns, decisions, nominations


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
    description=(
        "Emulation campaigns, nominations, the committee's review, decisions and awards. "
        "An award is a granted nomination: its award_id is the nomination's id."
    ),
    route_handlers=[
        campaigns.create_campaign,
        campaigns.list_campaigns,
        campaigns.get_campaign,
        campaigns.close_campaign,
        campaigns.open_campaign,
        campaigns.add_category,
        campaigns.update_category,
        nominations.create_nomination,
        nominations.list_nominations,
        nominations.get_nomination,
        nominations.nomination_history,
        nominations.withdraw_nomination,
        nominations.cast_vote,
        nominations.list_votes,
        nominations.approve_nomination,
        nominations.reject_nomination,
        decisions.create_decision,
        decisions.list_decisions,
        decisions.get_decision,
        awards.list_awards,
        awards.get_award,
        awards.revoke_award,
    ],
    consumers=consumers,
)


def create_app(settings: Settings | None = None) -> Litestar:
    return create_service_app(SPEC, settings)
