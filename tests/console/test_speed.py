"""A console page that lists 50 nominations costs under 3 service round trips, whatever it lists:
the console says what each page cost in its `Server-Timing` header, and this holds it to it."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator

import pytest

from services.console.domain import LIST_PAGE_CALLS
from tests.awards.helpers import nomination_body, unit_here, units_under

from .conftest import Account, World, account
from .helpers import ConsoleClient, service_calls

COUNT = 55  # a full page of 50, and a second page


@pytest.fixture(scope="module")
async def busy(world: World) -> AsyncIterator[tuple[World, Account]]:
    """A district with 55 nominations (one per unit below it), and its officer."""
    district = await unit_here(
        world.admin, name="Huyện ủy Bắc Bình", kind="party_committee", parent_id=world.province["id"]
    )
    units = await units_under(world.admin, district, COUNT)
    officer = await account(world.admin, "officer", district["id"])
    for unit in units:
        resp = await officer.api.awards.post(
            "/nominations", json=nomination_body(world.collective["id"], unit_id=unit["id"])
        )
        assert resp.status_code == 201, resp.text
    yield world, officer
    await officer.api.aclose()


async def test_a_page_of_fifty_nominations_costs_two_service_calls(busy: tuple[World, Account]) -> None:
    world, officer = busy
    client = ConsoleClient(world)
    try:
        await client.sign_in(officer)
        first = await client.get("/nominations", params={"campaign_id": world.campaign["id"]})
        assert first.status_code == 200
        assert first.text.count('<a class="name" href="/nominations/') == 50
        assert service_calls(first) <= LIST_PAGE_CALLS < 3
        found = re.search(r'<a href="([^"]+)" rel="next">', first.text)
        assert found
        second = await client.get(html.unescape(found.group(1)))
        assert second.status_code == 200
        assert second.text.count('<a class="name" href="/nominations/') == COUNT - 50
        assert service_calls(second) <= LIST_PAGE_CALLS
        # The committee's view of everything, and its review queue, alike.
        member = ConsoleClient(world)
        try:
            await member.sign_in(world.committee[1])
            for path in ("/nominations", "/review", "/decisions/new"):
                resp = await member.get(path)
                assert resp.status_code == 200 and service_calls(resp) <= LIST_PAGE_CALLS, path
        finally:
            await member.aclose()
    finally:
        await client.aclose()
