"""The starter set of eligibility rules, as data: `GET /rules/presets` lists them by the title a category
confers, and a province copies a preset's `rules` into a category (`POST`/`PATCH` of a category).

Each rule cites its article. Only what could be confirmed from the text of the law is here (the
sources looked up are named beside each rule); what could not be confirmed is left out rather than
guessed (README.md, "Eligibility rules"). The rules of the law of 2003 are in force until 2024-01-01,
the day Law 06/2022/QH15 took effect and replaced it.
"""

from __future__ import annotations

from typing import Any

LAW_2022_IN_FORCE = "2024-01-01"  # Luật Thi đua, khen thưởng số 06/2022/QH15: ngày hiệu lực 01/01/2024

PRESETS: dict[str, list[dict[str, Any]]] = {
    "Chiến sĩ thi đua cơ sở": [
        # Luật Thi đua, khen thưởng 2003 (sửa đổi, bổ sung 2005, 2009, 2013), Điều 23 khoản 1: the title
        # is given to an individual who "đạt các tiêu chuẩn của danh hiệu 'Lao động tiên tiến' hoặc
        # 'Chiến sĩ tiên tiến'" (text as published by the provincial emulation office of Lạng Sơn,
        # thiduakhenthuong.langson.gov.vn, 2017). Read here as: holds "Lao động tiên tiến" the same year.
        {
            "kind": "requires_award",
            "title": "Lao động tiên tiến",
            "within_years": 0,
            "citation": "Luật Thi đua, khen thưởng 2003 (sửa đổi, bổ sung năm 2013), Điều 23 khoản 1",
            "effective_from": None,
            "effective_until": LAW_2022_IN_FORCE,
        },
    ],
    "Chiến sĩ thi đua cấp tỉnh": [
        # Luật Thi đua, khen thưởng 2003 (sửa đổi, bổ sung), Điều 22: "Danh hiệu Chiến sĩ thi đua cấp bộ,
        # ngành, tỉnh, đoàn thể trung ương được xét tặng cho cá nhân có thành tích tiêu biểu xuất sắc
        # trong số những cá nhân có ba lần liên tục đạt danh hiệu 'Chiến sĩ thi đua cơ sở'" (text as
        # published by the Supreme People's Court's emulation office, tdkt.toaan.gov.vn). When: "Thời điểm
        # xét tặng ... là năm đạt danh hiệu 'Chiến sĩ thi đua cơ sở' lần thứ ba" (the Ministry of Industry
        # and Trade's guidance page under the same law; the decree article it rests on is not confirmed
        # here). So the three times are the campaign's year and the two before it: two rules.
        {
            "kind": "holds_title",
            "title": "Chiến sĩ thi đua cơ sở",
            "years": 2,
            "consecutive": True,
            "citation": "Luật Thi đua, khen thưởng 2003 (sửa đổi, bổ sung), Điều 22: ba lần liên tục (hai năm trước)",
            "effective_from": None,
            "effective_until": LAW_2022_IN_FORCE,
        },
        {
            "kind": "requires_award",
            "title": "Chiến sĩ thi đua cơ sở",
            "within_years": 0,
            "citation": (
                "Luật Thi đua, khen thưởng 2003 (sửa đổi, bổ sung), Điều 22: lần thứ ba là năm xét tặng "
                "(thời điểm xét: điều khoản của nghị định hướng dẫn chưa xác minh)"
            ),
            "effective_from": None,
            "effective_until": LAW_2022_IN_FORCE,
        },
    ],
}


def presets() -> list[dict[str, Any]]:
    """Every preset: the title a category confers and its rules, each with its citation and dates."""
    return [{"title": title, "rules": rules} for title, rules in PRESETS.items()]
