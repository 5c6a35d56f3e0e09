"""The implementation report of a directive, written from its figures (pure: no I/O).

The report says what the source report (Bình Thuận, 28/8/2014, one year of Resolution 25-NQ/TW) says, the
way it says it, but from the figures the units reported and the roll holds:

    Ban Thường vụ Tỉnh ủy Bình Thuận đã ban hành Chương trình hành động số 20-NQ/TU ngày 7/8/2013 …;
    15/15 đảng bộ trực thuộc và 504 tổ chức cơ sở đảng đã xây dựng chương trình, kế hoạch thực hiện;
    tổ chức 472 buổi học tập, quán triệt cho 53.486 lượt cán bộ, đảng viên, công chức, viên chức và
    đoàn viên, hội viên; biểu dương, khen thưởng 40 tập thể, 20 cá nhân … và 250 cá nhân ….

Numbers are written the Vietnamese way (`53.486`), counts against their whole as `15/15` (the party
committees always, as the source does; other kinds only while some are missing: `504` when all 504 have
one, `480/504` when not), dates as `ngày 7/8/2013`. The units still without a programme are named ("một số
nơi … còn chậm"). `build` gives one `Report` of plain strings; the page, the Word file and the PDF are
templates over it, so all three say the same words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from shared.documents import vn_date, vn_number

from .schemas import Directive, DistrictCoverage, Implementation, MissingUnit, MonthSessions

# The unit kinds of the units service (`services/units/domain.py` UnitKind), in the order a report
# names them, as a count in a sentence reads them ("15/15 đảng bộ trực thuộc") and as a table's row.
KIND_ORDER = (
    "party_committee",
    "grassroots_party_org",
    "government_agency",
    "fatherland_front",
    "mass_organization",
    "other",
)
KIND_IN_SENTENCE = {
    "party_committee": "đảng bộ trực thuộc",
    "grassroots_party_org": "tổ chức cơ sở đảng",
    "government_agency": "cơ quan nhà nước",
    "fatherland_front": "tổ chức Mặt trận Tổ quốc",
    "mass_organization": "đoàn thể chính trị – xã hội",
    "other": "đơn vị khác",
}
KIND_IN_TABLE = {
    "party_committee": "Đảng bộ trực thuộc",
    "grassroots_party_org": "Tổ chức cơ sở đảng",
    "government_agency": "Cơ quan nhà nước",
    "fatherland_front": "Mặt trận Tổ quốc",
    "mass_organization": "Đoàn thể chính trị – xã hội",
    "other": "Đơn vị khác",
}
# Counted against their whole even when complete, as the source writes "15/15 đảng bộ trực thuộc".
ALWAYS_AGAINST_WHOLE = frozenset({"party_committee"})
# Who attends a study session, in the source's words.
AUDIENCE = "cán bộ, đảng viên, công chức, viên chức và đoàn viên, hội viên"
# The kinds of document a directive is, as its title may begin (longest first): "Chương trình hành động
# thực hiện …" is cited "Chương trình hành động số 20-NQ/TU ngày 7/8/2013 thực hiện …".
DOCUMENT_KINDS = (
    "Chương trình hành động",
    "Chương trình",
    "Kế hoạch",
    "Chỉ thị",
    "Nghị quyết",
    "Kết luận",
    "Hướng dẫn",
    "Đề án",
    "Quyết định",
    "Công văn",
)
# A party committee's name begins with one of these ("Tỉnh ủy Bình Thuận"); its standing committee
# ("Ban Thường vụ") is who issues and reports.
PARTY_COMMITTEE_WORDS = ("tỉnh", "thành", "huyện", "quận", "thị", "đảng")
YEARS_IN_WORDS = {1: "một", 2: "hai", 3: "ba", 4: "bốn", 5: "năm"}
# A sentence names at most this many units still without a programme; the annex's table lists them all.
MISSING_NAMED = 30


@dataclass(frozen=True, slots=True)
class KindRow:
    label: str
    done: str
    of: str
    share: str  # "100%", "96,2%"


@dataclass(frozen=True, slots=True)
class UnitRow:
    name: str
    done: str
    of: str
    share: str


@dataclass(frozen=True, slots=True)
class MonthRow:
    month: str  # "8/2013"
    count: str
    attendees: str


@dataclass(frozen=True, slots=True)
class CampaignRow:
    name: str
    collectives: str
    individuals: str


@dataclass(frozen=True, slots=True)
class MissingRow:
    name: str
    kind: str


@dataclass(frozen=True, slots=True)
class Report:
    """Every word of the report, ready for a template (no number or date is left to format)."""

    issuer: str  # "TỈNH ỦY BÌNH THUẬN"
    party: bool  # a party committee's document: "ĐẢNG CỘNG SẢN VIỆT NAM" opposite the issuer
    place_date: str  # "Bình Thuận, ngày 28/8/2014"
    title: str  # "BÁO CÁO"
    subject: str  # "Kết quả một năm thực hiện Chương trình hành động số 20-NQ/TU ngày 7/8/2013 …"
    lead: str  # the paragraph of every figure
    programmes: str  # the programmes' sentence
    sessions: str
    honoured: str
    missing: str  # "Một số nơi … còn chậm: …", or that every unit has one
    closing: str
    signer: str  # "T/M BAN THƯỜNG VỤ"
    directive_name: str  # "Chương trình hành động số 20-NQ/TU ngày 7/8/2013"
    kind_rows: list[KindRow] = field(default_factory=list)
    unit_rows: list[UnitRow] = field(default_factory=list)
    month_rows: list[MonthRow] = field(default_factory=list)
    campaign_rows: list[CampaignRow] = field(default_factory=list)
    missing_rows: list[MissingRow] = field(default_factory=list)
    sessions_total: MonthRow = MonthRow("Cộng", "0", "0")
    honoured_total: CampaignRow = CampaignRow("Cộng", "0", "0")


# ------------------------------------------------------------------ words
def join(parts: Sequence[str]) -> str:
    """`a`, `a và b`, `a, b và c`."""
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " và " + parts[-1]


def against(done: int, of: int) -> str:
    """`15/15`, `1.204/1.310`."""
    return f"{vn_number(done)}/{vn_number(of)}"


def share(done: int, of: int) -> str:
    """`100%`, `96,2%` (a comma before the decimal, as Vietnamese writes it); `–` of nothing."""
    if of <= 0:
        return "–"
    tenths = round(done * 1000 / of)
    whole, rest = divmod(tenths, 10)
    return f"{vn_number(whole)}%" if rest == 0 else f"{vn_number(whole)},{rest}%"


def month_label(month: date) -> str:
    """`8/2013`."""
    return f"{month.month}/{month.year}"


def is_party_committee(name: str) -> bool:
    """ "Tỉnh ủy Bình Thuận", "Huyện ủy Tuy Phong", "Đảng ủy Khối …" (ủy or uỷ)."""
    words = name.split()
    return len(words) >= 2 and words[0].lower() in PARTY_COMMITTEE_WORDS and words[1].lower() in ("ủy", "uỷ")


def issuing_body(name: str) -> str:
    """Who issues and reports: "Ban Thường vụ Tỉnh ủy Bình Thuận", or the unit itself."""
    return f"Ban Thường vụ {name}" if is_party_committee(name) else name


def place(name: str) -> str:
    """The place a report is dated at: "Bình Thuận" of "Tỉnh ủy Bình Thuận"; "" when the name gives none."""
    words = name.split()
    return " ".join(words[2:]) if is_party_committee(name) and len(words) > 2 else ""


def _drop_prefix(text: str, prefix: str) -> str:
    """`text` without `prefix` (any case) at its start, when it starts with it as whole words."""
    if prefix and text.lower().startswith(prefix.lower()) and (len(text) == len(prefix) or text[len(prefix)] == " "):
        return text[len(prefix) :].strip()
    return text


def cited(directive: Directive) -> tuple[str, str]:
    """The directive as a document is cited, and what its title says beyond its kind, its number and its
    issuer: ("Chương trình hành động số 20-NQ/TU ngày 7/8/2013", "thực hiện Nghị quyết …") for the title
    "Chương trình hành động số 20-NQ/TU của Tỉnh ủy Bình Thuận thực hiện Nghị quyết …"."""
    title = directive.title.strip()
    for kind in DOCUMENT_KINDS:
        rest = _drop_prefix(title, kind)
        if rest != title or title.lower() == kind.lower():
            rest = _drop_prefix(rest, f"số {directive.code}")
            if directive.issuing_unit_name:
                rest = _drop_prefix(rest, f"của {issuing_body(directive.issuing_unit_name)}")
                rest = _drop_prefix(rest, f"của {directive.issuing_unit_name}")
            return f"{title[: len(kind)]} số {directive.code} {vn_date(directive.issued_on)}", rest
    return f"văn bản số {directive.code} {vn_date(directive.issued_on)}", f"“{title}”"


def directive_phrase(directive: Directive) -> str:
    """ "Chương trình hành động số 20-NQ/TU ngày 7/8/2013 thực hiện Nghị quyết số 25-NQ/TW …": the citation,
    the rest of the title, and what it carries out (`implements`, the resolution's whole name, in place of
    a shorter "thực hiện …" of the title)."""
    name, rest = cited(directive)
    implements = directive.implements.strip()
    if not implements or implements.lower() in f"{name} {rest}".lower():
        return f"{name} {rest}".strip()
    if rest.lower().startswith("thực hiện"):
        rest = ""
    return " ".join(p for p in (name, rest, f"thực hiện {implements}") if p)


def years_between(start: date, end: date) -> int:
    years = end.year - start.year - ((end.month, end.day) < (start.month, start.day))
    return max(years, 0)


def subject(directive: Directive, on: date, issuer: str) -> str:
    """ "Kết quả một năm thực hiện Chương trình hành động số 20-NQ/TU ngày 7/8/2013 của Ban Thường vụ …"."""
    years = years_between(directive.issued_on, on)
    span = f" {YEARS_IN_WORDS.get(years, vn_number(years))} năm" if years else ""
    name, rest = cited(directive)
    about = f" {rest}" if rest else ""
    return f"Kết quả{span} thực hiện {name} của {issuing_body(issuer)}{about}"


def kinds_present(implementation: Implementation) -> list[str]:
    """The unit kinds that have units below the issuing one, in the report's order (unknown kinds last)."""
    known = [k for k in KIND_ORDER if k in implementation.programmes]
    others = sorted(k for k in implementation.programmes if k not in KIND_ORDER)
    return [k for k in known + others if implementation.programmes[k].of > 0]


