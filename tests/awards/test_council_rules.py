"""The council's rules, without a server: the pass mark's arithmetic, who may vote or recuse, the secret ballot."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import pytest

from services.awards.domain import council
from services.awards.domain.council import Count, PassMark, Rule
from shared.errors import DomainError
from shared.problems import from_domain

AT_LEAST_90 = PassMark(Rule.AT_LEAST, 90)
MORE_THAN_50 = PassMark(Rule.MORE_THAN, 50)


def refused(call: Callable[[], Any]) -> tuple[int, str, str]:
    """The status, problem type and detail that `call`'s refusal is answered with."""
    with pytest.raises(DomainError) as caught:
        call()
    problem = from_domain(caught.value)
    return problem.status, problem.type, problem.detail


@pytest.mark.parametrize(
    ("mark", "entitled", "needed"),
    [
        (AT_LEAST_90, 7, 7),  # 6.3 -> 7
        (AT_LEAST_90, 10, 9),  # exactly 9
        (AT_LEAST_90, 11, 10),  # 9.9 -> 10
        (AT_LEAST_90, 1, 1),
        (MORE_THAN_50, 4, 3),  # more than 2
        (MORE_THAN_50, 5, 3),  # more than 2.5
        (MORE_THAN_50, 1, 1),
        (PassMark(Rule.AT_LEAST, 50), 4, 2),  # half is enough when "at least"
        (PassMark(Rule.AT_LEAST, 100), 3, 3),
        (PassMark(Rule.MORE_THAN, 99), 100, 100),
        (AT_LEAST_90, 0, 1),  # never zero
    ],
)
def test_needed_is_the_fewest_yes_votes_reaching_the_mark(mark: PassMark, entitled: int, needed: int) -> None:
    assert council.needed(mark, entitled) == needed
    if entitled:
        # The definition, checked directly: `needed` reaches it, one fewer does not.
        reach = (
            (lambda y: y * 100 >= mark.percent * entitled)
            if mark.rule == Rule.AT_LEAST
            else (lambda y: y * 100 > mark.percent * entitled)
        )
        assert reach(needed) and not reach(needed - 1)


def test_entitled_are_the_members_less_the_recused() -> None:
    assert Count(yes=3, no=1, members=7, recused=1).entitled == 6
    assert Count(yes=0, no=0, members=2, recused=2).entitled == 0
    assert Count(yes=0, no=0, members=0, recused=0).entitled == 0


def test_passes_counts_on_the_entitled_members_not_on_the_ballots_cast() -> None:
    # 6 of 7 said yes and nobody said no: 6 is below 90% of 7 (the seventh's silence is not a yes).
    assert not council.passes(AT_LEAST_90, Count(yes=6, no=0, members=7, recused=0))
    assert council.passes(AT_LEAST_90, Count(yes=7, no=0, members=7, recused=0))
    # One recusal lowers the bar: 6 of 6 entitled.
    assert council.passes(AT_LEAST_90, Count(yes=6, no=0, members=7, recused=1))
    assert not council.passes(MORE_THAN_50, Count(yes=2, no=0, members=4, recused=0))
    assert council.passes(MORE_THAN_50, Count(yes=3, no=1, members=4, recused=0))
    # Everyone recused: nothing passes.
    assert not council.passes(MORE_THAN_50, Count(yes=0, no=0, members=3, recused=3))


def test_approval_below_the_mark_is_a_conflict_giving_the_tally() -> None:
    count = Count(yes=3, no=2, members=7, recused=1)
    status, kind, detail = refused(lambda: council.check_approval(AT_LEAST_90, has_council=True, count=count))
    assert (status, kind) == (409, "/problems/pass-mark")
    assert "3 of 6 entitled members voted yes, 2 no (1 recused); at least 90% (6) needed" in detail
    council.check_approval(AT_LEAST_90, has_council=True, count=Count(yes=6, no=0, members=7, recused=1))
    # No pass mark: the votes advise, nothing is refused, whatever they say.
    council.check_approval(None, has_council=False, count=Count(yes=0, no=5, members=5, recused=0))


def test_a_pass_mark_without_a_council_is_no_council() -> None:
    status, kind, detail = refused(
        lambda: council.check_approval(MORE_THAN_50, has_council=False, count=Count(yes=5, no=0, members=5, recused=0))
    )
    assert (status, kind) == (409, "/problems/no-council") and "no council" in detail


def test_who_votes() -> None:
    council.check_may_vote(has_council=False, is_member=False, recused=False)  # v1: any committee member
    council.check_may_vote(has_council=True, is_member=True, recused=False)
    assert refused(lambda: council.check_may_vote(has_council=True, is_member=False, recused=False))[0] == 403
    assert refused(lambda: council.check_may_vote(has_council=True, is_member=True, recused=True))[0] == 403


def test_who_recuses() -> None:
    council.check_may_recuse(has_council=True, is_member=True, voted=False, recused=False)
    cases = [
        ({"has_council": False, "is_member": False, "voted": False, "recused": False}, 409),
        ({"has_council": True, "is_member": False, "voted": False, "recused": False}, 403),
        ({"has_council": True, "is_member": True, "voted": True, "recused": False}, 409),
        ({"has_council": True, "is_member": True, "voted": False, "recused": True}, 409),
    ]
    for kwargs, status in cases:
        assert refused(partial(council.check_may_recuse, **kwargs))[0] == status, kwargs


def test_a_secret_ballot_is_cast_once_and_without_words() -> None:
    council.check_secret_vote(already_cast=False, comment=None)
    status, kind, detail = refused(lambda: council.check_secret_vote(already_cast=True, comment=None))
    assert status == 409 and "cannot be replaced" in detail
    assert refused(lambda: council.check_secret_vote(already_cast=False, comment="Đồng ý"))[0] == 400


def test_a_pass_mark_of_the_columns() -> None:
    assert PassMark.of(None, None) is None
    assert PassMark.of("at_least", 90) == AT_LEAST_90
    assert PassMark.of("more_than", 50) == MORE_THAN_50
