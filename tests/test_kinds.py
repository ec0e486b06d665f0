"""Every layer kind in the registry, checked without anyone adding it to a list: a PyTorch
fixture holds it (a missing fixture fails), the gradient check passes on that fixture, its
parameters and settings survive --save, it renders at several widths, and its Spec agrees with
its class. (The fixture's match with torch and its export run: test_torch_fixtures.py,
test_export_torch.py, which loop over every fixture.)"""

from __future__ import annotations

import dataclasses
import io
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from rich.cells import cell_len
from rich.console import Console

from backprop_trace import load_scenario, run
from backprop_trace.layers import LAYER_TYPES, OPTION
from backprop_trace.render.scenario_file import save_trained
from backprop_trace.render.terminal import render_text
from backprop_trace.scenario import Scenario

CASES = sorted((Path(__file__).parent / "torch_cases").glob("*.yaml"))
KINDS = sorted(LAYER_TYPES)


@cache
def _scenarios() -> dict[Path, Scenario]:
    return {case: load_scenario(case) for case in CASES}


def fixtures_with(kind: str) -> list[Path]:
    return [c for c, s in _scenarios().items() if any(la.kind == kind for la in s.layers)]


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_has_a_pytorch_fixture(kind: str) -> None:
    assert fixtures_with(kind), (
        f"no case in tests/torch_cases uses a {kind} layer: add one to generate.py's cases() and "
        "run it with torch installed"
    )


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_passes_the_gradient_check_on_its_fixtures(kind: str) -> None:
    for case in fixtures_with(kind):
        trace = run(_scenarios()[case], check=True)
        for step in trace.steps:
            assert step.check is not None
            assert step.check.passed, (case.stem, step.step, step.check.max_error)


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_survives_a_save(kind: str, tmp_path: Path) -> None:
    for case in fixtures_with(kind):
        trace = run(_scenarios()[case])
        out = tmp_path / f"{case.stem}.yaml"
        save_trained(trace, out)
        saved = load_scenario(out)
        assert [la.options() for la in saved.layers] == [
            la.options() for la in trace.scenario.layers
        ]
        assert [la.roles() for la in saved.layers] == [la.roles() for la in trace.scenario.layers]
        for name in saved.param_order:
            again = saved.in_layout(name, saved.initial[name])
            final = trace.final_params[name]
            if final.dtype == object:  # exact: every fraction as it was
                assert again.tolist() == final.tolist(), name
            else:  # float64: every bit
                assert (np.asarray(again, dtype=np.float64) == final).all(), name


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("width", [40, 80, 200])
def test_every_kind_renders_within_the_width(kind: str, width: int) -> None:
    for case in fixtures_with(kind)[:2]:
        out = io.StringIO()
        console = Console(width=width, file=out, color_system=None, legacy_windows=False)
        render_text(run(_scenarios()[case]), console)
        text = out.getvalue()
        assert "Backward pass" in text and "Update" in text
        wide = [line for line in text.splitlines() if cell_len(line) > width]
        assert not wide, (case.stem, wide[:3])


@pytest.mark.parametrize("kind", KINDS)
def test_the_spec_and_the_class_agree_on_every_setting(kind: str) -> None:
    """One source of truth: each setting has the same default in the scenario's model as in
    the class, and the kind's name is its Spec's type."""
    cls = LAYER_TYPES[kind]
    assert cls.Spec.model_fields["type"].annotation.__args__ == (kind,)  # type: ignore[union-attr]
    for field in dataclasses.fields(cls):
        if field.metadata.get(OPTION):
            assert field.name in cls.Spec.model_fields, field.name
            assert cls.Spec.model_fields[field.name].default == field.default, field.name


def test_the_index_names_every_kind_where_it_is_defined() -> None:
    """KIND_MODULES (what lets a kind be imported only when a scenario has it) says, for every
    kind the modules define, the module that defines it, and nothing more."""
    import importlib
    import pkgutil

    import backprop_trace.layers as package
    from backprop_trace.layers import KIND_MODULES
    from backprop_trace.layers.base import DEFINED, Layer

    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{info.name}")
    defined = {
        kind: cls.__module__.rsplit(".", 1)[1]
        for kind, cls in DEFINED.items()
        if cls.__module__.startswith(package.__name__ + ".")
    }
    assert defined == KIND_MODULES
    assert all(issubclass(LAYER_TYPES[kind], Layer) for kind in KIND_MODULES)


def test_a_scenario_imports_only_its_kinds(tmp_path: Path) -> None:
    """Loading, running and showing diagonal_flip (linear and relu) imports neither the image
    kinds nor normalization; asking for a conv2d imports images."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from backprop_trace import load_scenario, run\n"
        "from backprop_trace.bundled import scenarios_dir\n"
        "from backprop_trace.render.terminal import render_text\n"
        "import io\nfrom rich.console import Console\n"
        "trace = run(load_scenario(scenarios_dir() / 'diagonal_flip.yaml'))\n"
        "render_text(trace, Console(file=io.StringIO(), width=100))\n"
        "print(sorted(m for m in sys.modules if m.startswith('backprop_trace.layers.')))\n"
        "from backprop_trace.layers import LAYER_TYPES\n"
        "LAYER_TYPES['conv2d']\n"
        "print('backprop_trace.layers.images' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    loaded = ["activations", "base", "linear"]
    assert out[0] == str([f"backprop_trace.layers.{name}" for name in loaded])
    assert out[1] == "True"
