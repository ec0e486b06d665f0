"""`new FILE`: a commented starter scenario that loads, runs and checks for every choice."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backprop_trace import load_scenario, run
from backprop_trace.bundled import scenarios_dir
from backprop_trace.cli import app
from backprop_trace.starter import choices

ACTIVATIONS, LOSSES, OPTIMIZERS = choices().values()

runner = CliRunner()


@pytest.mark.parametrize(
    "activation, loss, optimizer", list(itertools.product(ACTIVATIONS, LOSSES, OPTIMIZERS))
)
def test_every_starter_loads_runs_and_checks(
    activation: str, loss: str, optimizer: str, tmp_path: Path
) -> None:
    path = tmp_path / "net.yaml"
    args = [
        "new",
        str(path),
        "--sizes",
        "3,4,3",
        "--activation",
        activation,
        "--loss",
        loss,
        "--optimizer",
        optimizer,
        "--seed",
        "7",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    scenario = load_scenario(path)
    assert (scenario.inputs != 0).all()  # every first-layer weight can learn
    trace = run(scenario, check=True)
    assert trace.steps[0].check is not None and trace.steps[0].check.passed
    rational = (
        activation in ("relu", "leaky_relu", "identity")
        and loss in ("mse", "sse", "half_sse")
        and optimizer == "sgd"
    )
    assert (scenario.numerics == "exact") == rational


def test_new_is_reproducible_and_never_overwrites(tmp_path: Path) -> None:
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    assert runner.invoke(app, ["new", str(a), "--seed", "3"]).exit_code == 0
    assert runner.invoke(app, ["new", str(b), "--seed", "3"]).exit_code == 0
    assert a.read_text().split("\n", 1)[1] == b.read_text().split("\n", 1)[1]  # names differ
    before = a.read_text()
    result = runner.invoke(app, ["new", str(a), "--seed", "4"])
    assert result.exit_code == 2 and "--force" in result.output and a.read_text() == before
    assert runner.invoke(app, ["new", str(a), "--seed", "4", "--force"]).exit_code == 0
    assert a.read_text() != before


@pytest.mark.parametrize(
    "bad", [["--sizes", "3"], ["--sizes", "3,x"], ["--loss", "hinge"], ["--activation", "swish"]]
)
def test_bad_choices_exit_2(bad: list[str], tmp_path: Path) -> None:
    result = runner.invoke(app, ["new", str(tmp_path / "x.yaml"), *bad])
    assert result.exit_code == 2 and not (tmp_path / "x.yaml").exists()


@pytest.mark.parametrize("name", ["diagonal_flip", "mnist_sized"])
def test_new_from_copies_a_bundled_scenario_byte_for_byte_with_its_data(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = scenarios_dir() / f"{name}.yaml"
    read = load_scenario(original).data_files.values()
    copy = tmp_path / "mine" / "copy.yaml"
    result = runner.invoke(app, ["new", str(copy), "--from", name])
    assert result.exit_code == 0, result.output
    assert copy.read_bytes() == original.read_bytes()
    for data in read:  # e.g. mnist_sized.npz, beside the copy as beside the original
        assert (copy.parent / data.name).read_bytes() == data.read_bytes()
    monkeypatch.chdir(tmp_path)  # runs and validates from its new place
    assert runner.invoke(app, ["validate", str(copy)]).exit_code == 0
    copied = run(load_scenario(copy))
    assert copied.losses_before == run(load_scenario(original)).losses_before


def test_new_from_never_overwrites_without_force(tmp_path: Path) -> None:
    copy = tmp_path / "m.yaml"
    data = tmp_path / "mnist_sized.npz"
    data.write_bytes(b"mine")
    result = runner.invoke(app, ["new", str(copy), "--from", "mnist_sized"])
    assert result.exit_code == 2 and "--force" in result.output
    assert data.read_bytes() == b"mine" and not copy.exists()
    assert runner.invoke(app, ["new", str(copy), "--from", "mnist_sized", "--force"]).exit_code == 0
    assert data.read_bytes() == (scenarios_dir() / "mnist_sized.npz").read_bytes()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--from", "diagonal_flp"], "did you mean diagonal_flip?"),
        (["--from", "diagonal_flip", "--loss", "sse"], "leave out --loss"),
    ],
)
def test_new_from_refuses_what_it_cannot_copy(
    args: list[str], message: str, tmp_path: Path
) -> None:
    result = runner.invoke(app, ["new", str(tmp_path / "x.yaml"), *args])
    assert result.exit_code == 2 and message in result.output
    assert not (tmp_path / "x.yaml").exists()


def test_new_help_describes_every_option_and_a_wrong_choice_lists_them_all(
    tmp_path: Path,
) -> None:
    result = runner.invoke(app, ["new", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "--activation KIND" in result.output and "relu, tanh, gelu" in result.output
    for option, offered in choices().items():
        result = runner.invoke(app, ["new", str(tmp_path / "x.yaml"), option, "nonesuch"])
        assert result.exit_code == 2 and ", ".join(offered) in " ".join(result.output.split())


def test_a_wrong_case_choice_says_did_you_mean(tmp_path: Path) -> None:
    result = runner.invoke(app, ["new", str(tmp_path / "x.yaml"), "--loss", "MSE"])
    assert result.exit_code == 2
    assert "did you mean 'mse'?" in result.output


def test_a_one_unit_layer_is_described_in_the_singular(tmp_path: Path) -> None:
    path = tmp_path / "tiny.yaml"
    assert runner.invoke(app, ["new", str(path), "--sizes", "1,1,3"]).exit_code == 0
    text = path.read_text()
    assert "# W1: 1 input × 1 unit" in text and "# W2: 1 input × 3 units" in text


def test_new_offers_every_activation_kind_of_the_registry() -> None:
    """new reads the registries: every kind marked activation, every loss and optimizer."""
    from backprop_trace.layers import LAYER_TYPES
    from backprop_trace.losses import LOSS_TYPES
    from backprop_trace.optim import OPTIMIZER_TYPES

    assert set(ACTIVATIONS) == {k for k, cls in LAYER_TYPES.items() if cls.activation}
    assert {"relu", "gelu"} <= set(ACTIVATIONS) and "linear" not in ACTIVATIONS
    assert tuple(LOSS_TYPES) == LOSSES
    assert tuple(OPTIMIZER_TYPES) == OPTIMIZERS
