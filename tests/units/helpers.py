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


async def raw_post_status(base_url: str, path: str, *, token: str | None, length: int, send: int) -> int:
    """POST announcing `length` bytes and sending `send` of them, reading the answer while writing.

    An HTTP client that writes the whole body before reading cannot see a
    server's early 413; this one reads the status line as it comes.
    """
    url = urlsplit(base_url)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    head = [
        f"POST {path} HTTP/1.1",
        f"Host: {url.hostname}:{url.port}",
        "Content-Type: application/json",
        f"Content-Length: {length}",
        "Connection: close",
    ]
    if token:
        head.append(f"Authorization: Bearer {token}")
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode())

    async def write_body() -> None:
        chunk = b"x" * 65536
        left = send
        try:
            while left > 0:
                writer.write(chunk[: min(left, len(chunk))])
                await writer.drain()
                left -= len(chunk)
        except (ConnectionError, OSError):
            pass  # the server answered and closed: what it said is read below

    sender = asyncio.create_task(write_body())
    try:
        status_line = await asyncio.wait_for(reader.readline(), timeout=20)
    finally:
        sender.cancel()
        try:
            await sender
        except asyncio.CancelledError:
            pass
        writer.close()
    return int(status_line.split()[1])
