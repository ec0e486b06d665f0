"""Files that are not scenarios at all, and files written safely."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backprop_trace import ScenarioError, load_scenario
from backprop_trace import scenario as scenario_module
from backprop_trace.cli import app
from backprop_trace.files import write_atomically

runner = CliRunner()


@pytest.mark.parametrize(
    "content, message",
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "is a binary file, not YAML"),
        ("name: x\n".encode("utf-16"), "is UTF-16 text"),
        (b"name: caf\xe9\n", "1:10: (top level): the file is not UTF-8 text"),
    ],
)
def test_files_that_are_not_utf8_yaml(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes(content)
    result = runner.invoke(app, ["run", str(path)])
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


def test_a_folder_is_not_a_scenario(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", str(tmp_path)])
    assert result.exit_code == 2 and "is a folder" in result.output


def test_an_alias_bomb_is_refused_before_anything_expands() -> None:
    path = Path(__file__).parent / "bad" / "alias_bomb.yaml"
    started = time.perf_counter()
    with pytest.raises(ScenarioError, match="anchors"):
        load_scenario(path)
    assert time.perf_counter() - started < 1.0


def test_an_absurdly_long_file_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scenario_module, "MAX_FILE_BYTES", 1000)
    path = tmp_path / "long.yaml"
    path.write_text("name: x\n" + "# padding\n" * 200)
    with pytest.raises(ScenarioError, match="scenarios are limited to 1,000"):
        load_scenario(path)


def test_a_failed_write_leaves_the_old_file_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")

    def broken_replace(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        write_atomically(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]  # no temporary file left
