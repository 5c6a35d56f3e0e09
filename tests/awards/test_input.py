"""Bad input: every refusal is a 4xx problem document, and nothing is half-written."""

from __future__ import annotations

import unicodedata
import uuid

import asyncpg

from tests.support import Stack

from .conftest import World
from .helpers import assert_problem, campaign, category, early_status, nominate, nomination_body, person_here

INJECTION = "Robert'); DROP TABLE nominations; --"


async def _counts(stack: Stack) -> tuple[int, int, int]:
    conn = await asyncpg.connect(stack.db_url("awards"))
    try:
        row = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM nominations) AS n, (SELECT count(*) FROM audit_log) AS a, "
            "(SELECT count(*) FROM outbox) AS o"
        )
        return row["n"], row["a"], row["o"]
    finally:
        await conn.close()


async def test_bad_nominations_are_problems_and_write_nothing(world: World, stack: Stack) -> None:
    c = await campaign(world.committee, world.province["id"])
    k = await category(world.committee, c["id"], "collective")
    good = nomination_body(k["id"], unit_id=world.commune_a["id"])
    before = await _counts(stack)
    bads: list[tuple[object, int]] = [
        ({**good, "achievements": ""}, 400),
        ({**good, "achievements": "   \n  "}, 400),
        ({**good, "achievements": "x" * 20_001}, 400),
        ({**good, "achievements": "nul\x00byte"}, 400),
        ({k2: v for k2, v in good.items() if k2 != "achievements"}, 400),
        ({k2: v for k2, v in good.items() if k2 != "category_id"}, 400),
        ({**good, "category_id": "1; DROP TABLE nominations"}, 400),
        ({**good, "nominee_person_id": world.person_a["id"]}, 400),  # two nominees
        ({"category_id": k["id"], "achievements": "x"}, 400),  # no nominee
        ({**good, "extra": True}, 400),
        ({**good, "achievements": 42}, 400),
        ([good], 400),
        ({**good, "category_id": str(uuid.uuid4())}, 404),
        ({**good, "nominee_unit_id": str(uuid.uuid4())}, 404),
    ]
    for body, status in bads:
        assert_problem(await world.officer_a.awards.post("/nominations", json=body), status)
    for raw in (b"{not json", b"", b"null"):
        resp = await world.officer_a.awards.post(
            "/nominations", content=raw, headers={"content-type": "application/json"}
        )
        assert_problem(resp, 400)
    size = 6 * 1024 * 1024
    status = await early_status(stack.url("awards"), "/nominations", token=world.officer_a.token, announced=size)
    assert status == 413
    assert await _counts(stack) == before


async def test_text_is_stored_nfc_and_injection_strings_are_just_text(world: World, stack: Stack) -> None:
    c = await campaign(world.committee, world.province["id"], name=INJECTION)
    assert c["name"] == INJECTION
    k = await category(
        world.committee,
        c["id"],
        "individual",
        name=unicodedata.normalize("NFD", "Cá nhân xuất sắc"),
        form=unicodedata.normalize("NFD", "Bằng khen"),
    )
    assert (k["name"], k["form"]) == ("Cá nhân xuất sắc", "Bằng khen")
    person = await person_here(
        world.admin, world.commune_a["id"], full_name=unicodedata.normalize("NFD", "Đặng Thị Huệ")
    )
    achievements = unicodedata.normalize("NFD", "Dẫn đầu phong trào.\nKhông có vi phạm.") + "\n" + INJECTION
    resp = await world.officer_a.awards.post(
        "/nominations", json=nomination_body(k["id"], person_id=person["id"], achievements=achievements)
    )
    assert resp.status_code == 201, resp.text
    n = resp.json()
    assert n["nominee_name"] == "Đặng Thị Huệ"
    assert n["achievements"] == unicodedata.normalize("NFC", achievements)  # line breaks kept
    found = (
        await world.committee.awards.get("/nominations", params={"q": "dang thi hue", "campaign_id": c["id"]})
    ).json()
    assert [x["id"] for x in found["items"]] == [n["id"]]
    found = (await world.committee.awards.get("/nominations", params={"q": INJECTION})).json()
    assert found["items"] == []
    conn = await asyncpg.connect(stack.db_url("awards"))
    try:
        assert await conn.fetchval("SELECT count(*) FROM nominations WHERE id = $1", uuid.UUID(n["id"])) == 1
    finally:
        await conn.close()


async def test_query_parameters_are_checked(world: World) -> None:
    for path, params in [
        ("/nominations", {"campaign_id": "nope"}),
        ("/nominations", {"limit": "201"}),
        ("/nominations", {"cursor": "eyJ4IjoxfQ"}),
        ("/nominations", {"kind": "family"}),
        ("/nominations", {"q": "x" * 201}),
        ("/nominations", {"q": "a\x00b"}),
        ("/awards", {"q": "a\x00b"}),
        ("/campaigns", {"q": "\x00"}),
        ("/campaigns", {"cursor": "WzEwOTk1MTE2Mjc3NzYsImEiLCIwMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDAiXQ"}),
        ("/awards", {"year": "1800"}),
        ("/awards", {"cursor": "%%%"}),
        ("/campaigns", {"status": "paused"}),
        ("/decisions", {"cursor": "AAAA"}),
    ]:
        assert_problem(await world.committee.awards.get(path, params=params), 400)
    for path in ("/nominations/not-a-uuid", "/awards/not-a-uuid", "/campaigns/123"):
        resp = await world.committee.awards.get(path)
        assert 400 <= resp.status_code < 500 and resp.headers["content-type"].startswith("application/problem+json")


async def test_idempotency_key_makes_a_retried_nomination_create_nothing_new(world: World, stack: Stack) -> None:
    c = await campaign(world.committee, world.province["id"])
    k = await category(world.committee, c["id"], "collective")
    body = nomination_body(k["id"], unit_id=world.commune_a["id"])
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = await world.officer_a.awards.post("/nominations", json=body, headers=key)
    again = await world.officer_a.awards.post("/nominations", json=body, headers=key)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"] and again.headers.get("idempotent-replayed") == "true"
    listed = (await world.committee.awards.get("/nominations", params={"category_id": k["id"]})).json()["items"]
    assert len(listed) == 1
    # Without the key, the retry is what it is: a duplicate.
    assert_problem(await world.officer_a.awards.post("/nominations", json=body), 409)
    await nominate(world.officer_a, k["id"], unit_id=(await _child(world))["id"])


async def _child(world: World) -> dict:
    from .helpers import unit_here

    return await unit_here(world.admin, parent_id=world.commune_a["id"])
