"""Checking an officer's nomination file, row by row, in plain code (the calls are the controller's).

A row names a campaign (optional when its category's code is unique), a
category, the nominee's unit by code, for an individual the person's full name
(found in that unit, or to be added to it) and position, and the record of
merit. What cannot be right is said here, in Vietnamese, by row; what only the
awards service can judge (the quota, a live nomination of the same nominee) it
says when the rows are sent. The column spellings are the command's
(`shared.tables`), and the rows are sent as the command sends them
(`shared.batches`), so the same file sent again creates nothing twice.
"""

from __future__ import annotations

from typing import Any

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 500
MAX_NAME = 200  # the units service's search takes no longer name
MAX_ACHIEVEMENTS = 20_000  # the awards service's limit on a record of merit
# The checked rows kept until `Gửi tất cả`, encoded, at most (the table's CHECK allows a margin above).
MAX_KEPT = 3_000_000

FILE_REASONS = {
    "format": "Chỉ nhận tệp .xlsx hoặc .csv.",
    "encoding": "Tệp CSV phải dùng bảng mã UTF-8 (trong Excel: Lưu thành, chọn “CSV UTF-8”).",
    "empty": "Tệp không có dữ liệu.",
    "unreadable": "Không đọc được tệp: tệp hỏng hoặc không đúng định dạng .xlsx/.csv.",
    "no-rows": "Tệp không có dòng nào dưới dòng tiêu đề.",
    "too-many-rows": f"Tệp có quá {MAX_ROWS} dòng; hãy chia thành nhiều tệp.",
    "too-large": "Nội dung tệp quá lớn để giữ chờ gửi; hãy chia thành nhiều tệp.",
}


def columns_missing(missing: tuple[str, ...]) -> str:
    return "Dòng tiêu đề thiếu cột: " + ", ".join(missing) + "."


def find_category(
    campaigns: list[dict[str, Any]], campaign_ref: str, category_ref: str
) -> tuple[dict[str, Any], dict[str, Any]] | str:
    """The category (and its campaign) a row names by code or id; or why none can be chosen."""
    if not category_ref:
        return "Thiếu danh hiệu (cột category)."
    chosen = campaigns
    if campaign_ref:
        chosen = [c for c in campaigns if campaign_ref.lower() in (str(c["id"]), str(c["code"]).lower())]
        if not chosen:
            return f"Không có phong trào mã “{campaign_ref}”."
    found = [
        (cat, camp)
        for camp in chosen
        for cat in camp.get("categories") or []
        if category_ref.lower() in (str(cat["id"]), str(cat["code"]).lower())
    ]
    if not found:
        where = f" trong phong trào “{campaign_ref}”" if campaign_ref else ""
        return f"Không có danh hiệu mã “{category_ref}”{where}."
    if len(found) > 1:
        return f"Danh hiệu “{category_ref}” có ở nhiều phong trào: thêm cột campaign."
    category, campaign = found[0]
    if campaign.get("status") != "open":
        return f"Phong trào “{campaign['name']}” đã đóng, không nhận đề nghị."
    return category, campaign


def first_check(row: dict[str, str], campaigns: list[dict[str, Any]]) -> tuple[dict[str, Any], list[str]]:
    """What a row says without asking anyone but the campaigns: its draft and its errors."""
    errors: list[str] = []
    draft: dict[str, Any] = {
        "unit_code": row.get("unit_code", ""),
        "full_name": row.get("full_name", ""),
        "position": row.get("position", ""),
        "achievements": row.get("achievements", ""),
    }
    found = find_category(campaigns, row.get("campaign", ""), row.get("category", ""))
    if isinstance(found, str):
        errors.append(found)
    else:
        category, campaign = found
        draft |= {
            "category_id": str(category["id"]),
            "category": f"{category['name']} – {category['form']}",
            "kind": category["nominee_kind"],
            "campaign": campaign["name"],
        }
        if category["nominee_kind"] == "collective" and draft["full_name"]:
            errors.append("Danh hiệu này dành cho tập thể: để trống cột full_name.")
        if category["nominee_kind"] == "individual" and not draft["full_name"]:
            errors.append("Danh hiệu này dành cho cá nhân: thiếu họ và tên (cột full_name).")
    if not draft["unit_code"]:
        errors.append("Thiếu mã đơn vị (cột unit_code).")
    if len(draft["full_name"]) > MAX_NAME:
        errors.append(f"Họ và tên dài quá {MAX_NAME} ký tự.")
    if not draft["achievements"]:
        errors.append("Thiếu thành tích (cột achievements).")
    elif len(draft["achievements"]) > MAX_ACHIEVEMENTS:
        errors.append(f"Thành tích dài quá {MAX_ACHIEVEMENTS} ký tự.")
    return draft, errors


def row_identity(draft: dict[str, Any]) -> tuple[str, ...]:
    """What makes two rows the same nomination."""
    return (
        str(draft.get("category_id")),
        str(draft.get("unit_code", "")).lower(),
        str(draft.get("full_name", "")).casefold(),
        str(draft.get("achievements")),
    )


def nomination_body(draft: dict[str, Any], person_id: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"category_id": draft["category_id"], "achievements": draft["achievements"]}
    if draft["kind"] == "collective":
        body["nominee_unit_id"] = draft["unit_id"]
    else:
        body["nominee_person_id"] = person_id
    return body
