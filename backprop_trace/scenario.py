"""Scenario loading: YAML text -> validated, immutable ``Scenario``, or every problem, located.

Structure (keys, types, layer and optimizer kinds) is checked by the pydantic schema; meaning
(shapes that chain, sizes of data, ranges as torch enforces them, names) by ``_Builder``.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path as FilePath
from typing import Any

import numpy as np
from pydantic import ValidationError

from . import datafiles, losses, optim
from . import layers as L
from .bundled import close_names, resolve
from .errors import Path, Problem, ScenarioError
from .numerics import Array, Mode
from .reading import UnreadableFile, read_bounded
from .scenario_data import DataChecks, DataFolder
from .schema import (
    FileRef,
    LinearSpec,
    ScenarioSpec,
    did_you_mean,
    short_number,
)
from .schema_errors import problems_from
from .source import Locations, read_yaml
from .wording import plural

MAX_FILE_BYTES = 4 * 1024 * 1024  # a scenario holds a small network; data goes in data files
MAX_PARAMETERS = 50_000_000
MAX_UNITS = 10_000_000
EXACT_MAX_PARAMETERS = 5_000  # auto picks float64 above this


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: everything the engine needs, nothing it must check again."""

    name: str
    description: str
    source: str  # the file it came from, as given
    layout: str
    layers: tuple[L.Layer, ...]
    initial: dict[str, Array]  # parameter name -> values, in_out layout (Fractions or float64)
    loss: losses.Loss
    optimizer: optim.Optimizer
    inputs: Array  # [example, feature], Fractions
    targets: Array  # [example, output], Fractions (class indices arrive one-hot)
    class_indices: tuple[int, ...] | None  # the class-index targets as written, if any
    batch_size: int
    steps: int
    seed: int
    frozen: frozenset[str]
    numerics: Mode
    numerics_reason: str
    param_order: tuple[str, ...] = field(default=())
    numerics_requested: str = "auto"  # what the file asked for: auto, exact or float64
    data_files: dict[str, FilePath] = field(default_factory=dict)  # key -> file read

    @property
    def parameter_count(self) -> int:
        return sum(int(self.initial[name].size) for name in self.param_order)

    @property
    def examples(self) -> int:
        return int(self.inputs.shape[0])

    @property
    def batches(self) -> int:
        return math.ceil(self.examples / self.batch_size)

    def in_layout(self, name: str, value: Array) -> Array:
        """Parameters live in the in_out layout; weights show transposed when the scenario is
        out_in."""
        if self.layout == "out_in" and value.ndim == 2 and name in self.initial:
            return value.T
        return value

    def batch_indices(self, step: int) -> range:
        """Step k (from 1) uses batch (k - 1) mod ceil(n / batch_size), in file order."""
        b = (step - 1) % self.batches
        return range(b * self.batch_size, min((b + 1) * self.batch_size, self.examples))


# -- loading -------------------------------------------------------------------------------------


def load_scenario(
    path: str | FilePath, *, display_name: str | None = None, allow_outside_data: bool = False
) -> Scenario:
    """Read and validate a scenario file; raise ScenarioError with every problem found. As on
    the command line, a bundled scenario's name (``"diagonal_flip"``) names its file, unless a
    file of that name exists. Data files must lie in the scenario's folder or below (symbolic
    links followed), unless ``allow_outside_data``."""
    file = resolve(str(path))
    name = display_name or (str(path) if file == FilePath(path) else str(file))

    def fail(message: str, hint: str) -> ScenarioError:
        return ScenarioError([Problem(name, 0, 0, (), message, hint)])

    if str(path) == "-":
        raise fail(
            "reading a scenario from standard input is not supported",
            "save it to a file and give the file's path",
        )
    try:
        raw = read_bounded(
            file,
            MAX_FILE_BYTES,
            "scenarios",
            "keep large data in .npz/.csv files beside the scenario",
        )
    except UnreadableFile as error:
        if error.message == "no such file":
            close = close_names(str(path)) if file.parent == FilePath(".") else []
            hint = f"did you mean {' or '.join(close)}? " if close else "check the path, or "
            hint += "'backprop-trace list' names the bundled ones"
        elif error.message == "is a folder, not a regular file":
            hint = "give the path of a .yaml file"
        else:
            hint = error.hint
        raise fail(error.message, hint) from None
    for bom, encoding in (
        (b"\xff\xfe\x00\x00", "UTF-32"),
        (b"\x00\x00\xfe\xff", "UTF-32"),
        (b"\xff\xfe", "UTF-16"),
        (b"\xfe\xff", "UTF-16"),
    ):
        if raw.startswith(bom):
            raise fail(f"is {encoding} text", "save the file as UTF-8")
    if b"\x00" in raw:
        raise fail("is a binary file, not YAML", "give the path of a .yaml scenario")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ScenarioError(
            [
                Problem(
                    name,
                    line,
                    column,
                    (),
                    f"the file is not UTF-8 text: this byte cannot be read ({raw[exc.start]:#04x})",
                    "save the file as UTF-8",
                )
            ]
        ) from None
    return parse_scenario(text, name, file.resolve().parent, allow_outside_data=allow_outside_data)


