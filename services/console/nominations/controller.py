"""The nominations: the list the user may see, a new one, one nomination's page, its withdrawal, and
its unit officer's edit of the achievements (`Lưu`) and resubmission after a return (`Gửi lại`).

Round trips (the services' calls a page makes; `Server-Timing` reports them):
- `/nominations`, whatever it lists (50 a page): 2, made together: the
  nominations, and the campaigns that name their campaign and category
  (`domain.LIST_PAGE_CALLS`).
- `/nominations/new`: 1 (open campaigns with their categories); 3 once a
  category is chosen (and the nominees to pick from, with their units).
- `/nominations/{id}`: the nomination, then together its history, its
  campaign, its files, its eligibility checks and (committee, admin) its votes
  and the review items a revocation opened about it.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post

from shared.roles import Role

from .. import domain
from ..attachments import view as attachment_view
from ..attachments.upload import FORM_BODY_BYTES, reason_of, send_file
from ..client import Api, Refused
from ..notices.data import objections_of
from ..pages import query, render, see_other
from ..session.guards import allow
from ..session.service import Session

NOMINATORS = allow(*domain.NOMINATORS)
UNIT_OFFICERS = allow(*domain.UNIT_OFFICERS)
CAMPAIGNS_SHOWN = 200
NOMINEES_SHOWN = 50

# What each service field is called on the form, to show a refusal next to its field.
NEW_FORM_FIELDS = {
    "category_id": "category_id",
    "nominee_unit_id": "nominee",
    "nominee_person_id": "nominee",
    "achievements": "achievements",
}
NOTICES = {
    "submitted": "Đã gửi đề nghị.",
    "withdrawn": "Đã rút đề nghị.",
    "voted": "Đã ghi nhận ý kiến của bạn.",
    "approved": "Đã duyệt đề nghị.",
    "rejected": "Đã ghi nhận: không duyệt đề nghị.",
    "revoked": "Đã thu hồi khen thưởng.",
    "returned": "Đã trả lại đề nghị để đơn vị bổ sung.",
    "updated": "Đã lưu thành tích.",
    "resubmitted": "Đã gửi lại đề nghị.",
    "attached": "Đã tải lên tệp đính kèm.",
    "detached": "Đã xóa tệp đính kèm.",
    "recused": "Đã ghi nhận: bạn không tham gia biểu quyết đề nghị này.",
}


FILE_REFUSED_NOTICE = (
    "Đã gửi đề nghị, nhưng tệp đính kèm chưa được nhận (lý do ở mục Tệp đính kèm). Chọn tệp khác và bấm Tải lên."
)


def _text(form: Any, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def categories_of(campaigns: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every category of these campaigns by id, each with its campaign."""
    return {str(cat["id"]): {**cat, "campaign": c} for c in campaigns for cat in c.get("categories", [])}


def form_errors(exc: Refused, fields: dict[str, str]) -> tuple[dict[str, str], str | None]:
    """A refusal as the form's field errors (the service's words, next to the field they name) and what
    names no field of the form."""
    errors: dict[str, str] = {}
    for e in exc.errors:
        target = fields.get(e.field)
        if target:
            errors.setdefault(target, e.message)
    return errors, exc.detail


