"""Text as it is written into a scenario file (--save, new): quoted by the YAML library itself,
so whatever a name holds (quotes, commas, colons, brackets, #, newlines, control characters),
the file reads back to exactly that text."""

from __future__ import annotations

import io
from functools import cache
from typing import Any


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
