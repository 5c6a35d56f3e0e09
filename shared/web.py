"""The one way a service is built: its Litestar app, lifespan and health.

`create_service_app(spec)` wires what every service has: settings, logs,
migrations, the asyncpg pool, NATS and the streams, the outbox relay, the
service's consumers, token verification, problem documents, health, OpenAPI
and Idempotency-Key handling. A service brings its routes and consumers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from litestar import Litestar, Request, get
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, OpenAPIType, Schema
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.response import Response
from litestar.template import TemplateConfig
from litestar.types import ControllerRouterHandler

from shared import auth, db, logs, messaging
from shared.consumer import Consumer
from shared.idempotency import IdempotencyMiddleware
from shared.outbox import Relay
from shared.problems import EXCEPTION_HANDLERS, PROBLEM_JSON
from shared.settings import MAX_BODY_BYTES, Settings

log = logging.getLogger(__name__)


Hook = Callable[[State], Awaitable[None]]
ConsumersFactory = Callable[[State], Sequence[Consumer]]


@dataclass
class ServiceSpec:
    name: str
    title: str
    description: str
    route_handlers: list[ControllerRouterHandler]
    consumers: ConsumersFactory = lambda state: ()
    on_startup: list[Hook] = field(default_factory=list)
    template_dir: Path | None = None
    dependencies: dict[str, Provide] = field(default_factory=dict)


@get("/health/live", include_in_schema=False, sync_to_thread=False)
def live() -> dict[str, str]:
    return {"status": "ok"}


@get("/health/ready", include_in_schema=False)
async def ready(state: State) -> Response[dict[str, Any]]:
    checks = {"database": False, "nats": False}
    try:
        async with asyncio.timeout(2):
            checks["database"] = await state.pool.fetchval("SELECT true")
    except Exception:
        pass
    checks["nats"] = bool(state.nc.is_connected)
    ok = all(checks.values())
    return Response({"status": "ok" if ok else "unavailable", "checks": checks}, status_code=200 if ok else 503)


async def provide_pool(state: State) -> asyncpg.Pool:
    return state.pool


async def provide_settings(state: State) -> Settings:
    return state.settings


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
                description = "Bad request" if status == "400" else "The request was refused; the problem document says why"
                responses[status] = OpenAPIResponse(
                    description=description, content={PROBLEM_JSON: OpenAPIMediaType(schema=_PROBLEM)}
                )
            operation.responses = responses


def create_service_app(spec: ServiceSpec, settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env(spec.name)
    logs.configure(spec.name, settings.log_level)

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        state = app.state
        state.settings = settings
        await db.prepare_database(settings.server_url, settings.database_url, spec.name)
        state.pool = await db.create_pool(settings.database_url, settings.pool_min, settings.pool_max)
        state.nc = await messaging.connect(settings.nats_url, f"thidua-{spec.name}")
        state.js = state.nc.jetstream()
        consumers: list[Consumer] = []
        relay = Relay(
            state.pool,
            state.js,
            spec.name,
            poll_seconds=settings.relay_poll_seconds,
            retention_days=settings.outbox_retention_days,
        )
        state.relay = relay
        try:
            await messaging.provision_streams(state.js)
            state.verifier = auth.TokenVerifier(auth.jwks_fetcher(settings.units_url))
            for hook in spec.on_startup:
                await hook(state)
            relay.start()
            for consumer in spec.consumers(state):
                await consumer.start()
                consumers.append(consumer)
            state.consumers = consumers
            log.info("service started", extra={"consumers": len(consumers)})
            yield
        finally:
            # Graceful: stop taking events, flush what is being published, then close.
            for consumer in consumers:
                await consumer.stop()
            await relay.stop()
            with contextlib.suppress(Exception):
                await state.js.publish_async_completed()
            with contextlib.suppress(Exception):
                await state.nc.drain()
            await state.pool.close()
            log.info("service stopped")

    template_config = None
    if spec.template_dir is not None:
        from litestar.contrib.jinja import JinjaTemplateEngine

        template_config = TemplateConfig(directory=spec.template_dir, engine=JinjaTemplateEngine)

    return Litestar(
        route_handlers=[live, ready, *spec.route_handlers],
        lifespan=[lifespan],
        on_startup=[document_problems],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        middleware=[IdempotencyMiddleware],
        dependencies={
            "pool": Provide(provide_pool),
            "settings": Provide(provide_settings),
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
