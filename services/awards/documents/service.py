"""Documents as use cases: read what a document shows, render it from its templates, answer its bytes.

Rendering (templates, QR codes, the PDF) is CPU work: it runs in a worker thread (`asyncio.to_thread`),
so the service keeps answering others meanwhile. The templates are those shipped in `templates/`, or an
office's of the same name in `$THIDUA_DOCUMENT_TEMPLATES` (shared/documents.py), read once per process.
"""

from __future__ import annotations

import asyncio
import functools
import re
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment

from shared import documents, verification
from shared.db import Queryable
from shared.errors import Conflict, NotFound

from ..council import service as council
from ..domain.statuses import NominationStatus
from . import repository

TEMPLATES = Path(__file__).parent / "templates"
# A request renders at most this many certificates (one page each): about a minute of one core.
MAX_CERTIFICATES = 5000
VIETNAM = timezone(timedelta(hours=7))


@dataclass(frozen=True, slots=True)
class Document:
    """A rendered document: its bytes and the name it is saved under."""

    content: bytes
    filename: str
    media_type: str = "application/pdf"

    def disposition(self, kind: str = "inline") -> str:
        """`inline; filename="quyet-dinh-12-QD-UBND.pdf"; filename*=UTF-8''Quy%E1%BA%BFt...`: an ASCII name for
        old clients and the Vietnamese one (RFC 6266, RFC 5987)."""
        return f"{kind}; filename=\"{ascii_name(self.filename)}\"; filename*=UTF-8''{quote(self.filename, safe='')}"


def ascii_name(name: str) -> str:
    """`Quyết định 12/QĐ-UBND.pdf` -> `Quyet-dinh-12-QD-UBND.pdf`: letters, digits, dots and dashes only."""
    decomposed = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"-{2,}", "-", re.sub(r"[^A-Za-z0-9.]+", "-", plain)).strip("-") or "document.pdf"


def file_name(*parts: str) -> str:
    """A file name from its parts, without the characters a file system refuses (`/` in a decision's number)."""
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "-", " ".join(p for p in parts if p)).strip() + ".pdf"


def vn_long_date(day: date) -> str:
    """`ngày 05 tháng 02 năm 2014`: the date line of an administrative document, a day below 10 and the months
    1 and 2 written with a leading zero (Nghị định 30/2020/NĐ-CP, Phụ lục I; article not confirmed here)."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


@functools.cache
def environment() -> Environment:
    env = documents.templates(TEMPLATES)
    env.filters["vn_long_date"] = vn_long_date
    env.filters["code"] = verification.display
    return env


def _today() -> date:
    return datetime.now(UTC).astimezone(VIETNAM).date()


# ------------------------------------------------------------------ the decision
async def decision_document(db: Queryable, decision_id: uuid.UUID) -> Document:
    """The decision as signed, with its annex listing every award it granted (a later revocation does not
    change what was signed)."""
    decision = await repository.decision(db, decision_id)
    if decision is None:
        raise NotFound("decision", decision_id)
    awards = [dict(r) for r in await repository.awards_of_decision(db, decision_id, standing_only=False)]
    issuer = await repository.issuer(db, awards[0]["campaign_id"]) if awards else None
    context = {
        "decision": dict(decision),
        "awards": awards,
        "issuer_name": issuer["issuer_name"] if issuer else None,
        "issuer_parent_name": issuer["issuer_parent_name"] if issuer else None,
        "campaigns": list(dict.fromkeys(a["campaign_name"] for a in awards)),
        "forms": list(dict.fromkeys(a["form"] for a in awards)),
        "collectives": sum(a["kind"] == "collective" for a in awards),
        "individuals": sum(a["kind"] == "individual" for a in awards),
    }
    title = f"Quyết định số {decision['number']}"

    def render() -> bytes:
        env = environment()
        pages = [documents.render(env, "decision.html", **context), documents.render(env, "annex.html", **context)]
        return documents.render_pdf(pages, title=title)

    return Document(await asyncio.to_thread(render), file_name("Quyết định", decision["number"]))


# ------------------------------------------------------------------ certificates
def verify_url(public_url: str, code: str) -> str:
    return f"{public_url}/verify/{verification.display(code)}"


def _certificates_pdf(
    rows: Sequence[dict[str, Any]], issuers: dict[uuid.UUID, Any], public_url: str, title: str
) -> bytes:
    env = environment()
    pages = []
    for row in rows:
        url = verify_url(public_url, row["verification_code"])
        issuer = issuers.get(row["campaign_id"])
        pages.append(
            documents.render(
                env,
                "certificate.html",
                a=row,
                code=verification.display(row["verification_code"]),
                verify_url=url,
                qr=documents.qr_data_uri(url, scale=5),
                issuer_name=issuer["issuer_name"] if issuer else None,
                issuer_parent_name=issuer["issuer_parent_name"] if issuer else None,
            )
        )
    return documents.render_pdf(pages, title=title, orientation="landscape")


async def _issuers(db: Queryable, rows: Sequence[dict[str, Any]]) -> dict[uuid.UUID, Any]:
    return {cid: await repository.issuer(db, cid) for cid in dict.fromkeys(r["campaign_id"] for r in rows)}


async def certificate(db: Queryable, award_id: uuid.UUID, public_url: str) -> Document:
    """One award's certificate; a revoked award has none (409)."""
    row = await repository.award(db, award_id)
    if row is None:
        raise NotFound("award", award_id)
    if row["status"] == NominationStatus.REVOKED:
        raise Conflict("this award was revoked: it has no certificate", kind="award-revoked")
    rows = [dict(row)]
    issuers = await _issuers(db, rows)
    content = await asyncio.to_thread(_certificates_pdf, rows, issuers, public_url, f"Chứng nhận {row['name']}")
    return Document(content, file_name(row["form"], row["name"]))


