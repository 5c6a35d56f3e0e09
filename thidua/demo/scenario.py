"""The Bình Thuận 2014 scenario as a plan: every unit, account, person and nomination.

The counts come from the provincial report (binh-thuan-2014.json, copied here
from the specification's data). What the report does not name is generated,
deterministically (the same plan on every run, so a second load finds what the
first made), and plainly marked as demo data:

- grassroots organisations: "Chi bộ cơ sở số NN thuộc <committee> (mẫu)";
- people: a generated Vietnamese name with the suffix " (mẫu)", position
  "Dữ liệu mẫu (demo)", no birth year;
- the records of merit end with "(nội dung mẫu)"; decision numbers end with
  "(mẫu)";
- the action programmes of the 15 committees and 504 grassroots organisations
  under Chương trình hành động số 20-NQ/TU, and its 472 sessions (their
  attendees adding up to the report's 53,486): numbers and titles end with
  "(mẫu)", their days and sizes are generated.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from typing import Any

DEMO_MARK = "(mẫu)"
DEMO_POSITION = "Dữ liệu mẫu (demo)"
SEED = 20140828  # the report's date


def facts() -> dict[str, Any]:
    return json.loads(resources.files(__package__).joinpath("binh-thuan-2014.json").read_text(encoding="utf-8"))


# The 15 committees directly under the province (names from the data file), the
# slug of their officer's account, and how many of the 504 grassroots party
# organisations each holds (reconstructed: larger districts and the provincial
# agencies' bloc hold more).
COMMITTEE_SHAPE = {
    "Đảng bộ thành phố Phan Thiết": ("phanthiet", 52),
    "Đảng bộ thị xã La Gi": ("lagi", 36),
    "Đảng bộ huyện Tuy Phong": ("tuyphong", 34),
    "Đảng bộ huyện Bắc Bình": ("bacbinh", 38),
    "Đảng bộ huyện Hàm Thuận Bắc": ("hamthuanbac", 40),
    "Đảng bộ huyện Hàm Thuận Nam": ("hamthuannam", 34),
    "Đảng bộ huyện Hàm Tân": ("hamtan", 28),
    "Đảng bộ huyện Tánh Linh": ("tanhlinh", 33),
    "Đảng bộ huyện Đức Linh": ("duclinh", 34),
    "Đảng bộ huyện Phú Quý": ("phuquy", 14),
    "Đảng bộ Khối các cơ quan tỉnh": ("khoicoquan", 62),
    "Đảng bộ Khối doanh nghiệp tỉnh": ("khoidoanhnghiep", 45),
    "Đảng bộ Quân sự tỉnh": ("quansu", 22),
    "Đảng bộ Công an tỉnh": ("congan", 20),
    "Đảng bộ Bộ đội Biên phòng tỉnh": ("bienphong", 12),
}

# "Thường trực Tỉnh ủy": the province's standing trio (the secretary and two deputy secretaries).
COMMITTEE_MEMBERS = ("thuongtruc1", "thuongtruc2", "thuongtruc3")

SURNAMES = (
    ["Nguyễn"] * 8
    + ["Trần"] * 4
    + ["Lê"] * 3
    + ["Phạm"] * 2
    + ["Hoàng", "Huỳnh", "Phan", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Trương", "Đinh", "Lâm", "Mai"]
)
MIDDLE_MALE = ["Văn", "Hữu", "Đức", "Minh", "Quốc", "Thanh", "Công", "Ngọc", "Xuân", "Đình"]
MIDDLE_FEMALE = ["Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Kim", "Mỹ", "Hồng", "Phương"]
GIVEN_MALE = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Đạt",
    "Hải",
    "Hùng",
    "Khánh",
    "Long",
    "Nam",
    "Phong",
    "Phúc",
    "Quang",
    "Sơn",
    "Tài",
    "Thắng",
    "Thành",
    "Trung",
    "Tuấn",
    "Việt",
    "Vinh",
    "Lộc",
    "Hiếu",
    "Nghĩa",
]
GIVEN_FEMALE = [
    "Anh",
    "Châu",
    "Dung",
    "Giang",
    "Hà",
    "Hạnh",
    "Hằng",
    "Hoa",
    "Hương",
    "Lan",
    "Liên",
    "Linh",
    "Loan",
    "Mai",
    "Nga",
    "Ngân",
    "Nhung",
    "Oanh",
    "Phượng",
    "Tâm",
    "Thảo",
    "Trang",
    "Uyên",
    "Yến",
]

ACHIEVEMENTS = {
    "DVK-TT": [
        'Xây dựng và thực hiện tốt chương trình hành động thực hiện Nghị quyết 25-NQ/TW; mô hình "Dân vận khéo" '
        "trong vận động nhân dân hiến đất làm đường giao thông nông thôn",
        "Phối hợp chặt chẽ với Mặt trận và các đoàn thể; giải quyết dứt điểm đơn thư, khiếu nại ngay tại cơ sở",
        'Vận động nhân dân tham gia phong trào "Chung sức, chung lòng xây dựng nông thôn mới" đạt kết quả nổi bật',
    ],
    "DVK-CN": [
        "Gần dân, sát dân; vận động thành công nhiều hộ dân thực hiện chủ trương giải phóng mặt bằng",
        "Điển hình trong công tác dân vận chính quyền, cải cách hành chính, phục vụ nhân dân tận tụy",
        "Vận động đồng bào tham gia bảo vệ an ninh trật tự, xây dựng khu dân cư văn hóa",
    ],
    "HCM-CN": [
        "Tiêu biểu trong học tập và làm theo tấm gương đạo đức Hồ Chí Minh; cần, kiệm, liêm, chính, chí công vô tư",
        "Gương mẫu, tận tụy với công việc; thường xuyên giúp đỡ hộ nghèo, gia đình chính sách tại địa phương",
        "Nêu gương sáng về đạo đức, lối sống; hoàn thành xuất sắc nhiệm vụ được giao nhiều năm liền",
    ],
}


@dataclass(frozen=True)
class UnitRow:
    code: str
    name: str
    kind: str
    parent_code: str | None

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "kind": self.kind, "parent_code": self.parent_code}


@dataclass(frozen=True)
class Committee:
    code: str
    name: str
    officer: str  # the username of its officer
    grassroots: tuple[str, ...]  # codes of its grassroots organisations


# How the standing committee decided the 2014 commendations: a resolution of a
# party body is valid only when more than half of its members approve (Điều lệ
# Đảng, Article 9, clause 5; counted on the body's members, Quy định
# 24-QĐ/TW/2021, 9.3), with an open vote and no public comment before the decision.
STANDING_COMMITTEE_MARK = {"more_than_percent": 50}


@dataclass(frozen=True)
class CategoryPlan:
    code: str
    name: str
    nominee_kind: str  # "collective" | "individual"
    quota: int
    form: str
    pass_mark: dict[str, int] | None = None
    secret_ballot: bool = False
    comment_working_days: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "nominee_kind": self.nominee_kind,
            "quota": self.quota,
            "form": self.form,
            "pass_mark": self.pass_mark,
            "secret_ballot": self.secret_ballot,
            "comment_working_days": self.comment_working_days,
        }


@dataclass(frozen=True)
class CampaignPlan:
    code: str
    name: str
    year: int
    starts_on: date
    ends_on: date
    description: str
    categories: tuple[CategoryPlan, ...]
    decision_number: str
    decision_signed_on: date


@dataclass(frozen=True)
class PersonPlan:
    full_name: str
    unit_code: str  # a grassroots organisation


@dataclass(frozen=True)
class NominationPlan:
    key: str  # stable, for the Idempotency-Key
    campaign_code: str
    category_code: str
    committee_code: str  # whose officer submits it
    achievements: str
    unit_code: str | None = None  # a collective
    person: PersonPlan | None = None  # an individual


@dataclass(frozen=True)
class CeremonyPlan:
    title: str
    held_on: date
    venue: str


@dataclass(frozen=True)
class ProgrammePlan:
    unit_code: str
    number: str
    issued_on: date
    title: str


@dataclass(frozen=True)
class SessionPlan:
    unit_code: str
    held_on: date
    kind: str  # study | training | dialogue | other
    title: str
    attendees: int


@dataclass(frozen=True)
class DirectivePlan:
    """The province's action programme carrying out Resolution 25-NQ/TW, with what its units reported."""

    code: str
    title: str
    implements: str
    issued_on: date
    campaign_codes: tuple[str, ...]
    programmes: tuple[ProgrammePlan, ...]
    sessions: tuple[SessionPlan, ...]


