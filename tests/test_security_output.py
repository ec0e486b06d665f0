"""What the tool writes, whatever a scenario holds: an exported script runs no code of the
scenario's, files are written into (never replaced when they are devices, links or FIFOs), the
terminal sees no control character of the scenario's, a saved scenario reloads as it was, and
the tool ends quietly on a closed pipe or SIGTERM.

Every command here runs in a subprocess under a 2 GB memory cap and a timeout, or in CliRunner;
each ends with exit status 0, 2, 3 or 141 and no traceback."""

from __future__ import annotations

import ast
import csv as csv_module
import json
import os
import re
import resource
import stat
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from backprop_trace import load_scenario, run, source
from backprop_trace.cli import app
from backprop_trace.export_torch import torch_script
from backprop_trace.scenario import MAX_FILE_BYTES
from backprop_trace.visible import visible

MEMORY_CAP = 2 * 1024**3
TIMEOUT = 60  # seconds; every run here takes one or two
QUIET_EXITS = (0, 2, 3, 141)


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def run_limited(
    args: Sequence[str],
    cwd: Path,
    env: dict[str, str] | None = None,
    timeout: float = TIMEOUT,
    **kwargs: Any,
) -> subprocess.CompletedProcess[bytes]:
    """A command under the memory cap and the timeout; it must end as the tool promises."""
    done = subprocess.run(
        list(args),
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdout=kwargs.pop("stdout", subprocess.PIPE),
        stderr=subprocess.PIPE,
        timeout=timeout,
        preexec_fn=_cap_memory,
        check=False,
        **kwargs,
    )
    assert b"Traceback" not in done.stderr, done.stderr.decode(errors="replace")
    return done


