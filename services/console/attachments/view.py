"""How the console shows a dossier's files: sizes the Vietnamese way, kinds by name."""

from __future__ import annotations

from typing import Any

KIND_NAMES = {
    "application/pdf": "PDF",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word (DOCX)",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel (XLSX)",
    "image/jpeg": "Ảnh JPEG",
    "image/png": "Ảnh PNG",
}


def _decimal(value: float) -> str:
    """One decimal below 10, none above, with a decimal comma: 1,2 — 35."""
    if value < 10:
        return f"{value:.1f}".replace(".", ",").removesuffix(",0")
    return f"{value:.0f}"


def file_size(size: int) -> str:
    """`812 byte`, `35 KB`, `1,2 MB` (1 KB = 1024 bytes, as the awards service counts its 20 MB)."""
    if size < 1024:
        return f"{size} byte"
    if size < 1024 * 1024:
        return f"{_decimal(size / 1024)} KB"
    return f"{_decimal(size / (1024 * 1024))} MB"


def files(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The awards service's files, each with its size and kind as the page says them."""
    return [
        {**a, "size_text": file_size(int(a["size"])), "kind_name": KIND_NAMES.get(a["content_type"], a["content_type"])}
        for a in items
    ]


def changes(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The steps of the history that added or removed a file, oldest first."""
    return [h for h in history if h.get("attachment")]
