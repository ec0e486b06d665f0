"""Scenario loading: YAML text -> validated, immutable ``Scenario``, or every problem, located.

Structure (keys, types, layer and optimizer kinds) is checked by the pydantic schema; meaning
(shapes that chain, sizes of data, ranges as torch enforces them, names) by ``_Builder``.
"""

from __future__ import annotations

import copy
import functools
import math
from dataclasses import dataclass, field
from pathlib import Path as FilePath
from typing import TYPE_CHECKING, Any

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
    did_you_mean,
    validate_scenario,
)
from .schema_errors import problems_from
from .source import Locations, read_yaml

if TYPE_CHECKING:
    from .schema import ScenarioSpec

MAX_FILE_BYTES = 4 * 1024 * 1024  # a scenario holds a small network; data goes in data files
MAX_PARAMETERS = 50_000_000
MAX_UNITS = 10_000_000
MAX_WORK_VALUES = 20_000_000  # numbers one layer computes for a batch (a conv's windows too)
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
    # buffers carried from step to step (batchnorm's running statistics), by name
    initial_state: dict[str, Array] = field(default_factory=dict)
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

    def _repr_html_(self) -> str:
        """In a notebook: the network and its numbers (the header, the network drawn with
        its first step's forward pass, each parameter's values)."""
        from backprop_trace.render.page import scenario_body

        return scenario_body(self)

    def batch_indices(self, step: int) -> range:
        """Step k (from 1) uses batch (k - 1) mod ceil(n / batch_size), in file order."""
        b = (step - 1) % self.batches
        return range(b * self.batch_size, min((b + 1) * self.batch_size, self.examples))


