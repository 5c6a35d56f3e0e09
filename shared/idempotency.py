"""`Idempotency-Key` on POST: a retry with the same key and body gets the first
answer again and creates nothing new.

The key is claimed (a row with no answer yet) before the handler runs, so two
concurrent retries cannot both create; the answer is stored when it is a
success, and the claim is dropped when it is not, so a corrected request may
use the key again. Keys belong to the caller (the token's account, or
"anonymous") and live for a day.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import asyncpg
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.types import (
    ASGIApp,
    HTTPRequestEvent,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    HTTPScope,
    Message,
    Receive,
    ReceiveMessage,
    Scope,
    Send,
)

from shared import auth
from shared.problems import Problem
from shared.settings import MAX_BODY_BYTES, MAX_UPLOAD_BODY_BYTES
from shared.state import service_state

HEADER = b"idempotency-key"
MAX_KEY = 200
TTL = timedelta(days=1)  # asyncpg sends an interval as a timedelta, never as text


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        key = next((v for k, v in scope["headers"] if k == HEADER), None)
        if key is None:
            await self.app(scope, receive, send)
            return
        # A Problem raised here reaches Litestar's exception handling, which wraps
        # this middleware, and becomes a problem document like any other.
        await self._idempotent(scope, receive, send, key.decode("latin-1").strip())

    async def _idempotent(self, scope: HTTPScope, receive: Receive, send: Send, key: str) -> None:
        if not key or len(key) > MAX_KEY:
            raise Problem(400, f"Idempotency-Key must be 1 to {MAX_KEY} characters")
        body, messages = await _read_body(receive, _declared_length(scope), _body_bound(scope))
        connection: ASGIConnection = ASGIConnection(scope)
        principal = await auth.principal_of(connection)
        who = str(principal.account_id) if principal else "anonymous"
        digest = hashlib.sha256(scope["path"].encode() + b"\0" + body).digest()
        pool = service_state(connection.app).pool
        claimed = await pool.fetchval(
            """INSERT INTO idempotency_keys (principal, key, method, path, request_hash)
               VALUES ($1, $2, 'POST', $3, $4)
               ON CONFLICT (principal, key) DO UPDATE
                   SET created_at = now(), request_hash = EXCLUDED.request_hash, status = NULL,
                       headers = NULL, body = NULL, path = EXCLUDED.path
                   WHERE idempotency_keys.created_at < now() - $5::interval
               RETURNING true""",
            who,
            key,
            scope["path"],
            digest,
            TTL,
        )
        if not claimed:
            row = await pool.fetchrow(
                "SELECT request_hash, status, headers, body FROM idempotency_keys WHERE principal = $1 AND key = $2",
                who,
                key,
            )
            if row is None:  # expired and removed in between: treat as new
                raise Problem(409, "the Idempotency-Key was just released; retry")
            if bytes(row["request_hash"]) != digest:
                raise Problem(422, "this Idempotency-Key was used for a different request")
            if row["status"] is None:
                raise Problem(409, "a request with this Idempotency-Key is still in progress")
            headers = [(k.encode(), v.encode()) for k, v in row["headers"]] + [(b"idempotent-replayed", b"true")]
            replayed: HTTPResponseStartEvent = {
                "type": "http.response.start",
                "status": row["status"],
                "headers": headers,
            }
            body_event: HTTPResponseBodyEvent = {
                "type": "http.response.body",
                "body": bytes(row["body"]),
                "more_body": False,
            }
            await send(replayed)
            await send(body_event)
            return

        start: dict[str, Any] | None = None
        chunks: list[bytes] = []

        async def replay_receive() -> ReceiveMessage:
            return messages.pop(0) if messages else await receive()

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = dict(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replay_receive, capture)
        finally:
            status = start["status"] if start else 500
            if 200 <= status < 300:
                headers = [
                    (k.decode("latin-1"), v.decode("latin-1"))
                    for k, v in (start or {}).get("headers", [])
                    if k.lower() in (b"content-type", b"location")
                ]
                await pool.execute(
                    "UPDATE idempotency_keys SET status = $3, headers = $4, body = $5 WHERE principal = $1 AND key = $2",
                    who,
                    key,
                    status,
                    headers,
                    b"".join(chunks),
                )
            else:
                await pool.execute("DELETE FROM idempotency_keys WHERE principal = $1 AND key = $2", who, key)


def _declared_length(scope: Scope) -> int | None:
    value = next((v for k, v in scope["headers"] if k == b"content-length"), None)
    try:
        return int(value) if value is not None else None
    except ValueError:
        raise Problem(400, "the Content-Length header is not a number") from None


def _body_bound(scope: Scope) -> int:
    """The most this middleware reads: an upload (multipart) may be as large as the largest upload a route
    takes; the route's own `request_max_body_size` then bounds it again, exactly."""
    content_type = next((v for k, v in scope["headers"] if k == b"content-type"), b"")
    if content_type.lower().startswith(b"multipart/form-data"):
        return MAX_UPLOAD_BODY_BYTES
    return MAX_BODY_BYTES


async def _read_body(receive: Receive, declared: int | None, bound: int) -> tuple[bytes, list[ReceiveMessage]]:
    # A body announced too large is refused before a byte of it is awaited.
    if declared is not None and declared > bound:
        raise Problem(413, "the request body is too large")
    parts: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            raise Problem(400, "the request ended early")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > bound:
            raise Problem(413, "the request body is too large")
        parts.append(chunk)
        more = message.get("more_body", False)
    body = b"".join(parts)
    whole: HTTPRequestEvent = {"type": "http.request", "body": body, "more_body": False}
    return body, [whole]


async def forget_expired(conn: asyncpg.Connection) -> None:
    """Drop the keys past their lifetime (a claim is also reclaimed lazily when its key is reused)."""
    await conn.execute("DELETE FROM idempotency_keys WHERE created_at < now() - $1::interval", TTL)