class NominationController(Controller):
    path = "/nominations"
    include_in_schema = False

    @get("/")
    async def list_nominations(
        self,
        request: Request[Any, Any, Any],
        api: Api,
        session: Session,
        campaign_id: str | None = None,
        status: str | None = None,
        cursor: str | None = None,
    ) -> Response[Any]:
        campaign = domain.parse_uuid(campaign_id)
        wanted = status if status in domain.FILTER_STATUSES else None
        page, campaigns = await asyncio.gather(
            api.get(
                "awards",
                "/nominations",
                {"campaign_id": campaign, "status": wanted, "limit": domain.PAGE_SIZE, "cursor": cursor},
            ),
            api.get("awards", "/campaigns", {"limit": CAMPAIGNS_SHOWN}),
        )
        items = campaigns["items"]
        next_url = None
        if page.get("next_cursor"):
            next_url = "/nominations" + query(campaign_id=campaign, status=wanted, cursor=page["next_cursor"])
        return render(
            request,
            "nominations.html",
            nominations=page["items"],
            campaigns=items,
            categories=categories_of(items),
            campaign_names={str(c["id"]): c["name"] for c in items},
            chosen={"campaign_id": str(campaign) if campaign else "", "status": wanted or ""},
            statuses=[(s, domain.status_name(s)) for s in domain.FILTER_STATUSES],
            next_url=next_url,
            first_url="/nominations" + query(campaign_id=campaign, status=wanted) if cursor else None,
            can_nominate=session.role in domain.NOMINATORS,
        )

    # ------------------------------------------------------------ a new nomination
    @get("/new", guards=[NOMINATORS])
    async def new_form(
        self,
        request: Request[Any, Any, Any],
        api: Api,
        session: Session,
        campaign_id: str | None = None,
        category_id: str | None = None,
        q: str | None = None,
        nominee: str | None = None,
    ) -> Response[Any]:
        return await self._new_page(
            request,
            api,
            session,
            campaign_id=campaign_id,
            category_id=category_id,
            q=(q or "").strip()[:200],
            nominee=nominee or "",
            achievements="",
        )

    async def _new_page(
        self,
        request: Request[Any, Any, Any],
        api: Api,
        session: Session,
        *,
        campaign_id: str | None,
        category_id: str | None,
        q: str,
        nominee: str,
        achievements: str,
        errors: dict[str, str] | None = None,
        error: str | None = None,
        status: int = 200,
    ) -> Response[Any]:
        """The form as far as the user got: the campaign, then its categories, then the nominees of that kind."""
        campaigns = (await api.get("awards", "/campaigns", {"status": "open", "limit": CAMPAIGNS_SHOWN}))["items"]
        campaign = next((c for c in campaigns if str(c["id"]) == str(domain.parse_uuid(campaign_id))), None)
        category = None
        if campaign is not None:
            category = next(
                (c for c in campaign["categories"] if str(c["id"]) == str(domain.parse_uuid(category_id))), None
            )
        candidates: list[dict[str, str]] = []
        more = False
        if category is not None:
            candidates, more = await self._candidates(api, session, category["nominee_kind"], q)
        return render(
            request,
            "nomination_new.html",
            status=status,
            campaigns=campaigns,
            campaign=campaign,
            category=category,
            candidates=candidates,
            more=more,
            q=q,
            nominee=nominee,
            achievements=achievements,
            errors=errors or {},
            error=error,
            idempotency_key=str(uuid.uuid4()),
        )

    async def _candidates(self, api: Api, session: Session, kind: str, q: str) -> tuple[list[dict[str, str]], bool]:
        """Who may be nominated in a category of `kind`: the units or people of the officer's subtree
        whose names match `q` (without diacritics), each as the form's value and a label."""
        under = str(session.unit_id) if session.unit_id and session.role == Role.OFFICER else None
        if kind == "collective":
            page = await api.get("units", "/units", {"under_id": under, "q": q or None, "limit": NOMINEES_SHOWN})
            found = [{"value": domain.nominee_value(kind, u["id"]), "label": u["name"]} for u in page["items"]]
            return found, bool(page.get("next_cursor"))
        people, units = await asyncio.gather(
            api.get("units", "/people", {"under_id": under, "q": q or None, "limit": NOMINEES_SHOWN}),
            api.get("units", "/units", {"under_id": under, "limit": 200}),
        )
        unit_names = {str(u["id"]): u["name"] for u in units["items"]}
        found = []
        for p in people["items"]:
            where = ", ".join(x for x in (p.get("position"), unit_names.get(str(p["unit_id"]))) if x)
            found.append(
                {
                    "value": domain.nominee_value(kind, p["id"]),
                    "label": p["full_name"] + (f" – {where}" if where else ""),
                }
            )
        return found, bool(people.get("next_cursor"))

    @post("/new", guards=[NOMINATORS], request_max_body_size=FORM_BODY_BYTES)
    async def submit(self, request: Request[Any, Any, Any], api: Api, session: Session) -> Response[Any]:
        form = await request.form()
        campaign_id, category_id = _text(form, "campaign_id"), _text(form, "category_id")
        nominee, q = _text(form, "nominee"), _text(form, "q")[:200]
        achievements = domain.textarea(_text(form, "achievements"))
        errors: dict[str, str] = {}
        category = domain.parse_uuid(category_id)
        chosen = domain.parse_nominee(nominee)
        if category is None:
            errors["category_id"] = "Chọn danh hiệu, hình thức."
        if chosen is None:
            errors["nominee"] = "Chọn đối tượng được đề nghị."
        if not achievements.strip():
            errors["achievements"] = "Nhập thành tích."
        error = None
        if not errors and category is not None and chosen is not None:
            field, ident = chosen
            key = domain.parse_uuid(_text(form, "idempotency_key"))
            try:
                created = await api.post(
                    "awards",
                    "/nominations",
                    {"category_id": str(category), field: str(ident), "achievements": achievements},
                    idempotency_key=str(key) if key else None,
                )
            except Refused as exc:
                if exc.status == 401:
                    raise
                errors, error = form_errors(exc, NEW_FORM_FIELDS)
                status = exc.status
            else:
                # The file, if one was chosen, goes to the nomination just created. Refused, the nomination
                # stands: its page says so, with the service's reason at its own `Tệp đính kèm` to retry.
                refused = await send_file(api, str(created["id"]), form)
                if refused is not None:
                    return await nomination_page(
                        request,
                        api,
                        session,
                        created["id"],
                        notice=FILE_REFUSED_NOTICE,
                        errors={"file": reason_of(refused)},
                        status=refused.status,
                    )
                return see_other(f"/nominations/{created['id']}?done=submitted")
        else:
            status = 400
        return await self._new_page(
            request,
            api,
            session,
            campaign_id=campaign_id,
            category_id=category_id,
            q=q,
            nominee=nominee,
            achievements=achievements,
            errors=errors,
            error=error,
            status=status,
        )

    # ------------------------------------------------------------ one nomination
    @get("/{nomination_id:uuid}")
    async def show(
        self,
        request: Request[Any, Any, Any],
        api: Api,
        session: Session,
        nomination_id: uuid.UUID,
        done: str | None = None,
    ) -> Response[Any]:
        return await nomination_page(request, api, session, nomination_id, notice=NOTICES.get(done or ""))

    @post("/{nomination_id:uuid}/withdraw", guards=[NOMINATORS])
    async def withdraw(
        self, request: Request[Any, Any, Any], api: Api, session: Session, nomination_id: uuid.UUID
    ) -> Response[Any]:
        return await _move(request, api, session, nomination_id, "withdraw", "withdrawn")

    @post("/{nomination_id:uuid}/edit", guards=[UNIT_OFFICERS])
    async def edit(
        self, request: Request[Any, Any, Any], api: Api, session: Session, nomination_id: uuid.UUID
    ) -> Response[Any]:
        achievements = domain.textarea(_text(await request.form(), "achievements"))
        typed = {"achievements": achievements}
        if not achievements.strip():
            return await nomination_page(
                request,
                api,
                session,
                nomination_id,
                errors={"achievements": "Nhập thành tích."},
                typed=typed,
                status=400,
            )
        try:
            await api.request("PATCH", "awards", f"/nominations/{nomination_id}", json={"achievements": achievements})
        except Refused as exc:
            if exc.status in (401, 404):
                raise
            return await nomination_page(
                request,
                api,
                session,
                nomination_id,
                errors={"achievements": exc.by_field().get("achievements", exc.detail)},
                typed=typed,
                status=exc.status,
            )
        return see_other(f"/nominations/{nomination_id}?done=updated")

    @post("/{nomination_id:uuid}/resubmit", guards=[UNIT_OFFICERS])
    async def resubmit(
        self, request: Request[Any, Any, Any], api: Api, session: Session, nomination_id: uuid.UUID
    ) -> Response[Any]:
        return await _move(request, api, session, nomination_id, "resubmit", "resubmitted")


