"""Reading a spreadsheet a form sent (units, titles, nominations imports): the file, or why it was not taken."""

from __future__ import annotations

from typing import Any

from litestar.datastructures import UploadFile

CHOOSE_A_SPREADSHEET = "Chọn tệp .xlsx hoặc .csv để nhập."


async def spreadsheet(form: Any, max_bytes: int) -> tuple[str, bytes] | str:
    """The form's `file` as (its name, its bytes); or the message to show when none was chosen or it is larger
    than `max_bytes` (read no further than one byte past it)."""
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return CHOOSE_A_SPREADSHEET
    try:
        data = await upload.read(max_bytes + 1)
    finally:
        await upload.close()
    if len(data) > max_bytes:
        return f"Tệp quá lớn: tối đa {max_bytes // (1024 * 1024)} MB."
    return upload.filename, data
