"""The scenario schema's building blocks: leaf validators and types, and the model base class.

Every part of the schema (the layer kinds' own specs among them) is made of these.

Leaf values use validators of our own so that every message is a sentence a user can act on and
numbers stay exact (``0.2`` and ``"1/5"`` are both Fraction(1, 5)).
"""

from __future__ import annotations

import copy
import difflib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    WithJsonSchema,
)
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

from .errors import excerpt
from .number_text import (
    LIMIT_HINT,
    MAX_DIGITS,
    NumberTextError,
    check_fraction,
    check_integer,
    read_number,
)
from .source import Num, UnreadNumber
from .wording import plural

Sub = tuple[str | int, ...]


def invalid(message: str, hint: str = "", at: Sub = ()) -> PydanticCustomError:
    """A validation error whose text is ours; ``at`` locates it inside the value (row, column)."""
    return PydanticCustomError("bt", "{message}", {"message": message, "hint": hint, "at": at})


def describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, Num):
        return f"the number {excerpt(value.text)[1:-1]}"
    if isinstance(value, UnreadNumber):
        return f"the number {excerpt(value)[1:-1]}"
    if isinstance(value, (int, Fraction)):
        try:
            check_fraction(Fraction(value))
        except NumberTextError:
            return f"a number of more than {MAX_DIGITS:,} digits or beyond float64's range"
    if isinstance(value, (int, float, Fraction)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {excerpt(value)}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__  # pragma: no cover


def short_number(value: Fraction) -> str:
    """1/3 -> 0.333333, 5 -> 5: a number for a message."""
    return str(value) if value.denominator == 1 else f"{float(value):g}"


def did_you_mean(word: str, options: Sequence[str]) -> str:
    """The closest option to a typo, whatever its case ('MSE' -> 'mse'), as the start of a hint."""
    folded = {option.lower(): option for option in options}
    close = difflib.get_close_matches(str(word).lower(), list(folded), n=1, cutoff=0.5)
    return f"did you mean '{folded[close[0]]}'? " if close else ""


# -- leaf validators ------------------------------------------------------------------------------

NUMBER_HINT = 'write a number such as 0.25, 1e-3 or an exact fraction in quotes such as "1/200"'


FLOAT_MAX = Fraction(1.7976931348623157e308)


def parse_number(value: Any, at: Sub = ()) -> Fraction:
    """A YAML number or a fraction/decimal string -> an exact Fraction, within float64's range
    (every number must also be traceable in float64)."""
    number = _parse_number(value, at)
    if abs(number) > FLOAT_MAX:
        raise invalid(
            f"{describe(value)} is too large: numbers must lie within ±1.8e308 (float64's range)",
            "scenario numbers are weights, inputs and rates: use a smaller value",
            at,
        )
    return number


def _parse_number(value: Any, at: Sub = ()) -> Fraction:
    if isinstance(value, bool) or value is None or isinstance(value, (list, dict)):
        raise invalid(f"expected a number, got {describe(value)}", NUMBER_HINT, at)
    if isinstance(value, UnreadNumber):
        raise invalid(value.problem.message, value.problem.hint, at)
    try:
        if isinstance(value, int):
            check_integer(value)
        elif isinstance(value, Fraction) and not isinstance(value, Num):  # a Num is checked
            check_fraction(value)
    except NumberTextError as problem:
        raise invalid(problem.message, problem.hint, at) from None
    if isinstance(value, Fraction):
        return Fraction(value)  # a plain Fraction, without the source text a Num carries
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise invalid(f"{value} is not allowed: every number must be finite", NUMBER_HINT, at)
        return Fraction(repr(value))  # as written in decimal, not the binary float
    if isinstance(value, str):
        try:
            return read_number(value)
        except NumberTextError as problem:
            if problem.hint:  # written as a number, but refused (beyond the limits, 1/0)
                raise invalid(problem.message, problem.hint, at) from None
        raise invalid(f"expected a number, got {describe(value)}", NUMBER_HINT, at)
    raise invalid(f"expected a number, got {describe(value)}", NUMBER_HINT, at)


def parse_count(value: Any, at: Sub = (), least: int = 0) -> int:
    """A whole number >= least."""
    hint = "a whole number such as 1 or 42"
    if isinstance(value, bool) or not isinstance(value, (int, Fraction, str)):
        raise invalid(f"expected a whole number, got {describe(value)}", hint, at)
    try:
        number = parse_number(value, at)
    except PydanticCustomError as error:
        if error.context and error.context["hint"] == LIMIT_HINT:
            raise  # a number beyond the limits: say so
        raise invalid(f"expected a whole number, got {describe(value)}", hint, at) from None
    if number.denominator != 1 or number < least:
        raise invalid(
            f"expected a whole number of at least {least}, got {describe(value)}", hint, at
        )
    return int(number)


def parse_flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise invalid(f"expected true or false, got {describe(value)}", "write true or false")


def parse_text(value: Any) -> str:
    if isinstance(value, Num):
        return value.text
    if isinstance(value, str):
        if any("\ud800" <= c <= "\udfff" for c in value):  # from Python data; YAML is checked
            raise invalid(
                f"{describe(value)} holds a lone surrogate, which is not a character",
                "remove it: a surrogate is half of a UTF-16 pair, not a character",
            )
        return value
    if isinstance(value, bool):
        return str(value).lower()
    raise invalid(f"expected text, got {describe(value)}", "write the text, quoted if need be")


def parse_vector(value: Any, at: Sub = ()) -> tuple[Fraction, ...]:
    if not isinstance(value, list):
        raise invalid(f"expected a list of numbers, got {describe(value)}", "e.g. [1, 0, 1]", at)
    if not value:
        raise invalid("the list is empty", "give at least one number", at)
    return tuple(parse_number(item, (*at, i)) for i, item in enumerate(value))


def parse_matrix(value: Any) -> tuple[tuple[Fraction, ...], ...]:
    hint = "a matrix is a list of rows, each a list of numbers: [[1, 2], [3, 4]]"
    if not isinstance(value, list):
        raise invalid(f"expected a matrix (a list of rows), got {describe(value)}", hint)
    if not value:
        raise invalid("the matrix is empty", hint)
    rows = []
    for r, row in enumerate(value):
        if not isinstance(row, list):
            raise invalid(f"expected a row (a list of numbers), got {describe(row)}", hint, (r,))
        if row and isinstance(row[0], list):
            raise invalid("expected numbers, got a nested list (3-D)", hint, (r,))
        rows.append(parse_vector(row, (r,)))
        if len(rows[-1]) != len(rows[0]):
            raise invalid(
                f"row {r} has {plural(len(rows[-1]), 'number')} but row 0 has {len(rows[0])}",
                "every row of a matrix has the same length",
                (r,),
            )
    return tuple(rows)


def parse_vector_or_number(value: Any) -> tuple[Fraction, ...] | Fraction:
    if isinstance(value, list):
        return parse_vector(value)
    return parse_number(value)


def parse_rows_or_values(value: Any) -> tuple[tuple[Fraction, ...], ...] | tuple[Fraction, ...]:
    if isinstance(value, list) and value and not isinstance(value[0], list):
        return parse_vector(value)
    return parse_matrix(value)


def parse_pair(value: Any) -> tuple[Fraction, Fraction]:
    if not isinstance(value, list) or len(value) != 2:
        raise invalid(f"expected two numbers, got {describe(value)}", "e.g. [0.9, 0.999]")
    return parse_number(value[0], (0,)), parse_number(value[1], (1,))


def choice(what: str, options: Sequence[str]) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if isinstance(value, str) and value in options:
            return value
        listed = ", ".join(options)
        hint = (did_you_mean(value, options) if isinstance(value, str) else "") + f"one of {listed}"
        shown = f"'{value}'" if isinstance(value, str) else describe(value)
        raise invalid(f"unknown {what} {shown}", hint)

    return parse


class Reads:
    """A field's metadata: its value is read by this function alone, as pydantic's
    PlainValidator reads it, but without asking pydantic for a schema of the field's Python
    type (which PlainValidator makes, for serializing, which the tool never does): a model is
    made in a fraction of the time. Its JSON Schema is the WithJsonSchema beside it."""

    __slots__ = ("parse",)

    def __init__(self, parse: Callable[[Any], Any]) -> None:
        self.parse = parse

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_plain_validator_function(self.parse)


class _JsonSchema(WithJsonSchema):
    """pydantic's WithJsonSchema, giving a deep copy each time: pydantic (2.8) edits the nested
    parts of what it is given, so a second JSON Schema in one process came out nested again."""

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> Any:
        return copy.deepcopy(super().__get_pydantic_json_schema__(core_schema, handler))


def _schema(**kw: Any) -> _JsonSchema:
    return _JsonSchema(kw)


_NUM_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "number"},
        {"type": "string", "pattern": r"^\s*[-+]?\d+\s*/\s*[-+]?\d+\s*$"},
    ]
}
Number = Annotated[Fraction, Reads(parse_number), _JsonSchema(_NUM_SCHEMA)]
Count = Annotated[int, Reads(parse_count), _schema(type="integer", minimum=0)]
PositiveCount = Annotated[
    int, Reads(lambda v: parse_count(v, least=1)), _schema(type="integer", minimum=1)
]
Flag = Annotated[bool, Reads(parse_flag), _schema(type="boolean")]
Text = Annotated[str, Reads(parse_text), _schema(type="string")]
Vector = Annotated[
    tuple[Fraction, ...],
    Reads(parse_vector),
    _schema(type="array", items=_NUM_SCHEMA, minItems=1),
]
_MATRIX_SCHEMA: dict[str, Any] = {
    "type": "array",
    "minItems": 1,
    "items": {"type": "array", "items": _NUM_SCHEMA, "minItems": 1},
}
Matrix = Annotated[
    tuple[tuple[Fraction, ...], ...], Reads(parse_matrix), _JsonSchema(_MATRIX_SCHEMA)
]
Target = Annotated[
    tuple[Fraction, ...] | Fraction,
    Reads(parse_vector_or_number),
    _JsonSchema({"anyOf": [_NUM_SCHEMA, {"type": "array", "items": _NUM_SCHEMA}]}),
]
_FILE_SCHEMA: dict[str, Any] = {"type": "string", "pattern": r"\.npy$"}


