"""The public notice over HTTP: the page "Niêm yết lấy ý kiến", the same as JSON,
and the objection form's target.

The form is public (no sign-in), so it is guarded against cross-site posting
by where the request comes from: a browser says it (`Sec-Fetch-Site`,
`Origin`, or failing those `Referer`), and a post whose origin is not this
host is refused (403). A program that sends none of them is not a browser
being tricked, and is let through; a JSON body needs a CORS preflight from a
browser, which this service never grants.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime
from urllib.parse import urlsplit

import asyncpg
import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.response import Redirect, Response
from litestar.template import TemplateProtocol

from shared.db import Queryable
from shared.errors import DomainError, FieldError, Invalid
from shared.problems import Problem, from_domain
from shared.web import request_ip

from .. import domain
from ..schemas import CampaignRef
from . import page, repository, service
from .schemas import Notice, Notices, ObjectionAccepted, ObjectionIn

JSON_TYPES = ("application/json",)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
FIELDS = ("name", "contact", "content")
_decoder = msgspec.json.Decoder(ObjectionIn)
_AT_FIELD = re.compile(r"(?:`\$\.(?P<path>\w+)`|field `(?P<named>\w+)`)")


def _template(request: Request, name: str) -> TemplateProtocol:
    engine = request.app.template_engine
    assert engine is not None  # the service's spec names its template directory
    return engine.get_template(name)


def _today() -> date:
    return domain.vietnam_day(datetime.now(UTC))


def cross_site(request: Request) -> bool:
    """Does a browser say this post comes from another site than this one?"""
    if request.headers.get("sec-fetch-site", "").lower() == "cross-site":
        return True
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source:
        return False
    if source == "null":  # a sandboxed frame, a redirect across sites
        return True
    hosts = {request.headers.get(h, "").lower() for h in ("host", "x-forwarded-host")} - {""}
    return urlsplit(source).netloc.lower() not in hosts


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def _decode_json(body: bytes) -> ObjectionIn:
    try:
        return _decoder.decode(body)
    except msgspec.ValidationError as exc:
        found = _AT_FIELD.search(str(exc))
        field = (found["path"] or found["named"]) if found else "body"
        raise Invalid(f"{field}: {exc}", field=field) from None
    except msgspec.DecodeError as exc:
        raise Invalid(f"the body is not JSON: {exc}", field="body") from None


async def _read_form(request: Request) -> dict[str, str]:
    form = await request.form()
    values: dict[str, str] = {}
    for field in FIELDS:
        value = form.get(field)
        values[field] = value if isinstance(value, str) and not isinstance(value, UploadFile) else ""
    return values


class NoticeController(Controller):
    path = "/"
    tags = ["public notice"]

    async def _listed(self, conn: Queryable, campaign_id: uuid.UUID | None) -> tuple[list[Notice], list[CampaignRef]]:
        everything = await repository.listed(conn, _today())
        campaigns = list({n.campaign.id: n.campaign for n in everything}.values())
        shown = everything if campaign_id is None else [n for n in everything if n.campaign.id == campaign_id]
        return shown, campaigns

    @get(
        "/notices",
        summary='The page "Niêm yết lấy ý kiến": nominations on public notice today, with the objection form (public)',
    )
    async def notices_page(self, request: Request, pool: asyncpg.Pool, campaign_id: str | None = None) -> Response:
        template = _template(request, "notices.html")
        chosen: uuid.UUID | None = None
        if campaign_id:
            try:
                chosen = uuid.UUID(campaign_id)
            except ValueError:
                _, campaigns = await self._listed(pool, None)
                return page.render_list(
                    template,
                    [],
                    campaigns,
                    today=_today(),
                    problem="Phong trào thi đua đã chọn không hợp lệ.",
                    status=400,
                )
        shown, campaigns = await self._listed(pool, chosen)
        return page.render_list(template, shown, campaigns, campaign_id=campaign_id or "", today=_today())

    @get(
        "/notices.json",
        summary="Nominations on public notice today, as JSON (public; never anything of an objector)",
        description="`window_ends_on` is the last day (Vietnam's) an objection is taken; `objections_open` counts "
        "those the committee is still considering.",
    )
    async def notices_json(self, pool: asyncpg.Pool, campaign_id: uuid.UUID | None = None) -> Response[Notices]:
        shown, _ = await self._listed(pool, campaign_id)
        return Response(Notices(items=shown), headers={"Cache-Control": "no-cache"})

    @post(
        "/notices/{nomination_id:uuid}/objections",
        summary="Object to a nomination on public notice (public, rate limited)",
        description="Form-encoded from the page (fields `name`, `contact`, `content`: answered with a 303 to "
        "the page `Đã nhận ý kiến`, or the page again with the reasons beside the fields), or JSON "
        "`{name, contact, content}` (201 `{id}`). 404 when the nomination is not on notice, 409 when its "
        "window has ended, 429 with Retry-After after too many from one address, 403 from another site. "
        "The contact is passed to the committee and never shown publicly.",
        status_code=201,
    )
    async def object_to(self, request: Request, nomination_id: uuid.UUID, conn: asyncpg.Connection) -> Response:
        media_type = _media_type(request)
        as_json = media_type in JSON_TYPES
        if not as_json and media_type not in FORM_TYPES:
            raise Problem(415, "send the objection as JSON or as a form (application/x-www-form-urlencoded)")
        try:
            if cross_site(request):
                raise Problem(403, "an objection is sent from this site's own notice page")
            now = datetime.now(UTC)
            await service.open_notice(conn, nomination_id, now)
            if as_json:
                sent = _decode_json(await request.body())
                typed = {"name": sent.name, "contact": sent.contact, "content": sent.content}
            else:
                typed = await _read_form(request)
            try:
                text = domain.objection_text(**typed)
            except Invalid as exc:
                if as_json:
                    raise
                return await self._form_again(request, conn, nomination_id, exc.errors, typed)
            objection_id = await service.object_to(conn, nomination_id, text, request_ip(request), now)
        except (DomainError, Problem) as exc:
            if as_json:
                raise
            return self._refused(request, exc)
        if as_json:
            return Response(ObjectionAccepted(id=objection_id), status_code=201)
        return Redirect(f"/notices/received?n={nomination_id}", status_code=303)

    async def _form_again(
        self,
        request: Request,
        conn: asyncpg.Connection,
        nomination_id: uuid.UUID,
        errors: list[FieldError],
        typed: dict[str, str],
    ) -> Response:
        """The page again, this item's form open with what was typed and each reason beside its field."""
        shown, campaigns = await self._listed(conn, None)
        by_field: dict[str, list[str]] = {}
        for error in errors:
            by_field.setdefault(error.field if error.field in FIELDS else "name", []).append(page.said(error))
        return page.render_list(
            _template(request, "notices.html"),
            shown,
            campaigns,
            today=_today(),
            problem="Ý kiến chưa được gửi: hãy sửa những chỗ được nêu bên dưới.",
            failed=nomination_id,
            errors=by_field,
            typed=typed,
            status=400,
        )

    def _refused(self, request: Request, exc: DomainError | Problem) -> Response:
        """Why the objection could not be taken, as a page with the same status."""
        problem = from_domain(exc) if isinstance(exc, DomainError) else exc
        lines = {
            403: ["Ý kiến chỉ được gửi từ trang niêm yết của Hội đồng."],
            404: ["Trường hợp này không (hoặc không còn) được niêm yết lấy ý kiến."],
            409: ["Thời hạn niêm yết lấy ý kiến của trường hợp này đã kết thúc."],
            429: ["Bạn đã gửi nhiều ý kiến trong một giờ qua. Vui lòng thử lại sau."],
        }.get(problem.status, ["Yêu cầu không hợp lệ."])
        return page.render_message(
            _template(request, "notice_message.html"),
            "Chưa gửi được ý kiến",
            lines,
            status=problem.status,
            extra_headers=problem.headers,
        )

    @get("/notices/received", summary='The page "Đã nhận ý kiến", after an objection is sent from the page (public)')
    async def received(self, request: Request, pool: asyncpg.Pool, n: str | None = None) -> Response:
        lines = ["Cảm ơn bạn. Ý kiến đã được chuyển tới Hội đồng Thi đua – Khen thưởng để xem xét."]
        try:
            notice = await repository.find(pool, uuid.UUID(n)) if n else None
        except ValueError:
            notice = None
        if notice is not None:
            lines.append(f"Trường hợp: {notice.name} – {notice.unit_name}.")
        lines.append("Thông tin liên hệ của bạn chỉ dùng để Hội đồng liên hệ khi cần, không được công khai.")
        return page.render_message(_template(request, "notice_message.html"), "Đã nhận ý kiến", lines)
