"""The one way a service is built: its Litestar app, lifespan and health.

A service describes itself in one `ServiceSpec` (its `service.py`): name,
port, controllers, migrations, the stream it publishes on, its
subscriptions, its snapshot. `create_service_app(spec)` wires what every
service has from it: settings, logs, migrations, the asyncpg pool, NATS and
the streams, the outbox relay, the consumers, token verification (refusing
disabled accounts, when its migrations name `account_blocks`), problem
documents, health, metrics (`shared/metrics.py`), traces and request ids
(`shared/tracing.py`), OpenAPI (its pages and their scripts served by the
service itself, so they work offline), Idempotency-Key handling, and the
dependencies every handler may ask for (`service`, `pool`, `conn`, `settings`,
`paging`, `principal`, `caller`); and the hot routes it names done before
the framework (`shared/fast_path.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from litestar import Litestar, Request, get
from litestar.datastructures import CacheControlHeader
from litestar.di import Provide
from litestar.exceptions import NotFoundException
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import OpenAPIRenderPlugin, ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import (
    Components,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Schema,
    SecurityRequirement,
    SecurityScheme,
)
from litestar.response import Response
from litestar.routes import HTTPRoute
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig
from litestar.types import ControllerRouterHandler, ExceptionHandlersMap

from shared import account_blocks, auth, db, events, fast_path, logs, messaging, metrics, outbox, tracing
from shared.consumer import Consumer, Subscription
from shared.db import Migrations
from shared.http_metrics import instrument as measure_requests
from shared.idempotency import IdempotencyMiddleware
from shared.outbox import Item, Relay
from shared.pagination import provide_page_query
from shared.problems import EXCEPTION_HANDLERS, PROBLEM_JSON, Problem, problem_response
from shared.settings import MAX_BODY_BYTES, Settings
from shared.state import STATE_KEY, ServiceState, service_state
from shared.uploads import DrainRefusedUpload

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
    # How errors are answered: problem documents for programs, unless the service answers people (pages).
    exception_handlers: ExceptionHandlersMap = field(default_factory=lambda: dict(EXCEPTION_HANDLERS))
    # Hot routes done before the framework for plain requests that succeed (shared/fast_path.py).
    before_framework: fast_path.Routes = field(default_factory=dict)

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
    """Its PostgreSQL and NATS connections work (API.md)."""
    return _health({"database": await _database_answers(service), "nats": bool(service.nc.is_connected)})


@get("/health/serving", include_in_schema=False)
async def serving(service: ServiceState) -> Response[dict[str, Any]]:
    """Fit to take requests: its PostgreSQL answers. With NATS away writes still commit, their events wait in
    the outbox, so a load balancer should keep sending it requests: the Kubernetes readiness probe's path
    (deploy/k8s); `/health/ready` would take every replica out of service for the whole NATS outage."""
    return _health({"database": await _database_answers(service)})


async def _database_answers(service: ServiceState) -> bool:
    try:
        async with asyncio.timeout(2):
            return bool(await service.pool.fetchval("SELECT true"))
    except Exception:
        return False


def _health(checks: dict[str, bool]) -> Response[dict[str, Any]]:
    ok = all(checks.values())
    return Response({"status": "ok" if ok else "unavailable", "checks": checks}, status_code=200 if ok else 503)


def provide_service(request: Request[Any, Any, Any]) -> ServiceState:
    return service_state(request.app)


def provide_pool(service: ServiceState) -> asyncpg.Pool:
    return service.pool


def provide_settings(service: ServiceState) -> Settings:
    return service.settings


async def provide_connection(service: ServiceState) -> AsyncGenerator[asyncpg.Connection, None]:
    """One pooled connection for the request, given back when the handler is done (outbox.request_connection)."""
    async with outbox.request_connection(service.pool) as conn:
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


BEARER_SCHEME = "bearerAuth"
_BEARER_DEFINITION = SecurityScheme(
    type="http",
    scheme="bearer",
    bearer_format="JWT",
    description="An access token from `POST /auth/token` of the units service; every service accepts it.",
)
_TOKEN_NEEDED: list[SecurityRequirement] = [{BEARER_SCHEME: []}]
# An empty requirement makes the token optional: sent, it may widen the answer (e.g. a revoked award).
_TOKEN_OPTIONAL: list[SecurityRequirement] = [{}, {BEARER_SCHEME: []}]


def _token_requirement(handler: HTTPRouteHandler) -> list[SecurityRequirement] | None:
    """What a handler asks of the caller's token: needed behind a guard (or for `principal`), optional for `caller`."""
    parameters = handler.parsed_fn_signature.parameters
    if handler.resolve_guards() or "principal" in parameters:
        return _TOKEN_NEEDED
    if "caller" in parameters:
        return _TOKEN_OPTIONAL
    return None


