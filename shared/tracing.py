"""Traces and request ids: one trace from an HTTP request through the outbox and NATS into every consumer.

Every HTTP request (`TraceRequests`, around the whole app, so a 404 or a 405 too)
gets a server span, the child of the client's W3C `traceparent` when it sends
one, and a request id: the client's `X-Request-ID` when it is sane (1 to 128
visible characters of a safe set), else a new one; it is sent back in the
answer's `X-Request-ID`. An outbox row keeps the trace context and the request
id of the request (or consumer) that wrote it (`shared/outbox.py`); the relay
publishes it in a span of its own, a child of the writer's, and passes that
span's context on as the message's `traceparent` header (and the request id as
`X-Request-ID`); a consumer runs each handler in a span that is the child of
the relay's (`consuming`). So one `POST /decisions` and the roll's update are
one trace. Every log line carries the trace id and the request id in force
(`shared/logs.py`); a consumer's, those of the event it applies.

Exporting is off unless an OTLP endpoint is configured, with OpenTelemetry's
own variables: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (the full URL) or
`OTEL_EXPORTER_OTLP_ENDPOINT` (the collector's base URL; `/v1/traces` is
added), OTLP over HTTP with protobuf. The SDK reads the rest itself
(`OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_SAMPLER`,
`OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_BSP_*`). Off, no span is made at all: a
request's trace context is only a traceparent string in a context variable (the
client's trace id, or a new one), which the outbox stores and the relay and the
consumers pass on as it came, so the logs of one request still match across
services; it costs a few microseconds a request or an event, and the SDK's
tracer, processors and exporter are never entered.
The cached answers of the roll (`services/events/roll/fast_path.py`) are served
before the app, so they carry neither span nor request id and cost nothing more.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import re
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Span, SpanKind, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

log = logging.getLogger(__name__)

# The request id of the request being answered, or of the event being applied.
REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID_RAW = REQUEST_ID_HEADER.lower().encode()
_SANE_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:@/+=-]{1,128}")
_TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")
_METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"))
_propagator = TraceContextTextMapPropagator()

_tracer: trace.Tracer = trace.NoOpTracer()  # until `use`: no span is made at all (silent)
_exporting: TracerProvider | None = None  # the provider this process made to export, to flush at the end
_making_spans = False  # a provider is in use: requests, publishes and consumers make spans
# Silent, the trace context in force is only this W3C traceparent: the request's (its client's trace id, or a new
# one, and a new span id), or that of the message being applied, passed on as it came. No span object, no SDK.
_SILENT_TRACEPARENT: ContextVar[str | None] = ContextVar("silent_traceparent", default=None)


def exporting_configured(env: Mapping[str, str] = os.environ) -> bool:
    """Is an OTLP endpoint configured for traces (and not switched off with OpenTelemetry's own variables)?"""
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    if env.get("OTEL_TRACES_EXPORTER", "").strip().lower() == "none":
        return False
    return bool(
        env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "").strip() or env.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip()
    )


def configure(service: str, env: Mapping[str, str] = os.environ) -> None:
    """Export this process's spans when an OTLP endpoint is configured; otherwise leave the silent tracer.

    Called once per process by `create_service_app`; a second service built in the same process
    (a test) shares the first one's provider.
    """
    global _exporting
    if _exporting is not None or not exporting_configured(env):
        return
    protocol = env.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or env.get("OTEL_EXPORTER_OTLP_PROTOCOL") or ""
    if protocol and protocol != "http/protobuf":
        log.warning("only OTLP over HTTP with protobuf is sent", extra={"protocol": protocol})
    # Imported only here: a process that exports nothing never loads the exporter (nor protobuf, nor requests).
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    attributes = {"service.namespace": "thidua"}
    if not env.get("OTEL_SERVICE_NAME"):
        attributes["service.name"] = service
    provider = TracerProvider(resource=Resource.create(attributes))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    _exporting = provider
    use(provider)
    log.info("traces exported over OTLP", extra={"service": service})


def use(provider: trace.TracerProvider | None) -> None:
    """Make spans with `provider` from now on (a test's, with an in-memory exporter); None: the silent one."""
    global _tracer, _making_spans
    _tracer = provider.get_tracer("thidua") if provider is not None else trace.NoOpTracer()
    _making_spans = provider is not None


@contextlib.contextmanager
def using(provider: trace.TracerProvider | None) -> Iterator[None]:
    """`use(provider)` for a block, then what was in use before."""
    global _tracer, _making_spans
    saved = _tracer, _making_spans
    use(provider)
    try:
        yield
    finally:
        _tracer, _making_spans = saved


