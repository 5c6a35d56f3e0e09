"""The notice's web pages: Vietnamese, rendered on the server, usable without
JavaScript, in the honour roll's look. Each carries a Content-Security-Policy
that allows no script at all and only this page's own style (by its hash), and
forms that post here only."""

from __future__ import annotations

import base64
import functools
import hashlib
import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from litestar.response import Response
from litestar.template import TemplateProtocol

from shared.errors import FieldError

from ..domain import OBJECTION_LIMITS
from ..roll.export import KIND_LABELS
from ..schemas import CampaignRef
from .schemas import Notice

HTML = "text/html"
TEMPLATES = Path(__file__).parent.parent / "templates"

FIELD_LABELS = {"name": "Họ và tên", "contact": "Thông tin liên hệ", "content": "Nội dung ý kiến"}


@functools.cache
def css() -> str:
    """The roll's style and the notice's own: one <style> element, allowed by its hash."""
    return (TEMPLATES / "roll.css").read_text() + (TEMPLATES / "notices.css").read_text()


@functools.cache
def headers() -> dict[str, str]:
    digest = base64.b64encode(hashlib.sha256(css().encode()).digest()).decode()
    return {
        "Content-Security-Policy": (
            f"default-src 'none'; style-src 'sha256-{digest}'; img-src 'self'; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'"
        ),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-cache",
    }


def vn_date(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def said(error: FieldError) -> str:
    """A field's problem, said to a citizen in Vietnamese."""
    label = FIELD_LABELS.get(error.field, "Nội dung gửi")
    if "required" in error.message:
        return f"Vui lòng nhập {label.lower()}."
    if "control characters" in error.message:
        return f"{label} có ký tự không hợp lệ."
    if "at most" in error.message:
        return f"{label} quá dài: tối đa {OBJECTION_LIMITS.get(error.field, 0)} ký tự."
    return f"{label} không hợp lệ."


def grouped(notices: Sequence[Notice]) -> list[tuple[CampaignRef, list[Notice]]]:
    """The notices by campaign, in the order they come (newest year first)."""
    groups: dict[uuid.UUID, tuple[CampaignRef, list[Notice]]] = {}
    for n in notices:
        groups.setdefault(n.campaign.id, (n.campaign, []))[1].append(n)
    return list(groups.values())


def render_list(
    template: TemplateProtocol,
    notices: Sequence[Notice],
    campaigns: Sequence[CampaignRef],
    *,
    campaign_id: str = "",
    today: date,
    problem: str | None = None,
    failed: uuid.UUID | None = None,
    errors: Mapping[str, list[str]] | None = None,
    typed: Mapping[str, str] | None = None,
    status: int = 200,
) -> Response:
    """The list of what is on notice; `failed` is the item whose form is shown again with `errors` and `typed`."""
    context: dict[str, Any] = {
        "css": css(),
        "groups": grouped(notices),
        "campaigns": campaigns,
        "campaign_id": campaign_id,
        "kinds": KIND_LABELS,
        "vn_date": vn_date,
        "today": today,
        "problem": problem,
        "failed": failed,
        "errors": errors or {},
        "typed": typed or {},
        "limits": OBJECTION_LIMITS,
        "labels": FIELD_LABELS,
    }
    return Response(template.render(**context).encode(), status_code=status, media_type=HTML, headers=headers())


def render_message(
    template: TemplateProtocol,
    title: str,
    lines: Sequence[str],
    *,
    status: int = 200,
    extra_headers: Mapping[str, str] | None = None,
) -> Response:
    """A short page: the objection received, or why it could not be."""
    body = template.render(css=css(), title=title, lines=list(lines)).encode()
    return Response(body, status_code=status, media_type=HTML, headers={**headers(), **(extra_headers or {})})