def programmes_clause(implementation: Implementation) -> str:
    """ "15/15 đảng bộ trực thuộc và 504 tổ chức cơ sở đảng đã xây dựng chương trình, kế hoạch thực hiện"."""
    parts = []
    for kind in kinds_present(implementation):
        c = implementation.programmes[kind]
        words = KIND_IN_SENTENCE.get(kind, "đơn vị")
        count = against(c.done, c.of) if kind in ALWAYS_AGAINST_WHOLE or c.done != c.of else vn_number(c.done)
        parts.append(f"{count} {words}")
    if not parts:
        return ""
    return f"{join(parts)} đã xây dựng chương trình, kế hoạch thực hiện"


def sessions_clause(implementation: Implementation) -> str:
    """ "tổ chức 472 buổi học tập, quán triệt cho 53.486 lượt cán bộ, đảng viên, …"."""
    s = implementation.sessions
    if s.count == 0:
        return "chưa có buổi học tập, quán triệt nào được báo cáo"
    return f"tổ chức {vn_number(s.count)} buổi học tập, quán triệt cho {vn_number(s.attendees)} lượt {AUDIENCE}"


def campaign_words(name: str) -> str:
    """ "phong trào “Dân vận khéo năm 2014”", or the name itself (lower case first) when it says it is one."""
    if not name:
        return "phong trào thi đua được liên kết"
    if name.lower().startswith("phong trào"):
        return name[:1].lower() + name[1:]
    return f"phong trào “{name}”"