async def _move(
    request: Request[Any, Any, Any], api: Api, session: Session, nomination_id: uuid.UUID, action: str, done: str
) -> Response[Any]:
    """An action of the nomination's own officer that sends nothing (withdraw, resubmit): the service's refusal
    is shown next to its button (the form's error key is the action), its success as a notice."""
    try:
        await api.post("awards", f"/nominations/{nomination_id}/{action}")
    except Refused as exc:
        if exc.status in (401, 404):
            raise
        return await nomination_page(
            request, api, session, nomination_id, errors={action: exc.detail}, status=exc.status
        )
    return see_other(f"/nominations/{nomination_id}?done={done}")


async def ballot_of(api: Api, session: Session, nomination: dict[str, Any], reviewer: bool) -> dict[str, Any]:
    """The nomination's ballot for templates/_ballot.html: its tally (and, open, its votes), the user's own
    vote, and whether the user may vote or recuse (a council's member, not recused, not voted for a
    recusal). Officers get the tally; the committee and admin also the council."""
    nid = nomination["id"]
    if not reviewer:
        tally = await api.get("awards", f"/nominations/{nid}/votes")
        return {"tally": tally, "mine": None, "may_vote": False, "may_recuse": False, "council": []}

    async def mine() -> dict[str, Any] | None:
        try:
            return dict(await api.get("awards", f"/nominations/{nid}/votes/mine"))
        except Refused as exc:
            if exc.status == 404:
                return None
            raise

    campaign_id = domain.parse_uuid(str(nomination["campaign_id"]))
    tally, own, council = await asyncio.gather(
        api.get("awards", f"/nominations/{nid}/votes"),
        mine(),
        api.get("awards", f"/campaigns/{campaign_id}/council"),
    )
    me = str(session.account_id)
    members = [str(i) for i in council.get("member_account_ids", [])]
    recused = any(str(r["account_id"]) == me for r in tally.get("recusals", []))
    member = me in members
    return {
        "tally": tally,
        "mine": own,
        "council": council.get("members", []),
        "may_vote": (not members or member) and not recused,
        "may_recuse": member and not recused and own is None,
    }


