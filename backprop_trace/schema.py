"""The scenario file's schema: pydantic models with unknown keys forbidden.

The layer kinds bring their own models (``Layer.spec``, read from the registry in layers/); the
rest is here. Leaf types and validators live in spec_types.
"""

from __future__ import annotations

import dataclasses
import functools
import typing
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, create_model

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
    Reads,
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
    "LAYER_KINDS",
    "OPTIMIZER_KINDS",
    "FileRef",
    "did_you_mean",
    "full_model",
    "json_schema",
    "keys_of",
    "layer_spec",
    "optimizer_spec",
    "short_number",
]

LAYOUTS = ("in_out", "out_in")
LOSSES = tuple(losses.LOSS_TYPES)
NUMERICS = ("auto", "exact", "float64")


Layout = Annotated[str, Reads(choice("layout", LAYOUTS)), _schema(enum=list(LAYOUTS))]
LossName = Annotated[str, Reads(choice("loss", LOSSES)), _schema(enum=list(LOSSES))]
NumericsName = Annotated[str, Reads(choice("numerics", NUMERICS)), _schema(enum=list(NUMERICS))]


# -- models ---------------------------------------------------------------------------------------


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


_OPTIMIZER_SPECS: dict[str, type[Spec]] = {}  # made when first asked for


def optimizer_spec(kind: str) -> type[Spec] | None:
    """The model of an optimizer entry of this type (None: no such type)."""
    if kind not in optim.OPTIMIZER_TYPES:
        return None
    if kind not in _OPTIMIZER_SPECS:
        _OPTIMIZER_SPECS[kind] = _optimizer_spec(optim.OPTIMIZER_TYPES[kind])
    return _OPTIMIZER_SPECS[kind]


def layer_spec(kind: str) -> type[Spec] | None:
    """The model of a layer entry of this type (None: no such type): its kind's own."""
    return LAYER_TYPES[kind].Spec if kind in LAYER_TYPES else None


LAYER_KINDS = LAYER_TYPES.names()
OPTIMIZER_KINDS = list(optim.OPTIMIZER_TYPES)


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


class ScenarioCore(Spec):
    """What a scenario holds besides its layers and optimizer (each validated with its own
    kind's model)."""

    name: Text
    description: Text = ""
    layout: Layout = "in_out"
    layers: list[Any] = Field(min_length=1)
    loss: LossName
    optimizer: Any
    data: DataSpec
    frozen: list[Text] = Field(default_factory=list)
    steps: PositiveCount = 1
    seed: Count = 0
    numerics: NumericsName = "auto"


if typing.TYPE_CHECKING:

    class ScenarioSpec(ScenarioCore):
        """A validated scenario: its layers and optimizer are their kinds' models."""

        layers: list[layers.LayerSpec]
        optimizer: Spec


@functools.cache
def full_model() -> type[ScenarioCore]:
    """The whole scenario as one model, every layer kind and optimizer in it (discriminated
    unions on type): made for the JSON Schema alone, as it builds every kind."""
    layer: Any = Annotated[
        typing.Union[tuple(LAYER_TYPES[kind].Spec for kind in LAYER_KINDS)],  # noqa: UP007
        Field(discriminator="type"),
    ]
    optimizer: Any = Annotated[
        typing.Union[tuple(optimizer_spec(kind) for kind in OPTIMIZER_KINDS)],  # noqa: UP007
        Field(discriminator="type"),
    ]
    model: type[ScenarioCore] = create_model(
        "ScenarioSpec",
        __base__=ScenarioCore,
        __doc__="A small network, its data, loss and optimizer: one training story.",
        layers=(list[layer], Field(min_length=1)),
        optimizer=(optimizer, ...),
    )
    return model


_FIELDS = list(ScenarioCore.model_fields)


def validate_scenario(data: Any) -> tuple[Any, list[dict[str, Any]]]:
    """The scenario's model (None if it has problems) and pydantic's errors, in the order of the
    scenario's keys, as full_model() would give them: each layer and the optimizer are
    validated by their own kind's model, so that only the kinds a scenario has are built."""
    errors: list[dict[str, Any]] = []
    core = None
    try:
        core = ScenarioCore.model_validate(data)
    except ValidationError as exc:
        errors += [dict(e) for e in exc.errors()]
    given = data if isinstance(data, dict) else {}
    layers: list[Any] = []
    entries = given.get("layers")
    for i, entry in enumerate(entries if isinstance(entries, list) else []):
        layer, problems = _tagged(("layers", i), entry, layer_spec)
        layers.append(layer)
        errors += problems
    optimizer = None
    if "optimizer" in given:
        optimizer, problems = _tagged(("optimizer",), given["optimizer"], optimizer_spec)
        errors += problems
    order = {name: k for k, name in enumerate(_FIELDS)}
    errors.sort(key=lambda e: order.get(e["loc"][0], len(_FIELDS)) if e["loc"] else -1)
    if errors or core is None:
        return None, errors
    return core.model_copy(update={"layers": layers, "optimizer": optimizer}), []


def _tagged(
    loc: tuple[Any, ...], entry: Any, model_of: typing.Callable[[str], type[Spec] | None]
) -> tuple[Any, list[dict[str, Any]]]:
    """An entry told apart by its type, by that type's model: the model, or the errors a
    discriminated union of every type would give."""
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
    kind = model_of(tag) if isinstance(tag, str) else None
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
        schema = full_model().model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "backprop-trace scenario"
    return schema
