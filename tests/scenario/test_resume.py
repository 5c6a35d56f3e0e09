"""A load cut short (the process killed half-way) is completed by the next run, creating nothing twice.

A separate copy of the scenario (every code, username and number tagged) is
loaded beside the real one, by a loader whose process "dies" after a number of
requests: in-flight calls are abandoned, the answer of the last one is lost.
"""

from __future__ import annotations

import io
import secrets
from collections import Counter
from typing import Any

import pytest

from tests.scenario.test_scenario import all_items
from tests.support import ADMIN_PASSWORD, Api, Stack
from thidua.apiclient import Client
from thidua.demo import build_plan, load_scenario


class Killed(Exception):
    pass


class DyingClient(Client):
    """A client whose process dies right after its `posts`-th POST got its answer."""

    def __init__(self, urls: dict[str, str], posts: int) -> None:
        super().__init__(urls)
        self.left = posts

    async def request(self, method: str, service: str, path: str, **kw: Any) -> Any:
        answer = await super().request(method, service, path, **kw)
        if method == "POST":
            self.left -= 1
            if self.left == 0:
                raise Killed(f"killed after POST {path}")
        return answer


async def test_a_load_killed_twice_is_completed_without_duplicates(stack: Stack, admin: Api, anonymous: Api) -> None:
    urls = {name: stack.url(name) for name in ("units", "awards", "events")}
    plan = build_plan(tag=f"-r{secrets.token_hex(2)}")
    # First killed among the nominations (after units, accounts, people, campaigns: ~315 POSTs),
    # then, on the second run, among the committee's votes.
    for posts, admin_password in ((480, ADMIN_PASSWORD), (600, None)):
        async with DyingClient(urls, posts) as dying:
            with pytest.raises(Killed):
                await load_scenario(urls, admin_password=admin_password, out=io.StringIO(), plan=plan, client=dying)

    out = io.StringIO()
    result = await load_scenario(urls, admin_password=None, out=out, plan=plan)

    assert result.loaded, out.getvalue()
    assert "partly loaded; completing it" in out.getvalue()
    assert 0 < result.created < 310 * 3  # only what was missing
    province_id = result.province_id
    assert len(await all_items(anonymous.units, "/units", under_id=province_id)) == 520
    people = await all_items(admin.units, "/people", under_id=province_id)
    assert len(people) == 270
    assert len({(p["full_name"], p["unit_id"]) for p in people}) == 270
    nominations = []
    for campaign_id in result.campaign_ids.values():
        nominations += await all_items(admin.awards, "/nominations", campaign_id=campaign_id)
    assert Counter(n["status"] for n in nominations) == {"granted": 310}
    seen: Counter[str] = Counter()
    for campaign_id in result.campaign_ids.values():
        for h in await all_items(anonymous.events, "/honorees", campaign_id=campaign_id):
            seen[next(k for k, v in result.category_ids.items() if v == h["category"]["id"])] += 1
            assert h["ceremony"]["id"] == result.ceremony_id
    assert seen == plan.counts
    ceremonies = [c for c in await all_items(anonymous.events, "/ceremonies") if c["title"] == plan.ceremony.title]
    assert [c["honorees"]["total"] for c in ceremonies] == [310]

    # What users do with the demo afterwards is theirs: a revoked award stays revoked on the next run.
    chair = await Api.login(stack, plan.members[0], result.password)
    try:
        revoked = await chair.awards.post(f"/awards/{nominations[0]['id']}/revoke", json={"reason": "Thử thu hồi"})
        assert revoked.status_code == 200, revoked.text
    finally:
        await chair.aclose()
    again = await load_scenario(urls, admin_password=None, out=io.StringIO(), plan=plan)
    assert (again.loaded, again.created) == (False, 0)
    assert (await admin.awards.get(f"/nominations/{nominations[0]['id']}")).json()["status"] == "revoked"
