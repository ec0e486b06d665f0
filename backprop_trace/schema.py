"""The scenario file's schema: pydantic models with unknown keys forbidden.

The layer kinds bring their own models (``Layer.spec``, read from the registry in layers/); the
rest is here. Leaf types and validators live in spec_types.
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Annotated, Any, Literal

from pydantic import Field, PlainValidator, ValidationError, create_model

from . import layers, losses, optim
from .layers import LAYER_TYPES
from .spec_types import (  # re-exported: the schema's vocabulary, for the loader and messages
    Count,
    FileRef,
    Flag,
    Input,
    InputsOrFile,
    Number,
    Pair,
    PositiveCount,
    Spec,
    Target,
    TargetsOrFile,
    Text,
    _schema,
    choice,
    did_you_mean,
    keys_of,
    short_number,
)

__all__ = [
    "LAYER_SPECS",
    "OPTIMIZER_SPECS",
    "FileRef",
    "ScenarioSpec",
    "did_you_mean",
    "json_schema",
    "keys_of",
    "short_number",
]

LAYOUTS = ("in_out", "out_in")
LOSSES = tuple(losses.LOSS_TYPES)
NUMERICS = ("auto", "exact", "float64")


Layout = Annotated[str, PlainValidator(choice("layout", LAYOUTS)), _schema(enum=list(LAYOUTS))]
LossName = Annotated[str, PlainValidator(choice("loss", LOSSES)), _schema(enum=list(LOSSES))]
NumericsName = Annotated[
    str, PlainValidator(choice("numerics", NUMERICS)), _schema(enum=list(NUMERICS))
]


# -- models ---------------------------------------------------------------------------------------


# The layer kinds' own models (Layer.Spec), one per kind in the registry, told apart by type.
if typing.TYPE_CHECKING:
    LayerSpec = layers.LayerSpec
else:
    LayerSpec = Annotated[
        typing.Union[tuple(kind.Spec for kind in LAYER_TYPES.values())],  # noqa: UP007
        Field(discriminator="type"),
    ]


def _optimizer_spec(cls: type[optim.Optimizer]) -> type[Spec]:
    """An optimizer's scenario model, made from its class: every setting with the class's
    default (torch.optim's), numbers exact, flags true/false, pairs (betas) as one list."""
    paired = {name for names in cls.pairs.values() for name in names}
    fields: dict[str, Any] = {"type": (Literal[cls.kind], ...)}
    for f in dataclasses.fields(cls):
        if f.name in paired:
            continue
        fields[f.name] = (Flag if isinstance(f.default, bool) else Number, f.default)
    for key, (first, second) in cls.pairs.items():
        fields[key] = (Pair, (getattr(cls, first), getattr(cls, second)))
    model: type[Spec] = create_model(f"{cls.__name__}Spec", __base__=Spec, **fields)
    return model


OPTIMIZER_SPECS: dict[str, type[Spec]] = {
    kind: _optimizer_spec(cls) for kind, cls in optim.OPTIMIZER_TYPES.items()
}
if typing.TYPE_CHECKING:
    OptimizerSpec = Spec
else:
    OptimizerSpec = Annotated[
        typing.Union[tuple(OPTIMIZER_SPECS.values())],  # noqa: UP007
        Field(discriminator="type"),
    ]


class DataSpec(Spec):
    """One example (input/target), a batch (inputs/targets, each written out or a .npy file), or
    a file: .npz with arrays inputs and targets, or .csv with a header and named target columns."""

    input: Input | None = None
    target: Target | None = None
    inputs: InputsOrFile | None = None
    targets: TargetsOrFile | None = None
    file: Text | None = None
    target_columns: list[Text] | None = None
    batch_size: PositiveCount | None = None


class _Scenario(Spec):
    """What a scenario holds besides its layers (validated each with its own kind's model)."""

    name: Text
    description: Text = ""
    layout: Layout = "in_out"
    layers: list[Any] = Field(min_length=1)
    loss: LossName
    optimizer: OptimizerSpec
    data: DataSpec
    frozen: list[Text] = Field(default_factory=list)
    steps: PositiveCount = 1
    seed: Count = 0
    numerics: NumericsName = "auto"


class ScenarioSpec(_Scenario):
    """A small network, its data, loss and optimizer: one training story. (Its full model, every
    layer kind in it, is made only for the JSON Schema; validate_scenario checks a file.)"""

    layers: list[LayerSpec] = Field(min_length=1)


LAYER_SPECS: dict[str, type[Spec]] = {kind: cls.Spec for kind, cls in LAYER_TYPES.items()}
_FIELDS = list(_Scenario.model_fields)


def validate_scenario(data: Any) -> tuple[Any, list[dict[str, Any]]]:
    """The scenario's model (None if it has problems) and pydantic's errors, in the order of the
    scenario's keys, as ScenarioSpec would give them: each layer is validated by its own kind's
    model, so that only the kinds a scenario has are ever built."""
    errors: list[dict[str, Any]] = []
    core = None
    try:
        core = _Scenario.model_validate(data)
    except ValidationError as exc:
        errors += [dict(e) for e in exc.errors()]
    layers: list[Any] = []
    entries = data.get("layers") if isinstance(data, dict) else None
    for i, entry in enumerate(entries if isinstance(entries, list) else []):
        layer, problems = _layer(i, entry)
        layers.append(layer)
        errors += problems
    order = {name: k for k, name in enumerate(_FIELDS)}
    errors.sort(key=lambda e: order.get(e["loc"][0], len(_FIELDS)) if e["loc"] else -1)
    if errors or core is None:
        return None, errors
    return core.model_copy(update={"layers": layers}), []


def _layer(i: int, entry: Any) -> tuple[Any, list[dict[str, Any]]]:
    """One layer's model, or the errors a discriminated union of every kind would give."""
    loc: tuple[Any, ...] = ("layers", i)
    if not isinstance(entry, dict):
        message = "Input should be a valid dictionary or object to extract fields from"
        return None, [{"type": "model_attributes_type", "loc": loc, "msg": message, "input": entry}]
    if "type" not in entry:
        return None, [
            {
                "type": "union_tag_not_found",
                "loc": loc,
                "msg": "Unable to extract tag using discriminator 'type'",
                "ctx": {"discriminator": "'type'"},
                "input": entry,
            }
        ]
    tag = entry["type"]
    kind = LAYER_SPECS.get(tag) if isinstance(tag, str) else None
    if kind is None:
        return None, [
            {
                "type": "union_tag_invalid",
                "loc": loc,
                "msg": f"Input tag '{tag}' found using 'type' does not match any of the "
                "expected tags",
                "ctx": {"discriminator": "'type'", "tag": str(tag)},
                "input": entry,
            }
        ]
    try:
        return kind.model_validate(entry), []
    except ValidationError as exc:
        found: list[dict[str, Any]] = []
        for error in exc.errors():
            where: tuple[Any, ...] = tuple(error["loc"])
            found.append({**error, "loc": (*loc, tag, *where)})
        return None, found


def json_schema() -> dict[str, Any]:
    """The JSON Schema of scenario files (unknown keys rejected)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Fraction defaults are not JSON: they are left out
        schema = ScenarioSpec.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "backprop-trace scenario"
    return schema