def parse_scenario(
    text: str,
    filename: str = "<scenario>",
    base_dir: FilePath | None = None,
    *,
    allow_outside_data: bool = False,
) -> Scenario:
    """Data files are read from ``base_dir`` (default: the current folder) and below, unless
    ``allow_outside_data``."""
    data, locations = read_yaml(text, filename)
    if not isinstance(data, dict):
        got = "nothing" if data is None else "a list" if isinstance(data, list) else "one value"
        raise ScenarioError(
            [
                Problem(
                    filename,
                    1,
                    1,
                    (),
                    f"the top level must be a mapping of keys, got {got}",
                    "start with 'name: ...' and the other keys of a scenario",
                )
            ]
        )
    return build_scenario(data, locations, filename, base_dir, allow_outside_data)


def scenario_from_dict(
    data: dict[str, Any],
    filename: str = "<dict>",
    base_dir: FilePath | None = None,
    *,
    allow_outside_data: bool = False,
) -> Scenario:
    """Validate a scenario given as Python data (numbers may be int, float, Fraction or "p/q").
    Data files are found relative to ``base_dir`` (default: the current folder), and must lie in
    it or below unless ``allow_outside_data``."""
    return build_scenario(data, Locations(), filename, base_dir, allow_outside_data)


def build_scenario(
    data: dict[str, Any],
    locations: Locations,
    filename: str,
    base_dir: FilePath | None = None,
    allow_outside_data: bool = False,
) -> Scenario:
    base = DataFolder(base_dir or FilePath.cwd(), allow_outside_data)
    try:
        spec = ScenarioSpec.model_validate(data)
    except ValidationError as exc:
        problems = problems_from(exc.errors(), data, locations, filename)
        problems += _meaning_despite(problems, data, locations, filename, base)
        raise ScenarioError(problems) from None
    try:
        return _Builder(spec, locations, filename, base).build()
    except ScenarioError as error:
        raise ScenarioError(
            _layout_swapped(error.problems, spec, locations, filename, base)
        ) from None


def _layout_swapped(
    problems: tuple[Problem, ...],
    spec: ScenarioSpec,
    locations: Locations,
    filename: str,
    base: DataFolder,
) -> list[Problem]:
    """Weights written in the other layout (PyTorch's out × in rows under layout: in_out, or the
    reverse) make a shape problem of every bias, layer and data width. When the other layout
    makes every one of those problems go away and adds none, say that, once."""
    other = "out_in" if spec.layout == "in_out" else "in_out"
    try:
        _Builder(spec.model_copy(update={"layout": other}), locations, filename, base).build()
        remaining: set[Problem] = set()
    except ScenarioError as error:
        remaining = set(error.problems)
    if not remaining < set(problems):
        return list(problems)
    written = "out × in (PyTorch's order)" if other == "out_in" else "in × out"
    line, column = locations.of(("layout",))
    swapped = Problem(
        filename,
        line,
        column,
        ("layout",),
        f"every weight matrix is written {written}, the transpose of what layout "
        f"{spec.layout} expects",
        f"did you mean layout: {other}? (or transpose every weight)",
    )
    return [*remaining, swapped]