def tracer() -> trace.Tracer:
    return _tracer


def flush(timeout_millis: int = 2000) -> None:
    """Send what the exporting provider holds (a service stopping)."""
    if _exporting is not None:
        _exporting.force_flush(timeout_millis)


# Ids need to be unique, not secret: the Mersenne Twister (reseeded in each forked worker), as the SDK's own
# id generator, at a tenth of the cost of os.urandom's system call.
_bits = random.getrandbits


def new_request_id() -> str:
    return f"{_bits(128):032x}"


def sane_request_id(raw: bytes | str | None) -> str | None:
    """The client's request id if it is safe to log and send back (1 to 128 visible characters of a safe set)."""
    if raw is None:
        return None
    value = raw.encode("latin-1", "replace") if isinstance(raw, str) else raw
    return value.decode("ascii") if _SANE_REQUEST_ID.fullmatch(value) else None


def traceparent(span: Span | None = None) -> str | None:
    """The W3C traceparent of `span` (by default the current one), or None when there is no valid trace."""
    ctx = (span or trace.get_current_span()).get_span_context()
    if not ctx.is_valid:
        if span is None and (raw := _SILENT_TRACEPARENT.get()) is not None and _TRACEPARENT.fullmatch(raw):
            return raw
        return None
    return f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{int(ctx.trace_flags):02x}"


def outgoing_headers() -> dict[str, str]:
    """The headers that carry this request's trace and request id on to a call it makes to another service."""
    sent: dict[str, str] = {}
    if (parent := traceparent()) is not None:
        sent["traceparent"] = parent
    if (request_id := REQUEST_ID.get()) is not None:
        sent["X-Request-ID"] = request_id
    return sent


def parent_context(headers: Mapping[str, str] | None) -> otel_context.Context | None:
    """The trace context carried by `traceparent` (and `tracestate`) in `headers`; None without a valid one."""
    if not headers or "traceparent" not in headers:
        return None
    found = _propagator.extract(headers)
    return found if trace.get_current_span(found).get_span_context().is_valid else None


def ids_of(headers: Mapping[str, str] | None) -> dict[str, str | None]:
    """The trace id and request id a message carries: for the `extra` of a log line about it."""
    ctx = parent_context(headers)
    span_context = trace.get_current_span(ctx).get_span_context() if ctx is not None else None
    return {
        "trace_id": f"{span_context.trace_id:032x}" if span_context is not None else None,
        "request_id": sane_request_id((headers or {}).get(REQUEST_ID_HEADER)),
    }


def current_ids() -> tuple[str | None, str | None, str | None]:
    """(trace id, span id, request id) in force, for a log line."""
    ctx = trace.get_current_span().get_span_context()
    if ctx.is_valid:
        return f"{ctx.trace_id:032x}", f"{ctx.span_id:016x}", REQUEST_ID.get()
    raw = _SILENT_TRACEPARENT.get()
    if raw is not None and (found := _TRACEPARENT.fullmatch(raw)):
        return found[1], found[2], REQUEST_ID.get()
    return None, None, REQUEST_ID.get()


# ---- the outbox and the relay


def publishing(subject: str, event_id: str, row_traceparent: str | None) -> Span | None:
    """The relay's span for publishing one outbox row: a child of the writer's span (None when it had none).

    The caller sends `traceparent(span)` with the message and ends the span when JetStream acknowledged it.
    No span while none is recorded (silent): the caller passes the row's traceparent on as it is.
    """
    if not row_traceparent or not _making_spans:
        return None
    parent = parent_context({"traceparent": row_traceparent})
    if parent is None:
        return None
    span = _tracer.start_span(f"{subject} publish", context=parent, kind=SpanKind.PRODUCER)
    if span.is_recording():
        span.set_attributes(
            {
                "messaging.system": "nats",
                "messaging.operation.type": "send",
                "messaging.destination.name": subject,
                "messaging.message.id": event_id,
            }
        )
    return span


def published(span: Span | None, error: str | None = None) -> None:
    if span is None:
        return
    if error is not None:
        span.set_status(StatusCode.ERROR, error)
    span.end()


# ---- consumers


