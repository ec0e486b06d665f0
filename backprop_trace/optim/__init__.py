"""Optimizers with torch.optim semantics, defaults and order of operations; state as dataclasses.

Each optimizer updates one parameter tensor: ``update(nx, p, grad, state) -> (new_p, new_state)``.
Hyperparameters are exact Fractions; they become floats only in the float64 backend.

``OPTIMIZER_TYPES`` maps each optimizer's name to its class, importing the optimizer's module
the first time it is looked up (a scenario pays only for its own); ``OPTIMIZER_MODULES`` is the
index that makes this possible (tests/test_schema.py checks it against the modules).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from backprop_trace.registry import Registry

from .base import DEFINED, Optimizer, State

if TYPE_CHECKING:
    from .adagrad import Adagrad, AdagradState
    from .adam import Adam, AdamState, AdamW
    from .rmsprop import RMSprop, RMSpropState
    from .sgd import SGD, SGDState

# name -> the module (in this package) that defines it, in the order listings show them
OPTIMIZER_MODULES: dict[str, str] = {
    "sgd": "sgd",
    "adam": "adam",
    "adamw": "adam",
    "rmsprop": "rmsprop",
    "adagrad": "adagrad",
}
_CLASSES = {
    "SGD": "sgd",
    "SGDState": "sgd",
    "Adam": "adam",
    "AdamW": "adam",
    "AdamState": "adam",
    "RMSprop": "rmsprop",
    "RMSpropState": "rmsprop",
    "Adagrad": "adagrad",
    "AdagradState": "adagrad",
}


OPTIMIZER_TYPES: Registry[type[Optimizer]] = Registry(__name__, OPTIMIZER_MODULES, DEFINED)


def __getattr__(name: str) -> Any:  # the classes by name, imported when first read (PEP 562)
    if name in _CLASSES:
        return getattr(OPTIMIZER_TYPES.module(_CLASSES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "OPTIMIZER_MODULES",
    "OPTIMIZER_TYPES",
    "SGD",
    "Adagrad",
    "AdagradState",
    "Adam",
    "AdamState",
    "AdamW",
    "Optimizer",
    "RMSprop",
    "RMSpropState",
    "SGDState",
    "State",
]
