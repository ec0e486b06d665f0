"""The one checked parser for numbers written as text: in a scenario (plain or quoted), a data
file's cells, and the command line. The text is checked before a number is built, because
``Fraction("1e100000000")`` builds the whole power of ten first: at most ``MAX_DIGITS`` digits in
an integer, a numerator or a denominator, and a decimal exponent within float64's reach."""

from __future__ import annotations

import re
from fractions import Fraction

from .errors import excerpt

MAX_DIGITS = 1_000
MIN_EXPONENT = -330  # below float64's smallest subnormal (4.9e-324): it would read as 0
MAX_EXPONENT = 310  # above float64's largest value (1.8e308)
_EXPONENT_DIGITS = 6  # more written exponent digits than this lie out of range whatever precedes

_DECIMAL = re.compile(r"([-+]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([-+]?)([0-9]+))?")
_FRACTION = re.compile(r"([-+]?)([0-9]+)\s*/\s*([-+]?)([0-9]+)")
_WHOLE = re.compile(r"[-+]?[0-9]+")
_BASED = re.compile(r"0([oOxX])([0-9a-fA-F]+)")
_NOT_FINITE = re.compile(r"[-+]?(nan|inf|infinity)", re.IGNORECASE)

LIMIT_HINT = (
    f"numbers are limited to {MAX_DIGITS:,} digits and a decimal exponent within "
    f"[{MIN_EXPONENT}, {MAX_EXPONENT}] (float64 reaches 4.9e-324 to 1.8e308)"
)