# Which top-level sections the checks of a section read: a problem found in a section is only
# trusted after a repair when neither it nor what it reads was repaired.
_READS = {
    "layers": {"layers", "layout", "seed"},
    "data": {"data", "layers", "loss", "layout"},
    "loss": {"loss", "layers"},
    "optimizer": {"optimizer"},
    "frozen": {"frozen", "layers"},
    "numerics": {"numerics", "layers", "loss", "optimizer", "data"},
    "steps": {"steps"},
}


def _meaning_despite(
    problems: list[Problem],
    data: dict[str, Any],
    locations: Locations,
    filename: str,
    base: DataFolder,
) -> list[Problem]:
    """The problems of meaning (ranges, shapes, names) in the parts of a file that its structural
    problems do not touch: remove every field that failed, check again, and keep what the repairs
    cannot have caused. Every problem at once, and none invented."""
    repaired = copy.deepcopy(data)
    touched: set[str] = set()
    fields: set[Path] = set()
    for problem in problems:
        path = problem.path
        if not path or not isinstance(path[0], str):
            return []
        touched.add(path[0])
        field = path[: max(i for i, part in enumerate(path) if isinstance(part, str)) + 1]
        fields.add(field)
        holder: Any = repaired
        for part in field[:-1]:
            if isinstance(holder, dict):
                holder = holder.get(part)
            elif isinstance(holder, list) and isinstance(part, int) and part < len(holder):
                holder = holder[part]
            else:
                return []
        if isinstance(holder, dict):
            holder.pop(field[-1], None)
    try:
        spec = ScenarioSpec.model_validate(repaired)
        _Builder(spec, locations, filename, base).build()
    except (ValidationError, ScenarioError, LookupError, TypeError) as exc:
        found = exc.problems if isinstance(exc, ScenarioError) else []
        return [p for p in found if _untouched(p.path, touched, fields)]
    return []


def _untouched(path: Path, touched: set[str], fields: set[Path]) -> bool:
    """Whether a problem found after the repairs can be trusted: nothing it reads was repaired.
    The optimizer's range checks read one field each (and its type); frozen reads only the
    layers' names, which repairs of weight or bias values cannot change."""
    if not path or not isinstance(path[0], str):
        return False
    if path[0] == "optimizer":
        return ("optimizer", "type") not in fields and path[:2] not in fields
    if path[0] == "frozen":
        values_only = all(
            len(f) >= 3 and f[0] == "layers" and f[2] in ("weight", "bias", *L.LAYER_OPTIONS)
            for f in fields
            if f and f[0] == "layers"
        )
        return "frozen" not in touched and values_only
    return not (_READS.get(path[0], {path[0]}) & touched)


# -- meaning: shapes, sizes, ranges, names -------------------------------------------------------


MAX_NAMED_PROBLEMS = 20  # unknown names reported one by one; the rest are counted