def tool(*args: str, cwd: Path, **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
    done = run_limited([sys.executable, "-m", "backprop_trace", *args], cwd, **kwargs)
    assert done.returncode in QUIET_EXITS, done.stderr.decode(errors="replace")
    return done


# Hostile text: quotes, backslashes, newlines, NUL, every control character, any Unicode but
# lone surrogates (which no UTF-8 file can hold).
hostile = st.text(
    st.characters(blacklist_categories=("Cs",))
    | st.sampled_from("\"'\\\n\r\x00\x1b\x9b\x7f#:[]{},"),
    min_size=1,
    max_size=12,
)
file_names = hostile.map(lambda t: t.replace("/", "∕").replace("\x00", "0")).filter(
    lambda t: t not in (".", "..") and len(t.encode()) <= 200
)


YAML_PRINTABLE = ((0x20, 0x7E), (0xA0, 0xD7FF), (0xE000, 0xFFFD), (0x10000, 0x10FFFF))


def yaml_string(text: str) -> str:
    """Any text as a YAML double-quoted scalar: what YAML may not hold raw is escaped."""
    out = []
    for c in text:
        code = ord(c)
        if c in '"\\':
            out.append("\\" + c)
        elif any(low <= code <= high for low, high in YAML_PRINTABLE):
            out.append(c)
        else:
            out.append(f"\\u{code:04x}")
    return '"' + "".join(out) + '"'


def scenario_yaml(name: str, first: str, act: str, second: str, frozen: str) -> str:
    """A small scenario whose every name is given, exactly."""
    q = yaml_string
    return f"""name: {q(name)}
description: {q(name)}
layers:
  - {{type: linear, name: {q(first)}, weight: [[0.5, -0.25], [0.125, 1]], bias: [0.5, 0]}}
  - {{type: relu, name: {q(act)}, grad_at_zero: 0.5}}
  - {{type: linear, name: {q(second)}, weight: [[1], [-1]]}}
loss: mse
optimizer: {{type: sgd, lr: 0.1}}
data: {{inputs: [[1, 2], [0, 1]], targets: [[1], [0]]}}
frozen: [{q(frozen)}]
steps: 2
"""


@st.composite
def named_scenarios(draw: Any) -> tuple[str, list[str], str]:
    """(file name, [scenario, layer, layer, layer] names, frozen name): distinct layer names."""
    names = draw(st.lists(hostile, min_size=4, max_size=4, unique=True))
    return draw(file_names), names, names[1]


# -- 1. export torch: the scenario's strings stay strings ------------------------------------


FAKE_TORCH = '''
"""A stand-in for torch: enough for an exported script to run through. Every torch name the
script uses is recorded, and written to standard error at exit."""
import atexit, json, sys

USED = []
atexit.register(lambda: sys.stderr.write("torch used: " + json.dumps(sorted(set(USED)))))


class Stub:
    requires_grad = True
    grad = None
    ndim = 0

    def __init__(self, *parts):
        self.parts = [p for p in parts if isinstance(p, Stub)]

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        USED.append(name)
        return Stub()

    def __call__(self, *args, **kwargs):
        return Stub(*args)

    def __getitem__(self, key):
        return Stub()

    def __iter__(self):
        return iter(self.parts)

    def __len__(self):
        return 1

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def tolist(self):
        return []

    def item(self):
        return 0.0


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    USED.append(name)
    return Stub()


nn = Stub()
'''


def _shape(script: str) -> str:
    """The script's syntax tree with every string constant blanked: the shape of its code."""
    tree = ast.parse(script)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            node.value = ""
    return ast.dump(tree)


def _export(tmp_path: Path, file_name: str, names: list[str], frozen: str) -> str:
    folder = tmp_path / "scenarios"
    folder.mkdir(exist_ok=True)
    path = folder / f"{file_name}.yaml"
    path.write_text(scenario_yaml(*names, frozen), encoding="utf-8")
    try:
        return torch_script(load_scenario(path))
    finally:
        path.unlink()


def _run_with_fake_torch(script: str, tmp_path: Path) -> tuple[dict[str, Any], str]:
    fake = tmp_path / "fake"
    (fake / "torch").mkdir(parents=True, exist_ok=True)
    (fake / "torch" / "__init__.py").write_text(FAKE_TORCH)
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    (tmp_path / "script.py").write_text(script, encoding="utf-8")
    done = run_limited(
        [sys.executable, "-S", str(tmp_path / "script.py")],
        work,
        env={"PYTHONPATH": str(fake)},
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert not list(work.iterdir()), "the script created files"
    used = done.stderr.decode().rsplit("torch used: ", 1)[1]
    return json.loads(done.stdout), used


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(named_scenarios())
def test_an_exported_script_runs_no_code_of_the_scenarios(
    tmp_path: Path, case: tuple[str, list[str], str]
) -> None:
    file_name, names, frozen = case
    script = _export(tmp_path, file_name, names, frozen)
    plain = _export(tmp_path, "plain", ["scenario", "first", "act", "second"], "first")
    compile(script, "exported.py", "exec")  # no SyntaxError, whatever the names hold
    # The names changed nothing but string constants: the same code, the same calls.
    assert _shape(script) == _shape(plain)
    printed, used = _run_with_fake_torch(script, tmp_path)
    _, plain_used = _run_with_fake_torch(plain, tmp_path)
    assert used == plain_used
    # ... and every name reaches the printed JSON exactly.
    assert printed["scenario"] == names[0]
    step = printed["steps"][0]
    first, act, second = names[1:]
    assert [p["name"] for p in step["params"]] == [
        f"{first}.weight",
        f"{first}.bias",
        f"{second}.weight",
    ]
    assert [layer["name"] for layer in step["layers"]] == [first, act, second]
    assert source_of(script) == str(tmp_path / "scenarios" / f"{file_name}.yaml")


def source_of(script: str) -> str:
    tree = ast.parse(script)
    for node in tree.body:
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "SOURCE":
            return ast.literal_eval(node.value)  # type: ignore[no-any-return]
    raise AssertionError("no SOURCE in the script")


# -- 2. a destination is written into, never replaced by something else ----------------------

runner = CliRunner()
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="device nodes need root (CI runs as root)")


def _device(path: Path, minor: int) -> Path:
    """A character device like /dev/null (minor 3) or /dev/full (minor 7), built here."""
    os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, minor))
    return path


@as_root
def test_output_to_a_device_writes_into_it(tmp_path: Path) -> None:
    null = _device(tmp_path / "null", 3)
    for args in (["run", "diagonal_flip", "-q", "--output"], ["new", "--force"]):
        done = tool(*args, str(null), cwd=tmp_path)
        assert done.returncode == 0
        assert stat.S_ISCHR(os.lstat(null).st_mode), f"{args} replaced the device"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["null"]  # no temporary left


@as_root
def test_a_full_device_is_a_message_and_exit_2(tmp_path: Path) -> None:
    full = _device(tmp_path / "full", 7)
    for args in (["run", "diagonal_flip", "-q", "--output"], ["run", "diagonal_flip", "--save"]):
        done = tool(*args, str(full), cwd=tmp_path)
        assert done.returncode == 2
        assert b"No space left on device" in done.stderr
        assert stat.S_ISCHR(os.lstat(full).st_mode)


