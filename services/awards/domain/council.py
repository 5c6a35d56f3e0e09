"""The council's vote: who may vote, how a recusal counts, and when a pass mark is reached.

What the law says, and how much of it was checked here:

- Confirmed (the texts' headers, as published on hethongphapluat.com and
  vietjack.me): Luật Thi đua, khen thưởng số 06/2022/QH15 (15/06/2022, in
  force 01/01/2024), and Nghị định 98/2023/NĐ-CP (31/12/2023, in force
  01/01/2024), which details a list of that law's articles (named in its
  preamble).
- Confirmed for the decree before it (the central Emulation-Commendation
  Board's own answer of 18/06/2017, banthiduakhenthuongtw.gov.vn, quoting it):
  Nghị định 91/2017/NĐ-CP, Article 45, clause 8: when the council of a
  ministry, sector or province considers the titles "Chiến sĩ thi đua" (of
  the province, and nationwide), "Anh hùng Lao động" and "Anh hùng Lực lượng
  vũ trang nhân dân", it meets and votes by secret ballot, and a nominee needs
  "tỷ lệ phiếu đồng ý từ 90% trở lên tính trên tổng số thành viên của Hội
  đồng" (members absent give their opinion in writing). That is the
  `{"at_least_percent": 90}` + `secret_ballot` of such a category.
- NOT confirmed here (article not confirmed here): the article of Nghị định
  98/2023/NĐ-CP that carries the same rule today, and "more than 50%" for
  other matters under a council's working rules (quy chế hoạt động); so a
  category names its own pass mark and ballot (`pass_mark`, `secret_ballot`)
  rather than the code deriving them from a title.
- The product's own reading, not an article: the pass mark counts on the
  members entitled to vote, i.e. the council less those who recused
  themselves from this nomination (Decree 91/2017 counts on all the council's
  members and says nothing of recusal; with no recusal the two agree); a member who did not vote counts as not
  having said yes (the percentage is of the members, not of the ballots cast).

Pure functions: no SQL, no HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shared.errors import Conflict, Forbidden, Invalid


class Rule(StrEnum):
    """As stored in categories.pass_mark_rule (migration 003)."""

    AT_LEAST = "at_least"  # yes >= p% of the entitled members
    MORE_THAN = "more_than"  # yes > p% of the entitled members


@dataclass(frozen=True, slots=True)
class PassMark:
    rule: Rule
    percent: int  # 1..100 (more_than: below 100)

    @classmethod
    def of(cls, rule: str | None, percent: int | None) -> PassMark | None:
        """The pass mark of a category's columns; None when it has none (votes advise)."""
        if rule is None or percent is None:
            return None
        return cls(Rule(rule), percent)

    def words(self) -> str:
        return f"at least {self.percent}%" if self.rule == Rule.AT_LEAST else f"more than {self.percent}%"


@dataclass(frozen=True, slots=True)
class Count:
    """A nomination's ballot: yes and no cast, the council's size (or the voters, without one), recusals."""

    yes: int
    no: int
    members: int
    recused: int

    @property
    def entitled(self) -> int:
        """The members entitled to vote: the council less those who recused themselves."""
        return max(self.members - self.recused, 0)


def needed(mark: PassMark, entitled: int) -> int:
    """The fewest yes votes that reach `mark` among `entitled` members (at least one).

    at_least p: yes * 100 >= p * entitled; more_than p: yes * 100 > p * entitled.
    Integers only: 90% of 7 is 6.3, so 7 are needed; more than 50% of 4 is 3.
    """
    share = mark.percent * entitled
    # at_least: the ceiling of p * e / 100; more_than: the next whole number above p * e / 100.
    least = -(-share // 100) if mark.rule == Rule.AT_LEAST else share // 100 + 1
    return max(least, 1)


def passes(mark: PassMark, count: Count) -> bool:
    """Has the ballot reached the pass mark? Never with no member entitled to vote."""
    if count.entitled <= 0:
        return False
    return count.yes >= needed(mark, count.entitled)


def describe(mark: PassMark | None, count: Count) -> str:
    """The tally in words, e.g. "3 of 7 entitled members voted yes (1 recused); at least 90% (7) needed"."""
    text = f"{count.yes} of {count.entitled} entitled members voted yes, {count.no} no ({count.recused} recused)"
    if mark is None:
        return text
    return f"{text}; {mark.words()} ({needed(mark, count.entitled)}) needed"


def check_approval(mark: PassMark | None, *, has_council: bool, count: Count) -> None:
    """Approval of a nomination whose category has a pass mark: 409 until the council's yes votes reach it.

    Without a pass mark the votes advise and the committee decides (v1). A pass
    mark is counted on a council: without one it cannot be, so approval waits
    for the council to be set ("no council").
    """
    if mark is None:
        return
    if not has_council:
        raise Conflict(
            f"no council: the category's pass mark ({mark.words()}) is counted on the campaign's council, "
            "and the campaign has none",
            field="council",
            kind="no-council",
        )
    if not passes(mark, count):
        raise Conflict(f"the pass mark is not reached: {describe(mark, count)}", field="tally", kind="pass-mark")


def check_may_vote(*, has_council: bool, is_member: bool, recused: bool) -> None:
    """With a council, only its members vote, and not one who recused themselves (403).

    Without a council any committee member votes (v1); the role guard sees to that.
    """
    if has_council and not is_member:
        raise Forbidden("only the members of the campaign's council vote on its nominations", field="council")
    if recused:
        raise Forbidden("you recused yourself from this nomination's vote", field="recused")


def check_may_recuse(*, has_council: bool, is_member: bool, voted: bool, recused: bool) -> None:
    """A council member recuses themselves from a nomination's vote before voting on it.

    Recusal is from a council: without one there is no one entitled to vote to
    leave (409 "no council"). A non-member is 403; a member who voted already is 409
    (the vote stands: in a secret ballot it cannot be found to be taken back).
    """
    if not has_council:
        raise Conflict("no council: recusal is from a campaign's council, and the campaign has none", field="council")
    if not is_member:
        raise Forbidden("only the members of the campaign's council recuse themselves", field="council")
    if recused:
        raise Conflict("you already recused yourself from this nomination's vote", field="recused")
    if voted:
        raise Conflict("you have already voted on this nomination; a recusal comes before the vote", field="vote")


def check_secret_vote(*, already_cast: bool, comment: str | None) -> None:
    """A secret ballot is cast once and carries no words: the box keeps yes or no only."""
    if already_cast:
        raise Conflict("a secret ballot cannot be replaced once cast", field="vote", kind="ballot-cast")
    if comment is not None:
        raise Invalid(
            "a secret ballot carries no comment: the box keeps yes or no only", field="comment", kind="secret-ballot"
        )
