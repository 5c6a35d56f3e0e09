"""The public notice, for the committee and admin: what is on notice now (`/notices`, `Niêm yết`), and the
resolution of an objection from the nomination's page (templates/_objections.html).

Round trips: `/notices`, 1 (the awards service's notices); a resolution, 1, then the nomination's page.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post

from .. import domain
from ..client import Api, Refused
from ..nominations.controller import nomination_page
from ..pages import query, render, see_other
from ..session.guards import allow
from ..session.service import Session

READERS = allow(*domain.READERS_OF_REVIEW)
RESOLVERS = allow(*domain.REVIEWERS)


class NoticeController(Controller):
    path = "/"
    include_in_schema = False

    @get("/notices", guards=[READERS])
    async def list_notices(self, request: Request[Any, Any, Any], api: Api, cursor: str | None = None) -> Response[Any]:
        page = await api.get("awards", "/notices", {"limit": domain.PAGE_SIZE, "cursor": cursor})
        return render(
            request,
            "notices.html",
            notices=page["items"],
            next_url="/notices" + query(cursor=page["next_cursor"]) if page.get("next_cursor") else None,
            first_url="/notices" if cursor else None,
        )

    @post("/nominations/{nomination_id:uuid}/objections/{objection_id:uuid}/resolve", guards=[RESOLVERS])
    async def resolve(
        self,
        request: Request[Any, Any, Any],
        api: Api,
        session: Session,
        nomination_id: uuid.UUID,
        objection_id: uuid.UUID,
    ) -> Response[Any]:
        form = await request.form()
        value = form.get("resolution")
        resolution = domain.textarea(value if isinstance(value, str) else "")
        key = f"resolution-{objection_id}"
        error: str | None = None
        status = 400
        if not resolution.strip():
            error = "Nhập kết quả giải quyết."
        else:
            try:
                await api.post("awards", f"/objections/{objection_id}/resolve", {"resolution": resolution})
            except Refused as exc:
                if exc.status in (401, 404):
                    raise
                error, status = exc.by_field().get("resolution", exc.detail), exc.status
        if error is not None:
            return await nomination_page(
                request, api, session, nomination_id, errors={key: error}, typed={key: resolution}, status=status
            )
        return see_other(f"/nominations/{nomination_id}#phan-anh")
