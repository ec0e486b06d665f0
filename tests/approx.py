"""Comparing float64 results from two computations: equal within a tolerance, never to the last bit.

Float64 results differ in their last bits between CPUs, numpy's SIMD paths, BLAS builds and
PyTorch's kernels, so a test that compares two float computations compares them with a tolerance.
"""

from __future__ import annotations

import math
from typing import Any


def assert_tree_close(
    actual: Any, expected: Any, *, rtol: float = 1e-9, atol: float = 1e-12, at: str = "$"
) -> None:
    """Nested dicts and lists equal in shape and keys, their floats within rtol/atol, the rest
    exactly equal. ``at`` names the place of the first difference in the failure message."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and actual.keys() == expected.keys(), f"{at}: keys differ"
        for key in expected:
            assert_tree_close(actual[key], expected[key], rtol=rtol, atol=atol, at=f"{at}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), f"{at}: lengths differ"
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            assert_tree_close(a, e, rtol=rtol, atol=atol, at=f"{at}[{i}]")
    elif isinstance(expected, float) and not isinstance(actual, bool):
        assert isinstance(actual, (int, float)), f"{at}: {actual!r} is not a number"
        same = math.isclose(actual, expected, rel_tol=rtol, abs_tol=atol) or (
            math.isnan(actual) and math.isnan(expected)
        )
        assert same, f"{at}: {actual!r} != {expected!r} (rtol {rtol}, atol {atol})"
    else:
        assert actual == expected, f"{at}: {actual!r} != {expected!r}"
