"""Training data from files beside the scenario: .npz (arrays inputs, targets), .npy pairs, and
.csv with a header row and named target columns. Problems come back as messages, not exceptions
from numpy. A file's size and an array's declared shape are checked before its values are read,
so a small compressed file cannot unpack into gigabytes."""

from __future__ import annotations

import contextlib
import csv
import difflib
import io
import lzma
import math
import os
import tokenize
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO

import numpy as np

from .errors import excerpt
from .number_text import NumberTextError, read_float
from .numerics import Array
from .reading import UnreadableFile, open_regular, read_bounded
from .wording import plural

MAX_DATA_BYTES = 64 * 1024**2  # one data file, as stored
MAX_DATA_VALUES = 1_000_000  # numbers in one array (inputs or targets), as declared or counted
TOO_LARGE_HINT = "this tool traces a few steps of a small network: use a sample of the data"


@dataclass
class DataFileError(Exception):  # not frozen: raising sets __traceback__ and __context__
    message: str
    hint: str = ""
    line: int = 0  # where in the data file (CSV), if known
    column: int = 0


def _unreadable(path: Path, error: UnreadableFile) -> DataFileError:
    if error.message == "no such file":
        return DataFileError(f"no such file: {path}", "paths are relative to the scenario's folder")
    return DataFileError(f"{path.name} {error.message}", error.hint)


def listing(names: Sequence[str], most: int = 8) -> str:
    """Names from a file, for a hint: each a short escaped excerpt, and at most ``most`` of them."""
    shown = ", ".join(excerpt(name, 24) for name in names[:most])
    return shown + (f", … ({len(names)} in all)" if len(names) > most else "")


def _check_declared(shape: tuple[int, ...], dtype: np.dtype[np.generic], what: str) -> None:
    """An array's header, before its values are read: plain numbers, 1-D to 4-D (images
    [example][channel][height][width], kernels), not too many."""
    if dtype.hasobject or dtype.kind not in "iuf":
        kind = "Python objects" if dtype.hasobject else f"{dtype} values"
        raise DataFileError(f"{what} holds {kind}, not numbers", "save plain numbers")
    if dtype.kind == "f" and dtype.itemsize > 8:
        raise DataFileError(
            f"{what} holds {dtype} values, beyond float64", "save the array as float64"
        )
    whole = all(isinstance(d, int) and not isinstance(d, bool) for d in shape)
    if not whole or not 1 <= len(shape) <= 4 or min(shape, default=0) <= 0:  # or -1
        raise DataFileError(f"{what} has shape {shape}: expected a non-empty 1-D to 4-D array")
    count = math.prod(shape)
    if count > MAX_DATA_VALUES:
        raise DataFileError(
            f"{what} has shape {shape}: {count:,} values, more than the {MAX_DATA_VALUES:,} "
            "a data array may hold",
            TOO_LARGE_HINT,
        )


def _read_npy(stream: IO[bytes], what: str) -> Array:
    """One array in .npy format, its header checked before its values are read."""
    shape, fortran, dtype = _read_header(stream, what)
    size = math.prod(shape) * dtype.itemsize
    raw = stream.read(size)
    if len(raw) < size:
        raise DataFileError(f"{what} is cut short: {len(raw):,} of {size:,} bytes of values")
    array = np.frombuffer(raw, dtype=dtype).reshape(shape, order="F" if fortran else "C")
    return _numeric(array, what)


def _read_header(stream: IO[bytes], what: str) -> tuple[tuple[int, ...], bool, np.dtype[Any]]:
    """A .npy header: the shape, order and dtype it declares, checked; no value read."""
    npy: Any = np.lib.format  # its functions are typed in some numpy's stubs, not in others
    try:
        version = npy.read_magic(stream)
        if version == (1, 0):
            shape, fortran, dtype = npy.read_array_header_1_0(stream)
        elif version == (2, 0):
            shape, fortran, dtype = npy.read_array_header_2_0(stream)
        else:
            raise DataFileError(
                f"{what} is a .npy file of format version {version[0]}.{version[1]}",
                "save plain numbers with numpy.save",
            )
    except (ValueError, TypeError, EOFError, SyntaxError, tokenize.TokenError) as exc:
        said = excerpt(str(exc), 80)  # numpy's words may quote the header: a short excerpt
        raise DataFileError(f"{what} is not a readable .npy file: {said}") from None
    _check_declared(shape, dtype, what)
    return shape, fortran, dtype


def _numeric(array: Array, what: str) -> Array:
    if np.issubdtype(array.dtype, np.floating) and not np.isfinite(array).all():
        raise DataFileError(f"{what} holds NaN or infinite values", "every number must be finite")
    return array


@contextlib.contextmanager
def _opened(path: Path, kind: str) -> Iterator[BinaryIO]:
    """A data file opened for reading, its size checked; what goes wrong, a DataFileError."""
    try:
        with open_regular(path) as file:
            size = os.fstat(file.fileno()).st_size
            if size > MAX_DATA_BYTES:
                raise DataFileError(
                    f"{path.name} is {size:,} bytes; data files are limited to {MAX_DATA_BYTES:,}",
                    TOO_LARGE_HINT,
                )
            yield file
    except UnreadableFile as error:
        raise _unreadable(path, error) from None
    except (
        OSError,
        EOFError,
        zipfile.BadZipFile,
        NotImplementedError,  # zipfile's verdict on a compression method it cannot read
        zlib.error,
        lzma.LZMAError,
        UnicodeDecodeError,  # a damaged zip header: its member's name is not text
    ) as exc:
        # the decompressor's verdict on the bytes (a bad CRC, a broken stream), or a read error
        said = excerpt(str(exc), 80)  # the text may quote the file: a short, escaped excerpt
        raise DataFileError(f"{path.name} is not a readable {kind} file: {said}") from None