@contextlib.contextmanager
def consuming(durable: str, subject: str, event_id: object, headers: Mapping[str, str] | None) -> Iterator[None]:
    """Apply one event in a span that is the child of its publish (and so of the request that wrote it).

    Its request id is the one in force meanwhile, for the log lines. An event that came
    without a trace context (a `thidua republish`) is applied without a span. While no span
    is recorded (silent), none is made either: the message's traceparent is only kept in
    force, read when a log line or an `emit` asks (about 3 µs an event, measured in a loop).
    """
    rid = sane_request_id(headers.get(REQUEST_ID_HEADER)) if headers else None
    rid_token = REQUEST_ID.set(rid)
    parent = parent_context(headers) if _making_spans else None
    if parent is None:
        raw_token = _SILENT_TRACEPARENT.set(headers.get("traceparent") if headers else None)
        try:
            yield
        finally:
            _SILENT_TRACEPARENT.reset(raw_token)
            REQUEST_ID.reset(rid_token)
        return
    span = _tracer.start_span(f"{subject} process", context=parent, kind=SpanKind.CONSUMER)
    if span.is_recording():
        span.set_attributes(
            {
                "messaging.system": "nats",
                "messaging.operation.type": "process",
                "messaging.destination.name": subject,
                "messaging.consumer.group.name": durable,
                "messaging.message.id": str(event_id),
            }
        )
        if rid is not None:
            span.set_attribute("thidua.request_id", rid)
    token = otel_context.attach(trace.set_span_in_context(span, parent))
    try:
        yield
    except BaseException as exc:
        if span.is_recording():
            span.record_exception(exc)
            span.set_status(StatusCode.ERROR, repr(exc))
        raise
    finally:
        span.end()
        otel_context.detach(token)
        REQUEST_ID.reset(rid_token)


# ---- HTTP


def _silent_traceparent(client: str | None) -> str:
    """A request's context while no span is made: the client's trace id (and sampled flag) or a new one."""
    found = _TRACEPARENT.fullmatch(client) if client else None
    if found is not None and found[1] != "0" * 32:
        return f"00-{found[1]}-{_bits(64) or 1:016x}-{found[3]}"
    return f"00-{_bits(128) or 1:032x}-{_bits(64) or 1:016x}-00"


class TraceRequests:
    """ASGI: a server span (or, silent, a trace context) and a request id for every HTTP request;
    `X-Request-ID` in every answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        await self._traced(scope, receive, send)

    async def _traced(self, scope: HTTPScope, receive: Receive, send: Send) -> None:
        carrier: dict[str, str] = {}
        client_id: bytes | None = None
        for key, value in scope["headers"]:
            if key == b"traceparent" or key == b"tracestate":
                carrier[key.decode()] = value.decode("latin-1")
            elif key == _REQUEST_ID_RAW:
                client_id = value
        request_id = sane_request_id(client_id) or new_request_id()
        header = (_REQUEST_ID_RAW, request_id.encode())
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        rid_token = REQUEST_ID.set(request_id)
        if not _making_spans:
            silent_token = _SILENT_TRACEPARENT.set(_silent_traceparent(carrier.get("traceparent")))
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                _SILENT_TRACEPARENT.reset(silent_token)
                REQUEST_ID.reset(rid_token)
            return
        parent = parent_context(carrier)
        method = scope["method"] if scope["method"] in _METHODS else "HTTP"
        span = _tracer.start_span(method, context=parent, kind=SpanKind.SERVER)
        recording = span.is_recording()
        if recording:
            span.set_attributes(
                {
                    "http.request.method": method,
                    "url.path": scope["path"],
                    "url.scheme": scope.get("scheme", "http"),
                    "network.protocol.version": scope.get("http_version", "1.1"),
                    "thidua.request_id": request_id,
                }
            )
            client = scope.get("client")
            if client:
                span.set_attribute("client.address", client[0])
        token = otel_context.attach(trace.set_span_in_context(span, parent))
        try:
            await self.app(scope, receive, send_with_id)
        except BaseException as exc:
            if recording:
                span.record_exception(exc)
                span.set_status(StatusCode.ERROR, repr(exc))
            raise
        finally:
            if recording:
                _finish_server_span(span, method, scope, status)
            span.end()
            otel_context.detach(token)
            REQUEST_ID.reset(rid_token)


def _finish_server_span(span: Span, method: str, scope: Any, status: int) -> None:
    route = scope.get("path_template")
    if route:
        span.update_name(f"{method} {route}")
        span.set_attribute("http.route", route)
    if status:
        span.set_attribute("http.response.status_code", status)
        if status >= 500:
            span.set_status(StatusCode.ERROR)