async def reviews_of(api: Api, nomination_id: uuid.UUID, reviewer: bool) -> list[dict[str, Any]]:
    """What a revocation put before the committee about this nomination (committee, admin; none for others)."""
    if not reviewer:
        return []
    found = await api.get("awards", "/reviews", {"status": "all", "nomination_id": str(nomination_id)})
    return list(found["items"])


async def nomination_page(
    request: Request[Any, Any, Any],
    api: Api,
    session: Session,
    nomination_id: uuid.UUID,
    *,
    notice: str | None = None,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    status: int = 200,
) -> Response[Any]:
    """A nomination's page: its status, record, history with reasons, the committee's votes, and the
    actions the user's role has on it now. A nomination outside the user's reach is the service's 403
    or 404, shown as that page and nothing of it."""
    nomination = await api.get("awards", f"/nominations/{nomination_id}")
    reviewer = session.role in domain.READERS_OF_REVIEW
    calls = [
        api.get("awards", f"/nominations/{nomination_id}/history"),
        api.get("awards", f"/campaigns/{domain.parse_uuid(str(nomination['campaign_id']))}"),
    ]
    history, campaign, ballot, objections, files, eligibility, reviews = await asyncio.gather(
        *calls,
        ballot_of(api, session, nomination, reviewer),
        objections_of(api, nomination, reviewer),
        api.get("awards", f"/nominations/{nomination_id}/attachments"),
        api.get("awards", f"/nominations/{nomination_id}/eligibility"),  # templates/_eligibility.html
        reviews_of(api, nomination_id, reviewer),
    )
    category = next((c for c in campaign.get("categories", []) if str(c["id"]) == str(nomination["category_id"])), None)
    submitted = nomination["status"] == "submitted"
    returned = nomination["status"] == "returned"
    unit_officer = session.role in domain.UNIT_OFFICERS
    return render(
        request,
        "nomination.html",
        status=status,
        n=nomination,
        history=history,
        campaign=campaign,
        category=category,
        ballot=ballot,
        objections=objections,  # templates/_objections.html
        files=attachment_view.files(files["items"]),  # templates/_attachments.html
        eligibility=eligibility,
        reviews=reviews,
        file_changes=attachment_view.changes(history),
        notice=notice,
        errors=errors or {},
        typed=typed or {},
        can_withdraw=session.role in domain.NOMINATORS and (submitted or returned),
        can_edit=unit_officer and (submitted or returned),
        can_resubmit=unit_officer and returned,
        can_return=session.role in domain.REVIEWERS and submitted,
        can_vote=session.role in domain.REVIEWERS and submitted and ballot["may_vote"],
        can_recuse=session.role in domain.REVIEWERS and submitted and ballot["may_recuse"],
        can_approve=session.role in domain.REVIEWERS and submitted,
        can_reject=session.role in domain.REVIEWERS and nomination["status"] in ("submitted", "approved"),
        reviewer=reviewer,
    )
