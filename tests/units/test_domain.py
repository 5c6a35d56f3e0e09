"""The units service's rules, without a server: the tree, the import, who may act where, accounts, sign-ins."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from services.units import domain
from services.units.domain import MAX_DEPTH, UnitKind
from shared.auth import Role
from shared.errors import Conflict, FieldError, Forbidden, Invalid


def ids(n: int) -> list[uuid.UUID]:
    return [uuid.uuid4() for _ in range(n)]


def chain_path(depth: int) -> str:
    """A path `depth` levels deep."""
    return ".".join(domain.label(i) for i in ids(depth))


# ------------------------------------------------------------------ paths and depth
def test_a_path_is_the_ids_from_the_root_without_dashes() -> None:
    root, child = ids(2)
    assert domain.child_path(None, root) == root.hex
    assert domain.child_path(root.hex, child) == f"{root.hex}.{child.hex}"
    assert domain.depth(domain.child_path(root.hex, child)) == 2


def test_within_is_the_unit_itself_or_below_it_not_a_sibling_sharing_a_prefix() -> None:
    assert domain.is_within("a.b", "a.b")
    assert domain.is_within("a.b.c", "a.b")
    assert not domain.is_within("a.bc", "a.b")
    assert not domain.is_within("a", "a.b")


def test_a_new_unit_may_be_the_deepest_level_but_not_one_below() -> None:
    unit = uuid.uuid4()
    assert domain.depth(domain.new_unit_path(unit, chain_path(MAX_DEPTH - 1))) == MAX_DEPTH
    with pytest.raises(Conflict) as refused:
        domain.new_unit_path(unit, chain_path(MAX_DEPTH))
    assert refused.value.detail == f"the unit tree may be at most {MAX_DEPTH} levels deep"
    assert refused.value.errors == [FieldError("parent_id", f"would make the tree deeper than {MAX_DEPTH} levels")]


# ------------------------------------------------------------------ changing a unit
def test_a_change_says_something_and_a_unit_is_not_its_own_parent() -> None:
    unit = uuid.uuid4()
    with pytest.raises(Invalid) as empty:
        domain.check_unit_change(unit, rename=False, move=False, parent_id=None)
    assert empty.value.errors == [FieldError("body", "nothing to change")]
    with pytest.raises(Conflict) as itself:
        domain.check_unit_change(unit, rename=True, move=True, parent_id=unit)
    assert itself.value.detail == "a unit cannot be its own parent"
    domain.check_unit_change(unit, rename=False, move=True, parent_id=None)  # to the top: fine
    domain.check_unit_change(unit, rename=True, move=False, parent_id=None)


def test_a_move_under_itself_or_its_own_descendant_is_a_cycle() -> None:
    root, unit, child, grandchild, other = ids(5)
    old = domain.child_path(root.hex, unit)
    below = domain.child_path(domain.child_path(old, child), grandchild)
    for parent_path in (old, below):
        with pytest.raises(Conflict) as refused:
            domain.moved_path(unit, old, parent_path, subtree_height=2)
        assert refused.value.errors[0].field == "parent_id"
    assert domain.moved_path(unit, old, other.hex, subtree_height=2) == f"{other.hex}.{unit.hex}"
    assert domain.moved_path(unit, old, None, subtree_height=2) == unit.hex


def test_a_move_counts_the_whole_subtree_against_the_depth_limit() -> None:
    unit = uuid.uuid4()
    old = unit.hex
    parent = chain_path(MAX_DEPTH - 3)  # the unit lands at MAX_DEPTH - 2
    assert domain.moved_path(unit, old, parent, subtree_height=2)
    with pytest.raises(Conflict):
        domain.moved_path(unit, old, parent, subtree_height=3)


# ------------------------------------------------------------------ import
@dataclass
class Row:
    code: str
    parent_code: str | None = None


def test_import_names_every_code_it_needs_to_look_up_once_in_lower_case() -> None:
    rows = [(1, Row("A")), (2, Row("b", "a")), (3, Row("C", "STORED"))]
    assert sorted(domain.import_codes(rows)) == ["a", "b", "c", "stored"]


def test_import_reports_every_bad_row_at_once() -> None:
    rows = [(2, Row("A")), (3, Row("a")), (4, Row("TAKEN")), (5, Row("x", "nowhere"))]
    with pytest.raises(Invalid) as refused:
        domain.check_import(rows, stored={"taken"})
    assert refused.value.detail == "3 error(s) in the import; nothing was imported"
    assert refused.value.errors == [
        FieldError("row 3.code", "code 'a' repeats row 2"),
        FieldError("row 4.code", "a unit with code 'TAKEN' already exists"),
        FieldError("row 5.parent_code", "no unit has code 'nowhere'"),
    ]


def test_import_paths_link_parents_in_any_order_and_under_stored_units() -> None:
    rows = [(1, Row("leaf", "MID")), (2, Row("mid", "top")), (3, Row("top", "stored")), (4, Row("alone"))]
    by_code = domain.check_import(rows, stored={"stored"})
    new = {code: uuid.uuid4() for code in by_code}
    stored = chain_path(2)
    paths = domain.import_paths(by_code, new, {"stored": stored})
    assert paths["top"] == f"{stored}.{new['top'].hex}"
    assert paths["leaf"] == f"{stored}.{new['top'].hex}.{new['mid'].hex}.{new['leaf'].hex}"
    assert paths["alone"] == new["alone"].hex


def test_import_paths_name_the_rows_of_a_cycle() -> None:
    rows = [(1, Row("ok")), (2, Row("a", "c")), (3, Row("b", "a")), (4, Row("c", "b"))]
    by_code = domain.check_import(rows, stored=set())
    with pytest.raises(Invalid) as refused:
        domain.import_paths(by_code, {code: uuid.uuid4() for code in by_code}, {})
    assert refused.value.detail == "the import's parent codes form a cycle; nothing was imported"
    assert {e.field for e in refused.value.errors} == {"row 2.parent_code", "row 3.parent_code", "row 4.parent_code"}


def test_a_deep_import_is_walked_without_recursion_and_stops_at_the_depth_limit() -> None:
    def chain(n: int) -> list[tuple[int, Row]]:
        return [(i + 1, Row(f"u{i}", f"u{i - 1}" if i else None)) for i in range(n)]

    by_code = domain.check_import(chain(MAX_DEPTH), stored=set())
    paths = domain.import_paths(by_code, {code: uuid.uuid4() for code in by_code}, {})
    assert domain.depth(paths[f"u{MAX_DEPTH - 1}"]) == MAX_DEPTH

    rows = list(reversed(chain(5000)))  # children first, far deeper than Python's recursion limit
    by_code = domain.check_import(rows, stored=set())
    with pytest.raises(Conflict) as refused:
        domain.import_paths(by_code, {code: uuid.uuid4() for code in by_code}, {})
    assert refused.value.errors[0].field == f"row {MAX_DEPTH + 1}.parent_code"


# ------------------------------------------------------------------ who may act where
def test_an_officer_acts_inside_its_subtree_only() -> None:
    domain.check_in_scope(True)
    with pytest.raises(Forbidden) as refused:
        domain.check_in_scope(False)
    assert refused.value.detail == "an officer acts only for its own unit and the units below it"


def test_a_person_goes_into_a_unit_that_exists_and_lies_in_scope() -> None:
    unit = uuid.uuid4()
    domain.check_placement(unit, True)
    with pytest.raises(Invalid) as missing:
        domain.check_placement(unit, None)
    assert missing.value.errors == [FieldError("unit_id", "no such unit")]
    with pytest.raises(Forbidden):
        domain.check_placement(unit, False)


# ------------------------------------------------------------------ accounts, kinds and roles
@pytest.mark.parametrize("role", list(Role))
def test_only_an_officer_account_must_name_its_unit(role: Role) -> None:
    domain.check_new_account(role, uuid.uuid4())
    if role is Role.OFFICER:
        with pytest.raises(Invalid) as refused:
            domain.check_new_account(role, None)
        assert refused.value.errors == [FieldError("unit_id", "required for officer")]
    else:
        domain.check_new_account(role, None)


def test_unit_kinds_are_their_stored_values() -> None:
    assert [k.value for k in UnitKind] == [
        "party_committee",
        "grassroots_party_org",
        "government_agency",
        "fatherland_front",
        "mass_organization",
        "other",
    ]
    assert UnitKind("other") == "other"


# ------------------------------------------------------------------ an admin's change of an account
def account(role: str = Role.COMMITTEE, unit_id: uuid.UUID | None = None, **over: object) -> dict[str, object]:
    return {"disabled": False, "role": role, "unit_id": unit_id, "display_name": None, **over}


def test_a_change_keeps_only_what_differs() -> None:
    admin, other = ids(2)
    current = account(display_name="Ông A")
    assert domain.account_changes(acting_id=admin, account_id=other, current=current, wanted={}) == {}
    assert domain.account_changes(
        acting_id=admin, account_id=other, current=current, wanted={"display_name": "Ông A", "disabled": True}
    ) == {"disabled": True}


def test_an_admin_cannot_disable_itself_or_change_its_own_role() -> None:
    (admin,) = ids(1)
    mine = account(Role.ADMIN)
    with pytest.raises(Conflict) as disabled:
        domain.account_changes(acting_id=admin, account_id=admin, current=mine, wanted={"disabled": True})
    assert [e.field for e in disabled.value.errors] == ["disabled"]
    with pytest.raises(Conflict) as demoted:
        domain.account_changes(acting_id=admin, account_id=admin, current=mine, wanted={"role": Role.COMMITTEE})
    assert [e.field for e in demoted.value.errors] == ["role"]
    # What is not a change is no refusal, and its own name it may change.
    assert (
        domain.account_changes(
            acting_id=admin, account_id=admin, current=mine, wanted={"disabled": False, "role": Role.ADMIN}
        )
        == {}
    )
    assert domain.account_changes(
        acting_id=admin, account_id=admin, current=mine, wanted={"display_name": "Quản trị"}
    ) == {"display_name": "Quản trị"}
    # Another admin it may disable and demote.
    other = uuid.uuid4()
    assert domain.account_changes(
        acting_id=admin, account_id=other, current=mine, wanted={"disabled": True, "role": Role.COMMITTEE}
    ) == {"disabled": True, "role": Role.COMMITTEE}


def test_an_officer_keeps_a_unit() -> None:
    admin, other, unit = ids(3)
    officer = account(Role.OFFICER, unit)
    for wanted in ({"unit_id": None}, {"role": Role.OFFICER, "unit_id": None}):
        with pytest.raises(Invalid) as refused:
            domain.account_changes(acting_id=admin, account_id=other, current=officer, wanted=wanted)
        assert [e.field for e in refused.value.errors] == ["unit_id"]
    with pytest.raises(Invalid):  # a committee member made officer must be given a unit
        domain.account_changes(acting_id=admin, account_id=other, current=account(), wanted={"role": Role.OFFICER})
    assert domain.account_changes(
        acting_id=admin, account_id=other, current=account(), wanted={"role": Role.OFFICER, "unit_id": unit}
    ) == {"role": Role.OFFICER, "unit_id": unit}
    # Leaving the officer role, the unit may go.
    assert domain.account_changes(
        acting_id=admin, account_id=other, current=officer, wanted={"role": Role.COMMITTEE, "unit_id": None}
    ) == {"role": Role.COMMITTEE, "unit_id": None}


# ------------------------------------------------------------------ sign-ins
def test_the_login_throttle_counts_this_attempt_per_pair_then_per_account() -> None:
    at_limit = domain.LOGIN_MAX_FAILURES
    assert (
        domain.login_wait(
            pair_attempts=at_limit,
            pair_wait=40.0,
            account_attempts=domain.LOGIN_ACCOUNT_MAX_FAILURES,
            account_wait=200.0,
        )
        is None
    )
    over_pair = domain.LOGIN_MAX_FAILURES + 1
    assert domain.login_wait(pair_attempts=over_pair, pair_wait=40.0, account_attempts=None, account_wait=None) == 40.0
    over_account = domain.LOGIN_ACCOUNT_MAX_FAILURES + 1
    assert (
        domain.login_wait(pair_attempts=1, pair_wait=60.0, account_attempts=over_account, account_wait=250.5) == 250.5
    )
    # Retry-After is never 0: a window ending now still answers "wait".
    assert domain.login_wait(pair_attempts=99, pair_wait=0.01, account_attempts=None, account_wait=None) == 1.0
    # The account's limit is the looser: it must not fire before one address's.
    assert domain.LOGIN_ACCOUNT_MAX_FAILURES > domain.LOGIN_MAX_FAILURES


def test_a_refresh_token_names_its_sign_in_and_is_stored_only_as_a_digest() -> None:
    sign_in = uuid.uuid4()
    token = domain.new_refresh_token(sign_in)
    assert domain.read_refresh_token(token) == sign_in
    assert domain.new_refresh_token(sign_in) != token  # the secret is new each time
    digest = domain.refresh_token_digest(token)
    assert len(digest) == 32 and token.encode() not in digest
    for bad in ("", "x", sign_in.hex, sign_in.hex + ".", "zz" * 16 + ".abc", str(sign_in) + ".abc", "." + token):
        assert domain.read_refresh_token(bad) is None, bad


@pytest.mark.parametrize(
    ("state", "outcome"),
    [
        ({}, domain.Refresh.ROTATE),
        ({"found": False}, domain.Refresh.UNKNOWN),
        ({"current": False}, domain.Refresh.REUSED),
        ({"ended": True}, domain.Refresh.ENDED),
        ({"ended": True, "current": False}, domain.Refresh.ENDED),
        ({"expired": True}, domain.Refresh.EXPIRED),
        ({"expired": True, "current": False}, domain.Refresh.REUSED),
        ({"disabled": True}, domain.Refresh.DISABLED),
        ({"disabled": True, "ended": True}, domain.Refresh.DISABLED),
    ],
)
def test_what_presenting_a_refresh_token_does(state: dict[str, bool], outcome: domain.Refresh) -> None:
    facts = {"found": True, "current": True, "ended": False, "expired": False, "disabled": False, **state}
    assert domain.refresh_outcome(**facts) is outcome
    assert outcome is domain.Refresh.ROTATE or domain.REFUSALS[outcome]
