"""Builders and waits for the awards tests."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg

from tests.support import Api, Stack, code, eventually, in_copy


async def person_in_copy(stack: Stack, person_id: str, version: int = 1) -> bool:
    """Has the awards service's copy of people got this person at this version?"""
    conn = await asyncpg.connect(stack.db_url("awards"))
    try:
        return bool(
            await conn.fetchval(
                "SELECT true FROM people WHERE id = $1 AND version >= $2", uuid.UUID(person_id), version
            )
        )
    finally:
        await conn.close()


async def unit_here(admin: Api, **kwargs: Any) -> dict:
    """A new unit, once the awards service's copy of the tree holds it."""
    unit = await admin.unit(**kwargs)
    await eventually(lambda: in_copy(admin.stack, "awards", unit["id"]))
    return unit


async def person_here(admin: Api, unit_id: str, **kwargs: Any) -> dict:
    person = await admin.person(unit_id, **kwargs)
    await eventually(lambda: person_in_copy(admin.stack, person["id"]))
    return person


async def campaign(api: Api, organizer_unit_id: str, **overrides: Any) -> dict:
    body = {
        "code": code("PT"),
        "name": f"Phong trào thi đua {uuid.uuid4().hex[:6]}",
        "organizer_unit_id": organizer_unit_id,
        "year": 2025,
        "starts_on": "2025-01-01",
        "ends_on": "2025-12-31",
        "description": "Thi đua yêu nước",
        **overrides,
    }
    resp = await api.awards.post("/campaigns", json=body)
    assert resp.status_code == 201, resp.text
    return resp.json()


async def category(api: Api, campaign_id: str, kind: str = "collective", quota: int = 10, **overrides: Any) -> dict:
    body = {
        "code": code("DM"),
        "name": f"Tập thể tiêu biểu {uuid.uuid4().hex[:4]}",
        "nominee_kind": kind,
        "quota": quota,
        "form": "Bằng khen",
        **overrides,
    }
    resp = await api.awards.post(f"/campaigns/{campaign_id}/categories", json=body)
    assert resp.status_code == 201, resp.text
    return resp.json()


def nomination_body(
    category_id: str,
    *,
    unit_id: str | None = None,
    person_id: str | None = None,
    achievements: str = "Hoàn thành xuất sắc nhiệm vụ năm 2025",
) -> dict:
    body: dict[str, Any] = {"category_id": category_id, "achievements": achievements}
    if unit_id:
        body["nominee_unit_id"] = unit_id
    if person_id:
        body["nominee_person_id"] = person_id
    return body


async def nominate(api: Api, category_id: str, *, unit_id: str | None = None, person_id: str | None = None) -> dict:
    resp = await api.awards.post(
        "/nominations", json=nomination_body(category_id, unit_id=unit_id, person_id=person_id)
    )
    assert resp.status_code == 201, resp.text
    return resp.json()


async def approve(committee: Api, nomination_id: str) -> dict:
    resp = await committee.awards.post(f"/nominations/{nomination_id}/approve")
    assert resp.status_code == 200, resp.text
    return resp.json()


async def decide(
    committee: Api, nomination_ids: list[str], number: str | None = None, signed_on: str = "2025-12-20"
) -> dict:
    resp = await committee.awards.post(
        "/decisions",
        json={
            "number": number or f"{uuid.uuid4().hex[:6]}/QĐ-UBND",
            "signed_on": signed_on,
            "signer": "Chủ tịch UBND tỉnh",
            "nomination_ids": nomination_ids,
        },
    )
    assert resp.status_code == 201, resp.text
    return resp.json()


def assert_problem(resp: Any, status: int, *fields: str) -> dict:
    """An RFC 9457 problem of `status`, naming `fields` among its errors when given."""
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json"), resp.headers["content-type"]
    body = resp.json()
    assert body["status"] == status and body["detail"], body
    named = {e["field"] for e in body.get("errors", [])}
    for field in fields:
        assert field in named, (field, body)
    return body


async def units_under(admin: Api, parent: dict, count: int) -> list[dict]:
    """Many units under `parent` in one import, once the awards copy holds them all."""
    rows = [
        {"code": code("T"), "name": f"Tổ {i} {uuid.uuid4().hex[:4]}", "kind": "other", "parent_code": parent["code"]}
        for i in range(count)
    ]
    resp = await admin.units.post("/units/import", json=rows)
    assert resp.status_code in (200, 201), resp.text
    created = resp.json()["items"]
    stack = admin.stack

    async def all_here() -> bool:
        conn = await asyncpg.connect(stack.db_url("awards"))
        try:
            n = await conn.fetchval(
                "SELECT count(*) FROM units WHERE id = ANY($1::uuid[]) AND path IS NOT NULL",
                [uuid.UUID(u["id"]) for u in created],
            )
        finally:
            await conn.close()
        return n == len(created)

    await eventually(all_here, timeout=10)
    return created


async def early_status(base_url: str, path: str, *, token: str | None, announced: int) -> int:
    """The status of a POST announcing `announced` bytes, read before the body is sent.

    A client that writes a whole oversized body before reading never sees the
    server's early 413 (the server closes the connection under it).
    """
    host, port = base_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    head = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "Content-Type: application/json",
        f"Content-Length: {announced}",
        "Connection: close",
    ]
    if token:
        head.append(f"Authorization: Bearer {token}")
    try:
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + b"{")
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), timeout=20)
    finally:
        writer.close()
    return int(status_line.split()[1])
