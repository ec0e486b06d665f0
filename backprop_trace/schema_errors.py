"""pydantic's validation errors, told as located problems a user can act on: the key path as
the file writes it, did-you-mean hints, and one problem where a typo would make two."""

from __future__ import annotations

from typing import Any

from .errors import Path, Problem
from .schema import (
    LAYER_KINDS,
    OPTIMIZER_KINDS,
    DataSpec,
    ScenarioCore,
    layer_spec,
    optimizer_spec,
)
from .source import Locations
from .spec_types import Spec, did_you_mean, keys_of

# A pip user has the commands, not the repository: hints name commands, never its folders.
FORMAT_HINT = (
    "see the scenario format: 'backprop-trace schema' lists every key; the README explains each"
)


def problems_from(
    errors: list[Any], data: Any, locations: Locations, filename: str
) -> list[Problem]:
    """Every validation error as a Problem, located in the file."""
    kept = _without_misspelt_missing(errors, data)
    return [_translate(err, data, locations, filename) for err in kept]


def _without_misspelt_missing(errors: list[Any], data: Any) -> list[Any]:
    """A misspelt required key ('optimiser') is one problem, not two: the unknown key, whose hint
    names the right one, stands for the missing key too."""
    import difflib

    misspelt: set[tuple[Any, ...]] = set()
    for err in errors:
        if err["type"] == "extra_forbidden":
            path = _strip_tags(tuple(err["loc"]), data)
            model = _model_at(path[:-1], data)
            keys = keys_of(model) if model else []
            for close in difflib.get_close_matches(str(path[-1]), keys, n=1, cutoff=0.5):
                misspelt.add((*path[:-1], close))
    return [
        err
        for err in errors
        if not (err["type"] == "missing" and _strip_tags(tuple(err["loc"]), data) in misspelt)
    ]


def _strip_tags(loc: tuple[Any, ...], data: Any) -> Path:
    """pydantic puts the discriminator's value in the path; the file does not have it."""
    path: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part not in node and node.get("type") == part:
            continue
        path.append(part)
        if isinstance(node, dict) and isinstance(part, str):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            node = None
    return tuple(path)


def _model_at(path: Path, data: Any) -> type[Spec] | None:
    node = data
    for part in path:
        node = (
            node.get(part)
            if isinstance(node, dict)
            else (node[part] if isinstance(node, list) and isinstance(part, int) else None)
        )
    if path == ():
        return ScenarioCore  # its keys are the full model's
    if path == ("data",):
        return DataSpec
    kind = node.get("type") if isinstance(node, dict) else None
    if len(path) == 2 and path[0] == "layers":
        return layer_spec(kind) if isinstance(kind, str) else None
    if path == ("optimizer",):
        return optimizer_spec(kind) if isinstance(kind, str) else None
    return None


def _translate(err: Any, data: Any, locations: Locations, filename: str) -> Problem:
    kind, ctx = err["type"], err.get("ctx") or {}
    path = _strip_tags(tuple(err["loc"]), data)
    message, hint = err["msg"], FORMAT_HINT
    on_key = False
    if kind == "bt":
        message, hint = ctx["message"], ctx["hint"]
        path = (*path, *ctx["at"])
    elif kind == "extra_forbidden":
        model = _model_at(path[:-1], data)
        allowed = keys_of(model) if model else []
        message = f"unknown key '{path[-1]}'"
        hint = did_you_mean(str(path[-1]), allowed)
        if allowed:
            hint += "allowed here: " + ", ".join(allowed)
        on_key = True
    elif kind == "missing":
        message = f"missing required key '{path[-1]}'"
        hint = _MISSING_HINTS.get(str(path[-1]), "add it: " + FORMAT_HINT)
    elif kind == "union_tag_invalid":
        what = "optimizer" if path and path[0] == "optimizer" else "layer"
        options = OPTIMIZER_KINDS if what == "optimizer" else LAYER_KINDS
        tag = _at(data, (*path, "type"))
        message = (
            f"unknown {what} type '{tag}'"
            if isinstance(tag, str)
            else f"the {what} type must be text, got {_describe(tag)}"
        )
        hint = did_you_mean(str(ctx.get("tag")), list(options)) + "one of " + ", ".join(options)
        path = (*path, "type")
    elif kind == "union_tag_not_found":
        what = "optimizer" if path and path[0] == "optimizer" else "layer"
        options = OPTIMIZER_KINDS if what == "optimizer" else LAYER_KINDS
        message = f"the {what} needs a 'type'"
        hint = "one of " + ", ".join(options)
    elif kind in ("model_type", "model_attributes_type", "dict_type"):
        message = f"expected a mapping of keys, got {_describe(err.get('input'))}"
        hint = "write key: value pairs, indented under this key"
    elif kind == "list_type":
        message = f"expected a list, got {_describe(err.get('input'))}"
        hint = "write [a, b] or one '- item' per line"
    elif kind == "too_short":
        message = "the list is empty"
        hint = "give at least one item"
    line, column = locations.of(path, key=on_key)
    return Problem(filename, line, column, path, message, hint)


def _at(data: Any, path: Path) -> Any:
    for part in path:
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return None
    return data


def _describe(value: Any) -> str:
    from .spec_types import describe

    return describe(value)


_MISSING_HINTS = {
    "name": "give the scenario a title, e.g. name: Diagonal flip",
    "layers": "list the layers, e.g. - {type: linear, weight: [[...]]}",
    "loss": "one of mse, sse, half_sse, bce, cross_entropy",
    "optimizer": "e.g. optimizer: {type: sgd, lr: 0.1}",
    "data": "e.g. data: {input: [1, 0], target: [1]}",
    "type": "say which kind it is",
}
