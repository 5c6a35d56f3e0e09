"""The documents through the console: the links on a decision's, a nomination's and a ballot's page, and the
PDFs they lead to, with the user's token (the awards service decides who reads what)."""

from __future__ import annotations

import uuid

from tests.awards.helpers import approve, decide, nominate, person_here

from .conftest import World
from .helpers import ConsoleClient


async def test_the_committee_downloads_the_decision_the_certificates_and_the_minutes(world: World) -> None:
    committee = world.committee[0]
    # A person of its own: the people of the world are nominated by other tests of the session.
    person = await person_here(world.admin, world.district_a["id"], full_name=f"Đinh Thị Hoa {uuid.uuid4().hex[:4]}")
    n = await nominate(world.officer_a.api, world.individual["id"], person_id=person["id"])
    await approve(committee.api, n["id"])
    d = await decide(committee.api, [n["id"]], number=f"{uuid.uuid4().hex[:4]}/QĐ-TU")
    console = ConsoleClient(world)
    officer = ConsoleClient(world)
    try:
        await console.sign_in(committee)
        page = (await console.get(f"/decisions/{d['id']}")).text
        for link in (f"/decisions/{d['id']}/document.pdf", f"/decisions/{d['id']}/certificates.pdf"):
            assert f'href="{link}"' in page, link
        assert f'href="/awards/{n["id"]}/certificate.pdf"' in page
        assert f'href="/awards/{n["id"]}/certificate.pdf"' in (await console.get(f"/nominations/{n['id']}")).text
        ballot = (await console.get(f"/campaigns/{world.campaign['id']}/ballot")).text
        assert f'href="/campaigns/{world.campaign["id"]}/minutes.pdf"' in ballot
        for path in (
            f"/decisions/{d['id']}/document.pdf",
            f"/decisions/{d['id']}/certificates.pdf",
            f"/awards/{n['id']}/certificate.pdf",
            f"/campaigns/{world.campaign['id']}/minutes.pdf",
        ):
            resp = await console.get(path)
            assert resp.status_code == 200, (path, resp.text[:300])
            assert resp.headers["content-type"] == "application/pdf" and resp.content.startswith(b"%PDF")
            assert "filename*=UTF-8''" in resp.headers["content-disposition"]
        # An officer reads no certificate: the service's 403, as a page.
        await officer.sign_in(world.officer_a)
        refused = await officer.get(f"/awards/{n['id']}/certificate.pdf")
        assert refused.status_code == 403 and refused.headers["content-type"].startswith("text/html")
        assert 'href="/awards/' not in (await officer.get(f"/nominations/{n['id']}")).text
    finally:
        await console.aclose()
        await officer.aclose()