async def certificates(
    db: Queryable,
    public_url: str,
    *,
    decision_id: uuid.UUID | None = None,
    campaign_id: uuid.UUID | None = None,
    year: int | None = None,
) -> Document:
    """The certificates of many standing awards in one PDF, a page each, in the annex's order."""
    name = "Bằng khen, giấy khen"
    if decision_id is not None:
        decision = await repository.decision(db, decision_id)
        if decision is None:
            raise NotFound("decision", decision_id)
        name += f" theo Quyết định {decision['number']}"
    rows = [
        dict(r)
        for r in await repository.awards_where(
            db, campaign_id=campaign_id, decision_id=decision_id, year=year, limit=MAX_CERTIFICATES
        )
    ]
    if not rows:
        raise NotFound("award", detail="no standing award matches: there is no certificate to print")
    if len(rows) > MAX_CERTIFICATES:
        raise Conflict(
            f"more than {MAX_CERTIFICATES} certificates at once: narrow by decision, campaign or year",
            kind="too-many-certificates",
        )
    issuers = await _issuers(db, rows)
    content = await asyncio.to_thread(_certificates_pdf, rows, issuers, public_url, name)
    return Document(content, file_name(name))


# ------------------------------------------------------------------ the council's minutes
async def minutes(db: Queryable, campaign_id: uuid.UUID) -> Document:
    """The ballot's record of a campaign (biên bản kiểm phiếu): the council, each nomination's count and
    result, and who voted what only where the ballot was open."""
    campaign = await repository.campaign(db, campaign_id)
    if campaign is None:
        raise NotFound("campaign", campaign_id)
    ballot = await council.ballot(db, campaign_id)
    context = {
        "campaign": dict(campaign),
        "council": ballot.council,
        "entries": ballot.nominations,
        "today": _today(),
        "issuer_name": campaign["issuer_name"],
        "issuer_parent_name": campaign["issuer_parent_name"],
    }
    title = f"Biên bản kiểm phiếu {campaign['name']}"

    def render() -> bytes:
        return documents.render_pdf([documents.render(environment(), "minutes.html", **context)], title=title)

    return Document(await asyncio.to_thread(render), file_name("Biên bản kiểm phiếu", campaign["name"]))
