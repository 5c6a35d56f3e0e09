"""A directive's report and pictures over HTTP (public): the page, the Word file, the PDF, the charts.

- `GET /directives/{id}/page`: the directive's public page (its figures, both charts, the tables).
- `GET /directives/{id}/report`: the implementation report as a page, the charts in it;
  `/report.docx` (Word, from `templates/report.docx`, a docxtpl template) and `/report.pdf`
  (shared/documents.py `render_pdf`, from `templates/report_pdf*.html`). `?on=YYYY-MM-DD` dates it
  (Vietnam's today by default); the figures are those held now.
- `GET /directives/{id}/charts/coverage.svg` and `/charts/sessions.svg`: the pictures alone.

Every template may be replaced by an office: a file of the same name in `THIDUA_DOCUMENT_TEMPLATES`
is read first (the Word template too). The words come from `report.build`, the pictures from `charts`;
all figures are read in one read-only snapshot, so the page, the tables and the charts agree.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import io
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

import asyncpg
from docxtpl import DocxTemplate
from jinja2 import Environment
from litestar import Controller, Request, get
from litestar.response import Response

from shared.documents import OVERRIDE_ENV, render, render_pdf, templates
from shared.errors import NotFound

from . import charts, report, service
from .schemas import Directive, DistrictCoverage, Implementation, MonthSessions

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
ROLL_CSS = HERE.parent / "templates" / "roll.css"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF = "application/pdf"
SVG = "image/svg+xml"
HTML = "text/html"
JSON = "application/json"
WORD_TEMPLATE = "report.docx"
VIETNAM = timezone(timedelta(hours=7), "ICT")
# The units without a programme listed in the PDF's annex and on the pages (the Word file lists them all):
# fpdf2 sets a table row in about 3 ms, and a province of 15,000 units starts with all of them missing.
SHOWN_IN_PDF = 300
SHOWN_ON_PAGE = 500
# Word and PDF files rendered at once by a process (the others wait their turn): rendering is CPU work in
# a thread, and a public call must not let a crowd of downloads take the process from everyone else.
RENDERS = asyncio.Semaphore(2)


@dataclass(frozen=True, slots=True)
class Figures:
    directive: Directive
    implementation: Implementation
    districts: list[DistrictCoverage]
    months: list[MonthSessions]


async def figures(pool: asyncpg.Pool, directive_id: uuid.UUID) -> Figures:
    """Every figure of a directive, read in one snapshot (404 for an unknown directive)."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        directive = await service.get_directive(conn, directive_id)
        return Figures(
            directive,
            await service.implementation(conn, directive_id),
            list(await service.coverage_by_district(conn, directive_id)),
            list(await service.sessions_by_month(conn, directive_id)),
        )


class PageNotFound(Exception):
    """An unknown directive asked for by a browser: answered with a page (`not_found`), not a document."""


async def page_figures(request: Request, pool: asyncpg.Pool, directive_id: uuid.UUID) -> Figures:
    """`figures`, but an unknown directive asked for by a browser (HTML first in its Accept) is a 404 page."""
    try:
        return await figures(pool, directive_id)
    except NotFound:
        if request.accept.best_match([HTML, JSON], default=HTML) == HTML:
            raise PageNotFound() from None
        raise


def not_found(_: Request, __: PageNotFound) -> Response[str]:
    body = render(environment(), "not_found.html", css=css())
    return Response(body, status_code=404, media_type=HTML, headers={**page_headers(css()), "Vary": "Accept"})


def today() -> date:
    return datetime.now(UTC).astimezone(VIETNAM).date()


def built(f: Figures, on: date | None) -> report.Report:
    return report.build(f.directive, f.implementation, f.districts, f.months, on=on or today())


# ------------------------------------------------------------------ documents
@functools.cache
def _environment(override: str | None) -> Environment:
    return templates(TEMPLATES, {OVERRIDE_ENV: override} if override else {})


def environment() -> Environment:
    """The templates' Jinja environment: the office's folder (as set now) first, then the shipped one."""
    return _environment(os.environ.get(OVERRIDE_ENV) or None)


def word_template() -> Path:
    """The Word template: the office's `report.docx` when its folder has one, else the shipped one."""
    override = os.environ.get(OVERRIDE_ENV)
    if override and (Path(override) / WORD_TEMPLATE).is_file():
        return Path(override) / WORD_TEMPLATE
    return TEMPLATES / WORD_TEMPLATE


def render_docx(r: report.Report, template: Path | None = None) -> bytes:
    """The report as a Word document (CPU and file work: call it in a thread)."""
    doc = DocxTemplate(str(template or word_template()))
    # autoescape: a unit's name with `&` or `<` stays text, never breaks the document's XML.
    doc.render({"report": r}, autoescape=True)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def render_report_pdf(r: report.Report) -> bytes:
    """The report as a PDF: the report, then its annex of tables on a page of its own (call it in a thread)."""
    env = environment()
    pages = [
        render(env, "report_pdf.html", report=r),
        render(env, "report_pdf_annex.html", report=r, shown=SHOWN_IN_PDF),
    ]
    return render_pdf(pages, title=f"Báo cáo – {r.directive_name}", author=r.issuer.title())


