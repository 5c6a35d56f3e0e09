"""The honour-roll web page: Vietnamese first, rendered on the server, usable
without JavaScript. Its search and filters are a GET form, so every state of
the page is a URL that can be bookmarked, shared and paged."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

import asyncpg
from litestar.template import TemplateProtocol

from shared.errors import DomainError
from shared.problems import Problem, from_domain

from ..ceremonies import repository as ceremonies
from ..domain import MAX_Q
from . import queries
from .collation import sort_key
from .export import KIND_LABELS
from .params import RollPaging, RollParams, resolve

HTML = "text/html"  # with "; charset=utf-8" added on the way out
PAGE_SIZE = 50

FIELD_LABELS = {
    "q": "Từ khóa",
    "campaign_id": "Phong trào thi đua",
    "year": "Năm",
    "kind": "Loại",
    "unit_id": "Đơn vị",
    "category_id": "Danh hiệu",
    "ceremony_id": "Lễ trao tặng",
    "limit": "Số dòng mỗi trang",
    "cursor": "Liên kết trang",
}


class PageProblem(Exception):
    """A bad query, answered with the page that explains it (and its 4xx status), never cached."""

    def __init__(self, problem: Problem, body: bytes) -> None:
        self.problem = problem
        self.body = body


def vietnamese(problem: Problem) -> list[str]:
    """What went wrong, said to a citizen in Vietnamese."""
    said = []
    for error in problem.errors or []:
        label = FIELD_LABELS.get(error.field, error.field)
        if error.field == "q" and "characters" in error.message:
            said.append(f"{label} quá dài: tối đa {MAX_Q} ký tự.")
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


async def render(template: TemplateProtocol, pool: asyncpg.Pool, filters: RollParams, paging: RollPaging) -> bytes:
    """The page of this query; PageProblem when the query is bad."""
    params = filters.form()
    campaigns = sorted(await queries.campaigns(pool), key=lambda c: (-c.year, sort_key(c.name, "collective")))
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
        query = await resolve(pool, filters, paging, default_limit=PAGE_SIZE)
    except DomainError as exc:
        problem = from_domain(exc)
        context["error"] = problem
        context["error_lines"] = vietnamese(problem)
        context["csv_url"] = None
        raise PageProblem(problem, template.render(**context).encode()) from None
    page = query.page(await queries.list_honorees(pool, query.filter, query.after, query.limit + 1))
    context["rows"] = page.items
    if query.filter.unit_id:
        context["unit_name"] = await queries.unit_name(pool, query.filter.unit_id)
    if query.filter.ceremony_id:
        context["ceremony"] = await ceremonies.get(pool, query.filter.ceremony_id)
    if page.next_cursor:
        context["next_url"] = _url("/", {**params, "cursor": page.next_cursor})
    if query.after is not None:
        context["first_url"] = _url("/", params)
    return template.render(**context).encode()