def honoured_clause(implementation: Implementation) -> str:
    """ "biểu dương, khen thưởng 40 tập thể, 20 cá nhân trong phong trào “…” và 250 cá nhân trong …"."""
    groups = []
    for c in implementation.honoured.by_campaign:
        counts = []
        if c.collectives:
            counts.append(f"{vn_number(c.collectives)} tập thể")
        if c.individuals:
            counts.append(f"{vn_number(c.individuals)} cá nhân")
        if counts:
            groups.append(f"{', '.join(counts)} trong {campaign_words(c.name)}")
    if not groups:
        return ""
    return f"biểu dương, khen thưởng {join(groups)}"


def missing_sentence(missing: Sequence[MissingUnit]) -> str:
    """ "Một số nơi việc xây dựng chương trình, kế hoạch thực hiện còn chậm: 2 đơn vị chưa xây dựng (…)."."""
    if not missing:
        return "Các đơn vị đều đã xây dựng chương trình, kế hoạch thực hiện."
    by_kind: dict[str, list[str]] = {}
    for m in missing:
        by_kind.setdefault(m.kind, []).append(m.name)
    order = [k for k in KIND_ORDER if k in by_kind] + sorted(k for k in by_kind if k not in KIND_ORDER)
    named = 0
    groups = []
    for kind in order:
        names = by_kind[kind]
        shown = names[: max(MISSING_NAMED - named, 0)]
        named += len(shown)
        words = KIND_IN_SENTENCE.get(kind, "đơn vị")
        listed = ", ".join(shown)
        if len(shown) < len(names):
            listed += (", " if shown else "") + f"và {vn_number(len(names) - len(shown))} đơn vị khác"
        groups.append(f"{vn_number(len(names))} {words} ({listed})")
    return (
        "Một số nơi việc xây dựng chương trình, kế hoạch thực hiện còn chậm: "
        f"còn {'; '.join(groups)} chưa xây dựng chương trình, kế hoạch thực hiện."
    )


