"""The data part of a scenario's checks: one example, a batch, or files; targets that fit the
network and the loss."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path as FilePath
from typing import TYPE_CHECKING, Any

import numpy as np

from . import bundled, datafiles
from . import layers as L
from .errors import Path, Problem, excerpt
from .numerics import Array
from .reading import is_inside, real_path
from .schema import FileRef, short_number
from .wording import plural

if TYPE_CHECKING:
    from .schema import ScenarioSpec


@dataclass(frozen=True)
class DataFolder:
    """Where a scenario's data files are found: its folder, and whether they may lie outside it
    (by '..', an absolute path or a symbolic link). Refused by default: a scenario is someone
    else's file, and its data path must not make the tool read, and quote, any file it likes.
    The bundled scenarios' own data is always readable (a scenario saved from one names it)."""

    folder: FilePath
    allow_outside: bool = False

    def path(self, name: str) -> FilePath:
        if "\x00" in name:
            raise datafiles.DataFileError(
                f"{excerpt(name)} holds a NUL character, which no file name can", "check the path"
            )
        path = self.folder / name
        if not (
            self.allow_outside
            or is_inside(self.folder, path)
            or is_inside(bundled.scenarios_dir(), path)
        ):
            real = real_path(path)
            leads = "" if real == path else f" (it leads to {real})"
            raise datafiles.DataFileError(
                f"{name} lies outside the scenario's folder{leads}",
                "data files are read from the scenario's folder and below; to read this one, "
                "run with --allow-outside-data",
            )
        return path


