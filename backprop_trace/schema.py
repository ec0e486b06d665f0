"""The scenario file's schema: pydantic models with unknown keys forbidden.

The layer kinds bring their own models (``Layer.spec``, read from the registry in layers/); the
rest is here. Leaf types and validators live in spec_types.
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Annotated, Any, Literal

from pydantic import Field, PlainValidator, create_model

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


class ScenarioSpec(Spec):
    """A small network, its data, loss and optimizer: one training story."""

    name: Text
    description: Text = ""
    layout: Layout = "in_out"
    layers: list[LayerSpec] = Field(min_length=1)
    loss: LossName
    optimizer: OptimizerSpec
    data: DataSpec
    frozen: list[Text] = Field(default_factory=list)
    steps: PositiveCount = 1
    seed: Count = 0
    numerics: NumericsName = "auto"


LAYER_SPECS: dict[str, type[Spec]] = {kind: cls.Spec for kind, cls in LAYER_TYPES.items()}


def json_schema() -> dict[str, Any]:
    """The JSON Schema of scenario files (unknown keys rejected)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Fraction defaults are not JSON: they are left out
        schema = ScenarioSpec.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "backprop-trace scenario"
    return schema
