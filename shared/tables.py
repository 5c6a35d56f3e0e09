"""The office's files read as rows: CSV (UTF-8, with or without BOM; comma, semicolon or tab) or XLSX.

One reader for every import, the command's (`thidua import-units`,
`import-nominations`) and the console's upload: header names lower-cased and
stripped, text NFC-normalised, blank rows skipped. A file it cannot read is a
`TableError` (an `Invalid` naming the field `file`), whose `reason` says which
of a few things went wrong, so a page can say it in its own words.

It also holds what both front ends of a nomination import must agree on: the
accepted spellings of its columns (`NOMINATION_COLUMNS`, `canonical`) and the
Idempotency-Key made from a row's content (`content_key`), so the same row sent
by the command and by the console is one nomination.
"""

from __future__ import annotations

import csv
import hashlib
import io
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from shared.errors import Invalid

Reason = Literal["format", "encoding", "empty", "unreadable", "no-rows", "columns", "too-many-rows"]

SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm")
# A sheet's columns read at most: an import names a handful; a sheet claiming 16,384 is not read cell by cell.
MAX_COLUMNS = 100

# Accepted spellings of a nomination file's columns, by the name the importers use.
NOMINATION_COLUMNS: dict[str, tuple[str, ...]] = {
    "campaign": ("campaign", "campaign_code", "campaign_id"),
    "category": ("category", "category_code", "category_id"),
    "unit_code": ("unit_code", "nominee_unit_code", "unit"),
    "full_name": ("full_name", "person_name", "name", "nominee_name"),
    "position": ("position",),
    "achievements": ("achievements", "thanh_tich"),
}
NOMINATION_REQUIRED = ("category", "unit_code", "achievements")


class TableError(Invalid):
    """The file cannot be read as a table, or lacks what the import needs; `reason` says which."""

    def __init__(self, detail: str, reason: Reason, *, missing: tuple[str, ...] = ()) -> None:
        super().__init__(detail, field="file", kind="table")
        self.reason: Reason = reason
        self.missing = missing


def read_table(path: Path, *, max_rows: int | None = None) -> list[dict[str, str]]:
    """The rows of a CSV or XLSX file on disk (see `parse_table`)."""
    return parse_table(path.name, path.read_bytes(), max_rows=max_rows)


def parse_table(name: str, data: bytes, *, max_rows: int | None = None) -> list[dict[str, str]]:
    """The rows of a CSV (UTF-8, with or without BOM; comma, semicolon or tab) or XLSX file (its first
    sheet) named `name` (its suffix says which) holding `data`, each a dict by lower-cased header name.

    Text is NFC-normalised and stripped; blank rows are skipped; more than `max_rows` rows is refused.
    """
    return [row for _, row in parse_numbered(name, data, max_rows=max_rows)]


def parse_numbered(name: str, data: bytes, *, max_rows: int | None = None) -> list[tuple[int, dict[str, str]]]:
    """`parse_table`'s rows, each with its row number as a spreadsheet shows it (the header is row 1),
    so an error can name the row the user sees, blank rows skipped or not."""
    suffix = Path(name).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        header, rows = _xlsx_rows(name, data, max_rows)
    elif suffix in (".csv", ".txt"):
        header, rows = _csv_rows(name, data)
    else:
        raise TableError(f"{name}: give a .csv or .xlsx file", "format")
    keys = [unicodedata.normalize("NFC", str(h)).strip().lower() for h in header]
    table: list[tuple[int, dict[str, str]]] = []
    for number, values in enumerate(rows, start=2):
        cells = [_cell(v) for v in values]
        if not any(cells):
            continue
        table.append((number, {k: (cells[i] if i < len(cells) else "") for i, k in enumerate(keys) if k}))
        if max_rows is not None and len(table) > max_rows:
            raise TableError(f"{name}: more than {max_rows} rows", "too-many-rows")
    return table


def require_columns(table: list[dict[str, str]], columns: tuple[str, ...], name: str | Path) -> None:
    if not table:
        raise TableError(f"{name}: no rows under the header", "no-rows")
    missing = tuple(c for c in columns if c not in table[0])
    if missing:
        raise TableError(
            f"{name}: the header must name the columns {', '.join(columns)} (missing: {', '.join(missing)})",
            "columns",
            missing=missing,
        )


def canonical(row: Mapping[str, str], columns: Mapping[str, tuple[str, ...]] = NOMINATION_COLUMNS) -> dict[str, str]:
    """The row by the importers' column names: the first accepted spelling with a value ('' when the
    column is there but blank; absent when the file has no such column)."""
    out: dict[str, str] = {}
    for name, spellings in columns.items():
        for s in spellings:
            if row.get(s):
                out[name] = row[s]
                break
        else:
            if any(s in row for s in spellings):
                out[name] = ""
    return out


def content_key(prefix: str, *parts: str) -> str:
    """An Idempotency-Key made of what a row says: the same row sent again is answered, not created again."""
    return f"{prefix}:" + hashlib.sha256("\0".join(parts).encode()).hexdigest()[:40]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFC", str(value)).strip()


def _csv_rows(name: str, data: bytes) -> tuple[list[str], list[list[str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TableError(f"{name}: the CSV must be UTF-8 (in Excel: Save As, 'CSV UTF-8')", "encoding") from exc
    try:
        rows = list(csv.reader(io.StringIO(text), csv.excel, delimiter=_delimiter(text)))
    except csv.Error as exc:  # a NUL byte, an unclosed quote in strict dialects
        raise TableError(f"{name}: not a readable CSV file ({exc})", "unreadable") from exc
    if not rows:
        raise TableError(f"{name}: the file is empty", "empty")
    return rows[0], rows[1:]


def _delimiter(text: str) -> str:
    """The separator the header line uses most (Excel writes `;` where the decimal mark is a comma, as in
    Vietnam); the sniffer's guess only when the header has none, since blank cells and rows mislead it."""
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in (";", "\t", ",")}
    best = max(counts, key=lambda d: counts[d])
    if counts[best]:
        return best
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters=",;\t").delimiter
    except csv.Error:
        return ","


def _xlsx_rows(name: str, data: bytes, max_rows: int | None) -> tuple[list[str], list[list[Any]]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a file that is not a workbook
        raise TableError(f"{name}: not a readable XLSX workbook ({exc})", "unreadable") from exc
    rows: list[list[Any]] = []
    try:
        if not book.worksheets:
            raise TableError(f"{name}: the workbook has no sheet", "empty")
        # Read no further than needed: a sheet of a million rows stops at the limit (blank rows count).
        limit = None if max_rows is None else max_rows * 4 + 1
        for r in book.worksheets[0].iter_rows(values_only=True, max_col=MAX_COLUMNS):
            rows.append(list(r))
            if limit is not None and len(rows) > limit:
                raise TableError(f"{name}: more than {max_rows} rows", "too-many-rows")
    except TableError:
        raise
    except Exception as exc:  # a damaged sheet fails while it is read, not when it is opened
        raise TableError(f"{name}: not a readable XLSX workbook ({exc})", "unreadable") from exc
    finally:
        book.close()
    if not rows:
        raise TableError(f"{name}: the first sheet is empty", "empty")
    return [_cell(h) for h in rows[0]], rows[1:]