@dataclass
class Plan:
    province: UnitRow
    committees: list[Committee]
    units: list[UnitRow]  # the province first, then every committee, then every grassroots organisation
    members: tuple[str, ...]
    campaigns: list[CampaignPlan]
    people: list[PersonPlan]
    nominations: list[NominationPlan]
    ceremony: CeremonyPlan
    host: str  # who hosts the ceremony and signs the decisions
    tag: str = ""
    counts: dict[str, int] = field(default_factory=dict)  # category code -> honourees
    directive: DirectivePlan | None = None


def _spread(total: int, weights: list[int]) -> list[int]:
    """`total` split in proportion to `weights`, by largest remainder (sums exactly to `total`)."""
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    parts = [int(x) for x in exact]
    for i in sorted(range(len(weights)), key=lambda i: (exact[i] - parts[i], -i), reverse=True)[: total - sum(parts)]:
        parts[i] += 1
    return parts


def build_plan(tag: str = "") -> Plan:
    """The scenario. A `tag` (e.g. "-t1") makes a second, separate copy of it: every code, username,
    decision number and the ceremony's title carry it (the tests use one to load a copy beside the real one)."""
    data = facts()
    rng = random.Random(SEED)
    prov = data["province_committee"]
    province = UnitRow(prov["code"] + tag, prov["name"], prov["kind"], None)

    names = data["committees_directly_under_province"]["names_reconstructed"]
    assert len(names) == data["committees_directly_under_province"]["count"]
    assert sum(COMMITTEE_SHAPE[n][1] for n in names) == data["grassroots_party_organisations"]["count"]
    units = [province]
    committees: list[Committee] = []
    grassroots: list[UnitRow] = []
    for name in names:
        slug, count = COMMITTEE_SHAPE[name]
        code = f"{province.code}-{slug.upper()}"
        units.append(UnitRow(code, name, "party_committee", province.code))
        rows = [
            UnitRow(
                f"{code}-{n:03d}", f"Chi bộ cơ sở số {n:02d} thuộc {name} {DEMO_MARK}", "grassroots_party_org", code
            )
            for n in range(1, count + 1)
        ]
        grassroots += rows
        committees.append(Committee(code, name, f"canbo-{slug}{tag}", tuple(r.code for r in rows)))
    units += grassroots

    recognition = data["recognition"]
    year = recognition["year"]
    by_campaign: dict[str, list[dict[str, Any]]] = {}
    for h in recognition["honoured"]:
        by_campaign.setdefault(h["campaign"], []).append(h)
    category_codes = {"collective": "TT", "individual": "CN"}
    campaign_codes = {"Dân vận khéo": "DVK", "Học tập và làm theo tấm gương đạo đức Hồ Chí Minh": "HCM"}
    programme = data["provincial_action_programme"]
    campaigns: list[CampaignPlan] = []
    counts: dict[str, int] = {}
    for number, (campaign_name, honoured) in enumerate(by_campaign.items(), start=1):
        prefix = campaign_codes[campaign_name]
        categories = []
        for h in honoured:
            code = f"{prefix}-{category_codes[h['nominee_kind']]}"
            categories.append(
                CategoryPlan(code, h["category"], h["nominee_kind"], h["count"], "Biểu dương", STANDING_COMMITTEE_MARK)
            )
            counts[code] = h["count"]
        if prefix == "DVK":
            description = (
                f'Phong trào thi đua "Dân vận khéo" năm {year}: thực hiện Nghị quyết 25-NQ/TW ngày 03/6/2013 của '
                f"Ban Chấp hành Trung ương và Chương trình hành động số {programme['number']} của Tỉnh ủy."
            )
            starts_on = date.fromisoformat(programme["issued_on"])
        else:
            description = f"Học tập và làm theo tấm gương đạo đức Hồ Chí Minh năm {year}."
            starts_on = date(year, 1, 1)
        campaigns.append(
            CampaignPlan(
                code=f"{prefix}-{year}{tag}",
                name=f"{campaign_name} năm {year}",
                year=year,
                starts_on=starts_on,
                ends_on=date(year, 8, 31),
                description=description,
                categories=tuple(categories),
                decision_number=f"{number:02d}-QĐ/TU{tag} {DEMO_MARK}",
                decision_signed_on=date(year, 8, 20),
            )
        )

    # Nominations: each category's count spread over the committees in proportion to their size.
    weights = [len(c.grassroots) for c in committees]
    used_names: set[str] = set()
    people: list[PersonPlan] = []
    nominations: list[NominationPlan] = []
    for campaign in campaigns:
        for category in campaign.categories:
            for committee, n in zip(committees, _spread(category.quota, weights), strict=True):
                if category.nominee_kind == "collective":
                    for unit_code in rng.sample(committee.grassroots, n):
                        nominations.append(
                            NominationPlan(
                                key=f"{category.code}:{unit_code}",
                                campaign_code=campaign.code,
                                category_code=category.code,
                                committee_code=committee.code,
                                unit_code=unit_code,
                                achievements=_achievements(rng, category.code),
                            )
                        )
                    continue
                for _ in range(n):
                    person = PersonPlan(_person_name(rng, used_names), rng.choice(committee.grassroots))
                    people.append(person)
                    nominations.append(
                        NominationPlan(
                            key=f"{category.code}:{person.unit_code}:{person.full_name}",
                            campaign_code=campaign.code,
                            category_code=category.code,
                            committee_code=committee.code,
                            person=person,
                            achievements=_achievements(rng, category.code),
                        )
                    )

    ceremony = CeremonyPlan(
        title=(
            f'Gặp mặt biểu dương điển hình "Dân vận khéo" và điển hình học tập, làm theo tấm gương đạo đức '
            f"Hồ Chí Minh năm {year}{tag}"
        ),
        held_on=date(year, 8, 22),
        venue="Hội trường Tỉnh ủy Bình Thuận, thành phố Phan Thiết",
    )
    return Plan(
        province=province,
        committees=committees,
        units=units,
        members=tuple(m + tag for m in COMMITTEE_MEMBERS),
        tag=tag,
        campaigns=campaigns,
        people=people,
        nominations=nominations,
        ceremony=ceremony,
        host=recognition["host"],
        counts=counts,
        directive=_directive(data, province, committees, tuple(c.code for c in campaigns), tag),
    )


