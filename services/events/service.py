"""The events service, described once: what the skeleton builds and the `thidua` command runs."""

from __future__ import annotations

from pathlib import Path

from shared import events
from shared.db import Migrations
from shared.web import ServiceSpec

from . import consumes, snapshot
from .ceremonies.controller import CeremonyController
from .notices.controller import NoticeController
from .roll.cache import start_roll_cache, stop_roll_cache
from .roll.controller import RollController

SERVICE = ServiceSpec(
    name="events",
    port=8103,
    title="thidua – events",
    description="Recognition ceremonies, the public honour roll and the public notice of nominations "
    "(read models of the awards' events).",
    controllers=[RollController, CeremonyController, NoticeController],
    migrations=Migrations(
        "events", Path(__file__).parent / "migrations", shared_sets=("common", "unit_copy", "account_blocks")
    ),
    publishes=events.EVENTS_STREAM,
    subscriptions=consumes.SUBSCRIPTIONS,
    snapshot=snapshot.snapshot,
    on_startup=[start_roll_cache],
    on_shutdown=[stop_roll_cache],
    template_dir=Path(__file__).parent / "templates",
)
