"""From a decision to the public roll, end to end through the real services:
the committee's decision commits in the awards service, its relay publishes on
JetStream, the events service applies it, and the honouree is on GET /honorees
within a second, exactly as the awards service reports the award."""

from __future__ import annotations

from typing import Any

from tests.awards.helpers import approve, campaign, category, decide, nominate, person_here, unit_here
from tests.support import Api, eventually


def as_on_the_roll(award: dict[str, Any]) -> dict[str, Any]:
    """The public fields of an award (GET /awards/{id}) as the honour roll shows them."""
    return {
        "award_id": award["award_id"],
        "kind": award["kind"],
        "name": award["name"],
        "unit_id": award["unit_id"],
        "unit_name": award["unit_name"],
        "campaign": {"id": award["campaign_id"], "name": award["campaign_name"], "year": award["year"]},
        "category": {"id": award["category_id"], "name": award["category_name"]},
        "form": award["form"],
        "decision_number": award["decision_number"],
        "decision_date": award["decision_date"],
        "ceremony": None,
    }


async def test_a_decision_is_on_the_public_roll_within_a_second(admin: Api, committee: Api, anonymous: Api) -> None:
    unit = await unit_here(admin, name="Chi bộ Thôn Phú Thịnh", kind="grassroots_party_org")
    person = await person_here(admin, unit["id"], full_name="Hoàng Thị Thanh Xuân", position="Bí thư chi bộ")
    officer = await admin.as_new("officer", unit["id"])
    try:
        drive = await campaign(committee, unit["id"], name="Phong trào “Dân vận khéo” năm 2025")
        individual = await category(
            committee, drive["id"], kind="individual", name="Cá nhân tiêu biểu", form="Giấy khen"
        )
        collective = await category(committee, drive["id"], kind="collective", name="Tập thể tiêu biểu")
        nominations = [
            await nominate(officer, individual["id"], person_id=person["id"]),
            await nominate(officer, collective["id"], unit_id=unit["id"]),
        ]
        for n in nominations:
            await approve(committee, n["id"])
        decision = await decide(committee, [n["id"] for n in nominations], number="77/QĐ-UBND")
        # The clock starts at the decision's 201.
        award_ids = {a["award_id"] for a in decision["awards"]}
        assert len(award_ids) == 2

        async def on_the_roll() -> list[dict[str, Any]] | None:
            resp = await anonymous.events.get("/honorees", params={"campaign_id": drive["id"]})
            if resp.status_code != 200:  # the campaign itself not yet heard of
                return None
            items = resp.json()["items"]
            return items if {i["award_id"] for i in items} == award_ids else None

        rows = await eventually(on_the_roll, timeout=1.0)
    finally:
        await officer.aclose()

    for row in rows:
        resp = await anonymous.awards.get(f"/awards/{row['award_id']}")
        assert resp.status_code == 200, resp.text
        award = resp.json()
        assert award["status"] == "granted"
        assert row == as_on_the_roll(award)
    # Collectives first, as a decision lists them.
    assert [r["kind"] for r in rows] == ["collective", "individual"]
    assert rows[1]["name"] == "Hoàng Thị Thanh Xuân" and rows[0]["name"] == "Chi bộ Thôn Phú Thịnh"