def load_npy(path: Path) -> Array:
    with _opened(path, ".npy") as file:
        return _read_npy(file, path.name)


def npy_shape(path: Path) -> tuple[int, ...]:
    """The shape a .npy file declares, checked as load_npy checks it; no value is read."""
    with _opened(path, ".npy") as file:
        return _read_header(file, path.name)[0]


_COMPRESSIONS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)


def load_npz(path: Path) -> tuple[Array, Array]:
    with _opened(path, ".npz") as file, zipfile.ZipFile(file) as archive:
        members = {info.filename.removesuffix(".npy"): info for info in archive.infolist()}
        missing = [k for k in ("inputs", "targets") if k not in members]
        if missing:
            raise DataFileError(
                f"{path.name} has no array named {' or '.join(missing)}",
                f"it holds: {listing(list(members)) or 'nothing'}; save with "
                "np.savez(file, inputs=..., targets=...)",
            )
        arrays = []
        for key in ("inputs", "targets"):
            info = members[key]
            if info.flag_bits & 0x1 or info.compress_type not in _COMPRESSIONS:
                raise DataFileError(
                    f"{path.name}:{key} is encrypted or compressed in a way numpy does not write",
                    "save with np.savez or np.savez_compressed",
                )
            with archive.open(info) as member:
                arrays.append(_read_npy(member, f"{path.name}:{key}"))
        return arrays[0], arrays[1]


def load_csv(path: Path, target_columns: list[str]) -> tuple[Array, Array]:
    """Header row first; the named columns are the targets, every other column an input."""
    try:
        raw = read_bounded(path, MAX_DATA_BYTES, "data files", TOO_LARGE_HINT)
    except UnreadableFile as error:
        raise _unreadable(path, error) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataFileError(f"{path.name} is not UTF-8 text", "save it as UTF-8") from None
    for mark, name in ((",", "commas"), ("\n", "lines")):  # before the csv module splits them
        if text.count(mark) > 2 * MAX_DATA_VALUES:
            raise DataFileError(
                f"{path.name} has more than {2 * MAX_DATA_VALUES:,} {name}: more cells than the "
                f"{MAX_DATA_VALUES:,} values a data file may hold",
                TOO_LARGE_HINT,
            )
    reader = csv.reader(io.StringIO(text))
    try:
        return _table(path, ((reader.line_num, row) for row in reader), target_columns)
    except csv.Error as exc:  # the csv module's own refusal of the text: a field too long, ...
        raise DataFileError(
            f"{path.name} is not readable CSV ({exc})",
            "a data cell holds one number",
            reader.line_num,
            1,
        ) from None


def _table(
    path: Path, rows: Iterator[tuple[int, list[str]]], target_columns: list[str]
) -> tuple[Array, Array]:
    """The rows of a CSV file, each with its line number: header first, then the values."""
    header = [h.strip() for h in next(rows, (1, []))[1]]
    if not header:
        raise DataFileError(f"{path.name} is empty", "the first row names the columns")
    unknown = [c for c in target_columns if c not in header]
    if unknown:
        close = difflib.get_close_matches(unknown[0], header, n=1, cutoff=0.5)
        raise DataFileError(
            f"{path.name} has no column named {', '.join(excerpt(c) for c in unknown)}",
            (f"did you mean {excerpt(close[0])}? " if close else "")
            + f"its columns: {listing(header)}",
            1,
            1,
        )
    target_at = [header.index(c) for c in target_columns]
    input_at = [i for i in range(len(header)) if i not in target_at]
    if not input_at:
        raise DataFileError(f"{path.name} has no input columns left", "", 1, 1)
    values: list[list[float]] = []
    for number, row in rows:
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise DataFileError(
                f"row {number} has {plural(len(row), 'field')} but the header has {len(header)}",
                "every row needs one value per column",
                number,
                1,
            )
        if (len(values) + 1) * len(row) > MAX_DATA_VALUES:
            raise DataFileError(
                f"{path.name} holds more than the {MAX_DATA_VALUES:,} values a data file may hold",
                TOO_LARGE_HINT,
                number,
                1,
            )
        parsed = []
        for i, cell in enumerate(row):
            try:
                parsed.append(read_float(cell))
            except NumberTextError as problem:
                column = 1 + sum(len(c) + 1 for c in row[:i])
                if problem.hint:  # a number, refused: not finite, or beyond the limits
                    message = f"column {excerpt(header[i])}: {problem.message}"
                else:
                    message = (
                        f"column {excerpt(header[i])} holds {excerpt(cell.strip())}, not a number"
                    )
                raise DataFileError(
                    message,
                    problem.hint or "every cell of the data must be a number",
                    number,
                    column,
                ) from None
        values.append(parsed)
    if not values:
        raise DataFileError(f"{path.name} has a header but no rows of data")
    table = np.array(values, dtype=np.float64)
    return table[:, input_at], table[:, target_at]
