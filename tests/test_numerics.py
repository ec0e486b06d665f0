"""The float64 rounding bound of a sum: what is 0 to the precision of the computation."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from backprop_trace.numerics import is_rounding_noise, noise_bound

terms = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_subnormal=False)
tiny = st.floats(min_value=1e-300, max_value=1e-20)


@given(st.lists(terms, min_size=1, max_size=200), st.randoms())
def test_the_bound_holds_for_a_float64_sum_in_any_order(xs: list[float], rng: object) -> None:
    rng.shuffle(xs)  # type: ignore[attr-defined]
    values = np.array(xs)
    computed = float(values.sum())
    exact = sum((Fraction(x) for x in xs), Fraction(0))
    error = abs(Fraction(computed) - exact)
    assert error <= Fraction(noise_bound(float(np.abs(values).sum()), len(xs)))


@given(st.lists(terms.filter(lambda x: x != 0), min_size=1, max_size=100), st.randoms())
def test_a_cancellation_of_large_terms_is_zero(xs: list[float], rng: object) -> None:
    """x and -x for every x, added in any order: the sum is 0 or rounding noise, never data."""
    both = xs + [-x for x in xs]
    rng.shuffle(both)  # type: ignore[attr-defined]
    values = np.array(both)
    total = values.sum()
    assert total == 0 or is_rounding_noise(total, np.abs(values).sum(), values.size)


@given(st.lists(tiny, min_size=1, max_size=100), st.booleans())
def test_a_genuinely_tiny_sum_is_data(xs: list[float], negative: bool) -> None:
    """Tiny terms of one sign: no absolute cut-off makes their sum 0."""
    values = -np.array(xs) if negative else np.array(xs)
    assert not is_rounding_noise(values.sum(), np.abs(values).sum(), values.size)


@given(st.floats(min_value=1.0, max_value=1e6))
def test_a_small_remainder_of_large_terms_is_data(big: float) -> None:
    """big + r - big, r a thousand of big's last bits: exact, and far above the bound."""
    remainder = math.ulp(big) * 1000
    values = np.array([big, remainder, -big])
    assert values.sum() == remainder
    assert not is_rounding_noise(values.sum(), np.abs(values).sum(), values.size)


def test_zero_is_zero_not_noise() -> None:
    assert not is_rounding_noise(0.0, 5.0, 3)


def test_the_bound_is_relative_to_the_summands() -> None:
    assert noise_bound(2.0, 10) == 2 * noise_bound(1.0, 10)
    assert is_rounding_noise(1e-17, 1.0, 2) and not is_rounding_noise(1e-17, 1e-3, 2)


@given(
    st.lists(
        st.sampled_from([0.0, 1.0, -1.0, 2.5, float("nan"), float("inf"), 1e-300, 3.0]),
        max_size=60,
    ),
    st.integers(0, 70),
)
def test_largest_first_picks_what_a_stable_sort_picks(values: list[float], count: int) -> None:
    """largest_first picks what a stable argsort of the negated values picks, in its order,
    ties and NaNs included."""
    from backprop_trace.numerics import largest_first

    array = np.array(values, dtype=np.float64)
    expected = np.argsort(-array, kind="stable")[:count]
    assert largest_first(array, count).tolist() == expected.tolist()