class _Builder(DataChecks):
    def __init__(
        self, spec: ScenarioSpec, locations: Locations, filename: str, data_folder: DataFolder
    ) -> None:
        self.spec = spec
        self.locations = locations
        self.filename = filename
        self.data_folder = data_folder
        self.problems: list[Problem] = []
        self.data_files: dict[str, FilePath] = {}

    def problem(self, path: Path, message: str, hint: str = "", *, key: bool = False) -> None:
        line, column = self.locations.of(path, key=key)
        self.problems.append(Problem(self.filename, line, column, path, message, hint))

    def build(self) -> Scenario:
        spec = self.spec
        self._network_size()
        if self.problems:  # nothing is allocated for a network too large to trace
            raise ScenarioError(self.problems)
        layers, initial, order, float_reason = self._layers()
        self.initial_values = initial
        width_in = self._input_width(layers)
        inputs, targets, indices = self._data(layers, width_in)
        optimizer = self._optimizer()
        loss = losses.LOSS_TYPES[spec.loss]()
        frozen = self._frozen(layers, order)
        if self.data_files and not float_reason:
            float_reason = "the data comes from " + ", ".join(
                p.name for p in self.data_files.values()
            )
        mode, reason = self._numerics(layers, loss, optimizer, float_reason)
        self._loss_fits(layers)
        if spec.steps < 1:
            self.problem(
                ("steps",),
                f"steps must be at least 1, got {spec.steps}",
                "steps counts the training steps to run, e.g. steps: 1",
            )
        if self.problems:
            raise ScenarioError(self.problems)
        n = int(inputs.shape[0])
        batch_size = spec.data.batch_size or n
        return Scenario(
            name=spec.name,
            description=spec.description,
            source=self.filename,
            layout=spec.layout,
            layers=tuple(layers),
            initial=initial,
            loss=loss,
            optimizer=optimizer,
            inputs=inputs,
            targets=targets,
            class_indices=indices,
            batch_size=batch_size,
            steps=spec.steps,
            seed=spec.seed,
            frozen=frozen,
            numerics=mode,
            numerics_reason=reason,
            param_order=tuple(order),
            numerics_requested=spec.numerics,
            data_files=dict(self.data_files),
        )

    # layers ---------------------------------------------------------------------------------

    def _layers(self) -> tuple[list[L.Layer], dict[str, Array], list[str], str]:
        layers: list[L.Layer] = []
        initial: dict[str, Array] = {}
        order: list[str] = []
        counts: dict[str, int] = {}
        float_reason = ""
        rng = np.random.default_rng(self.spec.seed)
        names: dict[str, Path] = {}
        for i, layer_spec in enumerate(self.spec.layers):
            path: Path = ("layers", i)
            kind = layer_spec.type
            counts[kind] = counts.get(kind, 0) + 1
            name = layer_spec.name or f"{kind}{counts[kind]}"
            if name in names:
                self.problem(
                    (*path, "name"),
                    f"layer name '{name}' is already used by {_fmt(names[name])}",
                    "give each layer its own name",
                )
            names[name] = path
            if isinstance(layer_spec, LinearSpec):
                built = self._linear(layer_spec, path, name, counts[kind], rng)
                if built is None:
                    layers.append(L.Linear(name=name, weight=f"?{i}", in_features=-1))
                    continue
                layer, values, how = built
                if how and not float_reason:
                    float_reason = f"{_fmt(path)} is {how}"
                for pname, arr in values.items():
                    if pname in initial:
                        self.problem(
                            (*path, "name"),
                            f"parameter name '{pname}' is used twice",
                            "give each linear layer its own name",
                        )
                    initial[pname] = arr
                    order.append(pname)
                layers.append(layer)
            elif layer_spec.type == "relu":
                gaz = layer_spec.grad_at_zero
                if not 0 <= gaz <= 1:
                    self.problem(
                        (*path, "grad_at_zero"),
                        f"grad_at_zero must lie in [0, 1], got {short_number(gaz)}",
                        "0 is PyTorch's convention, 1 the 'x >= 0' one",
                    )
                layers.append(L.ReLU(name=name, grad_at_zero=gaz))
            elif layer_spec.type == "leaky_relu":
                layers.append(L.LeakyReLU(name=name, slope=layer_spec.slope))
            else:
                layers.append(L.LAYER_TYPES[layer_spec.type](name=name))
        if not any(isinstance(layer, L.Linear) for layer in layers):
            self.problem(
                ("layers",),
                "the network has no linear layer, so nothing to train",
                "add a layer of type linear",
            )
        self._check_chain(layers)
        return layers, initial, order, float_reason

    def _network_size(self) -> None:
        """The parameters of the whole network, counted from the sizes written, before any is
        allocated: a layer too large on its own is named; else the total is checked (sizes that
        are themselves wrong are reported where they stand)."""
        total = 0
        for i, layer in enumerate(self.spec.layers):
            if not isinstance(layer, LinearSpec):
                continue
            if isinstance(layer.weight, FileRef):
                try:  # the shape its header declares; what is wrong with it is said on loading
                    shape = datafiles.npy_shape(self.data_folder.path(layer.weight.path))
                except datafiles.DataFileError:
                    continue
                fan_in, fan_out = (shape[0], shape[1]) if len(shape) == 2 else (shape[0], 1)
            elif layer.weight is not None:
                fan_in, fan_out = len(layer.weight), len(layer.weight[0])
            elif layer.in_ is not None and layer.out is not None:
                if not (1 <= layer.in_ <= MAX_UNITS and 1 <= layer.out <= MAX_UNITS):
                    continue
                fan_in, fan_out = layer.in_, layer.out
            else:
                continue
            if fan_in * fan_out > MAX_PARAMETERS:
                self.problem(
                    ("layers", i),
                    f"{fan_in:,} x {fan_out:,} weights is more than the "
                    f"{MAX_PARAMETERS:,} this tool traces",
                    "use smaller layers",
                )
            # a bias unless bias: false; with written weights, only when it is written too
            biased = layer.bias is not False and (layer.weight is None or layer.bias is not None)
            total += fan_in * fan_out + (fan_out if biased else 0)
        if total > MAX_PARAMETERS and not self.problems:
            self.problem(
                ("layers",),
                f"the network has {total:,} parameters, more than the {MAX_PARAMETERS:,} this "
                "tool traces",
                "use fewer or smaller layers",
            )

    def _linear(
        self, spec: LinearSpec, path: Path, name: str, k: int, rng: np.random.Generator
    ) -> tuple[L.Linear, dict[str, Array], str] | None:
        """The layer, its initial parameters (in_out layout), and how they came in float64
        (initialised randomly, read from a .npy file; '' when written out or zeros)."""
        weight_name = f"{spec.name}.weight" if spec.name else f"W{k}"
        bias_name = f"{spec.name}.bias" if spec.name else f"b{k}"
        how = ""
        if spec.weight is not None:
            if spec.init is not None:
                self.problem(
                    (*path, "init"),
                    "give either weight or init, not both",
                    "remove init to use the weights written here",
                    key=True,
                )
            if isinstance(spec.weight, FileRef):
                read = self._tensor_file(spec.weight, (*path, "weight"), 2)
                if read is None:
                    return None
                weight: Array = read
                how = f"read from {spec.weight.path}"
            else:
                weight = np.array(spec.weight, dtype=object)
            if self.spec.layout == "out_in":
                weight = weight.T
            fan_in, fan_out = int(weight.shape[0]), int(weight.shape[1])
            for key, size, actual in (("in", spec.in_, fan_in), ("out", spec.out, fan_out)):
                if size is not None and size != actual:
                    self.problem(
                        (*path, key),
                        f"{key}: {size} does not match the weight matrix, which has {actual}",
                        "remove it or make them agree",
                    )
            default_bias: Array = np.full(fan_out, Fraction(0), dtype=object)
            wants_bias = spec.bias is True  # written-out weights: no bias unless given
        else:
            sizes = self._init_sizes(spec, path)
            if sizes is None:
                return None
            fan_in, fan_out = sizes
            init = spec.init or "torch"
            weight, default_bias = _initialise(init, fan_in, fan_out, rng, spec.std)
            how = "" if init == "zeros" else f"initialised randomly ({init})"
            wants_bias = spec.bias is not False  # like nn.Linear: a bias unless bias: false
        values: dict[str, Array] = {weight_name: weight}
        if isinstance(spec.bias, FileRef):
            bias = self._tensor_file(spec.bias, (*path, "bias"), 1)
            if bias is not None and len(bias) != fan_out:
                self.problem(
                    (*path, "bias"),
                    f"{spec.bias.path} holds {plural(len(bias), 'number')} "
                    f"but the layer has {plural(fan_out, 'unit')}",
                    "give one bias per unit",
                )
            if bias is not None:
                values[bias_name] = bias
        elif isinstance(spec.bias, tuple):
            if len(spec.bias) != fan_out:
                self.problem(
                    (*path, "bias"),
                    f"the bias has {plural(len(spec.bias), 'number')} "
                    f"but the layer has {plural(fan_out, 'unit')}",
                    "give one bias per unit",
                )
            values[bias_name] = np.array(spec.bias, dtype=object)
        elif wants_bias:
            values[bias_name] = default_bias
        layer = L.Linear(
            name=name,
            weight=weight_name,
            bias=bias_name if bias_name in values else None,
            in_features=fan_in,
            out_features=fan_out,
        )
        return layer, values, how

    def _tensor_file(self, ref: FileRef, path: Path, ndim: int) -> Array | None:
        """A weight (2-D) or bias (1-D) from a .npy file beside the scenario, in float64."""
        try:
            array = datafiles.load_npy(self.data_folder.path(ref.path))
        except datafiles.DataFileError as error:
            self.problem(path, error.message, error.hint or "check the file")
            return None
        if array.ndim != ndim:
            self.problem(
                path,
                f"{ref.path} holds a {array.ndim}-D array; a {path[-1]} is {ndim}-D",
                "save the array with the layer's shape",
            )
            return None
        return array.astype(np.float64)

    def _init_sizes(self, spec: LinearSpec, path: Path) -> tuple[int, int] | None:
        if spec.in_ is None or spec.out is None:
            missing = [k for k, v in (("in", spec.in_), ("out", spec.out)) if v is None]
            self.problem(
                path,
                f"a linear layer needs weight, or in and out sizes (missing: {', '.join(missing)})",
                "e.g. {type: linear, in: 4, out: 3, init: he}",
            )
            return None
        for key, size in (("in", spec.in_), ("out", spec.out)):
            if not 1 <= size <= MAX_UNITS:
                self.problem(
                    (*path, key),
                    f"{key} must be between 1 and {MAX_UNITS:,}, got {size:,}",
                    "layer sizes count units",
                )
                return None
        return spec.in_, spec.out  # the network's size is checked before: _network_size

    def _check_chain(self, layers: list[L.Layer]) -> None:
        width: int | None = None
        for i, layer in enumerate(layers):
            if isinstance(layer, L.Linear) and layer.in_features >= 0:
                if width is not None and layer.in_features != width:
                    key = "weight" if self.spec.layers[i].weight is not None else "in"  # type: ignore[union-attr]
                    shape = "rows" if self.spec.layout == "in_out" else "columns"
                    self.problem(
                        ("layers", i, key),
                        f"this layer takes {plural(layer.in_features, 'input')} but the layer "
                        "before it "
                        f"gives {width}",
                        f"in layout {self.spec.layout} the weight matrix has one of its {shape} "
                        "per input",
                    )
                width = layer.out_features
            elif isinstance(layer, L.Linear):
                width = None

    def _input_width(self, layers: list[L.Layer]) -> int | None:
        for layer in layers:
            if isinstance(layer, L.Linear):
                return layer.in_features if layer.in_features >= 0 else None
        return None

    def _output_width(self, layers: list[L.Layer]) -> int | None:
        for layer in reversed(layers):
            if isinstance(layer, L.Linear):
                return layer.out_features if layer.in_features >= 0 else None
        return None

    def _optimizer(self) -> optim.Optimizer:
        spec = self.spec.optimizer
        values: dict[str, Any] = {
            k: getattr(spec, k) for k in type(spec).model_fields if k != "type"
        }
        path: Path = ("optimizer",)
        for key in (
            "lr",
            "momentum",
            "weight_decay",
            "eps",
            "alpha",
            "lr_decay",
            "initial_accumulator_value",
            "dampening",
        ):
            if key in values and values[key] < 0:
                self.problem(
                    (*path, key),
                    f"{key} must not be negative, got {short_number(values[key])}",
                    "torch.optim refuses negative values here",
                )
        if "betas" in values:
            betas = values.pop("betas")
            for i, beta in enumerate(betas):
                if not 0 <= beta < 1:
                    self.problem(
                        (*path, "betas", i),
                        f"betas[{i}] must lie in [0, 1), got {short_number(beta)}",
                        "e.g. betas: [0.9, 0.999]",
                    )
            values["beta1"], values["beta2"] = betas
        if values.get("nesterov") and (values["momentum"] <= 0 or values["dampening"] != 0):
            self.problem(
                (*path, "nesterov"),
                "nesterov needs momentum > 0 and dampening 0",
                "as torch.optim.SGD requires",
            )
        return optim.OPTIMIZER_TYPES[spec.type](**values)

    def _loss_fits(self, layers: list[L.Layer]) -> None:
        last = layers[-1].kind if layers else ""
        if self.spec.loss == "bce" and last not in ("sigmoid", "softmax"):
            self.problem(
                ("loss",),
                f"bce takes probabilities in [0, 1], but the network ends with a {last} layer, "
                "whose outputs can lie outside [0, 1]",
                "add '- type: sigmoid' as the last layer (or use cross_entropy on logits)",
            )

    def _frozen(self, layers: list[L.Layer], order: list[str]) -> frozenset[str]:
        frozen: set[str] = set()
        by_layer = {layer.name: layer.param_names for layer in layers}
        unknown = 0
        known = set(order)
        for i, name in enumerate(self.spec.frozen):
            if name in known:
                frozen.add(name)
            elif by_layer.get(name):
                frozen.update(by_layer[name])
            elif (unknown := unknown + 1) <= MAX_NAMED_PROBLEMS:  # a hostile list: said once
                shown = ", ".join(order[:8]) + (
                    f" and {len(order) - 8:,} more" if len(order) > 8 else ""
                )
                self.problem(
                    ("frozen", i),
                    f"no parameter or layer named '{name}'",
                    did_you_mean(name, order + list(by_layer)) + "parameters: " + shown,
                )
        if unknown > MAX_NAMED_PROBLEMS:
            self.problem(
                ("frozen",),
                f"{unknown - MAX_NAMED_PROBLEMS:,} more names in frozen match nothing",
                "name parameters (W1) or layers (linear1) of this scenario",
            )
        return frozenset(frozen)

    def _numerics(
        self,
        layers: list[L.Layer],
        loss: losses.Loss,
        optimizer: optim.Optimizer,
        float_reason: str,
    ) -> tuple[Mode, str]:
        irrational = [
            f"{_fmt(('layers', i))} is {layer.kind}"
            for i, layer in enumerate(layers)
            if not layer.rational
        ]
        if not loss.rational:
            irrational.append(f"the loss is {loss.kind}")
        if not optimizer.rational:
            irrational.append(f"the optimizer is {optimizer.kind}")
        wanted = self.spec.numerics
        if wanted == "float64":
            return "float64", "float64: as the scenario asks"
        if irrational:
            if wanted == "exact":
                self.problem(
                    ("numerics",),
                    "exact numerics are impossible here: "
                    + "; ".join(irrational)
                    + " (not rational)",
                    "use numerics: auto or float64",
                )
            return "float64", "float64: " + irrational[0] + ", which is not rational"
        if wanted == "exact":
            return "exact", "exact: as the scenario asks"
        if float_reason:
            return "float64", "float64: " + float_reason
        count = sum(int(v.size) for v in self.initial_values.values())
        if count > EXACT_MAX_PARAMETERS:
            return "float64", (
                f"float64: {count:,} parameters are more than exact arithmetic handles quickly "
                f"({EXACT_MAX_PARAMETERS:,}); numerics: exact insists"
            )
        return "exact", "exact: every operation is rational"