@dataclass(frozen=True)
class _Unbuilt(L.Layer):
    """A layer whose spec could not be built (its problems are reported): it stands in its place
    so that the checks after it still run, and fixes no shape (as an identity would)."""

    def forward(self, nx: Any, x: Array, params: L.Params) -> Array:
        return x

    def backward(
        self, nx: Any, x: Array, y: Array, grad_y: Array, params: L.Params, need_x: bool = True
    ) -> tuple[Array, L.Params]:
        return grad_y, {}

    def torch_module(self) -> str:
        return "nn.Identity()"


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
    spec, errors = validate_scenario(data)
    if errors:
        problems = problems_from(errors, data, locations, filename)
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
        spec, errors = validate_scenario(repaired)
        if errors:
            return []
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
            len(f) >= 3 and f[0] == "layers" and f[2] in ("weight", "bias", *L.layer_options())
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

    @functools.cached_property
    def rng(self) -> np.random.Generator:
        """For init: one generator, seeded by the scenario, drawn from in layer order; made when
        a layer first draws (a scenario that writes its weights never imports numpy.random)."""
        return np.random.default_rng(self.spec.seed)

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
        for name, value in self.sized_params.items():  # defaults sized by the input (batchnorm)
            initial.setdefault(name, value)
        order = [name for layer in layers for name in layer.param_names if name in initial]
        self._batches_fit(layers, inputs)
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
            initial_state=dict(self.initial_state),
            numerics_requested=spec.numerics,
            data_files=dict(self.data_files),
        )

    # layers ---------------------------------------------------------------------------------

    def _layers(self) -> tuple[list[L.Layer], dict[str, Array], list[str], str]:
        """Each layer built by its kind (layers/), named, its parameters gathered in order."""
        layers: list[L.Layer] = []
        initial: dict[str, Array] = {}
        order: list[str] = []
        counts: dict[str, int] = {}
        float_reason = ""
        self.layout = self.spec.layout
        self.initial_state: dict[str, Array] = {}
        self.sized_params: dict[str, Array] = {}
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
            at = L.Building(self, i, name, counts[kind], layer_spec.name is not None)
            built = L.LAYER_TYPES[kind].build(layer_spec, at)
            if built is None:
                layers.append(_Unbuilt(name=name))
                continue
            if built.float_reason and not float_reason:
                float_reason = f"{_fmt(path)} is {built.float_reason}"
            self.initial_state.update(built.state)
            for pname, arr in built.params.items():
                if pname in initial:
                    self.problem(
                        (*path, "name"),
                        f"parameter name '{pname}' is used twice",
                        "give each layer its own name",
                    )
                initial[pname] = arr
                order.append(pname)
            layers.append(built.layer)
        if not any(layer.param_names for layer in layers) and not any(
            isinstance(layer, _Unbuilt) for layer in layers
        ):
            self.problem(
                ("layers",),
                "the network has no layer with parameters, so nothing to train",
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
            weight = getattr(layer, "weight", None)
            file_shape: L.Shape | None = None
            if isinstance(weight, FileRef):
                try:  # the shape its header declares; what is wrong with it is said on loading
                    file_shape = datafiles.npy_shape(self.data_folder.path(weight.path))
                except datafiles.DataFileError:
                    continue
            count = L.LAYER_TYPES[layer.type].parameter_count(layer, file_shape)
            if count is None:
                continue
            if count > MAX_PARAMETERS:
                self.problem(
                    ("layers", i),
                    f"{count:,} parameters are more than the {MAX_PARAMETERS:,} this tool traces",
                    "use smaller layers",
                )
            total += count
        if total > MAX_PARAMETERS and not self.problems:
            self.problem(
                ("layers",),
                f"the network has {total:,} parameters, more than the {MAX_PARAMETERS:,} this "
                "tool traces",
                "use fewer or smaller layers",
            )

    def read_tensor(self, ref: FileRef, path: Path, ndim: int) -> Array | None:
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

    def _check_chain(self, layers: list[L.Layer]) -> None:
        self._chain(layers, None)

    def _chain(self, layers: list[L.Layer], shape: L.Shape | None) -> None:
        """Each layer's input shape from the one before, from ``shape`` (unknown until a layer
        fixes it, as a linear layer's in_features does, or the data gives it); the network's
        output shape is where it ends."""
        for i, layer in enumerate(layers):
            wanted = layer.input_shape()
            if wanted is not None and shape is not None and wanted != shape:
                self._shape_problem(i, layer.input_mismatch(shape, self.spec.layout))
            shape = wanted if wanted is not None else shape
            if isinstance(layer, _Unbuilt):
                shape = None
            elif shape is not None:
                at = L.Building(self, i, layer.name, 0, True)
                try:
                    sized = layer.sized(shape, at)
                    if sized is not None:  # its parameters' sizes come from its input
                        layers[i] = layer = sized.layer
                        self.sized_params.update(sized.params)
                        for name, value in sized.state.items():  # what was written stays
                            self.initial_state.setdefault(name, value)
                    shape = layer.output_shape(shape)
                except L.ShapeProblem as problem:
                    self._shape_problem(i, problem)
                    shape = None
        self.output_shape = shape

    def _batches_fit(self, layers: list[L.Layer], inputs: Array) -> None:
        """Each layer can take every batch: the smallest (the last of uneven ones) too, and the
        largest without computing more numbers than MAX_WORK_VALUES."""
        if self.problems or not inputs.size:
            return
        n = int(inputs.shape[0])
        size = self.spec.data.batch_size or n
        smallest = min(size, n % size or size)
        shape: L.Shape = tuple(int(d) for d in inputs.shape[1:])
        for i, layer in enumerate(layers):
            work = size * layer.work_size(shape)
            if work > MAX_WORK_VALUES:
                self.problem(
                    ("layers", i),
                    f"this layer would compute {work:,} numbers for a batch of {size}, more than "
                    f"the {MAX_WORK_VALUES:,} this tool traces",
                    "use smaller images, fewer channels or smaller batches (batch_size)",
                )
                return
            message = layer.batch_problem(smallest, shape)
            if message:
                self.problem(
                    ("data", "batch_size") if self.spec.data.batch_size else ("layers", i),
                    message,
                    "use larger batches (batch_size), as torch refuses them too",
                )
                return
            shape = layer.output_shape(shape)

    def _shape_problem(self, i: int, problem: L.ShapeProblem) -> None:
        path: Path = ("layers", i) if problem.key is None else ("layers", i, problem.key)
        self.problem(path, problem.message, problem.hint)

    def _input_width(self, layers: list[L.Layer]) -> int | None:
        """The width of one example, when the first layer that fixes a shape takes vectors."""
        for layer in layers:
            if isinstance(layer, _Unbuilt):
                return None
            wanted = layer.input_shape()
            if wanted is not None:
                return wanted[0] if len(wanted) == 1 else None
            if not layer.same_shape:  # a conv or pool before: the width comes from the data
                return None
        return None

    def _output_width(self, layers: list[L.Layer]) -> int | None:
        shape = self.output_shape
        return shape[0] if shape is not None and len(shape) == 1 else None

    def _optimizer(self) -> optim.Optimizer:
        """The optimizer from its spec (a pair such as betas split into its two settings), and
        the settings torch.optim would refuse (Optimizer.problems)."""
        spec = self.spec.optimizer
        cls = optim.OPTIMIZER_TYPES[getattr(spec, "type")]  # noqa: B009 (the models are made)
        values: dict[str, Any] = {
            k: getattr(spec, k) for k in type(spec).model_fields if k != "type"
        }
        for key, (first, second) in cls.pairs.items():
            values[first], values[second] = values.pop(key)
        optimizer = cls(**values)
        for path, message, hint in optimizer.problems():
            self.problem(("optimizer", *path), message, hint)
        return optimizer

    def _loss_fits(self, layers: list[L.Layer]) -> None:
        last = layers[-1].kind if layers else ""
        if self.spec.loss == "bce" and not (layers and layers[-1].gives_probabilities):
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


def _fmt(path: Path) -> str:
    from .errors import format_path

    return format_path(path)
