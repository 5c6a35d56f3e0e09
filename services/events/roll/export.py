"""The roll as CSV for Excel: UTF-8 with a BOM, one row per honouree, every
cell safe to open (none runs as a formula)."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator

from shared.errors import FieldError, Invalid

from ..domain import Kind
from .schemas import Honoree

CSV = "text/csv"  # Litestar and the fast path add "; charset=utf-8" to text types
HEADER = (
    "STT",
    "Loại",
    "Họ và tên / Tên tập thể",
    "Đơn vị",
    "Phong trào thi đua",
    "Năm",
    "Danh hiệu",
    "Hình thức",
    "Số quyết định",
    "Ngày quyết định",
    "Lễ trao tặng",
    "Ngày trao tặng",
    "Mã khen thưởng",
)
KIND_LABELS: dict[str, str] = {Kind.COLLECTIVE: "Tập thể", Kind.INDIVIDUAL: "Cá nhân"}
BOM = "\ufeff".encode()
SEPARATORS = {",": ",", "comma": ",", ";": ";", "semicolon": ";"}
FILENAME = "attachment; filename=\"bang-vang-thi-dua.csv\"; filename*=UTF-8''b%E1%BA%A3ng-v%C3%A0ng-thi-%C4%91ua.csv"


def separator(sep: str | None) -> str:
    """`sep=;` gives semicolons, for an Excel whose regional settings use the comma as decimal separator."""
    found = SEPARATORS.get((sep or ",").strip())
    if found is None:
        raise Invalid("sep: must be , or ;", errors=[FieldError("sep", "must be , or ;")])
    return found


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A cell that Excel would run as a formula is shown as text instead.
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def _rows(rows: list[tuple[object, ...]], sep: str) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=sep, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def _row(n: int, h: Honoree) -> tuple[object, ...]:
    return (
        n,
        KIND_LABELS.get(h.kind, h.kind),
        _cell(h.name),
        _cell(h.unit_name),
        _cell(h.campaign.name),
        h.campaign.year,
        _cell(h.category.name),
        _cell(h.form),
        _cell(h.decision_number),
        h.decision_date.isoformat(),
        _cell(h.ceremony.title) if h.ceremony else "",
        h.ceremony.held_on.isoformat() if h.ceremony else "",
        h.award_id,
    )


async def chunks(batches: AsyncIterator[list[Honoree]], sep: str) -> AsyncIterator[bytes]:
    """The file, a batch of the roll at a time: a whole province's roll never sits in memory."""
    chunk = BOM + _rows([HEADER], sep)
    n = 1
    async for batch in batches:
        chunk += _rows([_row(i, h) for i, h in enumerate(batch, start=n)], sep)
        n += len(batch)
        yield chunk
        chunk = b""
    if chunk:
        yield chunk
