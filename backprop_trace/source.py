"""Read YAML scenario text into plain Python data, remembering where every value came from.

Scenario files are data: anchors, aliases and tags are refused before anything is built, duplicate
keys are an error, and plain scalars are resolved with the YAML 1.2 core schema (``1e-3`` is a
number, ``yes`` is text). Numbers keep their source text so decimals stay exact (``0.2`` is 1/5).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from .errors import Path, Problem, ScenarioError

MAX_NODES = 2_000_000
MAX_DEPTH = 64


class Num(Fraction):
    """A number read from the file: an exact Fraction that remembers how it was written."""

    text: str

    def __new__(cls, value: Fraction | int, text: str) -> Num:
        self = super().__new__(cls, value)
        self.text = text
        return self

    # Fraction's own copy and pickle support would rebuild a Num from (numerator, denominator).
    def __copy__(self) -> Num:
        return self

    def __deepcopy__(self, memo: object) -> Num:
        return self

    def __reduce__(self) -> tuple[type[Num], tuple[Fraction, str]]:
        return (Num, (Fraction(self), self.text))


@dataclass
class Locations:
    """Where each value (and each mapping key) sits in the file: 1-based (line, column)."""

    values: dict[Path, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def of(self, path: Path, *, key: bool = False) -> tuple[int, int]:
        """The closest known place for ``path``: its key, its value, or its nearest parent."""
        table = self.keys if key else self.values
        if path in table:
            return table[path]
        if not key and path in self.keys:
            return self.keys[path]
        while path:
            path = path[:-1]
            if path in self.values:
                return self.values[path]
        return (1, 1)


EMPTY_FILE_HINT = (
    "write a starter with 'backprop-trace new FILE', or copy a bundled scenario with "
    "'backprop-trace new FILE --from NAME' ('backprop-trace list' names them)"
)

_NULL = re.compile(r"^(~|null|Null|NULL|)$")
_TRUE = re.compile(r"^(true|True|TRUE)$")
_FALSE = re.compile(r"^(false|False|FALSE)$")
_INT = re.compile(r"^[-+]?[0-9]+$")
_INT_OTHER = re.compile(r"^0o[0-7]+$|^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(inf|Inf|INF)$")
_NAN = re.compile(r"^\.(nan|NaN|NAN)$")


def resolve_plain(text: str) -> Any:
    """Resolve a plain (unquoted) scalar as the YAML 1.2 core schema does."""
    if _NULL.match(text):
        return None
    if _TRUE.match(text):
        return True
    if _FALSE.match(text):
        return False
    if _INT.match(text) or _FLOAT.match(text):
        return Num(Fraction(text), text)
    if _INT_OTHER.match(text):
        return Num(int(text, 0), text)
    if _INF.match(text):
        return float("-inf") if text.startswith("-") else float("inf")
    if _NAN.match(text):
        return float("nan")
    return text


def _mark(mark: Any) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1)


class _Builder:
    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.locations = Locations()
        self.count = 0

    def fail(self, where: tuple[int, int], path: Path, message: str, hint: str = "") -> None:
        raise ScenarioError([Problem(self.filename, *where, path, message, hint)])

    def node(self, events: Any, event: Any, path: Path) -> Any:
        from ruamel.yaml.events import (
            AliasEvent,
            MappingStartEvent,
            ScalarEvent,
            SequenceStartEvent,
        )

        where = _mark(event.start_mark)
        self.count += 1
        if self.count > MAX_NODES:
            self.fail(where, path, f"the file has more than {MAX_NODES:,} values", "split it up")
        if len(path) > MAX_DEPTH:
            self.fail(where, path, f"nesting deeper than {MAX_DEPTH} levels", "flatten it")
        if isinstance(event, AliasEvent):
            self.fail(
                where,
                path,
                f"YAML aliases (*{event.anchor}) are not allowed",
                "scenario files are plain data: write the values out",
            )
        if getattr(event, "anchor", None) is not None:
            self.fail(
                where,
                path,
                f"YAML anchors (&{event.anchor}) are not allowed",
                "scenario files are plain data: write the values out",
            )
        tag = getattr(event, "tag", None)
        if tag is not None and not (isinstance(event, ScalarEvent) and event.tag == "!"):
            self.fail(
                where,
                path,
                f"YAML tags ({tag}) are not allowed",
                "scenario files are plain data: remove the tag",
            )
        self.locations.values[path] = where
        if isinstance(event, ScalarEvent):
            if event.style is None and event.implicit[0]:
                return resolve_plain(event.value)
            return event.value
        if isinstance(event, SequenceStartEvent):
            items: list[Any] = []
            while True:
                child = next(events)
                if type(child).__name__ == "SequenceEndEvent":
                    return items
                items.append(self.node(events, child, (*path, len(items))))
        if isinstance(event, MappingStartEvent):
            mapping: dict[Any, Any] = {}
            while True:
                key_event = next(events)
                if type(key_event).__name__ == "MappingEndEvent":
                    return mapping
                key_where = _mark(key_event.start_mark)
                if not isinstance(key_event, ScalarEvent) or getattr(key_event, "tag", None):
                    self.fail(key_where, path, "a key must be plain text", "write key: value")
                key = key_event.value
                if getattr(key_event, "anchor", None) is not None:
                    self.fail(key_where, path, "YAML anchors are not allowed", "remove the &anchor")
                if key == "<<":
                    self.fail(
                        key_where, path, "YAML merge keys (<<) are not allowed", "write it out"
                    )
                key_path = (*path, key)
                if key in mapping:
                    first = self.locations.keys[key_path]
                    self.fail(
                        key_where,
                        key_path,
                        f"duplicate key '{key}' (first given on line {first[0]})",
                        "give each key once",
                    )
                self.locations.keys[key_path] = key_where
                mapping[key] = self.node(events, next(events), key_path)
        self.fail(where, path, f"unexpected YAML event {type(event).__name__}")  # pragma: no cover
        return None  # pragma: no cover


def read_yaml(text: str, filename: str) -> tuple[Any, Locations]:
    """Parse one YAML document into plain data and the locations of its values."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    builder = _Builder(filename)
    yaml = YAML(typ="safe", pure=True)
    events = iter(yaml.parse(text))
    try:
        data: Any = None
        documents = 0
        for event in events:
            name = type(event).__name__
            if name == "DocumentStartEvent":
                documents += 1
                if documents > 1:
                    builder.fail(
                        _mark(event.start_mark),
                        (),
                        "the file holds more than one YAML document",
                        "a scenario is one document: remove the extra '---'",
                    )
                data = builder.node(events, next(events), ())
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = _mark(mark) if mark is not None else (0, 0)
        problem = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
        hint = "check the indentation and punctuation on this line or the one before"
        if "\\t" in problem or "tab" in problem.lower():
            hint = "YAML indentation must use spaces, not tabs"
        raise ScenarioError(
            [Problem(filename, *where, (), f"YAML syntax: {problem}", hint)]
        ) from None
    except YAMLError as exc:
        raise ScenarioError(
            [Problem(filename, 1, 1, (), f"YAML syntax: {exc}", "check the file is YAML")]
        ) from None
    if documents == 0:
        raise ScenarioError([Problem(filename, 1, 1, (), "the file is empty", EMPTY_FILE_HINT)])
    return data, builder.locations