@dataclass(frozen=True)
class FileRef:
    """A path written in the scenario, relative to the scenario's folder."""

    path: str


def _file_or(parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def parse_or_file(value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower().endswith(".npy"):
            return FileRef(value.strip())
        if isinstance(value, str):
            raise invalid(
                f"expected numbers or a .npy file, got {describe(value)}",
                "write the values as a list, or name a .npy file beside the scenario",
            )
        return parse(value)

    return parse_or_file


MatrixOrFile = Annotated[
    tuple[tuple[Fraction, ...], ...] | FileRef,
    Reads(_file_or(parse_matrix)),
    _JsonSchema({"anyOf": [_MATRIX_SCHEMA, _FILE_SCHEMA]}),
]
TargetsOrFile = Annotated[
    tuple[tuple[Fraction, ...], ...] | tuple[Fraction, ...] | FileRef,
    Reads(_file_or(parse_rows_or_values)),
    _JsonSchema({"anyOf": [_MATRIX_SCHEMA, {"type": "array", "items": _NUM_SCHEMA}, _FILE_SCHEMA]}),
]
Pair = Annotated[
    tuple[Fraction, Fraction],
    Reads(parse_pair),
    _schema(type="array", items=_NUM_SCHEMA, minItems=2, maxItems=2),
]
Bias = Annotated[
    tuple[Fraction, ...] | bool | FileRef | None,
    Reads(lambda v: v if isinstance(v, bool) else _file_or(parse_vector)(v)),
    _JsonSchema(
        {"anyOf": [{"type": "boolean"}, {"type": "array", "items": _NUM_SCHEMA}, _FILE_SCHEMA]}
    ),
]


class Spec(BaseModel):
    # defer_build: a model's validator is made when it is first used, not at import, so a
    # scenario pays only for the layer kinds it has (schema.validate_scenario)
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)


def keys_of(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


INITS = ("he", "xavier", "normal", "zeros", "torch")
InitName = Annotated[str, Reads(choice("init", INITS)), _schema(enum=list(INITS))]


APPROXIMATIONS = ("none", "tanh")  # gelu's, as torch.nn.GELU takes them
Approximation = Annotated[
    str,
    Reads(choice("approximate", APPROXIMATIONS)),
    _schema(enum=list(APPROXIMATIONS)),
]


def parse_tensor(value: Any, depths: Sequence[int], what: str, hint: str) -> tuple[Any, ...]:
    """A regular nested list of numbers, as nested tuples of Fractions, of one of ``depths``
    dimensions (a vector is 1, an image [channel][height][width] 3); ragged lists are located."""
    depth, probe = 0, value
    while isinstance(probe, list) and probe:
        depth, probe = depth + 1, probe[0]
    if depth not in depths:
        wanted = " or ".join(f"{d}-D" for d in depths)
        got = f"{depth}-D" if depth else describe(value)
        raise invalid(f"expected {what} ({wanted}), got {got}", hint)
    shape: list[int] = []
    probe = value
    for _ in range(depth):
        shape.append(len(probe))
        probe = probe[0]
    return _regular(value, shape, (), hint)


def _regular(value: Any, shape: list[int], at: Sub, hint: str) -> tuple[Any, ...]:
    if len(shape) == 1:
        if not isinstance(value, list) or len(value) != shape[0]:
            count = len(value) if isinstance(value, list) else 0
            raise invalid(
                f"this list has {plural(count, 'number')} where the first has {shape[0]}",
                hint,
                at,
            )
        return parse_vector(value, at)
    if not isinstance(value, list) or len(value) != shape[0]:
        raise invalid(
            f"expected a list of {shape[0]} lists here, got {describe(value)}"
            + (f" of {len(value)}" if isinstance(value, list) else ""),
            hint,
            at,
        )
    return tuple(_regular(item, shape[1:], (*at, i), hint) for i, item in enumerate(value))


IMAGE_HINT = "an image is [channel][height][width]: [[[0, 1], [1, 0]]] is one 2×2 channel"
Input = Annotated[
    tuple[Any, ...],
    Reads(lambda v: parse_tensor(v, (1, 3), "one example: a vector or an image", IMAGE_HINT)),
    _JsonSchema({"type": "array", "minItems": 1}),
]
InputsOrFile = Annotated[
    tuple[Any, ...] | FileRef,
    Reads(
        _file_or(
            lambda v: parse_tensor(
                v,
                (2, 4),
                "a batch: one row per example, or [example][channel][height][width] images",
                "e.g. inputs: [[1, 0], [0, 1]]",
            )
        )
    ),
    _JsonSchema({"anyOf": [{"type": "array", "minItems": 1}, _FILE_SCHEMA]}),
]


def parse_size_pair(value: Any, least: int) -> tuple[int, int]:
    """An int, or [a, b]: a kernel size, stride or padding as torch takes it."""
    hint = f"a whole number of at least {least}, or two of them: [rows, columns]"
    if isinstance(value, list):
        if len(value) != 2:
            raise invalid(f"expected one or two whole numbers, got a list of {len(value)}", hint)
        return parse_count(value[0], (0,), least), parse_count(value[1], (1,), least)
    n = parse_count(value, (), least)
    return n, n


SizePair = Annotated[
    tuple[int, int],
    Reads(lambda v: parse_size_pair(v, 1)),
    _JsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 1},
                {"type": "array", "minItems": 2, "maxItems": 2},
            ]
        }
    ),
]
PaddingPair = Annotated[
    tuple[int, int],
    Reads(lambda v: parse_size_pair(v, 0)),
    _JsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 0},
                {"type": "array", "minItems": 2, "maxItems": 2},
            ]
        }
    ),
]
KernelOrFile = Annotated[
    tuple[Any, ...] | FileRef,
    Reads(
        _file_or(
            lambda v: parse_tensor(
                v,
                (4,),
                "a kernel [out_channels][in_channels][height][width]",
                "e.g. weight: [[[[1, 0], [0, -1]]]] is one 2×2 kernel",
            )
        )
    ),
    _JsonSchema({"anyOf": [{"type": "array", "minItems": 1}, _FILE_SCHEMA]}),
]
