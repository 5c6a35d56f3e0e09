"""Only what may be public leaves the events service: name, unit, award,
decision, ceremony. No birth year, no account, no internal field, in any
public answer (JSON, CSV, the page) nor in the read model itself."""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Any

import asyncpg
import jwt

from tests.events.conftest import Source, settle
from tests.support import ADMIN_PASSWORD, Api, Stack, eventually, in_copy

PUBLIC_KEYS = {
    # the roll
    "items",
    "next_cursor",
    "award_id",
    "kind",
    "name",
    "unit_id",
    "unit_name",
    "campaign",
    "category",
    "form",
    "decision_number",
    "decision_date",
    "ceremony",
    "id",
    "title",
    "held_on",
    "venue",
    "year",
    # counts
    "total",
    "by_kind",
    "collective",
    "individual",
    "by_category",
    # ceremonies
    "host_unit",
    "campaigns",
    "status",
    "held_at",
    "created_at",
    "honorees",
}


def keys_of(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_of(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_of(v)}
    return set()


async def test_no_private_or_internal_field_in_any_public_answer(
    stack: Stack, admin: Api, committee: Api, source: Source, anonymous: Api
) -> None:
    unit = await admin.unit("Chi bộ Khu phố 7")
    await eventually(lambda: in_copy(stack, "events", unit["id"]))
    person = await admin.person(unit["id"], "Tạ Thị Bí Mật", birth_year=1961, position="Bí thư chi bộ")
    grant = await source.grant(
        person["full_name"],
        unit_id=uuid.UUID(unit["id"]),
        unit_name=unit["name"],
        decision_number="77/QĐ-UBND",
        decision_date=date(2024, 5, 1),
    )
    await settle(anonymous.events, source)
    ceremony = (
        await committee.events.post(
            "/ceremonies",
            json={
                "title": "Gặp mặt biểu dương",
                "held_on": "2024-05-02",
                "venue": "Nhà văn hóa",
                "host_unit_id": unit["id"],
                "campaign_ids": [str(source.campaign_id)],
            },
        )
    ).json()
    await committee.events.post(f"/ceremonies/{ceremony['id']}/hold")

    committee_account = jwt.decode(committee.token or "", options={"verify_signature": False})["sub"]
    secrets = [
        "1961",
        "birth",
        "Bí thư chi bộ",
        "position",
        "nomination",
        str(grant.nomination_id),
        str(grant.decision_id),
        "version",
        "sort_key",
        "search",
        "created_by",
        committee_account,
        "password",
        "username",
        "admin",
        ADMIN_PASSWORD,
        "revoked",
        "granted_at",
    ]
    q = {"q": "ta thi bi mat"}
    campaign = {"campaign_id": str(source.campaign_id)}
    json_answers = [
        ("/honorees", q),
        ("/honorees", campaign),
        ("/honorees/stats", campaign),
        ("/ceremonies", campaign),
        (f"/ceremonies/{ceremony['id']}", {}),
    ]
    for path, params in json_answers:
        resp = await anonymous.events.get(path, params=params)
        assert resp.status_code == 200, resp.text
        assert keys_of(resp.json()) <= PUBLIC_KEYS, (path, keys_of(resp.json()) - PUBLIC_KEYS)
        found = [s for s in secrets if s.lower() in resp.text.lower()]
        assert not found, (path, found)
    assert "Tạ Thị Bí Mật" in (await anonymous.events.get("/honorees", params=q)).text

    # The page also lists every campaign and unit of the (shared) system in its filters, whose names and ids
    # may hold any word or number (another test's "… 1961"): look for this honouree's private values, rather
    # than for field names, and outside those lists.
    values = [
        "1961",
        "Bí thư chi bộ",
        str(grant.nomination_id),
        str(grant.decision_id),
        committee_account,
        ADMIN_PASSWORD,
    ]
    for path, words in (("/honorees.csv", secrets), ("/", values)):
        resp = await anonymous.events.get(path, params=q)
        text = re.sub(r"(?s)<style>.*?</style>", "", resp.content.decode("utf-8-sig"))  # CSS says "position"
        text = re.sub(r"(?s)<select\b.*?</select>", "", text)  # the filters' lists of the whole system
        assert "Tạ Thị Bí Mật" in text
        found = [s for s in words if s.lower() in text.lower()]
        assert not found, (path, found)

    # Nor does the read model hold anything it could leak.
    conn = await asyncpg.connect(stack.db_url("events"))
    try:
        columns = {
            r["column_name"]
            for r in await conn.fetch(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public'"
            )
        }
    finally:
        await conn.close()
    assert not {c for c in columns if any(w in c for w in ("birth", "password", "username", "position", "nomination"))}
