"""What the `thidua` command reads from its environment: the one place it does, as small typed groups.

Each verb reads only the group it needs, so a bad `WORKERS` stops `thidua run`
and nothing else. The services read their own settings (`shared/settings.py`);
`thidua run` hands them this process's environment as it is (`devstack.service_env`).

    DATABASE_URL                  the PostgreSQL server of the services' databases (run: instead of the embedded one)
    NATS_URL                      run: a NATS server instead of the embedded one
    THIDUA_VAR                    run: the folder of the local stack's data and logs (default ./var)
    WORKERS                       run: granian workers per service (default 1)
    THIDUA_ADMIN_PASSWORD         run: the first admin's password (default: generated, shown once); the demo
                                  loader logs in with it to complete a load cut short
    THIDUA_DEMO_PASSWORD          the demo accounts' password (default demo-2014)
    THIDUA_UNITS_URL, THIDUA_AWARDS_URL, THIDUA_EVENTS_URL
                                  the office verbs: the services to talk to (default: the local `thidua run`)
    THIDUA_USERNAME               the office verbs: the account to act as (default admin)
    THIDUA_PASSWORD               the office verbs: its password (default: asked at the prompt)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from thidua.apiclient import DEFAULT_URLS

DEFAULT_DEMO_PASSWORD = "demo-2014"


def _set(env: Mapping[str, str], name: str) -> str | None:
    """The variable's value; an empty one counts as unset, as a shell's `NAME=` means."""
    return env.get(name) or None


@dataclass(frozen=True)
class DatabaseServer:
    """The PostgreSQL server holding every service's database (each named by `shared.settings.service_database_url`)."""

    url: str | None

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> DatabaseServer:
        return cls(url=_set(env, "DATABASE_URL"))


@dataclass(frozen=True)
class LocalStack:
    """`thidua run`: where the local stack keeps its data, and the servers it starts only when none is given."""

    var: Path
    database_url: str | None
    nats_url: str | None
    workers: int
    admin_password: str | None
    port_offset: int = 0  # added to every service's default port (8100..8103), to run a second stack beside one

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> LocalStack:
        return cls(
            var=Path(env.get("THIDUA_VAR", Path.cwd() / "var")).resolve(),
            database_url=_set(env, "DATABASE_URL"),
            nats_url=_set(env, "NATS_URL"),
            workers=int(env.get("WORKERS", "1")),
            admin_password=_set(env, "THIDUA_ADMIN_PASSWORD"),
            port_offset=int(env.get("THIDUA_PORT_OFFSET", "0")),
        )


@dataclass(frozen=True)
class Demo:
    """The demo loader: the password of the accounts it opens, and the admin's, to complete a load cut short."""

    password: str
    admin_password: str | None

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Demo:
        return cls(
            password=_set(env, "THIDUA_DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD,
            admin_password=_set(env, "THIDUA_ADMIN_PASSWORD"),
        )


@dataclass(frozen=True)
class Office:
    """The office verbs: the running system they talk to, and who they act as."""

    urls: Mapping[str, str]  # service name -> base URL
    username: str
    password: str | None  # None: ask at the prompt

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Office:
        return cls(
            urls={name: env.get(f"THIDUA_{name.upper()}_URL", DEFAULT_URLS[name]) for name in DEFAULT_URLS},
            username=env.get("THIDUA_USERNAME", "admin"),
            password=_set(env, "THIDUA_PASSWORD"),
        )