@functools.cache
def css() -> str:
    return ROLL_CSS.read_text(encoding="utf-8") + (TEMPLATES / "directives.css").read_text(encoding="utf-8")


def page_headers(style: str) -> dict[str, str]:
    """No script at all, only this page's own style (by its hash); inline SVG needs nothing more."""
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
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


def render_page(name: str, f: Figures, r: report.Report) -> str:
    return render(
        environment(),
        name,
        css=css(),
        directive=f.directive,
        report=r,
        shown=SHOWN_ON_PAGE,
        coverage=charts.coverage_svg(f.districts),
        sessions=charts.sessions_svg(f.months),
    )


def attachment(filename: str, directive: Directive) -> str:
    """The ASCII name for every browser, and the Vietnamese one (RFC 5987) for those that read it."""
    extension = filename.rsplit(".", 1)[-1]
    vietnamese = quote(f"Báo cáo {directive.code}.{extension}".replace("/", "-"), safe="")
    return f"attachment; filename=\"{filename}\"; filename*=UTF-8''{vietnamese}"


async def document(
    pool: asyncpg.Pool,
    directive_id: uuid.UUID,
    on: date | None,
    render_file: Callable[[report.Report], bytes],
    extension: str,
    media_type: str,
) -> Response[bytes]:
    """The report as a file to download (Word or PDF), rendered in a thread, `RENDERS` at a time."""
    f = await figures(pool, directive_id)
    async with RENDERS:
        body = await asyncio.to_thread(render_file, built(f, on))
    headers = {
        "Content-Disposition": attachment(report.filename(f.directive, extension), f.directive),
        "Cache-Control": "no-cache",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(body, media_type=media_type, headers=headers)


class ReportController(Controller):
    path = "/directives"
    tags = ["directives"]
    exception_handlers = {PageNotFound: not_found}

    @get(
        "/{directive_id:uuid}/page",
        summary="A directive's public page: its figures, coverage by district and sessions by month as charts "
        "(public, HTML, no JavaScript)",
        media_type=HTML,
    )
    async def directive_page(self, request: Request, directive_id: uuid.UUID, pool: asyncpg.Pool) -> Response[str]:
        f = await page_figures(request, pool, directive_id)
        body = render_page("directive_page.html", f, built(f, None))
        return Response(body, media_type=HTML, headers=page_headers(css()))

    @get(
        "/{directive_id:uuid}/report",
        summary="The implementation report as a page, with its charts (public)",
        description="`on` dates the report (Vietnam's today by default); the figures are those held now.",
        media_type=HTML,
    )
    async def report_page(
        self, request: Request, directive_id: uuid.UUID, pool: asyncpg.Pool, on: date | None = None
    ) -> Response[str]:
        f = await page_figures(request, pool, directive_id)
        body = render_page("report_page.html", f, built(f, on))
        return Response(body, media_type=HTML, headers=page_headers(css()))

    @get(
        "/{directive_id:uuid}/report.docx",
        summary="The implementation report as a Word document an office edits and signs (public)",
        media_type=DOCX,
    )
    async def report_docx(self, directive_id: uuid.UUID, pool: asyncpg.Pool, on: date | None = None) -> Response[bytes]:
        return await document(pool, directive_id, on, render_docx, "docx", DOCX)

    @get("/{directive_id:uuid}/report.pdf", summary="The implementation report as a PDF (public)", media_type=PDF)
    async def report_pdf(self, directive_id: uuid.UUID, pool: asyncpg.Pool, on: date | None = None) -> Response[bytes]:
        return await document(pool, directive_id, on, render_report_pdf, "pdf", PDF)

    @get(
        "/{directive_id:uuid}/charts/coverage.svg",
        summary="Programmes built by each direct child of the issuing unit, done against all (public, SVG)",
        media_type=SVG,
    )
    async def coverage_chart(self, directive_id: uuid.UUID, pool: asyncpg.Pool) -> Response[str]:
        async with pool.acquire() as conn:  # 404 for an unknown directive, from the service's one snapshot
            rows = await service.coverage_by_district(conn, directive_id)
        return Response(charts.coverage_svg(rows), media_type=SVG, headers=svg_headers())

    @get(
        "/{directive_id:uuid}/charts/sessions.svg",
        summary="Sessions and their attendees by month (public, SVG)",
        media_type=SVG,
    )
    async def sessions_chart(self, directive_id: uuid.UUID, pool: asyncpg.Pool) -> Response[str]:
        async with pool.acquire() as conn:  # 404 for an unknown directive, from the service's one snapshot
            months = await service.sessions_by_month(conn, directive_id)
        return Response(charts.sessions_svg(months), media_type=SVG, headers=svg_headers())


def svg_headers() -> dict[str, str]:
    """A picture opened alone runs nothing (it has no script; this says so to the browser too)."""
    return {
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-cache",
    }
