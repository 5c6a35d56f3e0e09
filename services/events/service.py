"""The events service, described once: what the skeleton builds and the `thidua` command runs."""

from __future__ import annotations

from pathlib import Path

from shared import events
from shared.db import Migrations
from shared.web import ServiceSpec

from . import consumes, snapshot
from .ceremonies.controller import CeremonyController
from .directives.controller import DirectiveController
from .directives.report_controller import ReportController
from .notices.controller import NoticeController
from .roll.cache import start_roll_cache, stop_roll_cache
from .roll.controller import RollController
from .roll.index import start_roll_index, stop_roll_index
from .verify.controller import VerifyController

SERVICE = ServiceSpec(
    name="events",
    port=8103,
    title="thidua – events",
    description="Recognition ceremonies, the public honour roll and the public notice of nominations "
    "(read models of the awards' events).",
    controllers=[
        RollController,
        CeremonyController,
        NoticeController,
        VerifyController,
        DirectiveController,
        ReportController,
    ],
    migrations=Migrations(
        "events", Path(__file__).parent / "migrations", shared_sets=("common", "unit_copy", "account_blocks")
    ),
    publishes=events.EVENTS_STREAM,
    subscriptions=consumes.SUBSCRIPTIONS,
    snapshot=snapshot.snapshot,
    on_startup=[start_roll_cache, start_roll_index],
    on_shutdown=[stop_roll_index, stop_roll_cache],
    template_dir=Path(__file__).parent / "templates",
)
