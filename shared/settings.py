"""A service's settings, read once from the environment, as small typed groups.

This is the one place a service reads its environment; the `thidua` command
reads its own in `thidua/settings.py`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

MAX_BODY_BYTES = 5 * 1024 * 1024  # larger bodies get 413
# The largest upload a route takes (its own `request_max_body_size`): a dossier's file of 20 MiB with its
# multipart headers (services/awards/attachments). The Idempotency-Key middleware reads multipart bodies up to it.
MAX_UPLOAD_BODY_BYTES = 21 * 1024 * 1024
DEFAULT_UNITS_URL = "http://127.0.0.1:8101"
DEFAULT_AWARDS_URL = "http://127.0.0.1:8102"
DEFAULT_EVENTS_URL = "http://127.0.0.1:8103"


def service_database_url(server_url: str, service: str, env: Mapping[str, str] = os.environ) -> str:
    """The URL of a service's own database on the server that `server_url` names.

    `<SERVICE>_DATABASE_URL` overrides it; `THIDUA_DB_PREFIX` (default `thidua`) names it `<prefix>_<service>`.
    """
    override = env.get(f"{service.upper()}_DATABASE_URL")
    if override:
        return override
    prefix = env.get("THIDUA_DB_PREFIX", "thidua")
    return urlunsplit(urlsplit(server_url)._replace(path=f"/{prefix}_{service}"))


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    url: str  # the service's own database
    server_url: str  # the PostgreSQL server, for creating the database
    pool_min: int
    pool_max: int


@dataclass(frozen=True, slots=True)
class NatsSettings:
    url: str  # one server, or a cluster's servers separated by commas
    stream_replicas: int  # 1 on a single server; 3 on a three-node cluster
    stream_max_age_days: float  # a stream drops messages older than this (the outbox is the record)
    stream_max_bytes: int  # and its oldest messages past this size


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    max_deliver: int  # failed attempts before an event is dead-lettered
    relay_poll_seconds: float  # the relay's back-stop poll when no notification wakes it
    outbox_retention_days: int  # sent outbox rows and inbox rows are kept this long


@dataclass(frozen=True, slots=True)
class AuthSettings:
    units_url: str  # where the token verification keys are published
    token_ttl_seconds: int


@dataclass(frozen=True, slots=True)
class PeerSettings:
    """Where the other services answer, for a service that calls them over HTTP (the console).

    The units service's URL is `AuthSettings.units_url` (every service fetches its keys there).
    """

    awards_url: str
    events_url: str
    # Where the public reaches the events service (`EVENTS_PUBLIC_URL`, default `EVENTS_URL`): the awards
    # service prints `<it>/verify/<code>` on each certificate, as text and as a QR code.
    events_public_url: str = DEFAULT_EVENTS_URL


@dataclass(frozen=True, slots=True)
class Settings:
    service: str
    database: DatabaseSettings
    nats: NatsSettings
    delivery: DeliverySettings
    auth: AuthSettings
    peers: PeerSettings
    log_level: str

    @classmethod
    def from_env(cls, service: str, env: Mapping[str, str] = os.environ) -> Settings:
        server_url = env.get("DATABASE_URL")
        if not server_url:
            raise RuntimeError("DATABASE_URL is not set: run through `make run` or set it")
        return cls(
            service=service,
            database=DatabaseSettings(
                url=service_database_url(server_url, service, env),
                server_url=server_url,
                pool_min=int(env.get("DB_POOL_MIN", "2")),
                pool_max=int(env.get("DB_POOL_MAX", "10")),
            ),
            nats=NatsSettings(
                url=env.get("NATS_URL", "nats://127.0.0.1:4222"),
                stream_replicas=int(env.get("NATS_STREAM_REPLICAS", "1")),
                stream_max_age_days=float(env.get("NATS_STREAM_MAX_AGE_DAYS", "30")),
                stream_max_bytes=int(env.get("NATS_STREAM_MAX_BYTES", str(1024**3))),
            ),
            delivery=DeliverySettings(
                max_deliver=int(env.get("MAX_DELIVER", "5")),
                relay_poll_seconds=float(env.get("RELAY_POLL_SECONDS", "1.0")),
                outbox_retention_days=int(env.get("OUTBOX_RETENTION_DAYS", "30")),
            ),
            auth=AuthSettings(
                units_url=env.get("UNITS_URL", DEFAULT_UNITS_URL).rstrip("/"),
                token_ttl_seconds=int(env.get("TOKEN_TTL_SECONDS", "900")),
            ),
            peers=PeerSettings(
                awards_url=env.get("AWARDS_URL", DEFAULT_AWARDS_URL).rstrip("/"),
                events_url=env.get("EVENTS_URL", DEFAULT_EVENTS_URL).rstrip("/"),
                events_public_url=(env.get("EVENTS_PUBLIC_URL") or env.get("EVENTS_URL") or DEFAULT_EVENTS_URL).rstrip(
                    "/"
                ),
            ),
            log_level=env.get("LOG_LEVEL", "INFO"),
        )
