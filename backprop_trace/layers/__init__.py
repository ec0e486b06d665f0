"""Layer kinds, each one class (layers/base.py says what a kind declares), and their registry.

Importing this package defines, and so registers, every kind: ``LAYER_TYPES`` maps each kind's
name to its class. Nothing else in the package lists the kinds.
"""

from __future__ import annotations

# The kinds register in the order their modules load: linear first, as listings show them.
from . import linear  # isort: split

from . import activations, images, normalization
from .activations import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .base import (
    LAYER_TYPES,
    OPTION,
    PARAM,
    Builder,
    Building,
    Built,
    Layer,
    LayerNote,
    LayerSpec,
    Marked,
    Params,
    Shape,
    ShapeProblem,
    TableData,
)
from .linear import Linear

# Every kind's settings, by the name a scenario writes them under (grad_at_zero, slope, ...)
LAYER_OPTIONS = frozenset(name for cls in LAYER_TYPES.values() for name in cls.option_names())

__all__ = [
    "LAYER_OPTIONS",
    "LAYER_TYPES",
    "OPTION",
    "PARAM",
    "Builder",
    "Building",
    "Built",
    "Identity",
    "Layer",
    "LayerNote",
    "LayerSpec",
    "LeakyReLU",
    "Linear",
    "Marked",
    "Params",
    "ReLU",
    "Shape",
    "ShapeProblem",
    "Sigmoid",
    "Softmax",
    "TableData",
    "Tanh",
    "activations",
    "images",
    "linear",
    "normalization",
]