def test_a_fifo_without_a_reader_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    done = tool("run", "diagonal_flip", "-q", "--output", str(fifo), cwd=tmp_path, timeout=10)
    assert done.returncode == 2 and b"no process reads" in done.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_fifo_with_a_reader_gets_the_output(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []

    def read() -> None:
        with open(fifo, "rb") as f:
            received.append(f.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    # The reader opens the FIFO as soon as it runs; the tool must find it there.
    while not received and reader.is_alive():
        done = tool("run", "diagonal_flip", "--format", "json", "-o", str(fifo), cwd=tmp_path)
        if done.returncode == 0:
            break
    reader.join(timeout=10)
    assert json.loads(received[0])["scenario"] == "Diagonal flip"
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_symlink_is_followed_and_its_target_keeps_its_mode(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("old")
    secret.chmod(0o600)
    link = tmp_path / "link.txt"
    link.symlink_to(secret.name)
    result = runner.invoke(app, ["run", "diagonal_flip", "-q", "--output", str(link)])
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and os.readlink(link) == secret.name
    assert "Run summary" in secret.read_text()
    assert stat.S_IMODE(os.stat(secret).st_mode) == 0o600
    result = runner.invoke(app, ["run", "diagonal_flip", "--save", str(secret)])
    assert result.exit_code == 0 and stat.S_IMODE(os.stat(secret).st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.txt", "secret.txt"]


@pytest.mark.parametrize(
    ("destination", "message"),
    [
        ("", "no file name given"),
        (".", "names a folder"),
        ("/", "names a folder"),
        ("sub/", "names a folder"),
        ("folder", "is a folder"),
        ("x" * 256, "longer than 255 bytes"),
        ("x" * 256 + "/out.txt", "longer than 255 bytes"),
    ],
)
@pytest.mark.parametrize(
    "command",
    [
        ["run", "diagonal_flip", "-q", "--output"],
        ["run", "diagonal_flip", "-q", "--save"],
        ["export", "torch", "diagonal_flip", "--output"],
        ["new", "--force"],
    ],
    ids=["output", "save", "export", "new"],
)
def test_a_destination_that_is_no_file_is_refused_before_the_work(
    destination: str, message: str, command: list[str], tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder").mkdir()
    (tmp_path / "sub").mkdir()
    result = runner.invoke(app, [*command, destination])
    assert result.exit_code == 2, result.output
    assert message in result.output and "Run summary" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder", "sub"]


# -- 11. a closed pipe and SIGTERM end the tool quietly -------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["run", "diagonal_flip"],
        ["run", "diagonal_flip", "--format", "json"],
        ["run", "diagonal_flip", "--format", "markdown"],
        ["export", "torch", "diagonal_flip"],
        ["validate", "diagonal_flip"],
    ],
    ids=lambda c: "-".join(c),
)
def test_a_closed_pipe_ends_the_tool_quietly_with_141(command: list[str], tmp_path: Path) -> None:
    """As `backprop-trace run ... | head -1`: the reader is gone before the tool writes."""
    reading, writing = os.pipe()
    os.close(reading)
    try:
        done = tool(*command, cwd=tmp_path, stdout=writing)
    finally:
        os.close(writing)
    assert done.returncode == 141
    assert done.stderr == b""  # no traceback, no "Exception ignored"


TERMINATED_WHILE_SAVING = """
import os, signal, sys
from backprop_trace import cli

def terminated_while_writing(fd):  # SIGTERM arrives while the temporary is being written
    os.kill(os.getpid(), signal.SIGTERM)

os.fsync = terminated_while_writing
sys.argv = ["backprop-trace", *sys.argv[1:]]
cli.main()
"""


def test_sigterm_during_save_leaves_no_temporary(tmp_path: Path) -> None:
    saved = tmp_path / "saved.yaml"
    saved.write_text("old")
    done = run_limited(
        [
            sys.executable,
            "-c",
            TERMINATED_WHILE_SAVING,
            "run",
            "diagonal_flip",
            "--save",
            str(saved),
        ],
        tmp_path,
    )
    assert done.returncode == 143, done.stderr
    assert saved.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["saved.yaml"]


def test_a_temporary_left_by_kill_9_is_replaced(tmp_path: Path) -> None:
    """A run killed with SIGKILL leaves its temporary; a later run of the same process id (ids
    are reused) writes over it instead of failing."""
    from backprop_trace.files import write_atomically

    saved = tmp_path / "saved.yaml"
    stale = tmp_path / f".saved.yaml.{os.getpid()}.tmp"
    stale.write_text("half written")
    write_atomically(saved, "whole\n")
    assert saved.read_text() == "whole\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["saved.yaml"]


# -- 6. no control character of the scenario's reaches a person ------------------------------

# What a person's screen or a document may not receive from a scenario: C0 controls (the
# renderers' own newlines aside), DEL and C1 controls (CSI, U+009B, among them).
CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")
RICH_STYLES = re.compile("\x1b\\[[0-9;]*m")  # the colours rich itself writes on a terminal


def _controls(text: str) -> list[str]:
    return CONTROL.findall(text)


def _hostile_scenario(folder: Path, file_name: str, names: list[str], frozen: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{file_name}.yaml"
    path.write_text(scenario_yaml(*names, frozen), encoding="utf-8")
    return path


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(named_scenarios())
@example(("0", ["0", "1", "00", "-"], "1"))  # a layer named '-': its weight '-.weight'
def test_every_format_shows_names_with_their_control_characters_escaped(
    tmp_path: Path, case: tuple[str, list[str], str]
) -> None:
    file_name, names, frozen = case
    path = _hostile_scenario(tmp_path / "s", file_name, names, frozen)
    for kind in ("text", "markdown", "html", "svg"):
        result = runner.invoke(app, ["run", str(path), "--format", kind])
        assert result.exit_code == 0, result.output
        assert not _controls(result.stdout), kind
        assert not _controls(result.stderr), kind
        if kind == "text":
            assert visible(names[0]).strip() in result.stdout
        if kind == "markdown":  # every heading is one the renderer wrote
            headings = [line for line in result.stdout.splitlines() if line.startswith("#")]
            assert len(headings) == 1 + 2 * 5 + 1  # the header, 2 steps of 5 phases, summary
        if kind == "svg":
            ElementTree.fromstring(result.stdout)  # valid XML
    weight = f"{names[3]}.weight"  # explain: the second linear layer's weight, whole
    for kind in ("text", "markdown", "html", "json"):
        # '--' first: a name may begin with '-', as an option does
        result = runner.invoke(app, ["explain", "--format", kind, "--", str(path), weight])
        assert result.exit_code == 0, result.output
        assert not _controls(result.stdout) and not _controls(result.stderr), kind
        if kind == "json":
            assert json.loads(result.stdout)["results"][0]["entry"] == weight + "[0][0]"
    result = runner.invoke(app, ["run", str(path), "--explain", weight + "[1][0]"])
    assert result.exit_code == 0, result.output
    assert not _controls(result.stdout) and not _controls(result.stderr)
    for show in ("weights", "gradients", "updates"):
        result = runner.invoke(app, ["diagram", "--show", show, "--", str(path)])
        assert result.exit_code == 0, result.output
        assert not _controls(result.stdout) and not _controls(result.stderr), show
        svg = ElementTree.fromstring(result.stdout)  # valid XML: every name escaped
        assert not [e for e in svg.iter() if e.tag.endswith(("script", "foreignObject"))]
    result = runner.invoke(app, ["run", str(path), "--format", "json"])
    trace = json.loads(result.stdout)
    assert trace["scenario"] == names[0]  # JSON keeps the name exact, in its own quoting
    assert [layer["name"] for layer in trace["steps"][0]["layers"]] == names[1:]


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(named_scenarios(), hostile)
def test_every_message_shows_control_characters_escaped(
    tmp_path: Path, case: tuple[str, list[str], str], column: str
) -> None:
    file_name, names, _ = case
    folder = tmp_path / "s"
    # Unknown keys, a frozen name that names nothing, a layer name used twice, a missing file.
    text = scenario_yaml(*names, frozen=names[0] + "?").replace(
        "steps: 2", f"{yaml_string(names[0])}: 1\n{yaml_string(names[2])}: 2"
    )
    text = text.replace(f"name: {yaml_string(names[3])}", f"name: {yaml_string(names[1])}")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{file_name}.yaml"
    path.write_text(text, encoding="utf-8")
    csv = folder / f"{file_name}.csv"
    with open(csv, "w", encoding="utf-8", newline="") as f:
        writer = csv_module.writer(f)
        writer.writerows([[column, "y"], [1, 2]])
    with_csv = folder / "with_csv.yaml"
    with_csv.write_text(
        scenario_yaml(*names, frozen=names[1]).replace(
            "data: {inputs: [[1, 2], [0, 1]], targets: [[1], [0]]}",
            f"data: {{file: {yaml_string(csv.name)}, target_columns: [{yaml_string(names[0])}]}}",
        ),
        encoding="utf-8",
    )
    for args in (
        ["run", str(path)],
        ["validate", str(path), str(with_csv), str(folder / f"{file_name}.missing")],
        ["export", "torch", str(path)],
        ["run", str(with_csv), "--output", str(folder / names[2].replace("/", "|"))],
        ["explain", str(with_csv), names[0] + "?"],
        ["explain", str(with_csv), names[3] + ".weight[0]" + names[2]],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code in (0, 2), result.output
        assert not _controls(result.stdout) and not _controls(result.stderr), args


@settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(named_scenarios())
def test_the_terminal_gets_no_control_sequence_of_the_scenarios(
    tmp_path: Path, case: tuple[str, list[str], str]
) -> None:
    """As a terminal sees it: colours on (rich writes its own escape sequences, nothing else)."""
    file_name, names, frozen = case
    path = _hostile_scenario(tmp_path / "s", file_name, names, frozen)
    colours = {"FORCE_COLOR": "1", "TERM": "xterm-256color", "COLUMNS": "100"}
    for args in (["run", str(path)], ["run", str(path) + ".missing"]):
        done = tool(*args, cwd=tmp_path, env=colours)
        shown = RICH_STYLES.sub("", (done.stdout + done.stderr).decode("utf-8"))
        assert not _controls(shown), args


# -- 9. a saved scenario reloads as it was, whatever its names ------------------------------


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(named_scenarios(), st.booleans())
def test_a_saved_scenario_reloads_to_the_same_scenario(
    tmp_path: Path, case: tuple[str, list[str], str], freeze_a_parameter: bool
) -> None:
    file_name, names, frozen = case
    source = _hostile_scenario(tmp_path / "s", file_name, names, frozen)
    if freeze_a_parameter:  # a parameter's name (layer.weight), not a layer's
        text = source.read_text(encoding="utf-8")
        source.write_text(
            text.replace(
                f"frozen: [{yaml_string(frozen)}]", f"frozen: [{yaml_string(frozen + '.bias')}]"
            ),
            encoding="utf-8",
        )
    original = load_scenario(source)
    saved = tmp_path / "saved.yaml"
    result = runner.invoke(app, ["run", str(source), "-q", "--save", str(saved)])
    assert result.exit_code == 0, result.output
    text = saved.read_text(encoding="utf-8")
    assert text.splitlines()[0].startswith("# Saved by backprop-trace")
    assert all(line.startswith("#") == (i == 0) for i, line in enumerate(text.splitlines()))
    again = load_scenario(saved)
    assert (again.name, again.description) == (original.name, original.description)
    assert [layer.name for layer in again.layers] == [layer.name for layer in original.layers]
    assert again.param_order == original.param_order
    assert again.frozen == original.frozen
    result = runner.invoke(app, ["run", str(saved), "-q", "--save", str(tmp_path / "again.yaml")])
    assert result.exit_code == 0 and load_scenario(tmp_path / "again.yaml").frozen == again.frozen


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(file_names)
def test_a_new_scenario_loads_whatever_its_file_name(tmp_path: Path, file_name: str) -> None:
    path = tmp_path / f"{file_name}.yaml"
    result = runner.invoke(app, ["new", str(path), "--force"])
    assert result.exit_code == 0, result.output
    assert not _controls(result.output)
    load_scenario(path).name.encode("utf-8")  # the name is text (no halves of a surrogate pair)


# -- 10. what the tool writes, it reads back --------------------------------------------------


def _wide_scenario(folder: Path, width: int) -> Path:
    """A float64 network with a width×width layer, written with in/out sizes (a few bytes)."""
    path = folder / "wide.yaml"
    path.write_text(
        f"""name: wide
layers:
  - {{type: linear, in: 2, out: {width}, init: he}}
  - {{type: tanh}}
  - {{type: linear, in: {width}, out: {width}, init: he}}
  - {{type: linear, in: {width}, out: 1, init: he}}
loss: mse
optimizer: {{type: sgd, lr: 0.01}}
data: {{inputs: [[1, 2], [0, 1]], targets: [[1], [0]]}}
seed: 3
"""
    )
    return path


def test_save_moves_large_tensors_beside_the_scenario_and_reads_them_back(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """With the read limit lowered to 400 values, a 20×20 layer no longer fits in the file:
    --save writes it to a .npy file that the saved scenario names, and the whole reloads."""
    monkeypatch.setattr(source, "MAX_NODES", 400)
    path = _wide_scenario(tmp_path, 20)
    trace = run(load_scenario(path))
    saved = tmp_path / "saved.yaml"
    result = runner.invoke(app, ["run", str(path), "-q", "--save", str(saved)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "saved.W2.npy").exists()
    again = load_scenario(saved)  # still under the lowered limit
    for name in again.param_order:
        np.testing.assert_array_equal(
            np.asarray(again.initial[name], dtype=np.float64), trace.final_params[name]
        )
    assert again.numerics == "float64"
    result = runner.invoke(app, ["run", str(saved), "-q"])
    assert result.exit_code == 0, result.output
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)  # no file to put the .npy files beside
    result = runner.invoke(app, ["run", str(path), "-q", "--save", str(fifo)])
    assert result.exit_code == 2 and "with .npy files beside its file" in result.output
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".npy") == ["saved.W2.npy"]


def test_the_production_limits_leave_room_for_what_is_written() -> None:
    """Size arithmetic for the real limits: the longest float64 number (its shortest
    round-trip form and a separator) times the numbers written stays within the bytes a
    scenario may hold, and the numbers within the values it may hold."""
    from backprop_trace.yaml_text import inline_numbers, readable_numbers

    longest_float = len(repr(-2.2250738585072014e-308)) + len(", ")
    assert inline_numbers() * longest_float < MAX_FILE_BYTES
    longest_starter_number = len("-0.00, ")
    assert readable_numbers() * longest_starter_number < MAX_FILE_BYTES
    assert readable_numbers() * 2 <= source.MAX_NODES


def test_new_refuses_a_network_it_could_not_read_back(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(source, "MAX_NODES", 100)
    big, small = tmp_path / "big.yaml", tmp_path / "small.yaml"
    result = runner.invoke(app, ["new", str(big), "--sizes", "10,10"])
    assert result.exit_code == 2 and "110 weights and biases" in result.output
    assert not big.exists()
    result = runner.invoke(app, ["new", str(small), "--sizes", "4,4,2"])
    assert result.exit_code == 0, result.output
    load_scenario(small)


@pytest.mark.parametrize("lr", ["inf", "nan", "1e999"])
def test_new_refuses_a_learning_rate_that_is_no_number(lr: str, tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    result = runner.invoke(app, ["new", str(path), "--lr", lr])
    assert result.exit_code == 2 and "--lr" in result.output
    assert not path.exists()


def test_weights_from_npy_files_are_checked_like_any_other(tmp_path: Path) -> None:
    np.save(tmp_path / "w.npy", np.ones((2, 3)))
    np.save(tmp_path / "flat.npy", np.ones(6))
    np.save(tmp_path / "b.npy", np.ones(2))
    base = """name: files
layers:
  - {type: linear, weight: WEIGHT, bias: BIAS}
loss: mse
optimizer: {type: sgd, lr: 0.1}
data: {input: [1, 2], target: [1, 0, 1]}
"""
    path = tmp_path / "s.yaml"
    for weight, bias, message in (
        ("flat.npy", "b.npy", "flat.npy holds a 1-D array; a weight is 2-D"),
        ("w.npy", "b.npy", "b.npy holds 2 numbers but the layer has 3 units"),
        ("missing.npy", "b.npy", "no such file"),
    ):
        path.write_text(base.replace("WEIGHT", weight).replace("BIAS", bias))
        result = runner.invoke(app, ["validate", str(path)])
        assert result.exit_code == 2 and message in result.output, result.output
        assert "s.yaml:3:" in result.output  # located at the layer


def test_output_to_dev_stdout_reaches_standard_output(tmp_path: Path) -> None:
    """/dev/stdout links to /proc/self/fd/1, a pipe here (pipe:[...], no path): written into,
    never replaced. The test writes through a link of its own to the same place, so that a
    regression replaces that link and not the machine's /dev/stdout (as an earlier one did)."""
    stdout = tmp_path / "stdout"
    stdout.symlink_to("/proc/self/fd/1")
    done = tool("run", "diagonal_flip", "-q", "--output", str(stdout), cwd=tmp_path)
    assert done.returncode == 0 and b"Run summary" in done.stdout
    assert stdout.is_symlink()
