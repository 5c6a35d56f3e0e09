"""The documents of the awards service, downloaded through the console (the browser never calls the awards
service): the decision with its annex, one certificate or all of a decision's, the council's minutes. The
awards service decides who may read each (403 and 404 pages else) and names the file.

Round trips: one, streamed as it comes.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Response, get

from ..client import Api
from ..downloads import passed_on


class DocumentDownloadController(Controller):
    path = "/"
    include_in_schema = False

    @get("/decisions/{decision_id:uuid}/document.pdf")
    async def decision(self, api: Api, decision_id: uuid.UUID) -> Response[Any]:
        return await passed_on(api, "awards", f"/decisions/{decision_id}/document.pdf")

    @get("/decisions/{decision_id:uuid}/certificates.pdf")
    async def certificates(self, api: Api, decision_id: uuid.UUID) -> Response[Any]:
        return await passed_on(api, "awards", f"/decisions/{decision_id}/certificates.pdf")

    @get("/awards/{award_id:uuid}/certificate.pdf")
    async def certificate(self, api: Api, award_id: uuid.UUID) -> Response[Any]:
        return await passed_on(api, "awards", f"/awards/{award_id}/certificate.pdf")

    @get("/campaigns/{campaign_id:uuid}/minutes.pdf")
    async def minutes(self, api: Api, campaign_id: uuid.UUID) -> Response[Any]:
        return await passed_on(api, "awards", f"/campaigns/{campaign_id}/minutes.pdf")