def _person_name(rng: random.Random, used: set[str]) -> str:
    while True:
        female = rng.random() < 0.45
        name = " ".join(
            (
                rng.choice(SURNAMES),
                rng.choice(MIDDLE_FEMALE if female else MIDDLE_MALE),
                rng.choice(GIVEN_FEMALE if female else GIVEN_MALE),
            )
        )
        full = f"{name} {DEMO_MARK}"
        if full not in used:
            used.add(full)
            return full


def _achievements(rng: random.Random, category_code: str) -> str:
    return f"{rng.choice(ACHIEVEMENTS[category_code])} (nội dung mẫu)."


# The resolution the province's programme carries out, as the Central Committee titled it.
RESOLUTION_25 = (
    "Nghị quyết số 25-NQ/TW ngày 03/6/2013 của Ban Chấp hành Trung ương Đảng (khóa XI) về tăng cường và đổi mới "
    "sự lãnh đạo của Đảng đối với công tác dân vận trong tình hình mới"
)
SESSION_TITLES = {
    "study": f"Hội nghị học tập, quán triệt Nghị quyết 25-NQ/TW và Chương trình hành động số {{number}} {DEMO_MARK}",
    "training": f"Tập huấn nghiệp vụ công tác dân vận {DEMO_MARK}",
    "dialogue": f"Đối thoại giữa cấp ủy, chính quyền với nhân dân {DEMO_MARK}",
}


