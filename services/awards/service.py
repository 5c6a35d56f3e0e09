"""The awards service, described once: what the skeleton builds and the `thidua` command runs."""

from __future__ import annotations

from pathlib import Path

from shared import events
from shared.db import Migrations
from shared.web import ServiceSpec

from . import consumes, snapshot
from .attachments.controller import AttachmentController
from .awards.controller import AwardController
from .campaigns.controller import CampaignController
from .council.controller import CouncilController
from .decisions.controller import DecisionController
from .documents.controller import DocumentController
from .eligibility.controller import EligibilityController
from .nominations import fast_path as nominations_fast_path
from .nominations import service as nominations
from .nominations.controller import NominationController
from .notices.controller import NoticeController
from .review.controller import ReviewController
from .titles.controller import TitleController

SERVICE = ServiceSpec(
    name="awards",
    port=8102,
    title="thidua – awards",
    description=(
        "Emulation campaigns, nominations, the committee's review, decisions and awards. "
        "An award is a granted nomination: its award_id is the nomination's id."
    ),
    controllers=[
        CampaignController,
        NominationController,
        ReviewController,
        DecisionController,
        AwardController,
        AttachmentController,
        CouncilController,
        NoticeController,
        EligibilityController,
        TitleController,
        DocumentController,
    ],
    migrations=Migrations(
        "awards", Path(__file__).parent / "migrations", shared_sets=("common", "unit_copy", "account_blocks")
    ),
    publishes=events.AWARDS_STREAM,
    subscriptions=[consumes.UNITS, consumes.EVENTS],
    snapshot=snapshot.snapshot,
    on_startup=[nominations.start_writing],
    before_framework={("POST", "/nominations"): nominations_fast_path.create_nomination},
)
