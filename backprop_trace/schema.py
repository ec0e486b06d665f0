"""The scenario file's schema: pydantic models with unknown keys forbidden.

The layer kinds bring their own models (``Layer.spec``, read from the registry in layers/); the
rest is here. Leaf types and validators live in spec_types.
"""

from __future__ import annotations

import typing
from typing import Annotated, Any, Literal

from pydantic import Field, PlainValidator

from . import layers, optim
from .layers import LAYER_TYPES
from .spec_types import (  # re-exported: the schema's vocabulary, for the loader and messages
    Count,
    FileRef,
    Flag,
    MatrixOrFile,
    Number,
    Pair,
    PositiveCount,
    Spec,
    Target,
    TargetsOrFile,
    Text,
    Vector,
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
LOSSES = ("mse", "sse", "half_sse", "bce", "cross_entropy")
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


# The defaults are the optimizers' own (optim.py, torch.optim's): written once, there.


class SGDSpec(Spec):
    type: Literal["sgd"]
    lr: Number = optim.SGD.lr
    momentum: Number = optim.SGD.momentum
    dampening: Number = optim.SGD.dampening
    nesterov: Flag = optim.SGD.nesterov
    weight_decay: Number = optim.SGD.weight_decay


class AdamSpec(Spec):
    type: Literal["adam"]
    lr: Number = optim.Adam.lr
    betas: Pair = (optim.Adam.beta1, optim.Adam.beta2)
    eps: Number = optim.Adam.eps
    weight_decay: Number = optim.Adam.weight_decay
    amsgrad: Flag = optim.Adam.amsgrad


class AdamWSpec(AdamSpec):
    type: Literal["adamw"]  # type: ignore[assignment]
    weight_decay: Number = optim.AdamW.weight_decay


class RMSpropSpec(Spec):
    type: Literal["rmsprop"]
    lr: Number = optim.RMSprop.lr
    alpha: Number = optim.RMSprop.alpha
    eps: Number = optim.RMSprop.eps
    weight_decay: Number = optim.RMSprop.weight_decay
    momentum: Number = optim.RMSprop.momentum
    centered: Flag = optim.RMSprop.centered


class AdagradSpec(Spec):
    type: Literal["adagrad"]
    lr: Number = optim.Adagrad.lr
    lr_decay: Number = optim.Adagrad.lr_decay
    weight_decay: Number = optim.Adagrad.weight_decay
    initial_accumulator_value: Number = optim.Adagrad.initial_accumulator_value
    eps: Number = optim.Adagrad.eps


OptimizerSpec = Annotated[
    SGDSpec | AdamSpec | AdamWSpec | RMSpropSpec | AdagradSpec, Field(discriminator="type")
]


class DataSpec(Spec):
    """One example (input/target), a batch (inputs/targets, each written out or a .npy file), or
    a file: .npz with arrays inputs and targets, or .csv with a header and named target columns."""

    input: Vector | None = None
    target: Target | None = None
    inputs: MatrixOrFile | None = None
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
OPTIMIZER_SPECS: dict[str, type[Spec]] = {
    cls.model_fields["type"].annotation.__args__[0]: cls  # type: ignore[union-attr]
    for cls in (SGDSpec, AdamSpec, AdamWSpec, RMSpropSpec, AdagradSpec)
}


def json_schema() -> dict[str, Any]:
    """The JSON Schema of scenario files (unknown keys rejected)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Fraction defaults are not JSON: they are left out
        schema = ScenarioSpec.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "backprop-trace scenario"
    return schema
