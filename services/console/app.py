"""The console's app, built by the common skeleton from its description (`service.py`)."""

from __future__ import annotations

from litestar import Litestar

from shared.settings import Settings
from shared.web import create_service_app

from .service import SERVICE


def create_app(settings: Settings | None = None) -> Litestar:
    return create_service_app(SERVICE, settings)
