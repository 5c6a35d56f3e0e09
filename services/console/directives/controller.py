"""Carrying out a directive (the events service's `/directives`): the list, a directive's page with its
figures, charts and the units still without a programme, the officers' reports of their units'
programme and sessions, and the report's downloads.

- Every role reads the list and a directive's page (the figures are public anyway); officers (for a
  unit of their subtree) and the admin report a programme or a session on it. The events service decides
  who may report for which unit, that a unit has one programme (409) and the attendees' bounds (400):
  its refusal is shown next to the field it names.
- The charts are the events service's SVG, drawn there and put in the page as they come (no script).
- `Tải báo cáo (Word)` and `(PDF)` stream the events service's report through the console.
- An officer's own unit's programme is shown with its document (`Văn bản chương trình (PDF, Word)`,
  `Tải lên`): the file is sent on with the officer's token (PUT to the events service, which decides what
  it takes and who may), and downloaded through the console.
- The committee and the admin issue a directive (`Ban hành chương trình hành động`): its number, title,
  the resolution it carries out, the issuing unit and the campaigns whose honourees it counts.

Round trips: `/directives` 1; `/directives/new` 2 at once (the units, the campaigns); `/directives/{id}` 4 at once (the directive, its figures, the two charts),
and for a reporter 1 more at the same time (the units to pick from); a report 1, then the page;
a download 1.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile

from .. import domain
from ..admin.common import unit_choices
from ..attachments.upload import CHOOSE_A_FILE, FORM_BODY_BYTES, reason_of
from ..campaigns.controller import refusal_errors, text_of, ticked_campaigns, unit_and_campaign_choices
from ..client import Api, Refused
from ..downloads import passed_on
from ..pages import VIETNAM, query, render, see_other
from ..session.guards import allow
from ..session.service import Session

READERS = allow(*domain.DIRECTIVE_READERS)
ISSUERS = allow(*domain.DIRECTIVE_ISSUERS)
DIRECTIVE_FIELDS = ("code", "title", "implements", "issuing_unit_id", "issued_on", "campaign_ids")
EMPTY_DIRECTIVE_FIELDS = {
    "code": "Nhập số, ký hiệu của văn bản.",
    "title": "Nhập tên văn bản.",
    "implements": "Nhập văn bản cấp trên được thực hiện.",
    "issued_on": "Nhập ngày ban hành.",
}
INDEXED = re.compile(r"campaign_ids\[(\d+)\]")
REPORTERS = allow(*domain.DIRECTIVE_REPORTERS)
MISSING_SHOWN = 200
NOTICES = {
    "created": "Đã ban hành chương trình hành động.",
    "programme": "Đã ghi nhận chương trình, kế hoạch thực hiện của đơn vị.",
    "session": "Đã ghi nhận buổi học tập, quán triệt.",
    "document": "Đã tải lên văn bản chương trình.",
}
# The events service's session kinds, as the form offers them.
SESSION_KINDS = {
    "study": "Học tập, quán triệt",
    "training": "Tập huấn, bồi dưỡng",
    "dialogue": "Đối thoại",
    "other": "Hoạt động khác",
}
UNIT_KIND_NAMES = {
    "party_committee": "Đảng bộ trực thuộc",
    "grassroots_party_org": "Tổ chức cơ sở đảng",
    "government_agency": "Cơ quan nhà nước",
    "fatherland_front": "Mặt trận Tổ quốc",
    "mass_organization": "Đoàn thể chính trị – xã hội",
    "other": "Đơn vị khác",
}
KIND_ORDER = tuple(UNIT_KIND_NAMES)
AFTER_DAY = re.compile(r"on or after the directive's day, (\d{4})-(\d{2})-(\d{2})")
# What the events service says of a unit that may not report (`directives/domain.py`), in Vietnamese.
UNIT_REASONS = {
    "is not under the directive's issuing unit": "Đơn vị này không thuộc đơn vị ban hành văn bản.",
    "is the issuing unit": "Đơn vị ban hành không báo cáo chương trình, kế hoạch: văn bản này là chương trình của đơn vị.",
    "is not a unit known here": "Không tìm thấy đơn vị này.",
}


def vn_number(value: Any) -> str:
    """`53.486`."""
    try:
        return f"{int(value):,}".replace(",", ".")
    except (TypeError, ValueError):
        return str(value)


def day_said(message: str) -> str:
    """A date the events service refused, in Vietnamese (the directive's day as Vietnam writes it)."""
    found = AFTER_DAY.search(message)
    if found:
        year, month, day = (int(p) for p in found.groups())
        return f"Ngày phải từ ngày ban hành văn bản ({day}/{month}/{year}) trở đi."
    return "Ngày không hợp lệ."


@dataclass(frozen=True)
class ReportForm:
    """One of a directive page's two report forms: its fields (named `p_…` or `s_…` on the page, by `prefix`)
    with what each says when it is empty or not understood, the events service's path under the directive,
    the notice after it, and what its 409 says of the unit (None: its 409s are not about the unit)."""

    prefix: str
    path: str
    done: str
    missing: dict[str, str]
    taken: str | None = None

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(self.missing)


PROGRAMME = ReportForm(
    prefix="p",
    path="programmes",
    done="programme",
    missing={
        "unit_id": "Chọn đơn vị.",
        "number": "Nhập số, ký hiệu của chương trình, kế hoạch.",
        "issued_on": "Nhập ngày ban hành.",
        "title": "Nhập tên (trích yếu) của chương trình, kế hoạch.",
    },
    taken="Đơn vị này đã báo cáo chương trình, kế hoạch thực hiện (mỗi đơn vị một lần).",
)
SESSION = ReportForm(
    prefix="s",
    path="sessions",
    done="session",
    missing={
        "unit_id": "Chọn đơn vị.",
        "held_on": "Nhập ngày tổ chức.",
        "kind": "Chọn hình thức.",
        "title": "Nhập nội dung buổi học tập, quán triệt.",
        "attendees": "Nhập số người dự: một số nguyên, ví dụ 120.",
    },
)


# What the events service's refusal of a programme's document says, where its reason is not the file's.
DOCUMENT_REASONS = {
    400: "Chỉ nhận văn bản PDF hoặc Word (DOCX) đúng định dạng, không rỗng.",
    403: "Chương trình này thuộc đơn vị nằm ngoài phạm vi đơn vị của bạn.",
    404: "Không tìm thấy chương trình này.",
    413: "Tệp lớn hơn 20 MB.",
}


def said(exc: Refused, form: ReportForm) -> dict[str, str]:
    """The events service's refusal as the form's field errors, in Vietnamese where the reason is known."""
    p = form.prefix
    errors, detail = refusal_errors(exc, form.fields, prefix=f"{p}_")
    if exc.status == 403:
        errors[f"{p}_unit_id"] = "Đơn vị này nằm ngoài phạm vi đơn vị của bạn."
    elif exc.status == 409 and form.taken:
        errors[f"{p}_unit_id"] = form.taken
    elif exc.status == 404:
        errors[f"{p}_unit_id"] = "Không tìm thấy đơn vị hoặc văn bản này."
    if f"{p}_attendees" in errors:
        errors[f"{p}_attendees"] = "Số người dự phải là số nguyên từ 1 đến 1.000.000."
    for name in ("issued_on", "held_on"):
        if f"{p}_{name}" in errors:
            errors[f"{p}_{name}"] = day_said(errors[f"{p}_{name}"])
    unit = errors.get(f"{p}_unit_id", "")
    for reason, words in UNIT_REASONS.items():
        if reason in unit:
            errors[f"{p}_unit_id"] = words
    if not errors:
        errors[f"{p}_form"] = detail or exc.detail
    return errors


class DirectivePageController(Controller):
    path = "/directives"
    include_in_schema = False

    @get("/", guards=[READERS])
    async def list_directives(
        self, request: Request[Any, Any, Any], api: Api, session: Session, cursor: str | None = None
    ) -> Response[Any]:
        page = await api.get("events", "/directives", {"limit": domain.PAGE_SIZE, "cursor": cursor})
        return render(
            request,
            "directives.html",
            directives=page["items"],
            next_url="/directives" + query(cursor=page["next_cursor"]) if page.get("next_cursor") else None,
            first_url="/directives" if cursor else None,
            can_issue=session.role in domain.DIRECTIVE_ISSUERS,
        )

    @get("/new", guards=[ISSUERS])
    async def new_form(self, request: Request[Any, Any, Any], api: Api, unit_q: str | None = None) -> Response[Any]:
        return await self._new_page(
            request, api, unit_q=(unit_q or "").strip()[:200], typed={"issued_on": _today()}, checked=set(), errors={}
        )

    async def _new_page(
        self,
        request: Request[Any, Any, Any],
        api: Api,
        *,
        unit_q: str,
        typed: dict[str, str],
        checked: set[str],
        errors: dict[str, str],
        status: int = 200,
    ) -> Response[Any]:
        return render(
            request,
            "directive_new.html",
            status=status,
            **await unit_and_campaign_choices(api, unit_q),
            typed=typed,
            checked=checked,
            errors=errors,
            idempotency_key=str(uuid.uuid4()),
        )

    @post("/new", guards=[ISSUERS])
    async def create(self, request: Request[Any, Any, Any], api: Api) -> Response[Any]:
        form = await request.form()
        typed = {name: text_of(form, name)[:2000] for name in DIRECTIVE_FIELDS if name != "campaign_ids"}
        ids = ticked_campaigns(form)
        errors: dict[str, str] = {}
        for name, said_empty in EMPTY_DIRECTIVE_FIELDS.items():
            if not typed[name].strip():
                errors[name] = said_empty
        issuer = domain.parse_uuid(typed["issuing_unit_id"])
        if issuer is None:
            errors["issuing_unit_id"] = "Chọn đơn vị ban hành."
        status = 400
        if not errors:
            body = {**typed, "issuing_unit_id": str(issuer), "campaign_ids": ids}
            try:
                made = await api.post("events", "/directives", body, idempotency_key=_key(form))
            except Refused as exc:
                if exc.status == 401:
                    raise
                errors, detail = refusal_errors(exc, DIRECTIVE_FIELDS)
                for e in exc.errors:
                    if INDEXED.fullmatch(e.field):
                        errors.setdefault(
                            "campaign_ids", "Phong trào này chưa có ở dịch vụ sự kiện; thử lại sau ít giây."
                        )
                if exc.status == 409:
                    errors["code"] = "Đã có văn bản mang số, ký hiệu này."
                if "issued_on" in errors:
                    errors["issued_on"] = "Ngày không hợp lệ."
                if not errors:
                    errors["form"] = detail or exc.detail
                status = exc.status
            else:
                return see_other(f"/directives/{made['id']}?done=created")
        return await self._new_page(
            request,
            api,
            unit_q=text_of(form, "unit_q")[:200],
            typed=typed,
            checked=set(ids),
            errors=errors,
            status=status,
        )

    @get("/{directive_id:uuid}", guards=[READERS])
    async def directive(
        self,
        request: Request[Any, Any, Any],
        api: Api,
        session: Session,
        directive_id: uuid.UUID,
        done: str | None = None,
        unit_q: str | None = None,
    ) -> Response[Any]:
        return await self._page(
            request, api, session, directive_id, notice=NOTICES.get(done or ""), unit_q=(unit_q or "").strip()[:200]
        )

    async def _page(
        self,
        request: Request[Any, Any, Any],
        api: Api,
        session: Session,
        directive_id: uuid.UUID,
        *,
        notice: str | None = None,
        unit_q: str = "",
        typed: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        status: int = 200,
    ) -> Response[Any]:
        typed = typed or {}
        base = f"/directives/{directive_id}"
        reporter = session.role in domain.DIRECTIVE_REPORTERS
        chosen = typed.get("p_unit_id") or typed.get("s_unit_id") or (str(session.unit_id or "") or None)
        calls: list[Any] = [
            api.get("events", base),
            api.get("events", base + "/implementation"),
            svg(api, base + "/charts/coverage.svg"),
            svg(api, base + "/charts/sessions.svg"),
        ]
        own = reporter and session.unit_id is not None
        if reporter:
            calls.append(unit_choices(api, session, unit_q, chosen))
        if own:
            calls.append(api.get("events", base + "/programmes", {"unit_id": str(session.unit_id), "limit": 1}))
        found = await asyncio.gather(*calls)
        directive, figures, coverage, sessions = found[:4]
        units, more_units = found[4] if reporter else ([], False)
        own_programmes = found[5]["items"] if own else []
        programmes = figures.get("programmes", {})
        kinds = [k for k in KIND_ORDER if k in programmes] + sorted(k for k in programmes if k not in KIND_ORDER)
        return render(
            request,
            "directive.html",
            status=status,
            notice=notice,
            directive=directive,
            figures=figures,
            kinds=[(UNIT_KIND_NAMES.get(k, k), programmes[k]) for k in kinds if programmes[k].get("of")],
            missing=figures.get("missing", [])[:MISSING_SHOWN],
            missing_total=len(figures.get("missing", [])),
            unit_kind_names=UNIT_KIND_NAMES,
            coverage=coverage,
            sessions_chart=sessions,
            reporter=reporter,
            units=units,
            more_units=more_units,
            unit_q=unit_q,
            chosen=chosen or "",
            typed=typed,
            errors=errors or {},
            session_kinds=SESSION_KINDS,
            idempotency_key=str(uuid.uuid4()),
            today=_today(),
            number=vn_number,
            can_download=True,
            own_programme=own_programmes[0] if own_programmes else None,
        )

    @post("/{directive_id:uuid}/programmes", guards=[REPORTERS])
    async def report_programme(
        self, request: Request[Any, Any, Any], api: Api, session: Session, directive_id: uuid.UUID
    ) -> Response[Any]:
        return await self._report(request, api, session, directive_id, PROGRAMME)

    @post("/{directive_id:uuid}/sessions", guards=[REPORTERS])
    async def report_session(
        self, request: Request[Any, Any, Any], api: Api, session: Session, directive_id: uuid.UUID
    ) -> Response[Any]:
        return await self._report(request, api, session, directive_id, SESSION)

    async def _report(
        self,
        request: Request[Any, Any, Any],
        api: Api,
        session: Session,
        directive_id: uuid.UUID,
        report: ReportForm,
    ) -> Response[Any]:
        """A unit's programme or session as its form was filled, sent to the events service; the page again
        when something is missing or refused, with what was typed and what is wrong next to its field."""
        form = await request.form()
        names = {name: f"{report.prefix}_{name}" for name in report.fields}
        typed = {field: text_of(form, field)[:2000] for field in names.values()}
        body = {name: FIELD_READERS.get(name, _filled)(typed[field]) for name, field in names.items()}
        errors = {names[name]: report.missing[name] for name, value in body.items() if value is None}
        status = 400
        if not errors:
            try:
                await api.post("events", f"/directives/{directive_id}/{report.path}", body, idempotency_key=_key(form))
            except Refused as exc:
                if exc.status == 401:
                    raise
                errors, status = said(exc, report), exc.status
            else:
                return see_other(f"/directives/{directive_id}?done={report.done}")
        return await self._page(
            request,
            api,
            session,
            directive_id,
            unit_q=text_of(form, "unit_q")[:200],
            typed=typed,
            errors=errors,
            status=status,
        )

    @post(
        "/{directive_id:uuid}/programmes/{programme_id:uuid}/document",
        guards=[REPORTERS],
        request_max_body_size=FORM_BODY_BYTES,
    )
    async def upload_document(
        self,
        request: Request[Any, Any, Any],
        api: Api,
        session: Session,
        directive_id: uuid.UUID,
        programme_id: uuid.UUID,
    ) -> Response[Any]:
        """The programme's document, sent on to the events service with the user's token; the page again with
        the service's reason next to the file field when it refuses."""
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            errors = {"doc_file": CHOOSE_A_FILE}
            return await self._page(request, api, session, directive_id, errors=errors, status=400)
        try:
            content = await upload.read()
        finally:
            await upload.close()
        path = f"/directives/{directive_id}/programmes/{programme_id}/document"
        try:
            await api.upload("events", path, "file", upload.filename, content, upload.content_type, method="PUT")
        except Refused as exc:
            if exc.status == 401:
                raise
            reason = DOCUMENT_REASONS.get(exc.status) or reason_of(exc)
            errors = {"doc_file": reason}
            return await self._page(request, api, session, directive_id, errors=errors, status=exc.status)
        return see_other(f"/directives/{directive_id}?done=document#chuong-trinh")

    @get("/{directive_id:uuid}/programmes/{programme_id:uuid}/document", guards=[READERS])
    async def download_document(
        self, request: Request[Any, Any, Any], api: Api, directive_id: uuid.UUID, programme_id: uuid.UUID
    ) -> Response[Any]:
        """The programme's document as the events service serves it (304 when the browser has it)."""
        return await passed_on(api, "events", f"/directives/{directive_id}/programmes/{programme_id}/document", request)

    @get("/{directive_id:uuid}/report.docx", guards=[READERS])
    async def download_docx(self, api: Api, directive_id: uuid.UUID) -> Response[Any]:
        return await passed_on(api, "events", f"/directives/{directive_id}/report.docx")

    @get("/{directive_id:uuid}/report.pdf", guards=[READERS])
    async def download_pdf(self, api: Api, directive_id: uuid.UUID) -> Response[Any]:
        return await passed_on(api, "events", f"/directives/{directive_id}/report.pdf")


async def svg(api: Api, path: str) -> str:
    """One of the events service's charts, as its SVG text (drawn and escaped there)."""
    async with api.download("events", path) as resp:
        data = await resp.aread()
    text = data.decode("utf-8", errors="replace")
    return text if text.lstrip().startswith("<svg") else ""


def _key(form: Any) -> str | None:
    key = domain.parse_uuid(text_of(form, "idempotency_key"))
    return str(key) if key else None


def _filled(value: str) -> str | None:
    return value if value.strip() else None


def _unit(value: str) -> str | None:
    unit = domain.parse_uuid(value)
    return str(unit) if unit else None


def _kind(value: str) -> str | None:
    return value if value in SESSION_KINDS else None


def _count(value: str) -> int | None:
    """A count as typed: `120`, `1.234` or `1 234`; None when it is not a whole number (or absurdly long)."""
    cleaned = value.strip().replace(".", "").replace(" ", "").replace("\u00a0", "")
    if not cleaned or len(cleaned) > 12 or not (cleaned.isdigit() or (cleaned[0] == "-" and cleaned[1:].isdigit())):
        return None
    return int(cleaned)


# How a report form's field is read from what was typed (None: it is missing, or not understood); a field not
# named here must be filled.
FIELD_READERS: dict[str, Callable[[str], str | int | None]] = {"unit_id": _unit, "kind": _kind, "attendees": _count}


def _today() -> str:
    return datetime.now(VIETNAM).date().isoformat()
