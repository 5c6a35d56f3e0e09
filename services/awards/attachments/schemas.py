"""A nomination's dossier over HTTP: what an uploaded file is said to be (never its bytes in JSON)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import msgspec
from litestar.datastructures import UploadFile


@dataclass
class AttachmentUpload:
    """`multipart/form-data` with one file, in the field `file`."""

    file: UploadFile


class Attachment(msgspec.Struct):
    id: uuid.UUID
    nomination_id: uuid.UUID
    filename: str
    size: int  # bytes
    content_type: str  # what the bytes are, whatever the client said
    sha256: str  # hex; also the download's ETag
    uploaded_by: uuid.UUID
    uploaded_by_name: str
    created_at: datetime


class Attachments(msgspec.Struct):
    items: list[Attachment]
