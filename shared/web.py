"""The one way a service is built: its Litestar app, lifespan and health.

A service describes itself in one `ServiceSpec` (its `service.py`): name,
port, controllers, migrations, the stream it publishes on, its
subscriptions, its snapshot. `create_service_app(spec)` wires what every
service has from it: settings, logs, migrations, the asyncpg pool, NATS and
the streams, the outbox relay, the consumers, token verification, problem
documents, health, OpenAPI, Idempotency-Key handling, and the dependencies
every handler may ask for (`service`, `pool`, `conn`, `settings`, `paging`,
`principal`, `caller`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from litestar import Litestar, Request, get
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, OpenAPIType, Schema
from litestar.response import Response
from litestar.template import TemplateConfig
from litestar.types import ControllerRouterHandler

from shared import auth, db, events, logs, messaging
from shared.consumer import Consumer, Subscription
from shared.db import Migrations
from shared.idempotency import IdempotencyMiddleware
from shared.outbox import Item, Relay
from shared.pagination import provide_page_query
from shared.problems import EXCEPTION_HANDLERS, PROBLEM_JSON
from shared.settings import MAX_BODY_BYTES, Settings
from shared.state import STATE_KEY, ServiceState, service_state

log = logging.getLogger(__name__)


Hook = Callable[[ServiceState], Awaitable[None]]
Snapshot = Callable[[asyncpg.Connection, int], AsyncIterator[list[Item]]]


@dataclass(frozen=True)
class ServiceSpec:
    """Everything a service is, in one place: the skeleton builds it from this, the `thidua` command reads it."""

    name: str
    port: int  # its default port on one machine
    title: str
    description: str
    controllers: Sequence[ControllerRouterHandler]
    migrations: Migrations
    publishes: events.Stream | None = None
    subscriptions: Sequence[Subscription] = ()
    # Every aggregate it owns restated as events at their current versions (`thidua republish`).
    snapshot: Snapshot | None = None
    on_startup: Sequence[Hook] = ()
    on_shutdown: Sequence[Hook] = ()
    template_dir: Path | None = None
    dependencies: Mapping[str, Provide] = field(default_factory=dict)

    @property
    def streams(self) -> list[events.Stream]:
        """The streams it provisions: the one it publishes on and those it reads."""
        found = [self.publishes] if self.publishes else []
        return found + [s.stream for s in self.subscriptions]


@get("/health/live", include_in_schema=False, sync_to_thread=False)
def live() -> dict[str, str]:
    return {"status": "ok"}


@get("/health/ready", include_in_schema=False)
async def ready(service: ServiceState) -> Response[dict[str, Any]]:
    checks = {"database": False, "nats": False}
    try:
        async with asyncio.timeout(2):
            checks["database"] = bool(await service.pool.fetchval("SELECT true"))
    except Exception:
        pass
    checks["nats"] = bool(service.nc.is_connected)
    ok = all(checks.values())
    return Response({"status": "ok" if ok else "unavailable", "checks": checks}, status_code=200 if ok else 503)


def provide_service(request: Request[Any, Any, Any]) -> ServiceState:
    return service_state(request.app)


def provide_pool(service: ServiceState) -> asyncpg.Pool:
    return service.pool


def provide_settings(service: ServiceState) -> Settings:
    return service.settings


async def provide_connection(service: ServiceState) -> AsyncGenerator[asyncpg.Connection, None]:
    """One pooled connection for the request, given back when the answer is sent."""
    async with service.pool.acquire() as conn:
        yield conn


_FIELD_ERROR = Schema(
    type=OpenAPIType.OBJECT,
    required=["field", "message"],
    properties={"field": Schema(type=OpenAPIType.STRING), "message": Schema(type=OpenAPIType.STRING)},
)
_PROBLEM = Schema(
    type=OpenAPIType.OBJECT,
    required=["type", "title", "status", "detail"],
    properties={
        "type": Schema(type=OpenAPIType.STRING),
        "title": Schema(type=OpenAPIType.STRING),
        "status": Schema(type=OpenAPIType.INTEGER),
        "detail": Schema(type=OpenAPIType.STRING),
        "instance": Schema(type=OpenAPIType.STRING),
        "errors": Schema(type=OpenAPIType.ARRAY, items=_FIELD_ERROR),
    },
    description="An RFC 9457 problem document",
)


def document_problems(app: Litestar) -> None:
    """Say in the OpenAPI what every call answers on bad input: a problem document for any 4xx.

    Litestar documents its own 400 as `application/json` with `status_code`/`extra`, which
    no service sends (shared.problems answers every error as application/problem+json), and
    leaves 401/403/404/409 out; a client generated from the schema would expect neither.
    """
    openapi = app.openapi_schema
    for item in (openapi.paths or {}).values():
        for method in ("get", "put", "post", "delete", "patch", "head"):
            operation = getattr(item, method, None)
            if operation is None:
                continue
            responses = dict(operation.responses or {})
            for status in [s for s in responses if s.startswith("4")] + ["4XX"]:
                description = (
                    "Bad request" if status == "400" else "The request was refused; the problem document says why"
                )
                responses[status] = OpenAPIResponse(
                    description=description, content={PROBLEM_JSON: OpenAPIMediaType(schema=_PROBLEM)}
                )
            operation.responses = responses


def create_service_app(spec: ServiceSpec, settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env(spec.name)
    logs.configure(spec.name, settings.log_level)

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        await db.prepare_database(settings.database.server_url, settings.database.url, spec.migrations)
        pool = await db.create_pool(settings.database.url, settings.database.pool_min, settings.database.pool_max)
        nc = await messaging.connect(settings.nats.url, f"thidua-{spec.name}")
        js = nc.jetstream()
        relay = Relay(
            pool,
            js,
            spec.name,
            poll_seconds=settings.delivery.relay_poll_seconds,
            retention_days=settings.delivery.outbox_retention_days,
        )
        service = ServiceState(
            settings=settings,
            pool=pool,
            nc=nc,
            js=js,
            relay=relay,
            verifier=auth.TokenVerifier(auth.jwks_fetcher(settings.auth.units_url)),
        )
        app.state[STATE_KEY] = service
        try:
            await messaging.provision_streams(js, spec.streams, settings.nats.stream_replicas)
            for hook in spec.on_startup:
                await hook(service)
            relay.start()
            for subscription in spec.subscriptions:
                consumer = Consumer(pool, js, subscription, max_deliver=settings.delivery.max_deliver)
                await consumer.start()
                service.consumers.append(consumer)
            log.info("service started", extra={"consumers": len(service.consumers)})
            yield
        finally:
            # Graceful: stop taking events, flush what is being published, then close.
            for consumer in service.consumers:
                await consumer.stop()
            await relay.stop()
            for hook in spec.on_shutdown:
                with contextlib.suppress(Exception):
                    await hook(service)
            with contextlib.suppress(Exception):
                await js.publish_async_completed()
            with contextlib.suppress(Exception):
                await nc.drain()
            await pool.close()
            log.info("service stopped")

    template_config = None
    if spec.template_dir is not None:
        from litestar.contrib.jinja import JinjaTemplateEngine

        template_config = TemplateConfig(directory=spec.template_dir, engine=JinjaTemplateEngine)

    return Litestar(
        route_handlers=[live, ready, *spec.controllers],
        lifespan=[lifespan],
        on_startup=[document_problems],
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[IdempotencyMiddleware],
        dependencies={
            "service": Provide(provide_service, sync_to_thread=False),
            "pool": Provide(provide_pool, sync_to_thread=False),
            "settings": Provide(provide_settings, sync_to_thread=False),
            "conn": Provide(provide_connection),
            "paging": Provide(provide_page_query, sync_to_thread=False),
            "principal": Provide(auth.provide_principal),
            "caller": Provide(auth.provide_optional_principal),
            **spec.dependencies,
        },
        openapi_config=OpenAPIConfig(
            title=spec.title,
            version="1.0.0",
            description=spec.description,
            path="/schema",
            render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin(path="/swagger")],
        ),
        template_config=template_config,
        request_max_body_size=MAX_BODY_BYTES,
        debug=False,
    )


def request_ip(request: Request) -> str:
    client = request.client
    return client.host if client else "unknown"
