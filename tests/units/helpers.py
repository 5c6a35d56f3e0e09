"""What the units tests share: problem checks, the units outbox, raw HTTP."""

from __future__ import annotations

import asyncio
import uuid
from urllib.parse import urlsplit

import asyncpg
import httpx

from shared import events
from tests.support import Stack


def problem(resp: httpx.Response, status: int, field: str | None = None) -> dict:
    """Assert `resp` is a problem document of `status` (naming `field` when given); return it."""
    assert resp.status_code == status, f"{resp.status_code} {resp.text}"
    assert resp.headers["content-type"].startswith("application/problem+json"), resp.headers["content-type"]
    body = resp.json()
    assert body["status"] == status and body["title"] and body["detail"], body
    if field is not None:
        fields = [e["field"] for e in body.get("errors", [])]
        assert field in fields, f"{field!r} not in {fields}: {body}"
    return body


async def outbox(stack: Stack, aggregate_id: str | uuid.UUID) -> list[events.Envelope]:
    """The events the units service recorded for one aggregate, oldest first."""
    conn = await asyncpg.connect(stack.db_url("units"))
    try:
        rows = await conn.fetch("SELECT payload FROM outbox ORDER BY seq")
    finally:
        await conn.close()
    found = [events.decode(bytes(r["payload"])) for r in rows]
    return [e for e in found if e.aggregate_id == str(aggregate_id)]


async def units_db_value(stack: Stack, sql: str, *args: object) -> object:
    conn = await asyncpg.connect(stack.db_url("units"))
    try:
        return await conn.fetchval(sql, *args)
    finally:
        await conn.close()


async def raw_post_status(
    base_url: str,
    path: str,
    *,
    token: str | None,
    declare: int | None,
    send: int,
    headers: dict[str, str] | None = None,
) -> int:
    """POST a large body over a plain socket; the status line of the answer.

    With `declare`, the body is announced by Content-Length and `send` bytes of
    it follow; without, `send` bytes go chunked and the body is never ended.
    Either way the client then stops and reads, as a patient client would: a
    server that closes with unread bytes would reset the connection, and the
    test would measure the kernel rather than the service.
    """
    url = urlsplit(base_url)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    head = [f"POST {path} HTTP/1.1", f"Host: {url.hostname}:{url.port}", "Content-Type: application/json"]
    head.append(f"Content-Length: {declare}" if declare is not None else "Transfer-Encoding: chunked")
    if token:
        head.append(f"Authorization: Bearer {token}")
    head += [f"{k}: {v}" for k, v in (headers or {}).items()]
    try:
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
        left = send
        while left > 0:
            size = min(left, 65536)
            piece = b" " * size
            writer.write(piece if declare is not None else f"{size:x}\r\n".encode() + piece + b"\r\n")
            await writer.drain()
            left -= size
        status_line = await asyncio.wait_for(reader.readline(), timeout=20)
    finally:
        writer.close()
    return int(status_line.split()[1])
