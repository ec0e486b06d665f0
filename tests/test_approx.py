"""The tolerant comparison the torch-backed tests use: it must still catch real differences."""

from __future__ import annotations

import pytest
from approx import assert_tree_close


def test_last_bit_differences_pass() -> None:
    x = 0.1 + 0.2
    assert_tree_close({"a": [x, 1, "s"]}, {"a": [0.30000000000000004 * (1 + 2e-16), 1, "s"]})


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        ({"a": [1.0]}, {"a": [1.0 + 1e-6]}),  # a real difference
        ({"a": [1.0]}, {"b": [1.0]}),  # another key
        ([1.0, 2.0], [1.0]),  # another length
        ([1], [2]),  # integers compare exactly
        (["x"], ["y"]),
        ([float("nan")], [1.0]),
    ],
)
def test_real_differences_fail(actual: object, expected: object) -> None:
    with pytest.raises(AssertionError):
        assert_tree_close(actual, expected)
