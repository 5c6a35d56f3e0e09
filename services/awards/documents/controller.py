"""The documents over HTTP, as PDF: the decision with its annex, the certificates (one, or many in one file),
the council's ballot record. 404 for what does not exist, 403 for a role that may not read it, as everywhere.

Who reads what: the decision, whoever reads the decision (`GET /decisions/{id}`: any signed-in account);
the certificates and the minutes, committee and admin (a certificate carries the award's verification code,
which no public answer shows; the minutes, the council's votes).
"""

from __future__ import annotations

import uuid
from typing import Annotated

import asyncpg
from litestar import Controller, get
from litestar.params import Parameter
from litestar.response import Response

from shared.auth import Role, authenticated, roles
from shared.settings import Settings

from . import service
from .service import Document

STAFF = roles(Role.ADMIN, Role.COMMITTEE)
PDF = "application/pdf"


def _answer(document: Document) -> Response[bytes]:
    return Response(
        document.content,
        media_type=document.media_type,
        headers={
            "Content-Disposition": document.disposition(),
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


class DocumentController(Controller):
    path = "/"
    tags = ["documents"]

    @get(
        "/decisions/{decision_id:uuid}/document.pdf",
        guards=[authenticated],
        media_type=PDF,
        summary="The decision as a signed administrative document, with its annex listing every awardee (PDF)",
    )
    async def decision(self, decision_id: uuid.UUID, pool: asyncpg.Pool) -> Response[bytes]:
        return _answer(await service.decision_document(pool, decision_id))

    @get(
        "/decisions/{decision_id:uuid}/certificates.pdf",
        guards=[STAFF],
        media_type=PDF,
        summary="The certificates of a decision's standing awards, a page each, in one PDF (committee, admin)",
    )
    async def decision_certificates(
        self, decision_id: uuid.UUID, pool: asyncpg.Pool, settings: Settings
    ) -> Response[bytes]:
        return _answer(await service.certificates(pool, settings.peers.events_public_url, decision_id=decision_id))

    @get(
        "/awards/certificates.pdf",
        guards=[STAFF],
        media_type=PDF,
        summary="The certificates of many standing awards, a page each, in one PDF (committee, admin)",
        description=f"Filtered as `GET /awards` is; at most {service.MAX_CERTIFICATES} (409 above: narrow the "
        "filter), 404 when none matches.",
    )
    async def many_certificates(
        self,
        pool: asyncpg.Pool,
        settings: Settings,
        campaign_id: uuid.UUID | None = None,
        decision_id: uuid.UUID | None = None,
        year: Annotated[int | None, Parameter(ge=1945, le=2100)] = None,
    ) -> Response[bytes]:
        return _answer(
            await service.certificates(
                pool, settings.peers.events_public_url, decision_id=decision_id, campaign_id=campaign_id, year=year
            )
        )

    @get(
        "/awards/{award_id:uuid}/certificate.pdf",
        guards=[STAFF],
        media_type=PDF,
        summary="An award's certificate, with its verification code and the QR code of its verification URL "
        "(committee, admin; 409 for a revoked award)",
    )
    async def certificate(self, award_id: uuid.UUID, pool: asyncpg.Pool, settings: Settings) -> Response[bytes]:
        return _answer(await service.certificate(pool, award_id, settings.peers.events_public_url))

    @get(
        "/campaigns/{campaign_id:uuid}/minutes.pdf",
        guards=[STAFF],
        media_type=PDF,
        summary="The council's ballot record of a campaign (committee, admin; a secret ballot shows counts only)",
    )
    async def minutes(self, campaign_id: uuid.UUID, pool: asyncpg.Pool) -> Response[bytes]:
        return _answer(await service.minutes(pool, campaign_id))
