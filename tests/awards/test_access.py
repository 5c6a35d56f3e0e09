"""Every call against every role: who may, who gets 403, and anonymous callers 401."""

from __future__ import annotations

import uuid

from tests.support import Api

from .conftest import World
from .helpers import approve, assert_problem, campaign, category, decide, nominate


async def test_every_call_by_every_role(world: World, anonymous: Api) -> None:
    c = await campaign(world.committee, world.province["id"])
    k = await category(world.committee, c["id"], "collective", quota=5)
    n = await nominate(world.officer_a, k["id"], unit_id=world.commune_a["id"])
    g = await nominate(world.officer_district, k["id"], unit_id=world.commune_b["id"])
    await approve(world.committee, g["id"])
    d = await decide(world.committee, [g["id"]])
    x = uuid.uuid4()  # an id that exists nowhere: the role check answers before the lookup
    calls: list[tuple[str, str, dict | None, set[str]]] = [
        # (method, path, body, roles allowed)
        ("post", "/campaigns", {}, {"admin", "committee"}),
        ("post", f"/campaigns/{x}/close", None, {"admin", "committee"}),
        ("post", f"/campaigns/{x}/open", None, {"admin", "committee"}),
        ("post", f"/campaigns/{x}/categories", {}, {"admin", "committee"}),
        ("patch", f"/campaigns/{x}/categories/{x}", {}, {"admin", "committee"}),
        ("post", "/nominations", {}, {"admin", "officer"}),
        ("get", "/nominations", None, {"admin", "committee", "officer"}),
        ("get", f"/nominations/{n['id']}", None, {"admin", "committee", "officer"}),
        ("get", f"/nominations/{n['id']}/history", None, {"admin", "committee", "officer"}),
        ("post", f"/nominations/{x}/withdraw", None, {"admin", "officer"}),
        ("post", f"/nominations/{x}/votes", {}, {"committee"}),
        ("get", f"/nominations/{n['id']}/votes", None, {"admin", "committee", "officer"}),
        ("get", f"/nominations/{n['id']}/votes/mine", None, {"admin", "committee", "officer"}),
        ("post", f"/nominations/{x}/recuse", {}, {"committee"}),
        ("put", f"/campaigns/{x}/council", {}, {"admin", "committee"}),
        ("get", f"/campaigns/{c['id']}/council", None, {"admin", "committee"}),
        ("get", "/council/candidates", None, {"admin", "committee"}),
        ("get", f"/campaigns/{c['id']}/ballot", None, {"admin", "committee"}),
        ("post", f"/nominations/{x}/approve", None, {"committee"}),
        ("post", f"/nominations/{x}/reject", {}, {"committee"}),
        ("post", "/decisions", {}, {"committee"}),
        ("get", "/decisions", None, {"admin", "committee", "officer"}),
        ("get", f"/decisions/{d['id']}", None, {"admin", "committee", "officer"}),
        ("post", f"/awards/{x}/revoke", {}, {"committee"}),
    ]
    accounts = {"admin": world.admin, "committee": world.committee, "officer": world.officer_a}
    for method, path, body, allowed in calls:
        kwargs = {"json": body} if body is not None else {}
        assert_problem(await getattr(anonymous.awards, method)(path, **kwargs), 401)
        for role, api in accounts.items():
            resp = await getattr(api.awards, method)(path, **kwargs)
            if role in allowed:
                # Allowed: the call goes on to validation, lookup or success, never a refusal of the role.
                assert resp.status_code not in (401, 403), (role, method, path, resp.text)
                assert resp.status_code < 500, (role, method, path, resp.text)
            else:
                assert_problem(resp, 403)
    # Public reads.
    for path in ("/campaigns", f"/campaigns/{c['id']}", "/awards", f"/awards/{g['id']}"):
        assert (await anonymous.awards.get(path)).status_code == 200, path
    assert (await anonymous.awards.get("/schema/openapi.json")).status_code == 200
