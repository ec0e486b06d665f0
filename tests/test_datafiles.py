"""Training data from .npz, .npy pairs and .csv files beside the scenario."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from backprop_trace import ScenarioError, load_scenario, run

HEAD = """name: files
layers: [{type: linear, weight: [[0.5], [-0.25], [1]], bias: [0]}, {type: sigmoid}]
loss: bce
optimizer: {type: sgd, lr: 0.5}
steps: 4
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    x = np.round(rng.normal(size=(6, 3)), 3)
    y = rng.integers(0, 2, size=(6, 1)).astype(float)
    np.savez(tmp_path / "train.npz", inputs=x, targets=y)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    rows = [",".join(f"{v:.3f}" for v in r) + f",{int(t[0])}" for r, t in zip(x, y, strict=True)]
    (tmp_path / "train.csv").write_text("a,b,c,label\n" + "\n".join(rows) + "\n")
    return tmp_path


def scenario(folder: Path, data: str, name: str = "s.yaml") -> Path:
    path = folder / name
    path.write_text(HEAD + f"data: {data}\n")
    return path


def test_npz_npy_and_csv_give_the_same_run(folder: Path) -> None:
    losses = []
    for data in (
        "{file: train.npz, batch_size: 4}",
        "{inputs: x.npy, targets: y.npy, batch_size: 4}",
        "{file: train.csv, target_columns: [label], batch_size: 4}",
    ):
        trace = run(load_scenario(scenario(folder, data)))
        assert trace.numerics == "float64"
        assert [list(s.examples) for s in trace.steps] == [[0, 1, 2, 3], [4, 5]] * 2
        losses.append(trace.losses_after)
    assert losses[0] == losses[1]
    np.testing.assert_allclose(losses[0], losses[2], rtol=1e-12)  # the CSV holds the same values


def test_files_are_found_beside_the_scenario_not_the_current_folder(
    folder: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    assert run(load_scenario(scenario(folder, "{file: train.npz}"))).steps


@pytest.mark.parametrize(
    "data, message",
    [
        ("{file: missing.npz}", "data.file: no such file"),
        ("{file: train.csv}", "a .csv file needs target_columns"),
        ("{file: train.csv, target_columns: [lable]}", "no column named 'lable'"),
        ("{file: train.txt}", "cannot read .txt data files"),
        ("{inputs: x.txt, targets: y.npy}", "expected numbers or a .npy file"),
        ("{file: train.npz, inputs: [[1, 2, 3]]}", "not several"),
        ("{inputs: x.npy, targets: [[1]]}", "1 target for 6 inputs"),
    ],
)
def test_bad_data_files_are_located(folder: Path, data: str, message: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(scenario(folder, data))
    assert any(message in str(p) for p in caught.value.problems), caught.value


def test_bad_cell_is_located_in_the_csv(folder: Path) -> None:
    (folder / "broken.csv").write_text("a,b,c,label\n1,2,3,0\n4,x5,6,1\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(scenario(folder, "{file: broken.csv, target_columns: [label]}"))
    assert str(caught.value).startswith(f"{folder / 'broken.csv'}:3:3: data.file: column 'b'")


def test_nan_in_a_data_file_is_refused(folder: Path) -> None:
    np.savez(folder / "nan.npz", inputs=np.array([[np.nan, 1, 2]]), targets=np.array([[1.0]]))
    with pytest.raises(ScenarioError, match="NaN or infinite"):
        load_scenario(scenario(folder, "{file: nan.npz}"))


def test_a_short_csv_row_counts_its_fields_in_good_english(folder: Path) -> None:
    (folder / "short.csv").write_text("a,b,c,label\n1,2,3,0\n4\n")
    with pytest.raises(ScenarioError, match="row 3 has 1 field but the header has 4"):
        load_scenario(scenario(folder, "{file: short.csv, target_columns: [label]}"))


def test_images_come_from_npz_and_npy_files_as_from_the_scenario(tmp_path: Path) -> None:
    """4-D inputs [example][channel][height][width] in a .npz or .npy file train exactly as the
    same images written in the scenario."""
    from backprop_trace import load_scenario, run

    rng = np.random.default_rng(0)
    x = np.round(rng.uniform(-1, 1, size=(3, 1, 4, 4)) * 8) / 8
    y = np.array([0, 1, 1])
    np.savez(tmp_path / "imgs.npz", inputs=x, targets=y)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    layers = (
        "layers:\n"
        "  - {type: conv2d, weight: [[[[0.5, -0.25], [0.25, 1]]]], bias: [0.125]}\n"
        "  - {type: relu}\n  - {type: flatten}\n"
        "  - {type: linear, weight: [[0.5, -0.5], [0.25, 0.25], [1, 0], [0, 1], [0.5, 0.5],"
        " [-1, 1], [0.25, -0.25], [0, 0.5], [0.5, 0]]}\n"
        "loss: cross_entropy\noptimizer: {type: sgd, lr: 0.1}\nnumerics: float64\n"
    )
    sources = {
        "npz": "data: {file: imgs.npz}\n",
        "npy": "data: {inputs: x.npy, targets: y.npy}\n",
        "yaml": f"data: {{inputs: {x.tolist()}, targets: [0, 1, 1]}}\n",
    }
    losses = {}
    for name, data in sources.items():
        path = tmp_path / f"{name}.yaml"
        path.write_text(f"name: images from {name}\n" + layers + data)
        trace = run(load_scenario(path))
        losses[name] = (trace.steps[0].loss_before, trace.steps[0].loss_after)
    assert losses["npz"] == losses["npy"] == losses["yaml"]