def document_security(app: Litestar) -> None:
    """Say in the OpenAPI which calls need the bearer token, so the docs' "Authorize" sends it.

    Read from the handlers themselves (their guards, or the `principal`/`caller` they take),
    once for every service, so no handler declares it and none can be forgotten.
    """
    paths = app.openapi_schema.paths or {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or (item := paths.get(route.path_format or "/")) is None:
            continue
        for handler in route.route_handlers:
            requirement = _token_requirement(handler)
            if requirement is None:
                continue
            for method in handler.http_methods:
                operation = getattr(item, method.lower(), None)
                if operation is not None:
                    operation.security = list(requirement)


# The docs' scripts and styles, vendored from npm (README.md there): served by every service,
# so /schema works on a machine without internet.
OPENAPI_ASSETS = Path(__file__).parent / "openapi_assets"
ASSETS_PATH = "/schema/assets"


@functools.cache
def _asset_url(name: str) -> str:
    """The file's URL, its content's hash in the query: browsers keep it a year and fetch again when it changes."""
    digest = hashlib.sha256((OPENAPI_ASSETS / name).read_bytes()).hexdigest()[:12]
    return f"{ASSETS_PATH}/{name}?v={digest}"


# Scalar reaches out by default: web fonts, a request proxy for "Test Request" (which would send
# the caller's token to a third party), an agent and telemetry. All off: the docs use only this host.
_SCALAR_OPTIONS: dict[str, Any] = {
    "withDefaultFonts": False,
    "proxyUrl": "",
    "telemetry": False,
    "agent": {"disabled": True},
    "mcp": {"disabled": True},
    "showDeveloperTools": "never",
    "persistAuth": False,  # the token stays out of the browser's storage
    # Its token field shown at once, not behind "Select Auth Type".
    "authentication": {"preferredSecurityScheme": BEARER_SCHEME},
}


def docs_plugins() -> list[OpenAPIRenderPlugin]:
    """Scalar at `/schema`, Swagger UI at `/schema/swagger`, each loading only the project's files."""
    favicon = f"<link rel='icon' type='image/svg+xml' href='{_asset_url('favicon.svg')}'>"
    return [
        ScalarRenderPlugin(
            js_url=_asset_url("scalar/standalone.js"),
            css_url=_asset_url("scalar.css"),
            options=_SCALAR_OPTIONS,
            favicon=favicon,
        ),
        SwaggerRenderPlugin(
            js_url=_asset_url("swagger-ui/swagger-ui-bundle.js"),
            css_url=_asset_url("swagger-ui/swagger-ui.css"),
            standalone_preset_js_url=_asset_url("swagger-ui/swagger-ui-standalone-preset.js"),
            path="/swagger",
            favicon=favicon,
        ),
    ]


def _no_such_asset(request: Request, _: NotFoundException) -> Response:
    # Litestar's own detail names the folder on the server's disk.
    return problem_response(Problem(404, "no such file among the API docs' assets"), request.url.path)


def _refuse_nul(request: Request) -> None:
    # A NUL byte reaches the file system as a ValueError (a 500), not a missing file.
    if "\x00" in request.url.path:
        raise NotFoundException()


def docs_assets() -> ControllerRouterHandler:
    """The router that serves those files under `/schema/assets/`, out of the schema."""
    return create_static_files_router(
        path=ASSETS_PATH,
        directories=[OPENAPI_ASSETS],
        name="openapi_assets",
        # Kept a year without asking again: a changed file has a new URL (the hash in `_asset_url`).
        cache_control=CacheControlHeader(max_age=365 * 24 * 3600, public=True, immutable=True),
        include_in_schema=False,
        before_request=_refuse_nul,
        exception_handlers={NotFoundException: _no_such_asset},
    )


def create_service_app(spec: ServiceSpec, settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env(spec.name)
    logs.configure(spec.name, settings.log_level)
    # Spans exported only when an OTLP endpoint is configured (shared/tracing.py).
    tracing.configure(spec.name)

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
            nc=nc,
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
            await messaging.provision_streams(
                js,
                spec.streams,
                settings.nats.stream_replicas,
                messaging.StreamLimits(settings.nats.stream_max_age_days, settings.nats.stream_max_bytes),
            )
            if account_blocks.MIGRATION_SET in spec.migrations.shared_sets:
                # Before the first request: a disabled account's token is never let through at start.
                await account_blocks.start(service)
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
            await account_blocks.stop(service)
            for hook in spec.on_shutdown:
                with contextlib.suppress(Exception):
                    await hook(service)
            with contextlib.suppress(Exception):
                await js.publish_async_completed()
            with contextlib.suppress(Exception):
                await nc.drain()
            await pool.close()
            log.info("service stopped")
            tracing.flush()

    template_config = None
    if spec.template_dir is not None:
        from litestar.contrib.jinja import JinjaTemplateEngine

        template_config = TemplateConfig(directory=spec.template_dir, engine=JinjaTemplateEngine)

    app = Litestar(
        route_handlers=[live, ready, serving, metrics.metrics, docs_assets(), *spec.controllers],
        lifespan=[lifespan],
        on_startup=[document_problems, document_security],
        exception_handlers=dict(spec.exception_handlers),
        # First: an upload refused before its end is still answered (shared/uploads.py).
        middleware=[DrainRefusedUpload, IdempotencyMiddleware],
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
            render_plugins=docs_plugins(),
            components=Components(security_schemes={BEARER_SCHEME: _BEARER_DEFINITION}),
        ),
        template_config=template_config,
        request_max_body_size=MAX_BODY_BYTES,
        # The logs are shared/logs.py's (JSON, with the trace and request ids): Litestar's default config would
        # put its own text format on the root logger over them.
        logging_config=None,
        debug=False,
    )
    if spec.before_framework:
        app.asgi_handler = fast_path.BeforeFramework(app.asgi_handler, spec.before_framework)
    # Every request counted and timed by route, its 404 or 500 included (shared/http_metrics.py).
    app = measure_requests(app)
    # Every request in a server span, with a request id sent back and in its log lines (shared/tracing.py).
    app.asgi_handler = tracing.TraceRequests(app.asgi_handler)
    return app


def request_ip(request: Request) -> str:
    client = request.client
    return client.host if client else "unknown"
