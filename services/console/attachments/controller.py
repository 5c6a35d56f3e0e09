"""A nomination's files: download through the console (the browser never calls the awards service),
upload one, remove one. The awards service decides what a dossier takes (kind, size, who, when); the
console shows its reason next to `Tệp đính kèm`.

Round trips: a download 1 (streamed as it comes); an upload or a removal 1, then the page it leads to.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile

from .. import domain
from ..client import Api, Refused
from ..downloads import passed_on
from ..nominations.controller import nomination_page
from ..pages import see_other
from ..session.guards import allow
from ..session.service import Session
from .upload import CHOOSE_A_FILE, FORM_BODY_BYTES, reason_of, send_file

UNIT_OFFICERS = allow(*domain.UNIT_OFFICERS)
# What a download passes on of the service's answer.


class AttachmentController(Controller):
    path = "/"
    include_in_schema = False

    @get("/attachments/{attachment_id:uuid}")
    async def download(self, request: Request[Any, Any, Any], api: Api, attachment_id: uuid.UUID) -> Response[Any]:
        """The file's bytes as the awards service serves them, to whoever it serves them (403/404 pages else)."""
        return await passed_on(api, "awards", f"/attachments/{attachment_id}", request)

    @post(
        "/nominations/{nomination_id:uuid}/attachments", guards=[UNIT_OFFICERS], request_max_body_size=FORM_BODY_BYTES
    )
    async def upload(
        self, request: Request[Any, Any, Any], api: Api, session: Session, nomination_id: uuid.UUID
    ) -> Response[Any]:
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return await nomination_page(
                request, api, session, nomination_id, errors={"file": CHOOSE_A_FILE}, status=400
            )
        refused = await send_file(api, str(nomination_id), form)
        if refused is not None:
            return await nomination_page(
                request, api, session, nomination_id, errors={"file": reason_of(refused)}, status=refused.status
            )
        return see_other(f"/nominations/{nomination_id}?done=attached#ho-so-dinh-kem")

    @post("/attachments/{attachment_id:uuid}/delete", guards=[UNIT_OFFICERS])
    async def remove(
        self, request: Request[Any, Any, Any], api: Api, session: Session, attachment_id: uuid.UUID
    ) -> Response[Any]:
        form = await request.form()
        value = form.get("nomination_id")
        nomination_id = domain.parse_uuid(value if isinstance(value, str) else None)
        try:
            await api.request("DELETE", "awards", f"/attachments/{attachment_id}")
        except Refused as exc:
            if exc.status == 401 or nomination_id is None:
                raise
            return await nomination_page(
                request, api, session, nomination_id, errors={"attachments": exc.detail}, status=exc.status
            )
        if nomination_id is None:
            return see_other("/nominations")
        return see_other(f"/nominations/{nomination_id}?done=detached#ho-so-dinh-kem")
