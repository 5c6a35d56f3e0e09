"""The honour-roll web page: Vietnamese first, rendered on the server, usable
without JavaScript. Its search and filters are a GET form, so every state of
the page is a URL that can be bookmarked, shared and paged."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

import asyncpg
from litestar import Request, get
from litestar.response import Response

from shared.problems import Problem

from .. import repository
from ..collation import sort_key
from ..roll_cache import RollCache
from . import roll_query
from .honorees import KIND_LABELS, cached, page_of

HTML = "text/html"  # with "; charset=utf-8" added on the way out
PAGE_SIZE = 50
FILTERS = ("q", "campaign_id", "year", "kind", "unit_id", "category_id", "ceremony_id")


FIELD_LABELS = {
    "q": "Từ khóa", "campaign_id": "Phong trào thi đua", "year": "Năm", "kind": "Loại",
    "unit_id": "Đơn vị", "category_id": "Danh hiệu", "ceremony_id": "Lễ trao tặng",
    "limit": "Số dòng mỗi trang", "cursor": "Liên kết trang",
}


def vietnamese(problem: Problem) -> list[str]:
    """What went wrong, said to a citizen in Vietnamese."""
    said = []
    for error in problem.errors or []:
        label = FIELD_LABELS.get(error.field, error.field)
        if error.field == "q" and "characters" in error.message:
            said.append(f"{label} quá dài: tối đa {roll_query.MAX_Q} ký tự.")
        elif error.field == "cursor":
            said.append("Liên kết trang không còn hợp lệ; hãy xem lại từ trang đầu.")
        elif problem.status == 404:
            said.append(f"Không tìm thấy {label.lower()} đã chọn.")
        elif error.field == "year":
            said.append(f"{label} không hợp lệ: hãy nhập năm có 4 chữ số, ví dụ 2024.")
        else:
            said.append(f"{label} không hợp lệ.")
    return said or ["Yêu cầu không hợp lệ."]


def vn_date(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def _url(path: str, params: dict[str, str]) -> str:
    kept = {k: v for k, v in params.items() if v}
    return f"{path}?{urlencode(kept)}" if kept else path


@get("/", tags=["honour roll"], summary="The honour-roll web page (public)", include_in_schema=True)
async def roll_page(request: Request, pool: asyncpg.Pool, roll: RollCache) -> Response:
    async def render(_: int) -> tuple[bytes, str, tuple[tuple[str, str], ...]]:
        params = {k: (request.query_params.get(k) or "").strip() for k in FILTERS}
        campaigns = sorted(await repository.campaigns(pool), key=lambda c: (-c.year, sort_key(c.name, "collective")))
        context: dict[str, Any] = {
            "params": params,
            "campaigns": campaigns,
            "years": sorted({c.year for c in campaigns}, reverse=True),
            "kinds": KIND_LABELS,
            "vn_date": vn_date,
            "rows": [],
            "error": None,
            "next_url": None,
            "first_url": None,
            "csv_url": _url("/honorees.csv", params),
            "filtered": any(params.values()),
            "unit_name": None,
            "ceremony": None,
        }
        try:
            query = await roll_query.parse(request.query_params, pool, default_limit=PAGE_SIZE)
        except Problem as problem:
            context["error"] = problem
            context["error_lines"] = vietnamese(problem)
            context["csv_url"] = None
            body = _template(request).render(**context).encode()
            raise _PageProblem(problem, body) from None
        rows = await repository.list_honorees(pool, query.filter, query.after, query.limit + 1)
        page = page_of(rows, query.limit)
        context["rows"] = page.items
        if query.filter.unit_id:
            context["unit_name"] = await repository.unit_name(pool, query.filter.unit_id)
        if query.filter.ceremony_id:
            context["ceremony"] = await repository.get_ceremony(pool, query.filter.ceremony_id)
        if page.next_cursor:
            context["next_url"] = _url("/", {**params, "cursor": page.next_cursor})
        if query.after is not None:
            context["first_url"] = _url("/", params)
        return _template(request).render(**context).encode(), HTML, ()

    try:
        return await cached(request, roll, "html", render)
    except _PageProblem as failed:
        # A person at a browser gets the page with the problem explained, and its 4xx status.
        return Response(failed.body, status_code=failed.problem.status, media_type=HTML)


class _PageProblem(Exception):
    def __init__(self, problem: Problem, body: bytes) -> None:
        self.problem = problem
        self.body = body


def _template(request: Request) -> Any:
    return request.app.template_engine.get_template("roll.html")  # type: ignore[union-attr]
