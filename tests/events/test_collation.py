"""The roll's order, as plain functions: given name first, and a remark is not a name."""

from __future__ import annotations

from services.events.roll.collation import sort_key


def ordered(names: list[str]) -> list[str]:
    return sorted(names, key=lambda n: sort_key(n, "individual"))


def test_given_name_first_then_family_and_middle() -> None:
    assert ordered(["Trần Bình", "Nguyễn Văn An", "Lê Thị An"]) == ["Lê Thị An", "Nguyễn Văn An", "Trần Bình"]


def test_a_trailing_remark_is_not_the_given_name() -> None:
    # Demo people are marked "(mẫu)": they must still sort by their given names.
    names = ["Nguyễn Công Tài (mẫu)", "Nguyễn Đình Long (mẫu)", "Nguyễn Công Nam (mẫu)", "Lê Văn Bình (mẫu)"]
    assert ordered(names) == [
        "Lê Văn Bình (mẫu)",
        "Nguyễn Đình Long (mẫu)",
        "Nguyễn Công Nam (mẫu)",
        "Nguyễn Công Tài (mẫu)",
    ]
    # The remark breaks a tie only: the same name without it comes first.
    assert ordered(["Nguyễn Văn An (mẫu)", "Nguyễn Văn An"]) == ["Nguyễn Văn An", "Nguyễn Văn An (mẫu)"]
    # A name that is only a remark still gets a key.
    assert sort_key("(mẫu)", "individual")
