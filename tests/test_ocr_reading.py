"""The browser tests' OCR reading: a misread character is forgiven, a wrong count is not."""

from __future__ import annotations

import pytest

from tests.browser_support import _shows


@pytest.mark.parametrize(
    ("seen", "needle"),
    [
        ("confab + type-crit 2 online", "# type-crit"),  # '#' read as '+'
        ("bob 16:19 pineapple belongs on pizz ©", "Pineapple belongs on pizza"),  # a letter lost to an icon
        ("the quick brown fax", "the quick brown fox"),
    ],
)
def test_one_misread_character_in_ten_is_forgiven(seen, needle):
    assert _shows(seen, (needle,), ())


@pytest.mark.parametrize(
    ("seen", "needle"),
    [
        ("2 new messages", "3 new messages"),  # digits are read exactly
        ("bob joine", "Bob joined"),  # so are short needles
        ("confab + typecrit", "# type-crit"),  # two misreads in ten is too many
        ("pineapple on toast", "Pineapple belongs on pizza"),
    ],
)
def test_other_text_is_not_taken_for_the_needle(seen, needle):
    assert not _shows(seen, (needle,), ())


def test_absent_text_is_matched_exactly():
    assert _shows("message deleted by a moderator", ("message deleted",), ("Pineapple",))
    assert not _shows("message deleted · pineapple", ("message deleted",), ("Pineapple",))