def _initialise(
    init: str, fan_in: int, fan_out: int, rng: np.random.Generator, std: Fraction | None
) -> tuple[Array, Array]:
    """he: N(0, 2/in);  xavier: U(±sqrt(6/(in+out)));  normal: N(0, std^2), std 1 by default;
    torch: U(±1/sqrt(in)) for weight and bias (nn.Linear's default);  zeros: exact zeros.
    Biases are zeros except for torch."""
    shape = (fan_in, fan_out)
    if init == "zeros":
        return (
            np.full(shape, Fraction(0), dtype=object),
            np.full(fan_out, Fraction(0), dtype=object),
        )
    bias: Array = np.zeros(fan_out)
    weight: Array
    if init == "he":
        weight = rng.normal(0.0, math.sqrt(2.0 / fan_in), size=shape)
    elif init == "xavier":
        a = math.sqrt(6.0 / (fan_in + fan_out))
        weight = rng.uniform(-a, a, size=shape)
    elif init == "normal":
        weight = rng.normal(0.0, float(std) if std is not None else 1.0, size=shape)
    else:
        bound = 1.0 / math.sqrt(fan_in)
        weight = rng.uniform(-bound, bound, size=shape)
        bias = rng.uniform(-bound, bound, size=fan_out)
    return weight, bias


def _fmt(path: Path) -> str:
    from .errors import format_path

    return format_path(path)
