"""The backbone: a unit created or moved in `units` reaches both local copies."""

from __future__ import annotations

from functools import partial

from tests.support import Api, Stack, eventually, in_copy


async def test_health(anonymous: Api) -> None:
    for client in (anonymous.units, anonymous.awards, anonymous.events):
        assert (await client.get("/health/live")).status_code == 200
        ready = await client.get("/health/ready")
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"database": True, "nats": True}


async def test_unit_reaches_both_copies_within_a_second(stack: Stack, admin: Api) -> None:
    root = await admin.unit("Tỉnh ủy thử", kind="party_committee")
    child = await admin.unit(parent_id=root["id"])
    # "Well inside a second" is the product's promise: each copy must have it within 1 s.
    for service in ("awards", "events"):
        await eventually(partial(in_copy, stack, service, child["id"]), timeout=1.0)

    other = await admin.unit("Huyện ủy khác", kind="party_committee")
    moved = await admin.units.patch(f"/units/{child['id']}", json={"parent_id": other["id"]})
    assert moved.status_code == 200, moved.text
    assert moved.json()["version"] == 2
    for service in ("awards", "events"):
        await eventually(partial(in_copy, stack, service, child["id"], version=2), timeout=1.0)
