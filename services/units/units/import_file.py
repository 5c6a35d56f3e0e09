"""An import's body as numbered rows: a JSON array, or CSV as Excel writes it.

Each row keeps the number the person fixing the file sees (the element's
position from 1 in the JSON array, the spreadsheet row in the CSV), so every
error names the row to correct. Nothing here looks at the stored tree: that
is the import's use case (`service.import_units`).
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import msgspec

from shared.errors import FieldError, Invalid
from shared.text import nfc, problem_in

from ..domain import MAX_IMPORT_ROWS
from .schemas import UnitImportRow

IMPORT_COLUMNS = ("code", "name", "kind", "parent_code")
CSV_TYPES = ("text/csv", "application/csv", "text/plain")


def read_rows(body: bytes, content_type: str) -> list[tuple[int, UnitImportRow]]:
    """The rows of an import, each checked on its own; every error at once, naming its row."""
    numbered = _csv_rows(body) if content_type in CSV_TYPES else _json_rows(body)
    if not numbered:
        raise Invalid("the import holds no units", errors=[FieldError("body", "no rows")])
    if len(numbered) > MAX_IMPORT_ROWS:
        raise Invalid(f"at most {MAX_IMPORT_ROWS} units per import", errors=[FieldError("body", "too many rows")])
    rows: list[tuple[int, UnitImportRow]] = []
    errors: list[FieldError] = []
    for number, raw in numbered:
        try:
            row = msgspec.convert(raw, UnitImportRow)
        except msgspec.ValidationError as exc:
            errors.append(_row_error(number, str(exc)))
            continue
        name = nfc(row.name)
        reason = problem_in(name)
        if reason:
            errors.append(FieldError(f"row {number}.name", reason))
            continue
        rows.append((number, msgspec.structs.replace(row, name=name)))
    if errors:
        raise Invalid(f"{len(errors)} error(s) in the import; nothing was imported", errors=errors)
    return rows


_AT = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.S)
_NAMED = re.compile(r"^Object (?:missing required|contains unknown) field `(?P<field>[^`]+)`$")


def _row_error(number: int, text: str) -> FieldError:
    """msgspec's 'Expected `str` - at `$.name`' as the field 'row 3.name'."""
    match = _AT.match(text)
    message, path = (match["message"], match["path"] or "") if match else (text, "")
    named = _NAMED.match(message)
    if named and not path:
        path = "." + named["field"]
    return FieldError(f"row {number}{path}", message)


def _json_rows(body: bytes) -> list[tuple[int, Any]]:
    if not body.strip():
        raise Invalid("the body is empty; send a JSON array of units", errors=[FieldError("body", "empty")])
    try:
        value = msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        raise Invalid(f"the body is not valid JSON: {exc}", errors=[FieldError("body", "malformed JSON")]) from exc
    if isinstance(value, dict) and isinstance(value.get("units"), list):
        value = value["units"]
    if not isinstance(value, list):
        raise Invalid("send a JSON array of units", errors=[FieldError("body", "expected an array")])
    return list(enumerate(value, start=1))


def _csv_rows(body: bytes) -> list[tuple[int, Any]]:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid(
            "the CSV must be UTF-8 (in Excel: Save As, CSV UTF-8)", errors=[FieldError("body", "not UTF-8")]
        ) from exc
    if not text.strip():
        raise Invalid("the CSV is empty; send a header row and one row per unit", errors=[FieldError("body", "empty")])
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)  # Excel writes ';' where ',' is the decimal mark
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    try:
        header = [h.strip().lower() for h in next(reader, [])]
        missing = [c for c in IMPORT_COLUMNS[:3] if c not in header]
        if missing:
            raise Invalid(
                f"the CSV's first row must name the columns {', '.join(IMPORT_COLUMNS)}",
                errors=[FieldError("row 1", f"missing column {c}") for c in missing],
            )
        columns = {name: header.index(name) for name in IMPORT_COLUMNS if name in header}
        rows: list[tuple[int, Any]] = []
        number = 1
        for record in reader:
            number += 1  # the spreadsheet row: what the person fixing the file sees
            if not any(cell.strip() for cell in record):
                continue
            row: dict[str, Any] = {name: record[i].strip() if i < len(record) else "" for name, i in columns.items()}
            if not row.get("parent_code"):
                row["parent_code"] = None
            rows.append((number, row))
            if len(rows) > MAX_IMPORT_ROWS:
                break
    except csv.Error as exc:
        raise Invalid(
            f"the CSV cannot be read near row {number + 1}: {exc}",
            errors=[FieldError(f"row {number + 1}", str(exc))],
        ) from exc
    return rows
