"""Training data from files beside the scenario: .npz (arrays inputs, targets), .npy pairs, and
.csv with a header row and named target columns. Problems come back as messages, not exceptions
from numpy."""

from __future__ import annotations

import csv
import difflib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .numerics import Array
from .wording import plural

MAX_DATA_BYTES = 2 * 1024**3


@dataclass(frozen=True)
class DataFileError(Exception):
    message: str
    hint: str = ""
    line: int = 0  # where in the data file (CSV), if known
    column: int = 0


def _check_readable(path: Path) -> None:
    if not path.exists():
        raise DataFileError(f"no such file: {path}", "paths are relative to the scenario's folder")
    if path.is_dir():
        raise DataFileError(f"{path} is a folder, not a data file")
    if path.stat().st_size > MAX_DATA_BYTES:
        raise DataFileError(f"{path} is larger than {MAX_DATA_BYTES:,} bytes")


def _numeric(array: Array, what: str) -> Array:
    if array.dtype == object or not np.issubdtype(array.dtype, np.number):
        raise DataFileError(f"{what} holds {array.dtype} values, not numbers")
    if np.issubdtype(array.dtype, np.complexfloating):
        raise DataFileError(f"{what} holds complex numbers")
    out = np.asarray(array)
    if np.issubdtype(out.dtype, np.floating) and not np.isfinite(out).all():
        raise DataFileError(f"{what} holds NaN or infinite values", "every number must be finite")
    if out.ndim == 0 or out.ndim > 2 or out.size == 0:
        raise DataFileError(f"{what} has shape {out.shape}: expected a non-empty 1-D or 2-D array")
    return out


def load_npy(path: Path) -> Array:
    _check_readable(path)
    try:
        return _numeric(np.load(path, allow_pickle=False), path.name)
    except DataFileError:
        raise
    except (ValueError, OSError, EOFError) as exc:
        raise DataFileError(f"{path.name} is not a readable .npy file ({exc})") from None


def load_npz(path: Path) -> tuple[Array, Array]:
    _check_readable(path)
    try:
        with np.load(path, allow_pickle=False) as archive:
            names = list(archive.files)
            missing = [k for k in ("inputs", "targets") if k not in names]
            if missing:
                raise DataFileError(
                    f"{path.name} has no array named {' or '.join(missing)}",
                    f"it holds: {', '.join(names) or 'nothing'}; save with "
                    "np.savez(file, inputs=..., targets=...)",
                )
            return (
                _numeric(archive["inputs"], f"{path.name}:inputs"),
                _numeric(archive["targets"], f"{path.name}:targets"),
            )
    except DataFileError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise DataFileError(f"{path.name} is not a readable .npz file ({exc})") from None


def load_csv(path: Path, target_columns: list[str]) -> tuple[Array, Array]:
    """Header row first; the named columns are the targets, every other column an input."""
    _check_readable(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise DataFileError(f"{path.name} is not UTF-8 text", "save it as UTF-8") from None
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise DataFileError(f"{path.name} is empty", "the first row names the columns")
    header = [h.strip() for h in rows[0]]
    unknown = [c for c in target_columns if c not in header]
    if unknown:
        close = difflib.get_close_matches(unknown[0], header, n=1, cutoff=0.5)
        raise DataFileError(
            f"{path.name} has no column named {', '.join(repr(c) for c in unknown)}",
            (f"did you mean '{close[0]}'? " if close else "") + f"its columns: {', '.join(header)}",
            1,
            1,
        )
    target_at = [header.index(c) for c in target_columns]
    input_at = [i for i in range(len(header)) if i not in target_at]
    if not input_at:
        raise DataFileError(f"{path.name} has no input columns left", "", 1, 1)
    values = []
    for number, row in enumerate(rows[1:], start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise DataFileError(
                f"row {number} has {plural(len(row), 'field')} but the header has {len(header)}",
                "every row needs one value per column",
                number,
                1,
            )
        parsed = []
        for i, cell in enumerate(row):
            try:
                value = float(cell)
            except ValueError:
                column = 1 + sum(len(c) + 1 for c in row[:i])
                raise DataFileError(
                    f"column '{header[i]}' holds {cell.strip()!r}, not a number",
                    "every cell of the data must be a number",
                    number,
                    column,
                ) from None
            if not np.isfinite(value):
                raise DataFileError(
                    f"column '{header[i]}' holds {cell.strip()}",
                    "every number must be finite",
                    number,
                    1 + sum(len(c) + 1 for c in row[:i]),
                )
            parsed.append(value)
        values.append(parsed)
    if not values:
        raise DataFileError(f"{path.name} has a header but no rows of data")
    table = np.array(values, dtype=np.float64)
    return table[:, input_at], table[:, target_at]
