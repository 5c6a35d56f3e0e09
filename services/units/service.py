"""The units service, described once: what the skeleton builds and the `thidua` command runs.

The unit tree, people, accounts and tokens. It publishes every unit and
person and account on the UNITS stream (`publishes.py`) and consumes nothing: no other
service's events change what it holds, so it has no `consumes.py` and no
subscriptions.
"""

from __future__ import annotations

from pathlib import Path

from shared import events
from shared.db import Migrations
from shared.web import ServiceSpec

from . import snapshot
from .accounts.controller import AccountController
from .auth.controller import AuthController
from .auth.keys import load_keys
from .people.controller import PersonController
from .units.controller import UnitController

SERVICE = ServiceSpec(
    name="units",
    port=8101,
    title="thidua – units",
    description="The unit tree, people, accounts and tokens of the province's emulation work.",
    controllers=[AuthController, AccountController, UnitController, PersonController],
    migrations=Migrations("units", Path(__file__).parent / "migrations", shared_sets=("common", "account_blocks")),
    publishes=events.UNITS_STREAM,
    snapshot=snapshot.snapshot,
    on_startup=[load_keys],
)
