"""The console, described once: the web application of the people who do the work.

Unit officers, the standing committee and the administrator sign in here and
act through the three services' HTTP APIs with their own tokens (`client.py`),
so every rule stays the services' rule. It holds no business data: its
database keeps only sessions (`migrations/`), on the server, so that signing
out, the idle limit or a locked account ends one for good. It publishes
nothing; it consumes only the units service's account events, to know which
accounts are disabled (`consumes.py`). Its pages, fields and buttons are those of the
console's contract (UI.md), in Vietnamese, and work without JavaScript.
"""

from __future__ import annotations

from pathlib import Path

from litestar import Router
from litestar.datastructures import CacheControlHeader
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.static_files import create_static_files_router

from shared.db import Migrations
from shared.web import ServiceSpec

from . import consumes
from .admin.accounts import AccountController
from .admin.people import PeopleController
from .admin.titles import TitleImportController
from .admin.units import UnitController
from .attachments.controller import AttachmentController
from .campaigns.controller import CampaignController
from .ceremonies.controller import CeremonyController
from .client import close_client, open_client
from .decisions.controller import DecisionController
from .directives.controller import DirectivePageController
from .documents.controller import DocumentDownloadController
from .imports.controller import NominationImportController
from .nominations.controller import NominationController
from .notices.controller import NoticeController
from .pages import EXCEPTION_HANDLERS, STATIC, PageHeaders
from .review.controller import ReviewController
from .session.controller import SessionController
from .session.guards import PUBLIC, protect, provide_api, provide_session

HERE = Path(__file__).parent

# Every page behind one router: the session and CSRF guard, the security headers and the call count.
PAGES = Router(
    path="/",
    route_handlers=[
        SessionController,
        NominationController,
        AttachmentController,
        NominationImportController,
        ReviewController,
        DecisionController,
        DocumentDownloadController,
        NoticeController,
        CampaignController,
        CeremonyController,
        DirectivePageController,
        AccountController,
        UnitController,
        PeopleController,
        TitleImportController,
        create_static_files_router(
            path="/static",
            directories=[STATIC],
            name="console_static",
            include_in_schema=False,
            opt={PUBLIC: True},
            # Safe to keep: the pages link it with its content's hash (pages.STYLE_URL).
            cache_control=CacheControlHeader(max_age=365 * 24 * 3600, public=True),
        ),
    ],
    guards=[protect],
    middleware=[DefineMiddleware(PageHeaders)],
    dependencies={"api": Provide(provide_api), "session": Provide(provide_session)},
    include_in_schema=False,
)

SERVICE = ServiceSpec(
    name="console",
    port=8100,
    title="thidua – console",
    description="The web console of officers, the committee and the administrator (pages, not an API).",
    controllers=[PAGES],
    # Its sessions, and which accounts are disabled (whose sessions end at once).
    migrations=Migrations("console", HERE / "migrations", shared_sets=("common", "account_blocks")),
    subscriptions=[consumes.ACCOUNTS],
    on_startup=[open_client],
    on_shutdown=[close_client],
    template_dir=HERE / "templates",
    # It answers people: every error is a page (`pages.handle`), also on paths no route matches.
    exception_handlers=EXCEPTION_HANDLERS,
)
