"""Traces and request ids: one trace from a `POST /decisions` through the outbox, the relay's publish and NATS to
the events service's consumer that puts the award on the honour roll; a request id sent back and in the log lines;
and nothing exported, nor any exporter loaded, unless an OTLP endpoint is configured.

The spans are read back from the SDK's in-memory exporter, so the awards and events services run in this process
here, built from their `ServiceSpec` by `create_service_app` as granian builds them (their granian processes of the
stack are stopped: no other process takes their relay or their consumers' messages). The units service, PostgreSQL
and NATS are real processes. The OTLP path is shown against a collector stand-in that decodes what a service
process sends it. The stack is this module's own (its own PostgreSQL and NATS), as it stops services.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import logging
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from litestar import Litestar, get
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from services.awards.service import SERVICE as AWARDS
from services.events.roll.fast_path import ServeCachedRoll
from services.events.service import SERVICE as EVENTS
from shared import logs, tracing
from shared.settings import Settings
from shared.web import create_service_app
from tests.support import ADMIN_PASSWORD, Api, Stack, eventually, in_copy, start_stack

# Building a service's app in this process meets Litestar's deprecations of what the services declare
# (`Parameter(query=...)`, inferred dependencies), which granian's processes only print; they are not this suite's.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

ROOT = Path(__file__).resolve().parents[2]
OTEL_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_SDK_DISABLED")
CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CLIENT_SPAN = "00f067aa0ba902b7"


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    saved = {k: os.environ.pop(k) for k in ("DATABASE_URL", "NATS_URL", *OTEL_VARIABLES) if k in os.environ}
    try:
        stack, started = start_stack(tmp_path_factory.mktemp("traces"))
    finally:
        os.environ.update(saved)
    # Awards and events run in this process (below); the console is not needed.
    for name in ("awards", "events", "console"):
        stack.services[name].stop()
    yield stack
    for part in reversed(started):
        part.stop()


@get("/test/log-line", sync_to_thread=False)
def log_line() -> dict[str, str]:
    """A route that writes one log line while it answers: what every line of a request carries."""
    logging.getLogger("tests.traces").info("a line written while answering")
    return {"status": "ok"}


class Written(io.StringIO):
    """A stream that keeps what a log handler writes: the lines as the service writes them."""

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.getvalue().splitlines()]


class Lines(logging.Handler):
    """The log lines as the services write them (shared/logs.py's format), kept to be read."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logs.JsonFormatter("awards"))
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@dataclasses.dataclass
class InProcess:
    stack: Stack
    awards: Litestar
    events: ServeCachedRoll
    spans: InMemorySpanExporter
    lines: Written

    def client(self, service: str, token: str | None = None) -> httpx.AsyncClient:
        app: Any = self.awards if service == "awards" else self.events
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url=f"http://{service}.test",
            headers={"Authorization": f"Bearer {token}"} if token else {},
            timeout=30,
        )

    def here(self, api: Api) -> Api:
        """`api` with its awards and events clients sent to the services running in this process."""
        api.awards = self.client("awards", api.token)
        api.events = self.client("events", api.token)
        return api


@pytest.fixture(scope="module")
async def in_process(own_stack: Stack) -> AsyncIterator[InProcess]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    try:
        spec = dataclasses.replace(AWARDS, controllers=[*AWARDS.controllers, log_line])
        awards = create_service_app(spec, Settings.from_env("awards", own_stack.env))
        events_app = create_service_app(EVENTS, Settings.from_env("events", own_stack.env))
        # What the services write: the root logger's handler that create_service_app set up, its stream kept here.
        (written,) = [h for h in root.handlers if isinstance(h.formatter, logs.JsonFormatter)]
        assert isinstance(written, logging.StreamHandler)
        lines = Written()
        written.setStream(lines)
        started, stop = asyncio.Event(), asyncio.Event()

        async def serve() -> None:
            # Litestar's lifespan is entered and left in one task (its task group), as a server runs it.
            async with awards.lifespan(), events_app.lifespan():
                started.set()
                await stop.wait()

        with tracing.using(provider):
            running = asyncio.create_task(serve())
            await asyncio.wait([running, asyncio.create_task(started.wait())], return_when=asyncio.FIRST_COMPLETED)
            if running.done():
                running.result()  # it failed to start: say why
            try:
                yield InProcess(own_stack, awards, ServeCachedRoll(events_app), exporter, lines)
            finally:
                stop.set()
                await running
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)


def one(spans: list[ReadableSpan], name: str, **attributes: Any) -> ReadableSpan:
    found = [
        s for s in spans if s.name == name and all((s.attributes or {}).get(k) == v for k, v in attributes.items())
    ]
    assert len(found) == 1, (name, attributes, [s.name for s in spans])
    return found[0]


