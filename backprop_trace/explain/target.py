"""What `explain` is asked about: a parameter entry (W1[0][2], conv1.weight[0][0][1][1]), a
whole tensor or part of one (W1, W1[0]), a unit's learning flow (relu1[2]) or the loss's
derivative for an output (loss[1]), read from the text a user typed."""

from __future__ import annotations

import re
from dataclasses import dataclass

from backprop_trace.scenario import Scenario
from backprop_trace.spec_types import did_you_mean
from backprop_trace.visible import visible

_INDEX = re.compile(r"\[\s*(-?\d+)\s*\]")
_INDEX_TAIL = re.compile(r"(\[\s*\d+\s*\])+")


class TargetError(ValueError):
    """A PARAM that names nothing in the scenario: the message and a hint."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


@dataclass(frozen=True)
class Target:
    """``kind``: parameter (``name`` a parameter; ``index`` its first indexes, all of them for
    one entry), flow (``name`` a layer; ``index`` a unit of one example's output) or loss
    (``index`` an output)."""

    text: str
    kind: str
    name: str
    index: tuple[int, ...]
    layer: int  # the layer's position (a parameter's owner; the last layer for loss)
    shape: tuple[int, ...]  # the parameter's shape, or one example's output shape

    @property
    def whole(self) -> bool:
        """Whether it names more than one entry (a tensor or part of one)."""
        return len(self.index) < len(self.shape)


def entry_text(name: str, index: tuple[int, ...]) -> str:
    return name + "".join(f"[{i}]" for i in index)


def parse_target(scenario: Scenario, text: str, output_shapes: list[tuple[int, ...]]) -> Target:
    """The target ``text`` names: the longest parameter, layer or 'loss' name it starts with,
    then [i] indexes only. ``output_shapes``: each layer's output shape for one example."""
    owner = {p: i for i, layer in enumerate(scenario.layers) for p in layer.param_names}
    layers = {layer.name: i for i, layer in enumerate(scenario.layers)}
    names: dict[str, str] = {"loss": "loss"}
    names.update({name: "flow" for name in layers})
    names.update({name: "parameter" for name in scenario.param_order})
    starts = [n for n in names if text.startswith(n)]
    if not starts and text != text.strip():  # ' W1[0][0]' as typed: the spaces are not meant
        text = text.strip()
        starts = [n for n in names if text.startswith(n)]
    if not starts:
        stem = _stem(text)
        guess = did_you_mean(stem, list(names))
        if guess and _INDEX_TAIL.fullmatch(text[len(stem) :]):  # keep the indexes typed
            guess = guess.replace("'? ", text[len(stem) :] + "'? ")
        raise TargetError(
            f"{visible(text)!r} names no parameter, layer or loss of this scenario",
            guess + "it has " + _listing(scenario, names),
        )
    name = max(starts, key=len)
    kind = names[name]
    rest = text[len(name) :]
    index = _indexes(rest, name, text)
    if kind == "parameter":
        layer, shape = owner[name], tuple(int(n) for n in scenario.initial[name].shape)
        if scenario.layout == "out_in" and len(shape) == 2:
            shape = shape[::-1]
    elif kind == "flow":
        layer, shape = layers[name], output_shapes[layers[name]]
    else:
        layer, shape = len(scenario.layers) - 1, output_shapes[-1]
    if len(index) > len(shape):
        raise TargetError(
            f"{visible(text)}: {name} has {len(shape)} "
            + ("index" if len(shape) == 1 else "indexes")
            + f", not {len(index)}",
            f"its shape is {_shape(shape)}: e.g. {entry_text(name, tuple(0 for _ in shape))}",
        )
    for axis, (i, size) in enumerate(zip(index, shape, strict=False)):
        if not 0 <= i < size:
            example = entry_text(name, (*index[:axis], size - 1, *index[axis + 1 :]))
            raise TargetError(
                f"{visible(text)}: index {i} is out of range: {name}'s axis {axis} has "
                f"{size} entries (0 to {size - 1})",
                f"did you mean {example}?",
            )
    if kind != "parameter" and len(index) < len(shape):
        raise TargetError(
            f"{visible(text)}: give the unit: a learning flow belongs to one entry of "
            + ("the output" if kind == "loss" else f"{name}'s output"),
            f"e.g. {entry_text(name, (*index, *(0 for _ in shape[len(index) :])))} "
            f"(one example's output is {_shape(shape)})",
        )
    return Target(text, kind, name, index, layer, shape)


def _indexes(rest: str, name: str, text: str) -> tuple[int, ...]:
    out: list[int] = []
    position = 0
    while position < len(rest):
        match = _INDEX.match(rest, position)
        if match is None:
            raise TargetError(
                f"{visible(text)!r}: after {name}, only indexes such as [0] may follow, not "
                f"{visible(rest[position:])!r}",
                f"e.g. {name}[0]" + ("" if name == "loss" else f" or {name}"),
            )
        out.append(int(match.group(1)))
        position = match.end()
    return tuple(out)


def _stem(text: str) -> str:
    return text.split("[", 1)[0]


def _shape(shape: tuple[int, ...]) -> str:
    return "×".join(str(n) for n in shape)


def _listing(scenario: Scenario, names: dict[str, str]) -> str:
    params = [n for n, k in names.items() if k == "parameter"]
    flows = [n for n, k in names.items() if k == "flow"]
    return (
        f"parameters {', '.join(params) or '(none)'}; layers {', '.join(flows)} (a unit's "
        "learning flow, e.g. " + entry_text(flows[0], (0,)) + "); and loss[j]"
    )
