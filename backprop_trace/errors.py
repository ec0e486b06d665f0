"""The one domain exception: problems in a scenario, each located in its file."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .visible import visible

Path = tuple[str | int, ...]


def format_path(path: Path, longest: int = 12) -> str:
    """('layers', 0, 'weight') -> 'layers[0].weight'; a very deep path keeps its ends."""
    if len(path) > longest:
        return f"{format_path(path[:4])}…{format_path(path[-4:])}".replace("….", "…")
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out or "(top level)"


def excerpt(text: str, limit: int = 40) -> str:
    """A short, escaped quote of text a file holds, for a message: quotes, backslashes and control
    characters escaped as in Python, and at most ``limit`` characters of the text (then '…')."""
    cut = text if len(text) <= limit else text[: limit - 1] + "…"
    return repr(cut)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario: where it is, what is wrong, and what to do."""

    file: str
    line: int  # 1-based; 0 when the problem has no place in the file (e.g. it cannot be read)
    column: int  # 1-based
    path: Path
    message: str
    hint: str = ""

    def __str__(self) -> str:
        """The message as shown: file:line:column: key.path: message, and the hint below;
        whatever the scenario wrote appears with its control characters escaped."""
        file, message = visible(self.file), visible(self.message)
        if self.line:
            where = visible(format_path(self.path))
            text = f"{file}:{self.line}:{self.column}: {where}: {message}"
        else:  # the file as a whole: missing, unreadable, not text
            text = f"{file}: {message}"
        if self.hint:
            text += f"\n  hint: {visible(self.hint)}"
        return text


class ScenarioError(Exception):
    """Raised by the loader and validators; the CLI turns it into messages and exit status 2."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(sorted(problems, key=lambda p: (p.line, p.column)))
        super().__init__("\n".join(str(p) for p in self.problems))
