"""Counted nouns and the verbs that agree with them, so that every message reads "1 file has"
and "2 files have" without spelling out both forms at each place it is written."""

from __future__ import annotations

PLURAL_VERBS = {"is": "are", "has": "have", "was": "were"}


def plural_of(noun: str) -> str:
    """plural_of("unit") -> 'units';  plural_of("changed entry") -> 'changed entries'."""
    if noun.endswith("y") and noun[-2:-1] not in tuple("aeiou"):
        return noun[:-1] + "ies"
    return noun + "s"


def noun(count: int, singular: str) -> str:
    """The noun alone, agreeing with count: noun(1, "unit") -> 'unit', noun(2, ...) -> 'units'."""
    return singular if count == 1 else plural_of(singular)


def plural(count: int, singular: str) -> str:
    """plural(1, "number") -> '1 number';  plural(1200, "number") -> '1,200 numbers'."""
    return f"{count:,} {noun(count, singular)}"


def verb(count: int, singular: str) -> str:
    """The verb agreeing with a subject of count things: verb(1, "has") -> 'has', verb(2,
    "has") -> 'have', verb(2, "gets") -> 'get'."""
    if count == 1:
        return singular
    return PLURAL_VERBS.get(singular, singular[:-1] if singular.endswith("s") else singular)


def of_total(part: int, total: int, singular: str, singular_verb: str) -> str:
    """'1 of 3 files has', '2 of 3 files have', '1 of 1 file has': the noun agrees with the
    total, the verb with the part."""
    return f"{part:,} of {plural(total, singular)} {verb(part, singular_verb)}"
