"""Which steps of a run are shown in full: ``--show all | first | last | 1,10,100 | 1-5 |
every:100``, combined with commas. The rest are run and summarised, not kept."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import excerpt
from .number_text import NumberTextError, read_whole

_PART = re.compile(r"^(all|first|last|none|every:([0-9]+)|([0-9]+)(?:-([0-9]+))?)$")


class SelectionError(ValueError):
    """A --show value that does not parse; the message says what is accepted."""


@dataclass(frozen=True)
class StepSelection:
    everything: bool = False
    first: bool = False
    last: bool = False
    every: tuple[int, ...] = ()
    ranges: tuple[tuple[int, int], ...] = ()
    text: str = ""

    def __call__(self, step: int, total: int) -> bool:
        if self.everything or (self.first and step == 1) or (self.last and step == total):
            return True
        if any(step % n == 0 for n in self.every):
            return True
        return any(lo <= step <= hi for lo, hi in self.ranges)


def default_selection(total: int) -> StepSelection:
    """All steps of a short run; the first and last of a longer one."""
    return StepSelection(everything=True) if total <= 3 else StepSelection(first=True, last=True)


def _whole(text: str) -> int:
    try:
        return read_whole(text)
    except NumberTextError as problem:
        raise SelectionError(problem.message) from None


def parse_selection(text: str) -> StepSelection:
    everything = first = last = False
    every: list[int] = []
    ranges: list[tuple[int, int]] = []
    for raw in text.split(","):
        part = raw.strip().lower()
        match = _PART.match(part)
        if not match:
            raise SelectionError(
                f"cannot read {excerpt(raw.strip())}: use all, first, last, none, step numbers "
                "(1,10,100), ranges (1-5) or every:N, separated by commas"
            )
        if part == "all":
            everything = True
        elif part == "first":
            first = True
        elif part == "last":
            last = True
        elif part.startswith("every:"):
            n = _whole(match.group(2))
            if n < 1:
                raise SelectionError("every:N needs N of at least 1")
            every.append(n)
        elif part != "none":
            lo = _whole(match.group(3))
            hi = _whole(match.group(4)) if match.group(4) else lo
            if lo < 1 or hi < lo:
                raise SelectionError(
                    f"{excerpt(raw.strip())} is not a range of steps (they count from 1)"
                )
            ranges.append((lo, hi))
    return StepSelection(everything, first, last, tuple(every), tuple(ranges), text)