def hex_ids(span: ReadableSpan) -> tuple[str, str]:
    assert span.context is not None
    return f"{span.context.trace_id:032x}", f"{span.context.span_id:016x}"


def parent_of(span: ReadableSpan) -> str | None:
    return f"{span.parent.span_id:016x}" if span.parent is not None else None


async def test_one_trace_from_a_decision_to_the_honour_roll(in_process: InProcess) -> None:
    stack = in_process.stack
    admin = in_process.here(await Api.login(stack, "admin", ADMIN_PASSWORD))
    province = await admin.unit(name="Tỉnh ủy (vết)", kind="party_committee")
    commune = await admin.unit(name="Chi bộ Ấp Vết", parent_id=province["id"])
    for service in ("awards", "events"):
        await eventually(lambda s=service: in_copy(stack, s, commune["id"]), timeout=10)  # type: ignore[misc]
    committee = in_process.here(await admin.as_new("committee"))
    officer = in_process.here(await admin.as_new("officer", commune["id"]))
    campaign = (
        await committee.awards.post(
            "/campaigns",
            json={
                "code": f"PT-{uuid.uuid4().hex[:8]}",
                "name": "Phong trào có vết",
                "organizer_unit_id": province["id"],
                "year": 2025,
                "starts_on": "2025-01-01",
                "ends_on": "2025-12-31",
            },
        )
    ).json()
    category = (
        await committee.awards.post(
            f"/campaigns/{campaign['id']}/categories",
            json={
                "code": f"DM-{uuid.uuid4().hex[:8]}",
                "name": "Tập thể tiêu biểu",
                "nominee_kind": "collective",
                "quota": 5,
                "form": "Bằng khen",
            },
        )
    ).json()
    nomination = await officer.awards.post(
        "/nominations",
        json={"category_id": category["id"], "nominee_unit_id": commune["id"], "achievements": "Xuất sắc"},
    )
    assert nomination.status_code == 201, nomination.text
    approved = await committee.awards.post(f"/nominations/{nomination.json()['id']}/approve")
    assert approved.status_code == 200, approved.text

    # The decision, sent with the client's own trace context and request id.
    request_id = f"office-{uuid.uuid4().hex[:12]}"
    decided = await committee.awards.post(
        "/decisions",
        headers={"traceparent": f"00-{CLIENT_TRACE}-{CLIENT_SPAN}-01", "X-Request-ID": request_id},
        json={
            "number": f"{uuid.uuid4().hex[:6]}/QĐ-UBND",
            "signed_on": "2025-12-20",
            "signer": "Chủ tịch UBND tỉnh",
            "nomination_ids": [nomination.json()["id"]],
        },
    )
    assert decided.status_code == 201, decided.text
    assert decided.headers["x-request-id"] == request_id
    award_id = decided.json()["awards"][0]["award_id"]

    async def on_the_roll() -> bool:
        resp = await committee.events.get("/honorees", params={"campaign_id": campaign["id"]})
        return resp.status_code == 200 and award_id in {r["award_id"] for r in resp.json()["items"]}

    await eventually(on_the_roll, timeout=10)

    spans = [s for s in in_process.spans.get_finished_spans() if s.context and hex_ids(s)[0] == CLIENT_TRACE]
    request = one(spans, "POST /decisions")
    publish = one(spans, "awards.award.granted publish")
    applied = one(spans, "awards.award.granted process", **{"messaging.consumer.group.name": "events-awards"})
    # The server span is the child of the client's; the publish, of the request that wrote the outbox row; the
    # roll's update, of the publish: one trace, each link the one before it.
    assert request.kind == SpanKind.SERVER and parent_of(request) == CLIENT_SPAN
    assert (request.attributes or {})["http.response.status_code"] == 201
    assert (request.attributes or {})["thidua.request_id"] == request_id
    assert publish.kind == SpanKind.PRODUCER and parent_of(publish) == hex_ids(request)[1]
    assert applied.kind == SpanKind.CONSUMER and parent_of(applied) == hex_ids(publish)[1]
    assert (applied.attributes or {})["messaging.message.id"] == (publish.attributes or {})["messaging.message.id"]
    assert (applied.attributes or {})["thidua.request_id"] == request_id  # through the NATS headers
    # The outbox row kept the writer's context and request id, and the consumer applied it under that request id.
    conn = await asyncpg.connect(stack.db_url("awards"))
    try:
        row = await conn.fetchrow(
            "SELECT traceparent, request_id FROM outbox WHERE id = $1",
            uuid.UUID(str((publish.attributes or {})["messaging.message.id"])),
        )
    finally:
        await conn.close()
    assert row["traceparent"] == f"00-{CLIENT_TRACE}-{hex_ids(request)[1]}-01"
    assert row["request_id"] == request_id
    for closed in (admin, committee, officer):
        await closed.aclose()


