"""Sending a form's file to a nomination's dossier: shared by the new-nomination form and the page's upload form."""

from __future__ import annotations

from typing import Any

from litestar.datastructures import UploadFile

from shared.settings import MAX_UPLOAD_BODY_BYTES

from ..client import Api, Refused

# A form with one file: what the awards service takes, and room for the form's other fields, so the
# service, not the console, says why a file is refused (a body above this is the console's 413 page).
FORM_BODY_BYTES = MAX_UPLOAD_BODY_BYTES + 256 * 1024
CHOOSE_A_FILE = "Chọn tệp để tải lên."


def reason_of(exc: Refused) -> str:
    """The service's reason for refusing a file, as it gave it."""
    return exc.by_field().get("file", exc.detail)


async def send_file(api: Api, nomination_id: str, form: Any) -> Refused | None:
    """Upload the form's `file` (if one was chosen) to the nomination; the service's refusal, if it refused."""
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    try:
        content = await upload.read()
    finally:
        await upload.close()
    try:
        await api.upload(
            "awards", f"/nominations/{nomination_id}/attachments", "file", upload.filename, content, upload.content_type
        )
    except Refused as exc:
        if exc.status == 401:
            raise
        return exc
    return None