class NumberTextError(ValueError):
    """Text that is not a number this tool reads; ``message`` says why, ``hint`` what to do. Text
    that is written as a number but refused (beyond the limits, a zero denominator, not finite)
    has a hint; text that is no number at all has none."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def _digits_error(shown: str, count: int | None) -> NumberTextError:
    said = f"{count:,} digits, more than" if count is not None else "more than"
    return NumberTextError(
        f"{shown} has {said} the {MAX_DIGITS:,} digits a number may have", LIMIT_HINT
    )


def _check_exponent(shown: str, exponent: int | None, *, small: bool = False) -> None:
    """``exponent`` None: too far out to be worth computing (``small``: towards zero)."""
    if exponent is None or not MIN_EXPONENT <= exponent <= MAX_EXPONENT:
        size = "too small" if (exponent is None and small) or (exponent or 0) < 0 else "too large"
        said = f" (about 1e{exponent})" if exponent is not None else ""
        raise NumberTextError(f"{shown} is {size}{said} to be read", LIMIT_HINT)


def read_decimal(text: str) -> Fraction:
    """``-12.5e-3`` -> Fraction(-1, 80), exactly; spaces around it are allowed."""
    stripped = text.strip()
    shown = excerpt(stripped)
    match = _DECIMAL.fullmatch(stripped)
    if match is None or not (match.group(2) or match.group(3)):
        raise NumberTextError(f"{shown} is not a number")
    sign, whole, fraction, exponent_sign, exponent_digits = match.groups("")
    digits = whole + fraction
    if len(digits) > MAX_DIGITS:
        raise _digits_error(shown, len(digits))
    exponent = 0
    if exponent_digits:
        if len(exponent_digits.lstrip("0")) > _EXPONENT_DIGITS:
            _check_exponent(shown, None, small=exponent_sign == "-")
        exponent = int(exponent_sign + exponent_digits)
    if whole.lstrip("0"):  # the exponent of the leading digit: 340 -> 2, 0.012 -> -2
        _check_exponent(shown, exponent + len(whole.lstrip("0")) - 1)
    elif fraction.lstrip("0"):
        _check_exponent(shown, exponent - (len(fraction) - len(fraction.lstrip("0"))) - 1)
    else:  # zero: only the written exponent
        _check_exponent(shown, exponent)
    scale = exponent - len(fraction)
    value = Fraction(int(digits or "0") * 10 ** max(scale, 0), 10 ** max(-scale, 0))
    return -value if sign == "-" else value


def read_whole(text: str) -> int:
    """A whole number written in decimal digits, e.g. a step number on the command line."""
    stripped = text.strip()
    if not _WHOLE.fullmatch(stripped):
        raise NumberTextError(f"{excerpt(text)} is not a whole number")
    if len(stripped.lstrip("+-")) > MAX_DIGITS:
        raise _digits_error(excerpt(stripped), len(stripped.lstrip("+-")))
    return int(stripped)


def read_based(text: str) -> int:
    """A YAML 1.2 octal or hexadecimal integer: ``0o17`` or ``0x1F``."""
    match = _BASED.fullmatch(text)
    if match is None:
        raise NumberTextError(f"{excerpt(text)} is not an octal or hexadecimal number")
    digits = match.group(2)
    base = 8 if match.group(1) in "oO" else 16
    if base == 8 and not set(digits) <= set("01234567"):
        raise NumberTextError(f"{excerpt(text)} is not an octal number")
    value = int(digits, base)  # a power of two: built in linear time whatever its length
    check_integer(value, excerpt(text))
    return value


def read_number(text: str) -> Fraction:
    """A decimal (``0.25``, ``1e-3``) or an exact fraction (``1/200``)."""
    match = _FRACTION.fullmatch(text.strip())
    if match is None:
        return read_decimal(text)
    shown = excerpt(text.strip())
    numerator_sign, numerator, denominator_sign, denominator = match.groups()
    for part in (numerator, denominator):
        if len(part) > MAX_DIGITS:
            raise _digits_error(shown, len(part))
    if int(denominator) == 0:
        raise NumberTextError(
            f"the fraction {shown} divides by zero", "the denominator must not be 0"
        )
    value = Fraction(int(numerator_sign + numerator), int(denominator_sign + denominator))
    check_fraction(value, shown)
    return value


def read_float(text: str) -> float:
    """A decimal as float64, checked as ``read_decimal`` checks it (``1_000``, ``nan`` and ``inf``
    are not numbers here, as they are not in a scenario)."""
    stripped = text.strip()
    if _NOT_FINITE.fullmatch(stripped):
        raise NumberTextError(f"{excerpt(text)} is not finite", "every number must be finite")
    match = _DECIMAL.fullmatch(stripped)
    if match is None or not (match.group(2) or match.group(3)):
        raise NumberTextError(f"{excerpt(text)} is not a number")
    if len(stripped) > 30 or match.group(5):  # long or with an exponent: check it fully
        read_decimal(stripped)
    return float(stripped)


def check_integer(value: int, shown: str = "the integer") -> None:
    """An integer given as such (from Python, or built from hexadecimal digits): at most
    ``MAX_DIGITS`` decimal digits, judged by its bit length before any decimal text is made."""
    bits = abs(value).bit_length()
    if bits <= _SURELY_SHORT_BITS:
        return
    digits = len(str(abs(value))) if bits < _STR_SAFE_BITS else None
    if digits is None or digits > MAX_DIGITS:
        raise _digits_error(shown, digits)


def check_fraction(value: Fraction, shown: str = "the number") -> None:
    """A Fraction given as such: numerator and denominator within ``MAX_DIGITS`` digits, and its
    decimal exponent within [MIN_EXPONENT, MAX_EXPONENT]."""
    check_integer(value.numerator, shown)
    check_integer(value.denominator, shown)
    if value:
        _check_exponent(shown, decimal_exponent(value))


def decimal_exponent(value: Fraction) -> int:
    """floor(log10(|value|)) of a non-zero Fraction, exactly: 0.012 -> -2, 340 -> 2."""
    numerator, denominator = abs(value.numerator), value.denominator
    exponent = len(str(numerator)) - len(str(denominator))
    if exponent >= 0:
        below = numerator < denominator * 10**exponent
    else:
        below = numerator * 10**-exponent < denominator
    return exponent - 1 if below else exponent


_SURELY_SHORT_BITS = 3_321  # below 2**3321 (5.2e999): at most 1,000 decimal digits
_STR_SAFE_BITS = 14_000  # str() of this many bits stays under Python's 4,300-digit limit
