"""Rendered text compared with its numbers as numbers: float64 results differ in their last bits
between CPUs, numpy's SIMD paths and BLAS builds, so a printed number may differ by one unit of its
last digit from one machine to the next. Everything else must be identical."""

from __future__ import annotations

import re
from decimal import Decimal
from itertools import zip_longest

# a number standing alone (not the 1 of W1): sign, digits, decimals, exponent; or a fraction p/q
NUMBER = re.compile(r"(?<![\w.])(-?\d+(?:/\d+|(?:\.\d+)?(?:e[+-]?\d+)?))(?![\w.])")


def last_digit(number: str) -> Decimal:
    """One unit of a printed number's last digit: 0.1196 -> 0.0001, 2.5e-19 -> 1e-20."""
    mantissa, _, exponent = number.partition("e")
    decimals = len(mantissa.partition(".")[2])
    return Decimal(1).scaleb(-decimals + int(exponent or 0))


def differences(expected: str, actual: str) -> list[str]:
    """Where two renderings differ beyond one unit of a number's last printed digit, line by
    line: the text must be identical, and so must integers (counts, indices) and fractions
    (exact); other numbers may differ by one unit of the last digit (of the finer of the two)."""
    found = [] if expected.endswith("\n") == actual.endswith("\n") else ["the last newline"]
    lines = zip_longest(expected.splitlines(), actual.splitlines(), fillvalue=None)
    for number, (want, got) in enumerate(lines, 1):
        if want != got and (want is None or got is None or not same_to_last_digit(want, got)):
            found.append(f"line {number}: {want!r} became {got!r}")
        if len(found) >= 5:
            break
    return found


def same_to_last_digit(expected: str, actual: str) -> bool:
    pieces = zip_longest(NUMBER.split(expected), NUMBER.split(actual), fillvalue=None)
    for place, (want, got) in enumerate(pieces):
        if want == got:
            continue
        if want is None or got is None or place % 2 == 0:
            return False  # text (at the even places) differs
        if not any(mark in want + got for mark in ".e") or "/" in want + got:
            return False  # integers and fractions are exact
        if abs(Decimal(want) - Decimal(got)) > min(last_digit(want), last_digit(got)):
            return False
    return True
