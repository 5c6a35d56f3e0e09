"""The office's files read as rows: CSV (UTF-8, with or without BOM; comma, semicolon or tab) or XLSX."""

from __future__ import annotations

import csv
import io
import unicodedata
from pathlib import Path
from typing import Any


class UsageError(Exception):
    """The file or the arguments are wrong; the message says how."""


def read_table(path: Path) -> list[dict[str, str]]:
    """The rows of a CSV (UTF-8, with or without BOM; comma, semicolon or tab) or XLSX file (its first sheet).

    Header names are lower-cased and stripped; text is NFC-normalised; blank rows are skipped.
    """
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        header, rows = _xlsx_rows(path)
    elif suffix in (".csv", ".txt"):
        header, rows = _csv_rows(path)
    else:
        raise UsageError(f"{path}: give a .csv or .xlsx file")
    keys = [unicodedata.normalize("NFC", h).strip().lower() for h in header]
    table = []
    for values in rows:
        cells = [_cell(v) for v in values]
        if not any(cells):
            continue
        table.append({k: (cells[i] if i < len(cells) else "") for i, k in enumerate(keys) if k})
    return table


def require_columns(table: list[dict[str, str]], columns: tuple[str, ...], path: Path) -> None:
    if not table:
        raise UsageError(f"{path}: no rows under the header")
    missing = [c for c in columns if c not in table[0]]
    if missing:
        raise UsageError(
            f"{path}: the header must name the columns {', '.join(columns)} (missing: {', '.join(missing)})"
        )


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFC", str(value)).strip()


def _csv_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: the CSV must be UTF-8 (in Excel: Save As, 'CSV UTF-8')") from exc
    dialect: Any = csv.excel
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        pass
    rows = list(csv.reader(io.StringIO(text), dialect))
    if not rows:
        raise UsageError(f"{path}: the file is empty")
    return rows[0], rows[1:]


def _xlsx_rows(path: Path) -> tuple[list[str], list[list[Any]]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a file that is not a workbook
        raise UsageError(f"{path}: not a readable XLSX workbook ({exc})") from exc
    try:
        rows = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    finally:
        book.close()
    if not rows:
        raise UsageError(f"{path}: the first sheet is empty")
    return [_cell(h) for h in rows[0]], rows[1:]
