"""Text shown to a person: the terminal, Markdown, HTML, SVG and every message. A scenario's
names, descriptions and keys, a CSV header or a file name may hold control characters (an escape
sequence clears the screen, writes the clipboard or hides a link; a newline starts a heading);
shown, each is escaped visibly instead (ESC as ``\\x1b``), so text only ever shows as text.
Formats that quote strings themselves (JSON, a saved scenario, a PyTorch script) keep the exact
text and use their own quoting instead."""

from __future__ import annotations

import re

# C0 controls (newline and tab included), DEL, C1 controls (CSI U+009B among them), the line
# and paragraph separators, the bidirectional overrides that reorder what a line shows, lone
# surrogates (which no terminal encoding can write) and U+FFFE, U+FFFF (which XML, so SVG, and
# YAML refuse).
_INVISIBLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]"
)


_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(match: re.Match[str]) -> str:
    character = match.group()
    code = ord(character)
    if character in _SHORT:
        return _SHORT[character]
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """Every control character as its escape (ESC as \\x1b, a newline as \\n), the rest as is."""
    return _INVISIBLE.sub(_escaped, text)
