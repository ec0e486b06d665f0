"""Numbers for the engine: exact fractions or float64, behind one small interface.

Both backends use numpy arrays, so the engine's code is the same for both: exact arrays hold
``fractions.Fraction`` objects (dtype=object), float arrays are float64. Only the float backend has
the transcendental functions; the exact one is chosen only when every operation is rational.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[Any]
Scalar = Any  # Fraction (exact) or float; numpy's stubs do not know Fraction
Mode = Literal["exact", "float64"]


class Numerics:
    """The float64 backend (the exact backend overrides what differs)."""

    name: Mode = "float64"
    exact = False
    zero: Scalar = 0.0
    one: Scalar = 1.0

    def array(self, values: Any) -> Array:
        """Nested lists / arrays of Fractions or floats -> an array of this backend's numbers."""
        if isinstance(values, np.ndarray) and values.dtype == object:
            return _floats_of(values)
        return np.array(values, dtype=np.float64)

    def scalar(self, value: Fraction | float | int) -> Scalar:
        return float(value)

    def zeros(self, shape: tuple[int, ...]) -> Array:
        return np.zeros(shape, dtype=np.float64)

    def exp(self, x: Array) -> Array:
        return np.exp(x)

    def log(self, x: Array) -> Array:
        return np.log(x)

    def log1p(self, x: Array) -> Array:
        return np.log1p(x)

    def tanh(self, x: Array) -> Array:
        return np.tanh(x)

    def erf(self, x: Array) -> Array:
        out: Array = _ERF(np.asarray(x, dtype=np.float64))
        return out

    def sqrt(self, x: Array) -> Array:
        return np.sqrt(x)


def _floats_of(values: Array) -> Array:
    """An object array's numbers as float64, each distinct object converted once: a one-hot
    target's thousands of Fractions are two objects, shared (and float() of a Fraction runs
    in Python)."""
    converted: dict[int, float] = {}
    floats = [
        converted[key] if (key := id(v)) in converted else converted.setdefault(key, float(v))
        for v in values.flat
    ]
    return np.array(floats, dtype=np.float64).reshape(values.shape)


class Exact(Numerics):
    """Exact rational arithmetic: arrays of ``Fraction`` objects."""

    name: Mode = "exact"
    exact = True
    zero: Scalar = Fraction(0)
    one: Scalar = Fraction(1)

    def array(self, values: Any) -> Array:
        arr = np.array(values, dtype=object)
        if arr.size and not all(isinstance(v, Fraction) for v in arr.flat):
            arr = np.vectorize(_to_fraction, otypes=[object])(arr)
        return arr

    def scalar(self, value: Fraction | float | int) -> Scalar:
        return _to_fraction(value)

    def zeros(self, shape: tuple[int, ...]) -> Array:
        return np.full(shape, Fraction(0), dtype=object)

    def _irrational(self, what: str) -> Array:
        raise TypeError(f"{what} is not rational: exact numerics cannot compute it")

    def exp(self, x: Array) -> Array:
        return self._irrational("exp")

    def log(self, x: Array) -> Array:
        return self._irrational("log")

    def log1p(self, x: Array) -> Array:
        return self._irrational("log1p")

    def tanh(self, x: Array) -> Array:
        return self._irrational("tanh")

    def erf(self, x: Array) -> Array:
        return self._irrational("erf")

    def sqrt(self, x: Array) -> Array:
        return self._irrational("sqrt")


_ERF = np.vectorize(math.erf, otypes=[np.float64])  # numpy has no erf; math's is correctly rounded


def _to_fraction(value: Fraction | float | int) -> Fraction:
    if isinstance(value, Fraction):
        return value
    if isinstance(value, float):
        return Fraction(value)  # floats are exact binary rationals
    return Fraction(int(value))


UNIT_ROUNDOFF = float(np.finfo(np.float64).eps) / 2  # u = 2^-53: one rounding's relative error
NOISE_SAFETY = 4.0  # the bound allowed this many times over, for the rounding the terms carry in


def noise_bound(abs_sum: Any, n: int) -> Any:
    """The most rounding can make of a float64 sum of ``n`` terms whose magnitudes add up to
    ``abs_sum``: a sum of n terms is off by at most (n + 1)·u·Σ|x| (one rounding per addition,
    plus the products that made the terms), allowed NOISE_SAFETY times over. Works elementwise
    on arrays of Σ|x|. Relative to the summands, never an absolute cut-off."""
    return NOISE_SAFETY * (n + 1) * UNIT_ROUNDOFF * abs_sum


def is_rounding_noise(total: Any, abs_sum: Any, n: int) -> Any:
    """Whether a float64 sum ``total`` of n terms (magnitudes adding up to ``abs_sum``) is 0 to the
    precision of the computation: |Σx| within the rounding bound of its summands. A total of
    exactly 0 is not noise (it is 0)."""
    return within_noise(total, noise_bound(abs_sum, n))


def change_is_noise(before: Any, after: Any) -> bool:
    """Whether ``after - before`` of two float64 values (a loss before and after a step) is 0 to
    the precision of the computation: within the rounding bound of its two terms. Exact values
    never are: their difference is exact."""
    if isinstance(before, Fraction) and isinstance(after, Fraction):
        return False
    return bool(is_rounding_noise(after - before, abs(before) + abs(after), 2))


def errors_within_rounding(outputs: Array, targets: Array) -> Array:
    """Elementwise: whether each error y - t is 0, or (float64) within the rounding bound of its
    two terms, so 0 to the precision of the computation. Exact errors only where exactly 0."""
    error = outputs - targets
    if outputs.dtype == object:
        return np.asarray(error == 0)
    bound = noise_bound(np.abs(outputs) + np.abs(targets), 2)
    return np.asarray((error == 0) | within_noise(error, bound))


def within_noise(total: Any, bound: Any) -> Any:
    """Whether a nonzero ``total`` is no larger than its rounding bound (see noise_bound)."""
    return (total != 0) & (np.abs(total) <= bound)


FLOAT64 = Numerics()
EXACT = Exact()


def backend(mode: Mode) -> Numerics:
    return EXACT if mode == "exact" else FLOAT64


def to_float(x: Array) -> npt.NDArray[np.float64]:
    """Any backend's array as float64 (exact values rounded to the nearest float; beyond
    float64's range, ±inf)."""
    array = np.asarray(x)
    try:
        return array.astype(np.float64, copy=False)  # float64 already: no copy (a hot path)
    except OverflowError:
        converted: npt.NDArray[np.float64] = np.vectorize(scalar_to_float, otypes=[np.float64])(
            array
        )
        return converted


def scalar_to_float(value: Any) -> float:
    """float(value), but ±inf where an exact value is beyond float64's range."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def largest_first(values: npt.NDArray[np.float64], count: int) -> npt.NDArray[np.intp]:
    """The flat indices of the ``count`` largest values, largest first, ties in index order and
    NaNs last: what ``np.argsort(-values, kind="stable")[:count]`` gives, without sorting them
    all."""
    negated = -values.ravel()
    if negated.size <= count or count <= 0:
        return np.argsort(negated, kind="stable")[: max(count, 0)]
    kth = np.partition(negated, count - 1)[count - 1]
    if np.isnan(kth):  # fewer numbers than count: NaNs among the first, in index order
        return np.argsort(negated, kind="stable")[:count]
    candidates = np.flatnonzero(negated <= kth)
    return candidates[np.argsort(negated[candidates], kind="stable")][:count]
