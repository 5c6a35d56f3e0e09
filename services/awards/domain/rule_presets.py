"""The starter set of eligibility rules, as data: `GET /rules/presets` lists them by the title a category
confers, and a province copies a preset's `rules` into a category (`POST`/`PATCH` of a category).

Each rule cites its article. Only what could be confirmed from the text of the law is here (the
sources looked up are named beside each rule); what could not be confirmed is left out rather than
guessed (README.md, "Eligibility rules"). The rules of the law of 2003 are in force until 2024-01-01,
the day Law 06/2022/QH15 took effect and replaced it; the rules of Law 06/2022/QH15 from that day on
(`effective_from`), so one preset put on a category checks a 2014 campaign by the law of 2003 and a
2025 one by that of 2022. Decree 98/2023/NĐ-CP gives no rule here: its Article 1 (scope, as published
by hethongphapluat.com) details clauses of Articles 11, 12, 14, 25, 34-47, 51, 53, 79, 81-85, 90 and 93
of the law, none of Articles 21-24 on the individual titles, and no share of a unit or time of
consideration for those titles could be found in it (article not confirmed here).

A condition the law states as alternatives ("hoặc": an initiative, or excellent completion of tasks,
or a scientific work...) is left out: a category's rules must all pass, and the records these rules
read (awards and titles) do not hold initiatives or yearly ratings.
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
        # Luật Thi đua, khen thưởng 2022 (06/2022/QH15), Điều 23 khoản 1: "Danh hiệu 'Chiến sĩ thi đua cơ sở'
        # để tặng cho cá nhân đạt các tiêu chuẩn sau đây: 1. Đạt tiêu chuẩn danh hiệu 'Lao động tiên tiến'
        # hoặc 'Chiến sĩ tiên tiến'; 2. Hoàn thành xuất sắc nhiệm vụ hoặc có sáng kiến được cơ sở công nhận
        # hoặc ...". Three sources agree on the article and quote it: the portal of Quảng Ninh district,
        # Quảng Bình (quangninh.quangbinh.gov.vn, "Giáo viên có thể đạt Chiến sỹ thi đua mà không
        # cần sáng kiến"), Lao Động (laodong.vn, 22/12/2023, "Tin vui từ 1.2024: Giáo viên không có sáng kiến
        # vẫn đạt chiến sĩ thi đua") and Giáo dục Việt Nam (giaoduc.net.vn, 22/05/2023). (A training site,
        # viendaotaogiaoduc.edu.vn, calls it Article 21: outvoted, and Article 21 is the national title.)
        # Read as the law of 2003 was: holds "Lao động tiên tiến" the same year ("Chiến sĩ tiên tiến", the
        # armed forces' equal, is not an alternative a list of rules can offer: a unit of the armed forces
        # puts that title in this rule's place). Clause 2 is alternatives ("hoặc"): left out.
        {
            "kind": "requires_award",
            "title": "Lao động tiên tiến",
            "within_years": 0,
            "citation": "Luật Thi đua, khen thưởng 2022 (số 06/2022/QH15), Điều 23 khoản 1",
            "effective_from": LAW_2022_IN_FORCE,
            "effective_until": None,
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
        # Luật Thi đua, khen thưởng 2022 (06/2022/QH15), Điều 22 ("Danh hiệu chiến sĩ thi đua Bộ, ban, ngành,
        # tỉnh") khoản 1 điểm a: "Có thành tích xuất sắc tiêu biểu được lựa chọn trong số những cá nhân có 03
        # lần liên tục được tặng danh hiệu 'Chiến sĩ thi đua cơ sở'". Article and text quoted by the Thư viện
        # pháp luật answer "Xét tặng Chiến sĩ thi đua cấp tỉnh cần có điều kiện về thành tích như thế nào?"
        # ("khoản 1 Điều 22 Luật Thi đua, Khen thưởng 2022") and by the Ministry of Home Affairs' answer on
        # baochinhphu.vn, 05/11/2024, "Chiến sĩ thi đua cấp tỉnh cần có mấy sáng kiến?" ("Khoản 1 Điều 22
        # Luật Thi đua, khen thưởng quy định..."). One answer of the same ministry on chinhsachonline.chinhphu.vn
        # (23/02/2024) quotes the same text as "Điều 21": outvoted (Article 21 is the national title, see
        # below). Point b (an initiative, or a scientific work, or...) is alternatives: left out.
        # Which three years: the law's text says "03 lần liên tục" only. For the law of 2003 the third was the
        # year of consideration (above); no text of the 2022 law or of Decree 98/2023/NĐ-CP saying when was
        # found (not confirmed here), so the reading of 2003 is kept: the campaign's year and the two before.
        {
            "kind": "holds_title",
            "title": "Chiến sĩ thi đua cơ sở",
            "years": 2,
            "consecutive": True,
            "citation": (
                "Luật Thi đua, khen thưởng 2022 (số 06/2022/QH15), Điều 22 khoản 1 điểm a: 03 lần liên tục "
                "(hai năm trước)"
            ),
            "effective_from": LAW_2022_IN_FORCE,
            "effective_until": None,
        },
        {
            "kind": "requires_award",
            "title": "Chiến sĩ thi đua cơ sở",
            "within_years": 0,
            "citation": (
                "Luật Thi đua, khen thưởng 2022 (số 06/2022/QH15), Điều 22 khoản 1 điểm a: lần thứ ba là năm "
                "xét tặng (thời điểm xét: chưa xác minh)"
            ),
            "effective_from": LAW_2022_IN_FORCE,
            "effective_until": None,
        },
    ],
    "Chiến sĩ thi đua toàn quốc": [
        # Luật Thi đua, khen thưởng 2022 (06/2022/QH15), Điều 21 ("Danh hiệu 'Chiến sĩ thi đua toàn quốc'")
        # khoản 1 điểm a: "Có thành tích xuất sắc tiêu biểu được lựa chọn trong số những cá nhân có 02 lần
        # liên tục được tặng danh hiệu chiến sĩ thi đua Bộ, ban, ngành, tỉnh". Article, heading and text
        # quoted by LawNet (lawnet.vn/en, "Does an individual have to be awarded the title of emulation
        # soldier 2 times in a row ...": "Article 21. Title 'National emulation fighter' 1. ... a) ... 02
        # times in a row"); the same text, without the article, by lawnet.vn ("Tiêu chuẩn danh hiệu chiến sĩ
        # thi đua toàn quốc từ 2024") and Báo Yên Bái. Point b is alternatives: left out.
        # "02 lần liên tục" counts awards of the provincial title, which is not given every year (three
        # consecutive "Chiến sĩ thi đua cơ sở" each), so it is not two consecutive years: read as the title
        # held in two distinct years before the campaign's year; that the two were consecutive awards is left
        # to the council. Whether the second may fall in the campaign's own year was not confirmed here (for
        # the law of 2003, Decree 91/2017/NĐ-CP, Điều 48 khoản 1 điểm a, put the national title in the year
        # after the second: the Central Emulation and Commendation Board's answer, banthiduakhenthuongtw.gov.vn).
        {
            "kind": "holds_title",
            "title": "Chiến sĩ thi đua cấp tỉnh",
            "years": 2,
            "consecutive": False,
            "citation": (
                "Luật Thi đua, khen thưởng 2022 (số 06/2022/QH15), Điều 21 khoản 1 điểm a: 02 lần được tặng "
                "chiến sĩ thi đua Bộ, ban, ngành, tỉnh"
            ),
            "effective_from": LAW_2022_IN_FORCE,
            "effective_until": None,
        },
    ],
}


def presets() -> list[dict[str, Any]]:
    """Every preset: the title a category confers and its rules, each with its citation and dates."""
    return [{"title": title, "rules": rules} for title, rules in PRESETS.items()]
