"""The units service's app: its routes on the common service skeleton."""

from __future__ import annotations

from litestar import Litestar

from shared.settings import Settings
from shared.web import ServiceSpec, create_service_app

from .routes import accounts, auth, people, units

SPEC = ServiceSpec(
    name="units",
    title="thidua – units",
    description="The unit tree, people, accounts and tokens of the province's emulation work.",
    route_handlers=[
        auth.token,
        auth.jwks,
        auth.me,
        accounts.create_account,
        accounts.list_accounts,
        accounts.get_account,
        units.create_unit,
        units.list_units,
        units.get_unit,
        units.update_unit,
        units.import_units,
        people.create_person,
        people.list_people,
        people.get_person,
        people.update_person,
    ],
    on_startup=[auth.load_keys],
)


def create_app(settings: Settings | None = None) -> Litestar:
    return create_service_app(SPEC, settings)
