"""How numbers are shown: a fixed number of decimals (small values to four significant digits),
exact fractions shortened in running text or whole on request, and rounding noise as ≈ 0."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from backprop_trace.numerics import scalar_to_float

DEFAULT_PRECISION = 4  # decimals, unless --precision says
SIGNIFICANT = 4  # digits of a small value shown in scientific notation by default
FEWEST_DIGITS = 2  # by default, a value showing fewer significant digits goes scientific
READABLE_DIGITS = 24  # a longer numerator or denominator is shortened in running text
KEPT_DIGITS = 6  # digits kept at each end of a shortened one
ROUNDING_ZERO = "≈ 0"  # a float64 sum within the rounding bound of its terms: 0 to its precision


def rounded(value: Fraction, places: int) -> str:
    """An exact value to ``places`` decimals, ties away from zero as by hand: 717/800 -> 0.8963."""
    scaled = abs(value) * 10**places
    units = int(scaled + Fraction(1, 2))  # floor(|x| + 1/2)
    digits = str(units).rjust(places + 1, "0")
    text = digits[:-places] + "." + digits[-places:] if places else digits
    return ("-" if value < 0 and units else "") + text


def scientific(value: Fraction, places: int) -> str:
    """A nonzero exact value as m.mmmme±NN (``places`` decimals in the mantissa), rounded as by
    hand: 1234567/1000 -> 1.2346e+03, 1/2280 -> 4.3860e-04."""
    magnitude = abs(value)
    exponent = decimal_exponent(magnitude)
    mantissa = rounded(magnitude / Fraction(10) ** exponent, places)
    if mantissa.startswith("10"):  # 9.99995 rounded up to 10.0000
        exponent += 1
        mantissa = rounded(magnitude / Fraction(10) ** exponent, places)
    return ("-" if value < 0 else "") + f"{mantissa}e{exponent:+03d}"


def decimal_exponent(magnitude: Fraction) -> int:
    """e with 10^e <= magnitude < 10^(e+1), exactly (magnitude > 0)."""
    exponent = len(str(magnitude.numerator)) - len(str(magnitude.denominator))
    while Fraction(10) ** exponent > magnitude:
        exponent -= 1
    while Fraction(10) ** (exponent + 1) <= magnitude:
        exponent += 1
    return exponent


def exact_fraction(value: Fraction) -> str:
    """An exact value as p/q, whole while short: a numerator or denominator of more than
    READABLE_DIGITS digits shows its first and last digits and its length, as in
    134884…327077 (115 digits) / 327680…000000 (119 digits)."""
    parts = [str(abs(value.numerator)), str(value.denominator)]
    if max(len(part) for part in parts) <= READABLE_DIGITS:
        return str(value)
    shown = [
        part
        if len(part) <= READABLE_DIGITS
        else f"{part[:KEPT_DIGITS]}…{part[-KEPT_DIGITS:]} ({len(part):,} digits)"
        for part in parts
    ]
    sign = "-" if value < 0 else ""
    return sign + (shown[0] if value.denominator == 1 else " / ".join(shown))


def is_shortened(value: Fraction) -> bool:
    return exact_fraction(value) != str(value)


@dataclass(frozen=True)
class NumberStyle:
    """Numbers to ``precision`` decimals. When the precision was not asked for (``explicit``
    False), a nonzero value that would show fewer than two significant digits (below 0.001 at 4
    decimals: 0.000438… would read 0.0004) is shown to four significant digits, 4.386e-04."""

    precision: int = 4
    fractions: bool = False  # exact numerics: show p/q instead of decimals
    explicit: bool = False  # --precision N was given: N decimals, as written

    def __call__(self, value: Any) -> str:
        if self.fractions and isinstance(value, Fraction):
            return str(value)
        if isinstance(value, Fraction) and abs(value) >= 10**10:
            return scientific(value, self.precision)  # exact, however large
        x = scalar_to_float(value)
        if not math.isfinite(x):
            return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
        exact = value if isinstance(value, Fraction) else Fraction(x)
        if x != 0 and not self.explicit and abs(exact) < self.smallest_with_enough_digits:
            return scientific(exact, SIGNIFICANT - 1)
        if x != 0 and abs(x) < 0.5 * 10.0**-self.precision:
            return f"{x:.2g}"  # would show as 0.0000: show that it is not 0
        if abs(x) >= 1e10:
            return f"{x:.{self.precision}e}"  # a diverging run: keep the columns narrow
        # the exact value (a float's too) rounded half away from zero, as by hand
        return rounded(exact, self.precision)

    @property
    def smallest_with_enough_digits(self) -> Fraction:
        """Below this, ``precision`` decimals show fewer than FEWEST_DIGITS significant digits."""
        return Fraction(10) ** (FEWEST_DIGITS - 1 - self.precision)

    def signed(self, value: Any) -> str:
        text = self(value)
        return text if text.startswith("-") or value == 0 else "+" + text

    def vector(self, values: Any) -> str:
        return "[" + ", ".join(self(v) for v in values) + "]"

    def plain(self, value: Any) -> str:
        """Hyperparameters and such: as short as exact allows (0.1, 1e-08, 1/3)."""
        if isinstance(value, bool):
            return str(value).lower()
        if isinstance(value, Fraction):
            if value.denominator == 1:
                return str(value.numerator)
            as_float = float(value)
            return repr(as_float) if Fraction(repr(as_float)) == value else str(value)
        return str(value)