def sentence(*clauses: str) -> str:
    """Clauses joined by semicolons into one sentence, its first letter capital, ending with a full stop."""
    text = "; ".join(c for c in clauses if c)
    return (text[:1].upper() + text[1:] + ".") if text else ""


# ------------------------------------------------------------------ the report
def build(
    directive: Directive,
    implementation: Implementation,
    districts: Sequence[DistrictCoverage],
    months: Sequence[MonthSessions],
    *,
    on: date,
) -> Report:
    """The report of `directive` dated `on`, from its figures as they stand."""
    issuer = directive.issuing_unit_name or "Đơn vị ban hành"
    body = issuing_body(issuer)
    programmes = programmes_clause(implementation)
    sessions = sessions_clause(implementation)
    honoured = honoured_clause(implementation)
    lead = sentence(f"{body} đã ban hành {directive_phrase(directive)}", programmes, sessions, honoured)
    where = place(issuer)
    name, _ = cited(directive)
    kind_rows = [
        KindRow(
            KIND_IN_TABLE.get(k, k),
            vn_number(implementation.programmes[k].done),
            vn_number(implementation.programmes[k].of),
            share(implementation.programmes[k].done, implementation.programmes[k].of),
        )
        for k in kinds_present(implementation)
    ]
    s, h = implementation.sessions, implementation.honoured
    return Report(
        issuer=issuer.upper(),
        party=is_party_committee(issuer),
        place_date=f"{where}, {vn_date(on)}" if where else vn_date(on)[:1].upper() + vn_date(on)[1:],
        title="BÁO CÁO",
        subject=subject(directive, on, issuer),
        lead=lead,
        programmes=sentence(programmes) or "Chưa có đơn vị nào dưới đơn vị ban hành.",
        sessions=sentence(sessions),
        honoured=sentence(honoured)
        or "Chưa có tập thể, cá nhân nào được khen thưởng trong các phong trào được liên kết.",
        missing=missing_sentence(implementation.missing),
        closing=f"Trên đây là báo cáo kết quả thực hiện {name} của {body}.",
        signer="T/M BAN THƯỜNG VỤ" if is_party_committee(issuer) else f"T/M {issuer.upper()}",
        directive_name=name,
        kind_rows=kind_rows,
        unit_rows=[UnitRow(d.name, vn_number(d.done), vn_number(d.of), share(d.done, d.of)) for d in districts],
        month_rows=[MonthRow(month_label(m.month), vn_number(m.count), vn_number(m.attendees)) for m in months],
        campaign_rows=[
            CampaignRow(c.name or "(chưa rõ tên)", vn_number(c.collectives), vn_number(c.individuals))
            for c in h.by_campaign
        ],
        missing_rows=[MissingRow(m.name, KIND_IN_TABLE.get(m.kind, m.kind)) for m in implementation.missing],
        sessions_total=MonthRow("Cộng", vn_number(s.count), vn_number(s.attendees)),
        honoured_total=CampaignRow("Cộng", vn_number(h.collectives), vn_number(h.individuals)),
    )


def filename(directive: Directive, extension: str) -> str:
    """An ASCII file name for the download: `bao-cao-20-NQ-TU.docx`."""
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "-" for c in directive.code)
    safe = "-".join(p for p in safe.split("-") if p)[:60] or "chi-thi"
    return f"bao-cao-{safe}.{extension}"