async def test_the_request_id_is_sent_back_and_in_every_line_of_the_request(in_process: InProcess) -> None:
    async with in_process.client("awards") as awards:
        sent = f"req-{uuid.uuid4().hex}"
        resp = await awards.get(
            "/test/log-line", headers={"X-Request-ID": sent, "traceparent": f"00-{CLIENT_TRACE}-{CLIENT_SPAN}-01"}
        )
        assert resp.status_code == 200 and resp.headers["x-request-id"] == sent
        line = next(x for x in in_process.lines.lines() if x["msg"] == "a line written while answering")
        server = one(
            [s for s in in_process.spans.get_finished_spans() if (s.attributes or {}).get("thidua.request_id") == sent],
            "GET /test/log-line",
        )
        assert (line["request_id"], line["trace_id"], line["span_id"]) == (sent, *hex_ids(server))
        assert line["trace_id"] == CLIENT_TRACE

        # No id, or one not safe to log and send back: a new one, different each time. A 404 has one too.
        fresh = {(await awards.get("/test/log-line")).headers["x-request-id"] for _ in range(3)}
        refused = await awards.get("/test/log-line", headers={"X-Request-ID": 'a b"<script>' + "x" * 200})
        assert len(fresh) == 3 and refused.headers["x-request-id"] not in fresh
        assert all(len(rid) == 32 for rid in (*fresh, refused.headers["x-request-id"]))
        missing = await awards.get(f"/no/such/{uuid.uuid4()}", headers={"X-Request-ID": "abc-123"})
        assert missing.status_code == 404 and missing.headers["x-request-id"] == "abc-123"
        # A broken traceparent starts a new trace; it breaks nothing.
        broken = await awards.get("/test/log-line", headers={"traceparent": "00-zz-yy-01", "X-Request-ID": "b-1"})
        assert broken.status_code == 200
        started = one(
            [
                s
                for s in in_process.spans.get_finished_spans()
                if (s.attributes or {}).get("thidua.request_id") == "b-1"
            ],
            "GET /test/log-line",
        )
        assert started.parent is None


async def test_a_service_exporting_nothing_still_carries_the_trace_and_request_id_through_the_outbox(
    in_process: InProcess,
) -> None:
    """The units service (a granian process, nothing configured) makes no span, but stores the request's
    context with its event; its relay passes it on as it is, and the awards consumer here continues it."""
    stack = in_process.stack
    admin = await Api.login(stack, "admin", ADMIN_PASSWORD)
    trace_id, request_id = uuid.uuid4().hex, f"units-{uuid.uuid4().hex[:8]}"
    resp = await admin.units.post(
        "/units",
        headers={"traceparent": f"00-{trace_id}-{CLIENT_SPAN}-01", "X-Request-ID": request_id},
        json={"code": f"U-{uuid.uuid4().hex[:8]}", "name": "Chi bộ Im Lặng", "kind": "grassroots_party_org"},
    )
    await admin.aclose()
    assert resp.status_code == 201 and resp.headers["x-request-id"] == request_id
    conn = await asyncpg.connect(stack.db_url("units"))
    try:
        row = await conn.fetchrow("SELECT id, traceparent, request_id FROM outbox WHERE request_id = $1", request_id)
    finally:
        await conn.close()
    _, row_trace, row_span, flags = row["traceparent"].split("-")
    assert (row_trace, flags) == (trace_id, "01") and row_span not in (CLIENT_SPAN, "0" * 16)

    def applied() -> list[ReadableSpan]:
        return [
            s
            for s in in_process.spans.get_finished_spans()
            if (s.attributes or {}).get("messaging.message.id") == str(row["id"])
            and (s.attributes or {}).get("messaging.consumer.group.name") == "awards-units"
        ]

    async def arrived() -> list[ReadableSpan]:
        return applied()

    await eventually(arrived, timeout=10)
    (span,) = applied()
    assert span.name == "units.unit.created process"
    assert (hex_ids(span)[0], parent_of(span)) == (trace_id, row_span)


