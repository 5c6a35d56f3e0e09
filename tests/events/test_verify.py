"""GET /verify/{code}: anyone checks a certificate by its code, fed by the awards' grants and revocations.

The awards service's side (the code set at grant, printed with its QR code) is in
tests/awards/test_documents.py; here the events it sends are played on the real JetStream.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from shared import events, verification
from tests.events.conftest import Bus, Source, new_source
from tests.support import Api, eventually

FIELDS = {
    "code",
    "name",
    "kind",
    "unit_name",
    "campaign",
    "category",
    "form",
    "decision_number",
    "decision_date",
    "status",
    "year",
}
JSON = {"Accept": "application/json"}


@pytest.fixture
async def source(bus: Bus, anonymous: Api) -> Source:
    return await new_source(bus, anonymous.events)


def grant_with_code(source: Source, name: str, code: str, **kwargs: Any) -> events.AwardGranted:
    data = source.grant_event(name, **kwargs)
    fields = {f: getattr(data, f) for f in data.__struct_fields__}
    return events.AwardGranted(**{**fields, "verification_code": code, "nominee_person_id": uuid.uuid4()})


async def answer(client: httpx.AsyncClient, code: str, status: int = 200) -> dict[str, Any]:
    resp = await client.get(f"/verify/{code}", headers=JSON)
    assert resp.status_code == status, resp.text
    return resp.json()


async def standing_as(client: httpx.AsyncClient, code: str, status: str) -> bool:
    resp = await client.get(f"/verify/{code}", headers=JSON)
    return resp.status_code == 200 and resp.json()["status"] == status


async def test_a_granted_award_is_verified_by_its_code_and_shows_nothing_private(
    source: Source, anonymous: Api
) -> None:
    code = verification.new_code()
    data = grant_with_code(source, "Nguyễn Thị Ánh Tuyết", code, unit_name="Chi bộ Ấp Một")
    await source.bus.send(source.record_grant(data, version=3))
    printed = verification.display(code)
    await eventually(lambda: standing_as(anonymous.events, printed, "standing"))
    body = await answer(anonymous.events, printed)
    assert set(body) == FIELDS
    assert body == {
        "code": printed,
        "name": "Nguyễn Thị Ánh Tuyết",
        "kind": "individual",
        "unit_name": "Chi bộ Ấp Một",
        "campaign": source.campaign.name,
        "category": "Cá nhân tiêu biểu",
        "form": "Giấy khen",
        "decision_number": "123/QĐ-UBND",
        "decision_date": "2024-05-19",
        "status": "standing",
        "year": 2024,
    }
    assert str(data.nominee_person_id) not in str(body) and str(data.award_id) not in str(body)
    # Typed back as a person would: lower case, without or with other dashes, O for 0, I or L for 1.
    sloppy = code.lower().replace("0", "o").replace("1", "l")
    for typed in (code, code.lower(), sloppy, f"{code[:3]} {code[3:7]}-{code[7:]}", printed.lower()):
        assert (await answer(anonymous.events, typed))["code"] == printed, typed
    # The page, in Vietnamese, for a phone, with no script.
    page = await anonymous.events.get(f"/verify/{code.lower()}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Nguyễn Thị Ánh Tuyết" in page.text and "đang có hiệu lực" in page.text and printed in page.text
    assert 'name="viewport"' in page.text and "<script" not in page.text
    assert "script-src" not in page.headers["content-security-policy"]
    assert str(data.nominee_person_id) not in page.text


async def test_a_revoked_award_still_answers_saying_so(source: Source, anonymous: Api) -> None:
    code = verification.new_code()
    data = grant_with_code(source, "Trần Văn Bình", code)
    await source.bus.send(source.record_grant(data, version=3))
    await eventually(lambda: standing_as(anonymous.events, code, "standing"))
    await source.bus.send(
        events.envelope(
            events.AwardRevoked(award_id=data.award_id, nomination_id=data.award_id, revoked_at=datetime.now(UTC)),
            producer="awards",
            aggregate_id=data.award_id,
            version=4,
        )
    )
    await eventually(lambda: standing_as(anonymous.events, code, "revoked"))
    body = await answer(anonymous.events, code)
    assert (body["status"], body["name"], body["decision_number"]) == ("revoked", "Trần Văn Bình", "123/QĐ-UBND")
    page = await anonymous.events.get(f"/verify/{verification.display(code)}")
    assert page.status_code == 200 and "đã bị thu hồi" in page.text
    # The grant again (a replay, a redelivery past the duplicate window): it stays revoked.
    await source.bus.send(source.record_grant(data, version=3), msg_id=str(uuid.uuid4()))
    await source.bus.send(events.envelope(data, producer="awards", aggregate_id=data.award_id, version=3))
    nonce = verification.new_code()
    marker = grant_with_code(source, "Mốc", nonce)
    await source.bus.send(source.record_grant(marker, version=3))
    await eventually(lambda: standing_as(anonymous.events, nonce, "standing"))  # the replays came before it
    assert (await answer(anonymous.events, code))["status"] == "revoked"


async def test_a_revocation_before_its_grant_keeps_it_revoked(source: Source, anonymous: Api) -> None:
    """Restated by `thidua republish` (the revocation carries the code), or delivered out of order."""
    code = verification.new_code()
    data = grant_with_code(source, "Lê Văn Cường", code)
    revoked = events.AwardRevoked(
        award_id=data.award_id, nomination_id=data.award_id, revoked_at=datetime.now(UTC), verification_code=code
    )
    await source.bus.publish(revoked, aggregate_id=data.award_id, version=4)
    await eventually(lambda: standing_as(anonymous.events, code, "revoked"))
    assert (await answer(anonymous.events, code))["name"] is None
    await source.bus.send(source.record_grant(data, version=3))  # older: fills in the names only

    async def named() -> bool:
        return (await answer(anonymous.events, code))["name"] == "Lê Văn Cường"

    await eventually(named)
    assert (await answer(anonymous.events, code))["status"] == "revoked"


async def test_an_unknown_code_is_404(anonymous: Api) -> None:
    unknown = verification.new_code()
    for typed in (unknown, "ABC", "U" * 12, "x" * 300, "7KQ2-M9XD-3FAB-0000"):
        resp = await anonymous.events.get(f"/verify/{typed}", headers=JSON)
        assert resp.status_code == 404, (typed, resp.text)
        assert resp.headers["content-type"].startswith("application/problem+json")
        assert resp.json()["status"] == 404
        page = await anonymous.events.get(f"/verify/{typed}")
        assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
        assert "Không tìm thấy" in page.text
    # The form's lookup leads to the code's page; a code that cannot be one is the 404 page.
    resp = await anonymous.events.get("/verify", params={"code": unknown.lower()})
    assert resp.status_code == 303 and resp.headers["location"] == f"/verify/{verification.display(unknown)}"
    assert (await anonymous.events.get("/verify", params={"code": "không phải mã"})).status_code == 404
    form = await anonymous.events.get("/verify")
    assert form.status_code == 200 and "Mã xác thực" in form.text