class DataChecks:
    """Mixed into the scenario builder, which provides these."""

    spec: ScenarioSpec
    data_folder: DataFolder
    problems: list[Problem]
    data_files: dict[str, FilePath]

    if TYPE_CHECKING:

        def problem(
            self, path: Path, message: str, hint: str = "", *, key: bool = False
        ) -> None: ...

        def _output_width(self, layers: list[L.Layer]) -> int | None: ...

        def _chain(self, layers: list[L.Layer], shape: L.Shape | None) -> None: ...

        output_shape: L.Shape | None

    def _data(
        self, layers: list[L.Layer], width_in: int | None
    ) -> tuple[Array, Array, tuple[int, ...] | None]:
        empty = np.zeros((0, 0), dtype=object)
        source = self._data_source(self._output_width(layers))
        if source is None:
            return empty, empty, None
        inputs, raw_targets, ikey, tkey, single = source
        if len(raw_targets) != len(inputs):
            self.problem(
                ("data", tkey),
                f"{plural(len(raw_targets), 'target')} for {plural(len(inputs), 'input')}",
                "give one target per input",
            )
            return empty, empty, None
        if inputs.ndim not in (2, 4):
            self.problem(
                ("data", ikey),
                "the inputs must be a matrix (one row per example) or images "
                f"[example][channel][height][width], not a {inputs.ndim}-D array",
                "e.g. inputs: [[1, 0], [0, 1]]",
            )
            return empty, empty, None
        if inputs.ndim == 4 and width_in is not None:
            self.problem(
                ("data", ikey),
                f"the inputs are {'×'.join(map(str, inputs.shape[1:]))} images but the first "
                f"layer takes vectors of {width_in}",
                "put a '- type: flatten' layer first, or start with a conv2d layer",
            )
        elif width_in is not None and inputs.shape[1] != width_in:
            self.problem(
                ("data", ikey),
                f"each input has {plural(inputs.shape[1], 'number')} "
                f"but the first layer takes {width_in}",
                "make them agree",
            )
        if not self.problems:  # the shapes from the data's own (a conv net's come only from it)
            self._chain(layers, tuple(int(d) for d in inputs.shape[1:]))
        targets, indices = self._targets(raw_targets, layers, tkey, single)
        if self.spec.data.batch_size is not None and self.spec.data.batch_size < 1:
            self.problem(
                ("data", "batch_size"),
                "batch_size must be at least 1",
                "leave it out to use the whole batch",
            )
        return inputs, targets, indices

    def _data_source(self, width: int | None) -> tuple[Array, list[Any], str, str, bool] | None:
        """(inputs, targets as a list of rows or single values, their keys, one example?).
        Targets from files are checked against the inputs and the network's ``width`` before
        their values are converted."""
        data = self.spec.data
        single = data.input is not None or data.target is not None
        batch = data.inputs is not None or data.targets is not None
        given = [
            name
            for name, flag in (
                ("input/target", single),
                ("inputs/targets", batch),
                ("file", data.file is not None),
            )
            if flag
        ]
        if len(given) > 1:
            self.problem(
                ("data",),
                f"give one of {' or '.join(given)}, not several",
                "one example, a batch, or a file",
            )
            return None
        if data.target_columns is not None and data.file is None:
            self.problem(
                ("data", "target_columns"),
                "target_columns goes with a .csv file",
                "e.g. data: {file: train.csv, target_columns: [label]}",
                key=True,
            )
        if data.file is not None:
            return self._from_file(data.file, width)
        if not given:
            self.problem(
                ("data",),
                "no data: give input and target, inputs and targets, or a file",
                "e.g. data: {input: [1, 0], target: [1]}",
            )
            return None
        first, second = ("input", "target") if single else ("inputs", "targets")
        values = (data.input, data.target) if single else (data.inputs, data.targets)
        if values[0] is None or values[1] is None:
            missing = first if values[0] is None else second
            self.problem(
                ("data",),
                f"missing required key '{missing}'",
                f"{'one example' if single else 'a batch'} needs both {first} and {second}",
            )
            return None
        if single:
            return np.array([data.input], dtype=object), [data.target], "input", "target", True
        inputs = self._array_or_file(data.inputs, "inputs")
        targets = self._array_or_file(data.targets, "targets")
        if inputs is None or targets is None:
            return None
        if isinstance(targets, np.ndarray):
            if not self._file_targets_fit(inputs, targets, "targets", width):
                return None
            return inputs, _rows(targets), "inputs", "targets", False
        return inputs, list(targets), "inputs", "targets", False

    def _file_targets_fit(self, inputs: Array, targets: Array, key: str, width: int | None) -> bool:
        """As many targets as inputs, each as wide as the network's output: checked on the
        arrays' shapes, before any value is converted."""
        if len(targets) != len(inputs):
            self.problem(
                ("data", key),
                f"{plural(len(targets), 'target')} for {plural(len(inputs), 'input')}",
                "give one target per input",
            )
            return False
        if targets.ndim == 2 and width is not None and targets.shape[1] != width:
            self.problem(
                ("data", key),
                f"each target has {plural(targets.shape[1], 'number')} "
                f"but the network has {plural(width, 'output')}",
                "make them agree",
            )
            return False
        return True

    def _array_or_file(self, value: Any, key: str) -> Any:
        if not isinstance(value, FileRef):
            return np.array(value, dtype=object) if key == "inputs" else value
        try:
            path = self.data_folder.path(value.path)
            array = datafiles.load_npy(path)
        except datafiles.DataFileError as error:
            self.problem(("data", key), error.message, error.hint or "check the file")
            return None
        self.data_files[key] = path
        return array if key != "inputs" or array.ndim != 1 else array.reshape(-1, 1)

    def _from_file(
        self, name: str, width: int | None
    ) -> tuple[Array, list[Any], str, str, bool] | None:
        path = self.data_folder.folder / name
        suffix = path.suffix.lower()
        try:
            path = self.data_folder.path(name)
            if suffix == ".npz":
                inputs, targets = datafiles.load_npz(path)
            elif suffix == ".csv":
                if not self.spec.data.target_columns:
                    self.problem(
                        ("data", "file"),
                        "a .csv file needs target_columns",
                        "name the target columns: target_columns: [label]",
                    )
                    return None
                inputs, targets = datafiles.load_csv(path, self.spec.data.target_columns)
                if self.spec.loss == "cross_entropy" and targets.shape[1] == 1:
                    targets = targets[:, 0]
            else:
                self.problem(
                    ("data", "file"),
                    f"cannot read {suffix or 'a file without a suffix'} data files",
                    "use .npz or .csv; for .npy give inputs: and targets:",
                )
                return None
        except datafiles.DataFileError as error:
            if error.line:
                self.problems.append(
                    Problem(
                        str(path),
                        error.line,
                        error.column,
                        ("data", "file"),
                        error.message,
                        error.hint or "check the file",
                    )
                )
            else:
                self.problem(("data", "file"), error.message, error.hint or "check the file")
            return None
        self.data_files["file"] = path
        if inputs.ndim == 1:
            inputs = inputs.reshape(-1, 1)
        if not self._file_targets_fit(inputs, targets, "file", width):
            return None
        return inputs.astype(np.float64), _rows(targets), "file", "file", False

    def _targets(
        self, raw: list[Any], layers: list[L.Layer], key: str, single: bool
    ) -> tuple[Array, tuple[int, ...] | None]:
        width = self._output_width(layers)
        loss = self.spec.loss
        scalars = all(not isinstance(t, tuple) for t in raw)
        rows_wanted = not scalars
        if scalars and loss == "cross_entropy":
            bad = [i for i, t in enumerate(raw) if isinstance(t, Fraction) and t.denominator != 1]
            for i in bad:
                self.problem(
                    ("data", key) if single else ("data", key, i),
                    f"class index {short_number(raw[i])} is not a whole number",
                    "class indices count from 0",
                )
            indices = tuple(int(t) for t in raw)
            if width is not None:
                for i, c in enumerate(indices):
                    if not 0 <= c < width:
                        self.problem(
                            ("data", key) if single else ("data", key, i),
                            f"class index {c} is out of range for {plural(width, 'output')}",
                            f"class indices run from 0 to {width - 1}",
                        )
            if bad or width is None or any(not 0 <= c < width for c in indices):
                return np.zeros((len(raw), width or 0), dtype=object), indices
            onehot = np.full((len(raw), width), Fraction(0), dtype=object)
            onehot[np.arange(len(raw)), list(indices)] = Fraction(1)
            return onehot, indices
        if scalars:
            if width is not None and width != 1:
                self.problem(
                    ("data", key),
                    f"the network has {width} outputs, so each target needs {width} numbers",
                    "write the target as a list",
                )
            targets = np.array([[t] for t in raw], dtype=object)
        else:
            if not all(isinstance(t, tuple) for t in raw):  # pragma: no cover - parser prevents
                self.problem(
                    ("data", key),
                    "mixes rows and single numbers",
                    "write every target the same way",
                )
            targets = np.array(raw, dtype=object)
        if rows_wanted and width is not None and targets.shape[1] != width:
            self.problem(
                ("data", key),
                f"each target has {plural(targets.shape[1], 'number')} "
                f"but the network has {plural(width, 'output')}",
                "make them agree",
            )
        if loss == "bce":
            outside = [t for t in targets.flat if not 0 <= t <= 1]
            if outside:
                self.problem(
                    ("data", key),
                    f"bce targets must lie in [0, 1], got {short_number(outside[0])}",
                    "bce compares probabilities",
                )
        return targets, None

    # optimizer, names, numerics -------------------------------------------------------------


def _rows(targets: Array) -> list[Any]:
    """A target array as the list the checks read: single values, or rows (exact Fractions of
    the stored floats, each distinct value made once: class labels repeat)."""
    made: dict[float, Fraction] = {}

    def exact(v: Any) -> Fraction:
        f = float(v)
        if f not in made:
            made[f] = Fraction(int(f)) if f.is_integer() else Fraction(f)
        return made[f]

    if targets.ndim == 1:
        return [exact(v) for v in targets.tolist()]
    return [tuple(exact(v) for v in row) for row in targets.tolist()]
