"""The demo's live review: a campaign of the current year left before the council.

The 2014 scenario is history: decided, granted, honoured. So that a user of
`make run` also sees the review as it runs, the loader leaves a second
campaign, "Dân vận khéo" of the current year, in the middle of it: a council of
the three standing members, an open ballot for collectives and a secret one for
individuals, one nomination that cannot pass because a member recused himself,
ballots still waiting for members, one dossier returned for completion, and
three approved nominations on public notice (one with an objection from the
public), which no decision may include until their window has run and the
objection is resolved. Everything is marked "(mẫu)" like the rest of the demo.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from thidua.apiclient import ApiError, until_known

from .scenario import DEMO_MARK, CategoryPlan, Plan

if TYPE_CHECKING:
    from .loader import Loader

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
COMMENT_DAYS = 10

# A member's part in one ballot: a vote, a recusal, or nothing yet.
YES, NO, RECUSE = "yes", "no", "recuse"


@dataclass(frozen=True)
class LiveNomination:
    key: str
    category_code: str
    committee_code: str  # whose officer submits it
    achievements: str
    ballots: tuple[str | None, ...]  # one per member of the council, in order
    then: str | None = None  # "approve" | "return" | None (left before the council)
    unit_code: str | None = None
    person: tuple[str, str] | None = None  # (full name, unit code) of a person the 2014 scenario added
    objection: bool = False


@dataclass(frozen=True)
class LivePlan:
    code: str
    name: str
    year: int
    categories: tuple[CategoryPlan, ...]
    nominations: tuple[LiveNomination, ...]


def live_plan(plan: Plan, year: int | None = None) -> LivePlan:
    year = year or datetime.now(VIETNAM).year
    code = f"DVK-{year}{plan.tag}"
    collective, individual = f"{code}-TT", f"{code}-CN"
    # Collectives: an open vote, more than half of the council (a council's working rules); individuals:
    # a secret ballot and at least 90% of its members, as Nghị định 91/2017/NĐ-CP Article 45 clause 8 set
    # for the province's "Chiến sĩ thi đua" (see services/awards/domain/council.py).
    categories = (
        CategoryPlan(
            collective,
            'Tập thể tiêu biểu trong phong trào thi đua "Dân vận khéo"',
            "collective",
            10,
            "Bằng khen",
            {"more_than_percent": 50},
            False,
            COMMENT_DAYS,
        ),
        CategoryPlan(
            individual,
            'Cá nhân tiêu biểu trong phong trào thi đua "Dân vận khéo"',
            "individual",
            5,
            "Bằng khen",
            {"at_least_percent": 90},
            True,
            COMMENT_DAYS,
        ),
    )
    committees = plan.committees
    people = [(n.person, n.committee_code) for n in plan.nominations if n.person is not None]
    merit = f"Vận động nhân dân thực hiện tốt các chủ trương của địa phương năm {year} (nội dung mẫu)."
    nominations = (
        LiveNomination(
            "tt1", collective, committees[0].code, merit, (YES, YES, YES), "approve", committees[0].grassroots[0]
        ),
        LiveNomination(
            "tt2",
            collective,
            committees[1].code,
            merit,
            (YES, YES, YES),
            "approve",
            committees[1].grassroots[0],
            objection=True,
        ),
        LiveNomination(
            "tt3", collective, committees[2].code, merit, (YES, NO, RECUSE), None, committees[2].grassroots[0]
        ),
        LiveNomination(
            "tt4", collective, committees[3].code, merit, (YES, None, None), None, committees[3].grassroots[0]
        ),
    ) + tuple(
        LiveNomination(
            f"cn{i}",
            individual,
            committee_code,
            merit,
            ballots,
            then,
            person=(person.full_name, person.unit_code),
        )
        for i, ((person, committee_code), ballots, then) in enumerate(
            zip(
                people[:3],
                [(YES, YES, YES), (YES, YES, None), (None, None, None)],
                ["approve", None, "return"],
                strict=True,
            ),
            start=1,
        )
    )
    return LivePlan(code, f'Phong trào thi đua "Dân vận khéo" năm {year}', year, categories, nominations)


class LiveReview:
    """Bring the live campaign to its planned state; every step looks first, so a second run changes nothing."""

    def __init__(self, loader: Loader, live: LivePlan) -> None:
        self.loader = loader
        self.c = loader.c
        self.live = live
        self.campaign: dict[str, Any] = {}
        self.category_ids: dict[str, str] = {}
        self.nominations: dict[str, dict[str, Any]] = {}

    async def done(self) -> bool:
        """Is it there already (public calls only): the campaign, with its approvals holding their places?"""
        campaign = await self.find_campaign()
        if campaign is None:
            return False
        held = {k["code"]: k["held"] for k in campaign.get("categories") or []}
        wanted: dict[str, int] = {}
        for n in self.live.nominations:
            wanted[n.category_code] = wanted.get(n.category_code, 0) + (n.then == "approve")
        return all(held.get(code) == count for code, count in wanted.items())

    async def find_campaign(self) -> dict[str, Any] | None:
        page = await self.c.get("awards", "/campaigns", params={"q": self.live.code, "limit": 200})
        found = next((c for c in page["items"] if c["code"] == self.live.code), None)
        return await self.c.get("awards", f"/campaigns/{found['id']}") if found else None

    async def run(self) -> None:
        loader = self.loader
        await self.ensure_campaign()
        await loader.ensure_council(self.campaign["id"])
        await self.ensure_nominations()
        await self.ballots()
        approved = await self.conclude()
        for n in self.live.nominations:
            if n.objection and n.key in approved:
                await self.c.post(
                    "awards",
                    f"/notices/{self.nominations[n.key]['id']}/objections",
                    json={
                        "name": f"Nguyễn Văn Dân {DEMO_MARK}",
                        "contact": "0900 000 000 (mẫu)",
                        "content": "Đề nghị làm rõ kết quả vận động nhân dân hiến đất năm nay (ý kiến mẫu).",
                    },
                    ok=(201,),
                )
        loader.say(
            f'live review: "{self.live.name}" before the council of {len(loader.plan.members)} members: '
            f"{len(self.live.nominations)} nominations, {len(approved)} approved now and on public notice "
            f"for {COMMENT_DAYS} working days"
        )

    async def ensure_campaign(self) -> None:
        loader, live = self.loader, self.live
        campaign = await self.find_campaign()
        if campaign is None:
            campaign = await self.c.post(
                "awards",
                "/campaigns",
                token=loader.chair,
                idempotency_key=loader.key("campaign", live.code),
                json={
                    "code": live.code,
                    "name": live.name,
                    "organizer_unit_id": await self.unit_id(loader.plan.province.code),
                    "year": live.year,
                    "starts_on": f"{live.year}-01-01",
                    "ends_on": f"{live.year}-12-31",
                    "description": (
                        "Phong trào của năm nay, để lại đang xét duyệt: phiếu biểu quyết của hội đồng và "
                        f"danh sách niêm yết lấy ý kiến nhân dân {DEMO_MARK}."
                    ),
                },
                ok=(201,),
            )
        have = {k["code"]: k["id"] for k in campaign.get("categories") or []}
        for cat in live.categories:
            if cat.code not in have:
                answer = await self.c.post(
                    "awards",
                    f"/campaigns/{campaign['id']}/categories",
                    token=loader.chair,
                    idempotency_key=loader.key("category", live.code, cat.code),
                    json=cat.as_json(),
                    ok=(201,),
                )
                have[cat.code] = answer["id"]
        self.campaign, self.category_ids = campaign, have

    async def unit_id(self, code: str) -> str:
        if code not in self.loader.unit_ids:
            unit = await self.c.unit_by_code(code)
            if unit is None:
                raise ApiError("GET", "/units", 404, f"no unit {code}")
            self.loader.unit_ids[code] = unit["id"]
        return self.loader.unit_ids[code]

    async def ensure_nominations(self) -> None:
        loader = self.loader
        for n in await self.c.all(
            "awards", "/nominations", token=loader.chair, params={"campaign_id": self.campaign["id"]}
        ):
            if n["status"] not in ("withdrawn", "rejected"):
                self.nominations[n["nominee_unit_id"] or n["nominee_person_id"]] = n
        by_key: dict[str, dict[str, Any]] = {}
        for plan in self.live.nominations:
            token = loader.officer_of(plan.committee_code)
            body: dict[str, Any] = {
                "category_id": self.category_ids[plan.category_code],
                "achievements": plan.achievements,
            }
            if plan.unit_code:
                nominee = body["nominee_unit_id"] = await self.unit_id(plan.unit_code)
            else:
                assert plan.person is not None
                name, unit_code = plan.person
                unit_id = await self.unit_id(unit_code)
                people = await self.c.get("units", "/people", token=token, params={"unit_id": unit_id, "limit": 200})
                nominee = body["nominee_person_id"] = next(p["id"] for p in people["items"] if p["full_name"] == name)
            if nominee in self.nominations:
                by_key[plan.key] = self.nominations[nominee]
            else:
                by_key[plan.key] = await self.submit(token, plan.key, body)
        self.nominations = by_key

    async def submit(self, token: str, key: str, body: dict[str, Any]) -> dict[str, Any]:
        async def once() -> dict[str, Any]:
            return dict(
                await self.c.post(
                    "awards",
                    "/nominations",
                    token=token,
                    idempotency_key=self.loader.key("nomination", self.live.code, key),
                    json=body,
                    ok=(201,),
                )
            )

        return await until_known(once, 60.0)

    async def ballots(self) -> None:
        loader = self.loader
        secret = {k.code: k.secret_ballot for k in self.live.categories}
        for plan in self.live.nominations:
            n = self.nominations[plan.key]
            if n["status"] != "submitted":
                continue
            for member, part in zip(loader.plan.members, plan.ballots, strict=True):
                token = loader.tokens[member]
                if part is None:
                    continue
                url = f"/nominations/{n['id']}/votes"
                try:
                    await self.c.get("awards", f"{url}/mine", token=token)
                    continue  # cast on an earlier run
                except ApiError as exc:
                    if exc.status != 404:
                        raise
                if part == RECUSE:
                    await self.c.post(
                        "awards",
                        f"/nominations/{n['id']}/recuse",
                        token=token,
                        json={"reason": f"Người đứng đầu tập thể được đề nghị là người thân {DEMO_MARK}"},
                        ok=(200, 409),  # 409: recused on an earlier run
                    )
                    continue
                ballot: dict[str, Any] = {"approve": part == YES}
                if not secret[plan.category_code]:  # a secret ballot is yes or no, nothing more
                    ballot["comment"] = f"Biểu quyết mẫu {DEMO_MARK}"
                await self.c.post("awards", url, token=token, json=ballot, ok=(200, 201))

    async def conclude(self) -> set[str]:
        """Approve or return what the plan says; the keys of the nominations approved now."""
        chair = self.loader.chair
        approved: set[str] = set()
        for plan in self.live.nominations:
            n = self.nominations[plan.key]
            if n["status"] != "submitted" or plan.then is None:
                continue
            if plan.then == "approve":
                await self.c.post("awards", f"/nominations/{n['id']}/approve", token=chair, ok=(200,))
                approved.add(plan.key)
            else:
                await self.c.post(
                    "awards",
                    f"/nominations/{n['id']}/return",
                    token=chair,
                    json={"reason": f"Bổ sung bản thành tích có xác nhận của cấp ủy cơ sở {DEMO_MARK}"},
                    ok=(200,),
                )
        return approved
