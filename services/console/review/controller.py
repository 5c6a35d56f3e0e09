"""The committee's review: the queue of submitted nominations per campaign and category, with each
category's quota used, and the actions on one nomination (vote, approve, reject, and `Trả lại`:
return it to its unit to be completed, with a reason; the unit's officer edits and resubmits it).

Round trips: `/review` makes 2, together, whatever it lists: the submitted
nominations with their eligibility checks (each one's badge;
`include=eligibility`) and the campaigns (their categories' quotas and places
held).
Approving many at once (`POST /review/approve`) makes one approval per
checked nomination, in the queue's order, stopping at the first the quota
refuses (at most `BULK_MAX`), then the page's 2: at most N + 2 for N checked.

Revocation (`POST /nominations/{id}/revoke`, with a reason) revokes the award
that granted the nomination (the awards service's award id is the
nomination's id): 1 call, then the nomination's page.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post

from .. import domain
from ..client import Api, Refused
from ..nominations.controller import categories_of, nomination_page
from ..pages import query, render, see_other
from ..session.guards import allow
from ..session.service import Session

READERS = allow(*domain.READERS_OF_REVIEW)
REVIEWERS = allow(*domain.REVIEWERS)
REVOKERS = allow(*domain.REVOKERS)
QUEUE_SIZE = 200  # the most a page of the queue lists (the services' largest page)
BULK_MAX = QUEUE_SIZE  # the most nominations one bulk approval tries (the queue lists no more)
QUOTA_FULL = "/problems/quota-full"  # the awards service's refusal of an approval beyond the quota


def _text(form: Any, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def queue(
    nominations: list[dict[str, Any]], campaigns: list[dict[str, Any]], chosen: str | None
) -> list[dict[str, Any]]:
    """The submitted nominations grouped by campaign, then category (in the campaign's order), each
    category with its quota and places held. The chosen campaign shows all its categories; the others
    only those with something waiting."""
    waiting: dict[str, list[dict[str, Any]]] = {}
    for n in nominations:
        waiting.setdefault(str(n["category_id"]), []).append(n)
    groups = []
    for c in campaigns:
        shown = []
        for cat in c.get("categories", []):
            items = sorted(waiting.get(str(cat["id"]), []), key=lambda n: n["nominee_name"])
            if items or str(c["id"]) == chosen:
                shown.append({**cat, "items": items})
        if shown:
            groups.append({**c, "shown": shown, "waiting": sum(len(cat["items"]) for cat in shown)})
    return groups


class ReviewController(Controller):
    path = "/"
    include_in_schema = False

    @get("/review", guards=[READERS])
    async def review(
        self,
        request: Request[Any, Any, Any],
        api: Api,
        session: Session,
        campaign_id: str | None = None,
        cursor: str | None = None,
    ) -> Response[Any]:
        return await self._queue_page(request, api, session, campaign_id, cursor)

    async def _queue_page(
        self,
        request: Request[Any, Any, Any],
        api: Api,
        session: Session,
        campaign_id: str | None,
        cursor: str | None = None,
        *,
        bulk: dict[str, Any] | None = None,
        status: int = 200,
    ) -> Response[Any]:
        campaign = domain.parse_uuid(campaign_id)
        page, campaigns = await asyncio.gather(
            api.get(
                "awards",
                "/nominations",
                {
                    "status": "submitted",
                    "campaign_id": campaign,
                    "limit": QUEUE_SIZE,
                    "cursor": cursor,
                    "include": "eligibility",
                },
            ),
            api.get("awards", "/campaigns", {"limit": 200}),
        )
        items = campaigns["items"]
        chosen = str(campaign) if campaign else None
        shown = [c for c in items if chosen is None or str(c["id"]) == chosen]
        next_url = None
        if page.get("next_cursor"):
            next_url = "/review" + query(campaign_id=chosen, cursor=page["next_cursor"])
        if bulk is not None:
            # Those not approved are still waiting: the fresh queue names them.
            names = {str(n["id"]): n["nominee_name"] for n in page["items"]}
            for item in bulk["refused"]:
                item["name"] = names.get(item["id"], item["name"])
        return render(
            request,
            "review.html",
            status=status,
            bulk=bulk,
            can_approve=session.role in domain.REVIEWERS,
            groups=queue(page["items"], shown, chosen),
            campaigns=items,
            chosen=chosen or "",
            total=len(page["items"]),
            next_url=next_url,
            categories=categories_of(items),
        )

    @post("/review/approve", guards=[REVIEWERS])
    async def approve_many(self, request: Request[Any, Any, Any], api: Api, session: Session) -> Response[Any]:
        """Approve the checked nominations of a category one by one, in the queue's order; the quota's
        refusal stops it (the rest would meet it too). The queue again, saying which were approved and
        which not, and why, with the category's `đã duyệt X/Y` after."""
        form = await request.form()
        picked = [domain.parse_uuid(v) for v in form.getall("nomination_id", []) if isinstance(v, str)]
        ids = list(dict.fromkeys(str(p) for p in picked if p is not None))
        campaign_id = _text(form, "campaign_id")
        category = domain.parse_uuid(_text(form, "category_id"))
        bulk: dict[str, Any] = {
            "category_id": str(category) if category else "",
            "approved": [],
            "refused": [],
            "error": None,
        }
        if not ids:
            bulk["error"] = "Chọn ít nhất một đề nghị để duyệt."
            return await self._queue_page(request, api, session, campaign_id, bulk=bulk, status=400)
        if len(ids) > BULK_MAX:
            bulk["error"] = f"Mỗi lần duyệt tối đa {BULK_MAX} đề nghị."
            return await self._queue_page(request, api, session, campaign_id, bulk=bulk, status=400)
        for i, nomination_id in enumerate(ids):
            try:
                done = await api.post("awards", f"/nominations/{nomination_id}/approve")
            except Refused as exc:
                if exc.status == 401:
                    raise
                if exc.type.endswith(QUOTA_FULL):
                    bulk["quota_full"] = exc.detail
                    for rest in ids[i:]:
                        bulk["refused"].append({"id": rest, "name": rest, "reason": exc.detail, "quota": True})
                    break
                bulk["refused"].append({"id": nomination_id, "name": nomination_id, "reason": exc.detail})
            else:
                bulk["approved"].append({"id": nomination_id, "name": done["nominee_name"]})
        return await self._queue_page(request, api, session, campaign_id, bulk=bulk)

    @post("/nominations/{nomination_id:uuid}/revoke", guards=[REVOKERS])
    async def revoke(
        self, request: Request[Any, Any, Any], api: Api, session: Session, nomination_id: uuid.UUID
    ) -> Response[Any]:
        return await self._with_reason(
            request,
            api,
            session,
            nomination_id,
            f"/awards/{nomination_id}/revoke",
            "revoke_reason",
            "Nhập lý do thu hồi.",
            "revoked",
        )

    @post("/nominations/{nomination_id:uuid}/vote", guards=[REVIEWERS])
    async def vote(
        self, request: Request[Any, Any, Any], api: Api, session: Session, nomination_id: uuid.UUID
    ) -> Response[Any]:
        form = await request.form()
        approve, comment = _text(form, "approve"), domain.textarea(_text(form, "comment"))
        if approve not in ("1", "0"):
            return await nomination_page(
                request,
                api,
                session,
                nomination_id,
                errors={"vote": "Chọn Đồng ý hoặc Không đồng ý."},
                typed={"comment": comment},
                status=400,
            )
        body = {"approve": approve == "1", "comment": comment.strip() or None}
        return await self._act(
            request, api, session, nomination_id, "votes", body, "vote", "voted", {"comment": comment}
        )

    @post("/nominations/{nomination_id:uuid}/recuse", guards=[REVIEWERS])
    async def recuse(
        self, request: Request[Any, Any, Any], api: Api, session: Session, nomination_id: uuid.UUID
    ) -> Response[Any]:
        """A council member's `Không tham gia biểu quyết`, with its `Lý do` (templates/_ballot.html)."""
        return await self._with_reason(
            request,
            api,
            session,
            nomination_id,
            f"/nominations/{nomination_id}/recuse",
            "recuse_reason",
            "Nhập lý do không tham gia biểu quyết.",
            "recused",
        )

    @post("/nominations/{nomination_id:uuid}/approve", guards=[REVIEWERS])
    async def approve(
        self, request: Request[Any, Any, Any], api: Api, session: Session, nomination_id: uuid.UUID
    ) -> Response[Any]:
        return await self._act(request, api, session, nomination_id, "approve", None, "approve", "approved", {})

    @post("/nominations/{nomination_id:uuid}/reject", guards=[REVIEWERS])
    async def reject(
        self, request: Request[Any, Any, Any], api: Api, session: Session, nomination_id: uuid.UUID
    ) -> Response[Any]:
        return await self._with_reason(
            request,
            api,
            session,
            nomination_id,
            f"/nominations/{nomination_id}/reject",
            "reason",
            "Nhập lý do không duyệt.",
            "rejected",
        )

    @post("/nominations/{nomination_id:uuid}/return", guards=[REVIEWERS])
    async def return_nomination(
        self, request: Request[Any, Any, Any], api: Api, session: Session, nomination_id: uuid.UUID
    ) -> Response[Any]:
        return await self._with_reason(
            request,
            api,
            session,
            nomination_id,
            f"/nominations/{nomination_id}/return",
            "return_reason",
            "Nhập lý do trả lại.",
            "returned",
        )

    async def _with_reason(
        self,
        request: Request[Any, Any, Any],
        api: Api,
        session: Session,
        nomination_id: uuid.UUID,
        path: str,
        box: str,
        missing: str,
        done: str,
    ) -> Response[Any]:
        """An action that needs a `Lý do` (reject, return, revoke): refused without one, or with the
        service's reason, by its own box on the page (it has one per action), keeping what was typed."""
        reason = domain.textarea(_text(await request.form(), "reason"))
        if not reason.strip():
            return await nomination_page(request, api, session, nomination_id, errors={box: missing}, status=400)
        try:
            await api.post("awards", path, {"reason": reason})
        except Refused as exc:
            if exc.status in (401, 404):
                raise
            return await nomination_page(
                request,
                api,
                session,
                nomination_id,
                errors={box: exc.by_field().get("reason", exc.detail)},
                typed={box: reason},
                status=exc.status,
            )
        return see_other(f"/nominations/{nomination_id}?done={done}")

    async def _act(
        self,
        request: Request[Any, Any, Any],
        api: Api,
        session: Session,
        nomination_id: uuid.UUID,
        call: str,
        body: dict[str, Any] | None,
        field: str,
        done: str,
        typed: dict[str, str],
    ) -> Response[Any]:
        """One committee action; refused, the page again with the service's reason by the action's form."""
        try:
            await api.post("awards", f"/nominations/{nomination_id}/{call}", body)
        except Refused as exc:
            if exc.status in (401, 404):
                raise
            return await nomination_page(
                request, api, session, nomination_id, errors={field: exc.detail}, typed=typed, status=exc.status
            )
        return see_other(f"/nominations/{nomination_id}?done={done}")
