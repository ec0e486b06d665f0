"""What the tool writes into scenario files (--save, new) so that it reads them back: text
quoted by the YAML library itself, so whatever a name holds (quotes, commas, colons, brackets,
#, newlines, control characters) the file reads back to exactly that text; and at most so many
numbers written out."""

from __future__ import annotations

import io
from functools import cache
from typing import Any

from . import source

INLINE_NUMBERS = 100_000  # about 2.5 MB of YAML, read back in seconds


def readable_numbers() -> int:
    """The most numbers a written scenario may hold and still be read back: half the values a
    scenario file may hold (source.MAX_NODES), leaving room for everything else."""
    return source.MAX_NODES // 2


def inline_numbers() -> int:
    """The most numbers --save writes into a scenario (more go to .npy files beside it)."""
    return min(INLINE_NUMBERS, readable_numbers())


@cache
def _emitter() -> Any:
    from ruamel.yaml import YAML

    yaml: Any = YAML(typ="safe", pure=True)
    yaml.default_style = '"'  # double quotes: the one style that can escape any character
    yaml.width = 2**31 - 1  # one line, however long
    yaml.allow_unicode = True  # printable characters as they are; the rest escaped
    return yaml


def quoted(text: str) -> str:
    """'enc, dec' -> '"enc, dec"': one double-quoted YAML scalar on one line."""
    out = io.StringIO()
    _emitter().dump(text, out)
    return out.getvalue().rstrip("\n")
