"""Settings read once from the environment, as small typed groups."""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

SERVICES = ("units", "awards", "events")
DEFAULT_PORTS = {"units": 8101, "awards": 8102, "events": 8103}
MAX_BODY_BYTES = 5 * 1024 * 1024  # larger bodies get 413


def service_database_url(server_url: str, service: str) -> str:
    """The URL of a service's own database on the server that `server_url` names."""
    override = os.environ.get(f"{service.upper()}_DATABASE_URL")
    if override:
        return override
    prefix = os.environ.get("THIDUA_DB_PREFIX", "thidua")
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path=f"/{prefix}_{service}"))


@dataclass(frozen=True, slots=True)
class Settings:
    service: str
    database_url: str  # the service's own database
    server_url: str  # the PostgreSQL server, for creating the database
    nats_url: str
    units_url: str  # where the token verification keys are published
    token_ttl_seconds: int
    pool_min: int
    pool_max: int
    max_deliver: int
    relay_poll_seconds: float
    outbox_retention_days: int
    log_level: str

    @classmethod
    def from_env(cls, service: str) -> Settings:
        if service not in SERVICES:
            raise ValueError(f"unknown service {service!r}")
        env = os.environ
        server_url = env.get("DATABASE_URL")
        if not server_url:
            raise RuntimeError("DATABASE_URL is not set: run through `make run` or set it")
        return cls(
            service=service,
            database_url=service_database_url(server_url, service),
            server_url=server_url,
            nats_url=env.get("NATS_URL", "nats://127.0.0.1:4222"),
            units_url=env.get("UNITS_URL", f"http://127.0.0.1:{DEFAULT_PORTS['units']}").rstrip("/"),
            token_ttl_seconds=int(env.get("TOKEN_TTL_SECONDS", "900")),
            pool_min=int(env.get("DB_POOL_MIN", "2")),
            pool_max=int(env.get("DB_POOL_MAX", "10")),
            max_deliver=int(env.get("MAX_DELIVER", "5")),
            relay_poll_seconds=float(env.get("RELAY_POLL_SECONDS", "1.0")),
            outbox_retention_days=int(env.get("OUTBOX_RETENTION_DAYS", "30")),
            log_level=env.get("LOG_LEVEL", "INFO"),
        )