def test_a_consumer_line_carries_the_ids_of_the_event_it_applies() -> None:
    """Without spans (nothing configured) and with them, a line written by a handler names the writer's trace."""
    lines = Lines()
    log = logging.getLogger("tests.traces.consumer")
    log.addHandler(lines)
    log.setLevel(logging.INFO)
    headers = {"traceparent": f"00-{CLIENT_TRACE}-{CLIENT_SPAN}-01", "X-Request-ID": "office-42"}
    try:
        with (
            tracing.using(None),
            tracing.consuming("events-awards", "awards.award.granted", uuid.uuid4(), headers),
        ):
            log.info("applied")
            passed_on = tracing.traceparent()
        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        with (
            tracing.using(provider),
            tracing.consuming("events-awards", "awards.award.granted", uuid.uuid4(), headers),
        ):
            log.info("applied in a span")
        log.info("after")
    finally:
        log.removeHandler(lines)
    silent, spanned, after = lines.lines
    # Silent: the message's own context, passed on as it came (an emit in the handler stores it).
    assert (silent["trace_id"], silent["span_id"], silent["request_id"]) == (CLIENT_TRACE, CLIENT_SPAN, "office-42")
    assert passed_on == headers["traceparent"]
    (span,) = exporter.get_finished_spans()
    assert (spanned["trace_id"], spanned["span_id"], spanned["request_id"]) == (*hex_ids(span), "office-42")
    assert parent_of(span) == CLIENT_SPAN
    assert (after["trace_id"], after["request_id"]) == (None, None)


def test_nothing_configured_no_exporter_is_loaded_and_no_span_made() -> None:
    assert not tracing.exporting_configured({})
    assert tracing.exporting_configured({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"})
    assert tracing.exporting_configured({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"})
    assert not tracing.exporting_configured(
        {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_SDK_DISABLED": "true"}
    )
    # In a fresh process, as a service starts: the app built, a request and a consumed event traced silently.
    script = """
import asyncio, sys
from opentelemetry import trace
from shared import tracing
tracing.configure("units", {})
seen = {}
async def app(scope, receive, send):
    seen["traceparent"] = tracing.traceparent()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})
sent = []
async def send(message):
    sent.append(message)
async def receive():
    return {"type": "http.request", "body": b""}
scope = {"type": "http", "method": "GET", "path": "/", "headers": []}
asyncio.run(tracing.TraceRequests(app)(scope, receive, send))
assert seen["traceparent"].startswith("00-") and seen["traceparent"].endswith("-00"), seen
assert dict(sent[0]["headers"])[b"x-request-id"], sent
assert type(trace.get_tracer_provider()).__name__ == "ProxyTracerProvider"
assert not any(m.startswith("opentelemetry.exporter") for m in sys.modules), sorted(sys.modules)
assert not trace.get_current_span().is_recording()
print("ok")
"""
    env = {k: v for k, v in os.environ.items() if k not in OTEL_VARIABLES}
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


class Collector(BaseHTTPRequestHandler):
    """A stand-in OTLP/HTTP collector: keeps the spans of every export it is sent."""

    received: list[Any] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        for resource_spans in request.resource_spans:
            service = {a.key: a.value.string_value for a in resource_spans.resource.attributes}["service.name"]
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    Collector.received.append((self.path, service, span))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        pass


async def test_with_an_otlp_endpoint_a_service_exports_its_spans(own_stack: Stack) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    replica = own_stack.service_process(
        "units",
        OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{server.server_address[1]}",
        OTEL_BSP_SCHEDULE_DELAY="50",
    )
    replica.start()
    try:
        replica.wait_ready(60)
        async with httpx.AsyncClient(base_url=replica.url, timeout=30) as client:
            trace_id = uuid.uuid4().hex
            resp = await client.get("/units", headers={"traceparent": f"00-{trace_id}-{CLIENT_SPAN}-01"})
            assert resp.status_code == 200 and resp.headers["x-request-id"]

        def exported() -> list[Any]:
            return [r for r in Collector.received if r[2].trace_id.hex() == trace_id]

        async def arrived() -> list[Any]:
            return exported()

        await eventually(arrived, timeout=10)
        ((path, service, span),) = exported()
        assert (path, service, span.name, span.parent_span_id.hex()) == (
            "/v1/traces",
            "units",
            "GET /units",
            CLIENT_SPAN,
        )
        attributes = {a.key: a.value for a in span.attributes}
        assert attributes["http.response.status_code"].int_value == 200
        assert attributes["thidua.request_id"].string_value == resp.headers["x-request-id"]
    finally:
        replica.stop()
        server.shutdown()
        server.server_close()
    # The process's own log, as granian's worker wrote it: one JSON object a line, each with the ids in force.
    assert replica.log_path is not None
    written = [json.loads(line) for line in replica.log_path.read_text(encoding="utf-8").splitlines()]
    assert any(line["msg"] == "traces exported over OTLP" for line in written), written
    assert any(line["msg"] == "service started" for line in written), written
    assert all({"trace_id", "span_id", "request_id"} <= line.keys() for line in written), written
