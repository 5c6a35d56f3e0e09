"""A demo loaded before directives existed gets Chương trình hành động số 20-NQ/TU on the next run, without
the admin's password: the standing committee issues it and each committee's officer reports its own units."""

from __future__ import annotations

import dataclasses
import io
import secrets

import pytest

from tests.support import ADMIN_PASSWORD, Api, Stack
from thidua.demo import build_plan, load_scenario


async def test_an_earlier_demo_gets_its_directive_from_the_officers(
    stack: Stack, anonymous: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("THIDUA_ADMIN_PASSWORD", raising=False)
    urls = {name: stack.url(name) for name in ("units", "awards", "events")}
    plan = build_plan(tag=f"-d{secrets.token_hex(2)}")
    earlier = await load_scenario(
        urls, admin_password=ADMIN_PASSWORD, out=io.StringIO(), plan=dataclasses.replace(plan, directive=None)
    )
    assert earlier.loaded and earlier.directive_id is None

    out = io.StringIO()
    now = await load_scenario(urls, admin_password=None, out=out, plan=plan)

    assert now.loaded, out.getvalue()
    assert "already loaded" in out.getvalue() and "by the officers" in out.getvalue()
    assert now.created == 1 + 519 + 472  # the directive, then each programme and session by its officer
    figures = (await anonymous.events.get(f"/directives/{now.directive_id}/implementation")).json()
    assert figures["programmes"] == {
        "party_committee": {"done": 15, "of": 15},
        "grassroots_party_org": {"done": 504, "of": 504},
    }
    assert figures["sessions"] == {"count": 472, "attendees": 53486}
    assert (figures["honoured"]["collectives"], figures["honoured"]["individuals"]) == (40, 270)
    assert figures["missing"] == []

    again = await load_scenario(urls, admin_password=None, out=io.StringIO(), plan=plan)
    assert (again.loaded, again.created, again.directive_id) == (False, 0, now.directive_id)
