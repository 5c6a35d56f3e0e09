"""Public verification over HTTP: `GET /verify/{code}` (the code printed on a certificate and in its QR
code) answers whom the award honours, for what, under which decision, and whether it stands or was
revoked: a page in Vietnamese, or JSON to `Accept: application/json`. A revoked award answers 200 saying
so; an unknown code 404 (a problem document, or a page). The code is read in any case, with or without
its dashes (shared/verification.py). Nothing private is shown.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from pathlib import Path
from typing import Any

import asyncpg
from litestar import Controller, Request, get
from litestar.response import Redirect, Response
from litestar.template import TemplateProtocol

from shared import verification
from shared.errors import NotFound

from ..notices.page import headers as page_headers
from ..roll.export import KIND_LABELS
from . import repository
from .schemas import Verification

HTML, JSON = "text/html", "application/json"
TEMPLATES = Path(__file__).parent.parent / "templates"


@functools.cache
def css() -> str:
    return (TEMPLATES / "roll.css").read_text(encoding="utf-8") + (TEMPLATES / "verify.css").read_text(encoding="utf-8")


@functools.cache
def headers() -> dict[str, str]:
    """The notice pages' headers (no script, only this page's style by its hash), for this page's style."""
    base = dict(page_headers())
    digest = base64.b64encode(hashlib.sha256(css().encode()).digest()).decode()
    base["Content-Security-Policy"] = (
        f"default-src 'none'; style-src 'sha256-{digest}'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    )
    base["Cache-Control"] = "no-cache"
    base["Vary"] = "Accept"
    return base


def _template(request: Request[Any, Any, Any]) -> TemplateProtocol:
    engine = request.app.template_engine
    assert engine is not None  # the service's spec names its template directory
    return engine.get_template("verify.html")


def _wants_json(request: Request[Any, Any, Any]) -> bool:
    return request.accept.best_match([HTML, JSON], default=HTML) == JSON


def _date(value: Any) -> str:
    return f"{value.day:02d}/{value.month:02d}/{value.year}" if value else ""


def _page(request: Request[Any, Any, Any], *, found: Verification | None, typed: str, status: int) -> Response[bytes]:
    body = _template(request).render(
        css=css(), v=found, typed=typed, kinds=KIND_LABELS, vn_date=_date, status_code=status
    )
    return Response(body.encode(), status_code=status, media_type=HTML, headers=headers())


class VerifyController(Controller):
    path = "/verify"
    tags = ["verification"]

    @get(
        "/",
        summary="The verification page: a form to type a certificate's code (public)",
        description="`?code=` leads (303) to `/verify/{code}`.",
    )
    async def form(self, request: Request[Any, Any, Any], code: str | None = None) -> Response[Any]:
        if code:
            found = verification.canonical(code)
            if found is not None:
                return Redirect(f"/verify/{verification.display(found)}", status_code=303)
            return _page(request, found=None, typed=code[:64], status=404)
        return _page(request, found=None, typed="", status=200)

    @get(
        "/{code:str}",
        summary="Verify a certificate by its code (public): a page, or JSON to `Accept: application/json`",
        description="`{code, name, kind, unit_name, campaign, category, form, decision_number, decision_date, "
        'status: "standing"|"revoked"}`. A revoked award answers 200 saying so; an unknown code 404. '
        "Case and dashes do not matter; O is read as 0, I and L as 1.",
    )
    async def verify(self, request: Request[Any, Any, Any], code: str, pool: asyncpg.Pool) -> Response[Any]:
        canonical = verification.canonical(code)
        found = await repository.by_code(pool, canonical) if canonical else None
        if _wants_json(request):
            if found is None:
                raise NotFound("certificate", detail="no award has this verification code", field="code")
            return Response(found, media_type=JSON, headers={"Cache-Control": "no-cache", "Vary": "Accept"})
        return _page(request, found=found, typed=code[:64], status=200 if found else 404)
