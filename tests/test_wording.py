"""Counted nouns and the verbs that agree with them."""

from __future__ import annotations

import pytest

from backprop_trace.wording import noun, of_total, plural, verb


@pytest.mark.parametrize(
    "count, word, expected",
    [
        (0, "file", "0 files"),
        (1, "file", "1 file"),
        (2, "entry", "2 entries"),
        (1, "changed entry", "1 changed entry"),
        (3, "changed entry", "3 changed entries"),
        (2, "key", "2 keys"),
        (1200, "unit", "1,200 units"),
    ],
)
def test_plural(count: int, word: str, expected: str) -> None:
    assert plural(count, word) == expected


def test_the_noun_and_the_verb_agree_with_the_count() -> None:
    assert (noun(1, "input"), noun(2, "input")) == ("input", "inputs")
    assert (verb(1, "is"), verb(2, "is"), verb(0, "has")) == ("is", "are", "have")
    assert (verb(1, "gets"), verb(3, "gets")) == ("gets", "get")


@pytest.mark.parametrize(
    "part, total, expected",
    [
        (1, 1, "1 of 1 file has"),
        (1, 3, "1 of 3 files has"),
        (2, 3, "2 of 3 files have"),
        (0, 2, "0 of 2 files have"),
    ],
)
def test_part_of_a_total(part: int, total: int, expected: str) -> None:
    assert of_total(part, total, "file", "has") == expected