def _day(rng: random.Random, first: date, last: date) -> date:
    return date.fromordinal(rng.randint(first.toordinal(), last.toordinal()))


def _directive(
    data: dict[str, Any], province: UnitRow, committees: list[Committee], campaign_codes: tuple[str, ...], tag: str
) -> DirectivePlan:
    """Chương trình hành động số 20-NQ/TU: every committee and grassroots organisation built its programme
    (the report's 15/15 and 504), and the 472 sessions reached 53,486 people. A generator of its own (not
    the nominations' one), so the people and nominations of earlier loads stay what they were."""
    rng = random.Random(SEED + 20)
    facts_of = data["provincial_action_programme"]
    number = facts_of["number"]
    issued_on = date.fromisoformat(facts_of["issued_on"])
    assert data["committees_directly_under_province"]["all_built_action_programmes"]
    assert data["grassroots_party_organisations"]["all_built_action_programmes"]
    programmes: list[ProgrammePlan] = []
    title = f"Chương trình hành động thực hiện Nghị quyết 25-NQ/TW và Chương trình hành động số {number} {DEMO_MARK}"
    for n, committee in enumerate(committees, start=1):
        programmes.append(
            ProgrammePlan(
                committee.code,
                f"{n:02d}-CTr/ĐU {DEMO_MARK}",
                _day(rng, date(2013, 8, 15), date(2013, 9, 30)),
                title,
            )
        )
        for k, code in enumerate(committee.grassroots, start=1):
            programmes.append(
                ProgrammePlan(
                    code, f"{k:02d}-CTr/CB {DEMO_MARK}", _day(rng, date(2013, 9, 1), date(2013, 12, 31)), title
                )
            )

    # The sessions: two by each committee (a conference, then a training), the rest by grassroots
    # organisations drawn at random, mostly study; their sizes drawn, then scaled to add up exactly.
    classes = data["dissemination_classes"]
    count, attendees = classes["count"], classes["attendees"]
    held: list[tuple[str, date, str, int]] = []
    for committee in committees:
        held.append((committee.code, _day(rng, date(2013, 8, 20), date(2013, 10, 15)), "study", rng.randint(250, 450)))
        held.append((committee.code, _day(rng, date(2013, 10, 1), date(2014, 3, 31)), "training", rng.randint(80, 160)))
    grassroots = [code for c in committees for code in c.grassroots]
    for code in rng.sample(grassroots, count - len(held)):
        kind = rng.choices(("study", "training", "dialogue"), weights=(80, 10, 10))[0]
        held.append((code, _day(rng, date(2013, 9, 1), date(2014, 7, 31)), kind, rng.randint(40, 160)))
    sizes = _spread(attendees, [w for *_, w in held])
    sessions = tuple(
        SessionPlan(code, day, kind, SESSION_TITLES[kind].format(number=number), size)
        for (code, day, kind, _), size in zip(held, sizes, strict=True)
    )
    assert len(sessions) == count and sum(s.attendees for s in sessions) == attendees
    assert all(s.attendees >= 1 for s in sessions)
    return DirectivePlan(
        code=f"{number}{tag}",
        title=f"Chương trình hành động số {number} của {province.name} thực hiện Nghị quyết 25-NQ/TW",
        implements=RESOLUTION_25,
        issued_on=issued_on,
        campaign_codes=campaign_codes,
        programmes=tuple(programmes),
        sessions=sessions,
    )
