"""Hostile input: tiny files that would hang the tool or eat the machine, files that are not
files, data that leaves the scenario's folder. Each command runs as a user would run it, in a
subprocess under a 2 GB memory cap and a time limit, and must end with a located message (exit 2),
never a hang, a crash (exit 70) or a traceback. Large and special files are made here, at test
time."""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_trace import ScenarioError, datafiles, scenario_from_dict
from backprop_trace.number_text import (
    MAX_DIGITS,
    MAX_EXPONENT,
    MIN_EXPONENT,
    NumberTextError,
    read_decimal,
    read_number,
)

MEMORY_CAP = 2 * 1024**3
TIME_LIMIT = 20.0  # seconds; a hang shows as a timeout, far beyond what any of these needs

BASE = """name: x
layers: [{type: linear, weight: [[1]]}]
loss: mse
optimizer: {type: sgd, lr: 0.1}
data: {input: [1], target: [2]}
"""


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def cli(
    *args: str, stdin: int | None = subprocess.DEVNULL, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The command line in a subprocess: capped memory, a time limit, and no traceback."""
    result = subprocess.run(
        [sys.executable, "-m", "backprop_trace", *args],
        stdin=stdin,
        capture_output=True,
        text=True,
        errors="backslashreplace",
        timeout=TIME_LIMIT,
        preexec_fn=_cap_memory,
        env={**os.environ, **(env or {})},
    )
    assert result.returncode in (0, 2, 3, 141), (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    return result


def scenario(folder: Path, extra: str = "", name: str = "s.yaml") -> Path:
    """BASE with the top-level keys of ``extra`` replacing its own."""
    replaced = {line.split(":")[0] for line in extra.splitlines() if line and line[0] != " "}
    kept = [line for line in BASE.splitlines() if line.split(":")[0] not in replaced]
    path = folder / name
    path.write_text("\n".join(kept) + "\n" + extra + "\n", encoding="utf-8")
    return path


# -- numbers: checked as text, before they are built ---------------------------------------------

W00 = "layers[0].weight[0][0]"


@pytest.mark.parametrize(
    "extra, where, message",
    [
        ("seed: 1e100000000", "seed", "too large"),
        ('optimizer: {type: sgd, lr: "1e100000000"}', "optimizer.lr", "too large"),
        ("optimizer: {type: sgd, lr: 1e99999999999999}", "optimizer.lr", "too large"),
        ("layers: [{type: linear, weight: [[1e-100000000]]}]", W00, "too small"),
        ("layers: [{type: linear, weight: [[1e-10000000]]}]", W00, "too small"),
        ("data: {input: [1e-5000, 2], target: [1]}", "data.input[0]", "too small"),
        (f'optimizer: {{type: sgd, lr: "1/{"7" * 4000}"}}', "optimizer.lr", "4,000 digits"),
        (f"seed: {'9' * 5000}", "seed", "5,000 digits"),
        (f"seed: 0x{'f' * 5000}", "seed", f"more than the {MAX_DIGITS:,} digits"),
    ],
)
def test_numbers_beyond_the_limits_are_refused_before_they_are_built(
    tmp_path: Path, extra: str, where: str, message: str
) -> None:
    started = time.monotonic()
    result = cli("validate", str(scenario(tmp_path, extra)))
    assert result.returncode == 2
    assert re.search(rf"s\.yaml:\d+:\d+: {re.escape(where)}: .*{message}", result.stderr)
    assert time.monotonic() - started < 10


def test_a_name_that_looks_like_a_huge_number_is_still_a_name(tmp_path: Path) -> None:
    result = cli("validate", str(scenario(tmp_path, "name: 1e100000000")))
    assert result.returncode == 0, result.stderr


decimal_texts = st.builds(
    lambda sign, whole, fraction, exponent: f"{sign}{whole}{fraction}{exponent}",
    st.sampled_from(["", "-", "+"]),
    st.one_of(st.just(""), st.text("0123456789", min_size=1, max_size=1200)),
    st.one_of(st.just(""), st.text("0123456789", max_size=1200).map(lambda d: "." + d)),
    st.one_of(
        st.just(""),
        st.integers(-(10**12), 10**12).map(lambda e: f"e{e}"),
    ),
)


@settings(max_examples=300, deadline=2000)
@given(decimal_texts)
def test_a_decimal_is_read_exactly_within_the_limits_or_refused_quickly(text: str) -> None:
    try:
        value = read_decimal(text)
    except NumberTextError as problem:
        body = text.lstrip("+-").split("e")[0]
        digits = len(body.replace(".", ""))
        assert problem.hint or not digits or body == "."  # refused as a number, or not one
        return
    assert value == Fraction(text)  # the same number Fraction builds, when it is within limits
    assert len(text.lstrip("+-").split("e")[0].replace(".", "")) <= MAX_DIGITS
    if value:
        assert 10 ** (MIN_EXPONENT) <= abs(value) < 10 ** (MAX_EXPONENT + 1)


@settings(max_examples=200, deadline=2000)
@given(st.integers(1, 1500), st.integers(1, 1500))
def test_a_fraction_is_refused_beyond_a_thousand_digits_or_float64s_reach(
    numerator_digits: int, denominator_digits: int
) -> None:
    text = f"{'3' * numerator_digits}/{'7' * denominator_digits}"
    within = max(numerator_digits, denominator_digits) <= MAX_DIGITS
    try:
        value = read_number(text)
    except NumberTextError as problem:
        assert problem.hint
        if within:
            assert "too" in problem.message  # only its size (exponent) can be the reason
        return
    assert within and value == Fraction(text)
    assert MIN_EXPONENT - 1 <= numerator_digits - denominator_digits <= MAX_EXPONENT + 1


def test_a_number_in_a_csv_is_checked_as_one_in_the_scenario(tmp_path: Path) -> None:
    (tmp_path / "train.csv").write_text("a,y\n1e-400,1\n")
    path = scenario(tmp_path, "data: {file: train.csv, target_columns: [y]}")
    result = cli("validate", str(path))
    assert result.returncode == 2
    assert re.search(
        r"train\.csv:2:1: data\.file: column 'a': '1e-400' is too small", result.stderr
    )


@pytest.mark.parametrize("written", ["1_000", "١٢", "1e5_0"])
def test_underscores_and_other_digits_are_not_numbers_in_a_csv_as_in_yaml(
    tmp_path: Path, written: str
) -> None:
    (tmp_path / "train.csv").write_text(f"a,y\n{written},1\n", encoding="utf-8")
    in_csv = cli(
        "validate", str(scenario(tmp_path, "data: {file: train.csv, target_columns: [y]}"))
    )
    in_yaml = cli("validate", str(scenario(tmp_path, f"data: {{input: [{written}], target: [1]}}")))
    assert in_csv.returncode == in_yaml.returncode == 2
    assert f"column 'a' holds {written!r}, not a number" in in_csv.stderr
    assert "expected a number" in in_yaml.stderr


def test_a_step_number_of_five_thousand_digits_is_a_usage_error() -> None:
    result = cli("run", "diagonal_flip", "--show", "9" * 5000)
    assert result.returncode == 2 and "--show" in result.stderr and "5,000 digits" in result.stderr
    assert len(result.stderr) < 1000  # the value is quoted in part, not echoed whole


def test_a_huge_integer_given_as_python_data_is_refused() -> None:
    from backprop_trace import ScenarioError, scenario_from_dict

    data = {
        "name": "x",
        "layers": [{"type": "linear", "weight": [[10**5000]]}],
        "loss": "mse",
        "optimizer": {"type": "sgd", "lr": 0.1},
        "data": {"input": [1], "target": [2]},
    }
    with pytest.raises(ScenarioError, match=r"layers\[0\]\.weight\[0\]\[0\]: .*digits"):
        scenario_from_dict(data)


# -- text that no terminal can show ---------------------------------------------------------------


@pytest.mark.parametrize(
    "extra, where",
    [
        ('description: "a\\ud800"', "description"),
        ('layers: [{type: linear, weight: [[1]], name: "\\udfff"}]', "layers[0].name"),
        ('name: x\n"\\ud800b": 1', "(top level)"),
    ],
)
@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_lone_surrogate_is_refused_where_it_stands(
    tmp_path: Path, extra: str, where: str, command: str
) -> None:
    result = cli(command, str(scenario(tmp_path, extra)))
    assert result.returncode == 2
    assert re.search(rf"s\.yaml:\d+:\d+: {re.escape(where)}: .*lone surrogate", result.stderr)


# -- memory: sizes checked before anything is read or allocated -----------------------------------


def _npy_header(shape: tuple[int, ...], dtype: str = "<f8") -> bytes:
    import io

    import numpy as np

    buffer = io.BytesIO()
    header = {"descr": dtype, "fortran_order": False, "shape": shape}
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue()


def test_a_zip_bomb_is_refused_by_its_declared_shape(tmp_path: Path) -> None:
    import zipfile

    with zipfile.ZipFile(tmp_path / "bomb.npz", "w", zipfile.ZIP_DEFLATED) as archive:
        for name, shape in (("inputs", (500_000_000, 2)), ("targets", (500_000_000,))):
            with archive.open(f"{name}.npy", "w") as member:
                member.write(_npy_header(shape))
                member.write(bytes(1 << 22))  # compresses to a few kilobytes
    assert (tmp_path / "bomb.npz").stat().st_size < 100_000
    result = cli("validate", str(scenario(tmp_path, "data: {file: bomb.npz}")))
    assert result.returncode == 2
    assert "bomb.npz:inputs has shape (500000000, 2)" in result.stderr


def test_a_sparse_two_gigabyte_npy_of_targets_is_refused_unread(tmp_path: Path) -> None:
    import numpy as np

    np.save(tmp_path / "x.npy", np.zeros((4, 1)))
    with open(tmp_path / "y.npy", "wb") as file:
        file.write(_npy_header((89_478_485, 3)))
        file.truncate(2 * 1024**3)  # sparse: no disk is used
    result = cli("validate", str(scenario(tmp_path, "data: {inputs: x.npy, targets: y.npy}")))
    assert result.returncode == 2 and "y.npy is 2,147,483,648 bytes" in result.stderr


def test_targets_of_the_wrong_width_are_refused_before_their_values_are_converted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import numpy as np

    from backprop_trace import ScenarioError, load_scenario, scenario_data

    np.save(tmp_path / "x.npy", np.zeros((500, 1)))
    np.save(tmp_path / "y.npy", np.zeros((500, 3)))

    def converted(targets: object) -> object:
        raise AssertionError("the values were converted before the shape was checked")

    monkeypatch.setattr(scenario_data, "_rows", converted)
    with pytest.raises(ScenarioError, match="each target has 3 numbers but the network has 1"):
        load_scenario(scenario(tmp_path, "data: {inputs: x.npy, targets: y.npy}"))


def test_a_sixty_megabyte_scenario_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    with open(path, "w") as file:
        file.write(BASE + "extra: [")
        file.write("0," * 30_000_000)
        file.write("0]\n")
    result = cli("validate", str(path))
    assert result.returncode == 2 and "scenarios are limited to" in result.stderr


def test_too_many_values_are_refused_as_they_are_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from backprop_trace import ScenarioError, load_scenario, source

    monkeypatch.setattr(source, "MAX_NODES", 50)
    path = scenario(tmp_path, "extra: [" + "0, " * 100 + "0]")
    with pytest.raises(ScenarioError, match=r"extra\[\d+\]: the file has more than 50 keys"):
        load_scenario(path)
    keys = ", ".join(f"k{i}: 0" for i in range(20))  # 20 values more, but 40 keys and values
    with pytest.raises(ScenarioError, match=r"extra: the file has more than 50 keys"):
        load_scenario(scenario(tmp_path, f"extra: {{{keys}}}"))


def test_a_network_too_large_to_trace_is_refused_before_it_is_allocated(tmp_path: Path) -> None:
    layers = "".join("\n  - {type: linear, in: 7000, out: 7000}" for _ in range(12))
    result = cli("validate", str(scenario(tmp_path, f"layers:{layers}")))
    assert result.returncode == 2
    assert "588,084,000 parameters, more than the 50,000,000" in result.stderr


# -- files that are not regular files --------------------------------------------------------------


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
@pytest.mark.parametrize("command", ["run", "validate"])
def test_a_device_is_not_a_scenario(device: str, command: str) -> None:
    result = cli(command, device)
    assert result.returncode == 2 and "is a character device, not a regular file" in result.stderr


def test_a_fifo_scenario_without_a_writer_is_refused_at_once(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "scenario.fifo")
    result = cli("run", str(tmp_path / "scenario.fifo"))
    assert result.returncode == 2 and "is a FIFO (named pipe), not a regular file" in result.stderr


@pytest.mark.parametrize(
    "data, name",
    [
        ("{inputs: fifo.npy, targets: [[1]]}", "fifo.npy"),
        ("{file: fifo.csv, target_columns: [y]}", "fifo.csv"),
        ("{file: fifo.npz}", "fifo.npz"),
    ],
)
def test_a_fifo_data_file_is_refused_at_once(tmp_path: Path, data: str, name: str) -> None:
    os.mkfifo(tmp_path / name)
    result = cli("validate", str(scenario(tmp_path, f"data: {data}")))
    assert result.returncode == 2 and f"{name} is a FIFO (named pipe)" in result.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="mknod needs root")
def test_a_device_node_beside_the_scenario_is_not_data(tmp_path: Path) -> None:
    import stat

    os.mknod(tmp_path / "zero.csv", stat.S_IFCHR | 0o600, os.makedev(1, 5))  # /dev/zero's numbers
    result = cli("validate", str(scenario(tmp_path, "data: {file: zero.csv, target_columns: [y]}")))
    assert result.returncode == 2 and "zero.csv is a character device" in result.stderr


@pytest.mark.parametrize("target", ["/dev/zero", "/dev/stdin"])
def test_a_csv_linked_to_a_device_is_refused_even_when_outside_data_is_allowed(
    tmp_path: Path, target: str
) -> None:
    (tmp_path / "train.csv").symlink_to(target)
    path = scenario(tmp_path, "data: {file: train.csv, target_columns: [y]}")
    refused = cli("validate", str(path))
    assert refused.returncode == 2 and "lies outside the scenario's folder" in refused.stderr
    with open("/dev/zero", "rb") as zeros:
        allowed = cli("validate", "--allow-outside-data", str(path), stdin=zeros.fileno())
    assert allowed.returncode == 2 and "not a regular file" in allowed.stderr


def test_stdin_is_not_a_scenario() -> None:
    result = cli("run", "-")
    assert result.returncode == 2 and "standard input is not supported" in result.stderr


def test_step_reads_a_bounded_answer_from_an_endless_stdin() -> None:
    with open("/dev/zero", "rb") as zeros:
        result = cli("run", "diagonal_flip", "--step", stdin=zeros.fileno())
    assert result.returncode == 0 and "5. Verify" in result.stdout


def test_a_name_too_long_for_the_file_system_is_a_message(tmp_path: Path) -> None:
    long = "a" * 300
    assert "File name too long" in cli("run", long).stderr
    assert "File name too long" in cli("validate", str(tmp_path / f"{long}.yaml")).stderr
    for data in (f"{{file: {long}.csv, target_columns: [y]}}", f"{{file: {long}.npz}}"):
        result = cli("validate", str(scenario(tmp_path, f"data: {data}")))
        assert result.returncode == 2 and "File name too long" in result.stderr


def test_a_cell_over_the_csv_field_limit_is_located(tmp_path: Path) -> None:
    (tmp_path / "train.csv").write_text("a,y\n" + "1" * 200_000 + ",1\n")
    result = cli(
        "validate", str(scenario(tmp_path, "data: {file: train.csv, target_columns: [y]}"))
    )
    assert result.returncode == 2
    assert re.search(r"train\.csv:2:1: data\.file: .*field limit", result.stderr)


def test_the_console_width_is_capped() -> None:
    result = cli("run", "diagonal_flip", env={"COLUMNS": "99999999"})
    assert result.returncode == 0
    assert max(len(line) for line in result.stdout.splitlines()) <= 1000


# -- data outside the scenario's folder, and what messages quote of a file -------------------------


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A CSV outside the scenario's folder, whose header is someone's secret."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    path = elsewhere / "creds.csv"
    path.write_text("root:x:0:0:root:/root:/bin/bash-and-then-a-password-hunter2,y\n1,2\n")
    return path


@pytest.mark.parametrize("how", ["dotdot", "absolute", "symlink"])
def test_data_outside_the_scenarios_folder_is_refused_unless_allowed(
    tmp_path: Path, secret: Path, how: str
) -> None:
    folder = tmp_path / "scenario"
    folder.mkdir()
    name = {"dotdot": "../elsewhere/creds.csv", "absolute": str(secret), "symlink": "link.csv"}
    if how == "symlink":
        (folder / "link.csv").symlink_to(secret)
    path = scenario(folder, f"data: {{file: '{name[how]}', target_columns: [label]}}")
    refused = cli("validate", str(path))
    assert refused.returncode == 2 and "lies outside the scenario's folder" in refused.stderr
    assert "--allow-outside-data" in refused.stderr and "hunter2" not in refused.stderr
    allowed = cli("validate", "--allow-outside-data", str(path))
    assert allowed.returncode == 2 and "no column named 'label'" in allowed.stderr
    assert "root:x:0:0" in allowed.stderr and "hunter2" not in allowed.stderr  # a short excerpt


@settings(max_examples=100, deadline=None)
@given(  # no NUL: Python 3.10's csv writer cannot write one
    st.lists(
        st.text(
            st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
            min_size=1,
            max_size=300,
        ),
        min_size=1,
        max_size=40,
    )
)
def test_a_csv_header_is_quoted_short_and_escaped(header: list[str]) -> None:
    import csv
    import io
    import tempfile

    from backprop_trace.datafiles import DataFileError, load_csv

    text = io.StringIO()
    csv.writer(text).writerow(header)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "t.csv"
        path.write_text(text.getvalue(), encoding="utf-8")
        try:
            load_csv(path, ["no such column \x00"])
        except DataFileError as error:
            said = error.message + error.hint
            assert len(said) < 600
            assert not any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in said), said


def test_a_lone_surrogate_in_python_data_is_refused() -> None:
    from backprop_trace import ScenarioError, scenario_from_dict

    data = {
        "name": "x\ud800",
        "layers": [{"type": "linear", "weight": [[1]]}],
        "loss": "mse",
        "optimizer": {"type": "sgd"},
        "data": {"input": [1], "target": [2]},
    }
    with pytest.raises(ScenarioError, match=r"name: .*lone surrogate"):
        scenario_from_dict(data)


@pytest.mark.parametrize(
    "args",
    [
        ["run", "diagonal_flip", "--steps", "1_0"],
        ["run", "diagonal_flip", "--table-limit", "9" * 5000],
        ["run", "diagonal_flip", "--precision", "١"],
        ["new", "{folder}/n.yaml", "--sizes", "1_0,2"],
        ["new", "{folder}/n.yaml", "--seed", "1_0"],
    ],
)
def test_numbers_on_the_command_line_are_read_as_in_a_scenario(
    tmp_path: Path, args: list[str]
) -> None:
    result = cli(*(a.format(folder=tmp_path) for a in args))
    assert result.returncode == 2 and "Invalid value" in result.stderr
    assert not (tmp_path / "n.yaml").exists()


def _saved(kind: str) -> bytes:
    import io

    import numpy as np

    buffer = io.BytesIO()
    inputs, targets = np.arange(6.0).reshape(3, 2), np.array([[0.5], [1.0], [0.0]])
    if kind == ".npy":
        np.save(buffer, inputs)
    else:
        np.savez_compressed(buffer, inputs=inputs, targets=targets)
    return buffer.getvalue()


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([".npy", ".npz"]),
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=6),
    st.one_of(st.none(), st.integers(0, 10_000)),
)
def test_damaged_array_files_are_a_message(
    kind: str, flips: list[tuple[int, int]], cut: int | None
) -> None:
    import tempfile

    from backprop_trace import datafiles

    content = bytearray(_saved(kind))
    for at, value in flips:
        content[at % len(content)] = value
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"d{kind}"
        path.write_bytes(bytes(content[:cut]))
        try:
            datafiles.load_npy(path) if kind == ".npy" else datafiles.load_npz(path)
        except datafiles.DataFileError as error:
            assert error.message


def test_a_loop_of_symbolic_links_is_a_message(tmp_path: Path) -> None:
    (tmp_path / "a.csv").symlink_to("b.csv")
    (tmp_path / "b.csv").symlink_to("a.csv")
    result = cli("validate", str(scenario(tmp_path, "data: {file: a.csv, target_columns: [y]}")))
    assert result.returncode == 2 and "a.csv cannot be read" in result.stderr


@pytest.mark.parametrize(
    "data", ['{file: "a\\0b.csv", target_columns: [y]}', '{inputs: "a\\0b.npy", targets: [1]}']
)
def test_a_nul_in_a_data_path_is_a_message(tmp_path: Path, data: str) -> None:
    result = cli("validate", str(scenario(tmp_path, f"data: {data}")))
    assert result.returncode == 2 and "holds a NUL character" in result.stderr


@pytest.mark.parametrize(
    "content", ["y" + "," * 60_000_000 + "\n", "y,a\n" + "\n" * 60_000_000], ids=["wide", "long"]
)
def test_a_csv_of_sixty_million_empty_cells_is_refused_before_it_is_split(
    tmp_path: Path, content: str
) -> None:
    (tmp_path / "train.csv").write_text(content)
    path = scenario(tmp_path, "data: {file: train.csv, target_columns: [y]}")
    result = cli("validate", str(path))
    assert result.returncode == 2 and "more cells than the 1,000,000 values" in result.stderr


def test_an_npy_header_with_a_negative_dimension_is_a_message(tmp_path: Path) -> None:
    header = b"{'descr': '<f8', 'fortran_order': False, 'shape': (-1, 2), }"
    header += b" " * (63 - len(header) % 64) + b"\n"
    raw = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + b"\0" * 16
    (tmp_path / "x.npy").write_bytes(raw)
    with pytest.raises(datafiles.DataFileError, match="shape"):
        datafiles.load_npy(tmp_path / "x.npy")


def test_many_unknown_frozen_names_are_counted_not_each_listed() -> None:
    layers = [{"type": "linear", "weight": [[1]], "name": f"l{i}"} for i in range(300)]
    data = {
        "name": "amp",
        "layers": layers,
        "loss": "mse",
        "optimizer": {"type": "sgd", "lr": 0.1},
        "data": {"input": [1], "target": [1]},
        "frozen": [f"nothing{i}" for i in range(3000)],
    }
    with pytest.raises(ScenarioError) as caught:
        scenario_from_dict(data)
    text = "\n".join(str(p) for p in caught.value.problems)
    assert len(caught.value.problems) <= 25 and len(text) < 20_000
    assert "2,980 more names in frozen match nothing" in text


def test_a_convolution_that_would_compute_too_much_is_refused_before_it_runs(
    tmp_path: Path,
) -> None:
    """Few parameters, but 2000 channels of 100×100 maps for a batch of 2: 40 million numbers,
    refused at validation with the layer named, nothing allocated for them."""
    import numpy as np

    from backprop_trace import ScenarioError, load_scenario

    np.save(tmp_path / "big.npy", np.zeros((2, 1, 100, 100)))
    (tmp_path / "s.yaml").write_text(
        "name: wide conv\nlayers:\n"
        "  - {type: conv2d, in_channels: 1, out_channels: 2000, kernel_size: 1}\n"
        "  - {type: maxpool2d, kernel_size: 100}\n  - {type: flatten}\n"
        "  - {type: linear, in: 2000, out: 1}\n"
        "loss: mse\noptimizer: {type: sgd, lr: 0.1}\n"
        "data: {inputs: big.npy, targets: [[1], [0]]}\n"
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario(tmp_path / "s.yaml")
    (problem,) = caught.value.problems
    assert problem.path == ("layers", 0) and "40,020,000 numbers" in problem.message
