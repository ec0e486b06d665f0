"""The JSON Schema of scenario files, and `validate`, agree with the loader."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from backprop_trace.bundled import scenarios_dir
from backprop_trace.cli import app

runner = CliRunner()
SCENARIOS = sorted(scenarios_dir().glob("*.yaml"))


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def data_of(path: Path) -> object:
    return YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_schema_accepts_every_bundled_scenario(
    path: Path, validator: jsonschema.Draft202012Validator
) -> None:
    errors = list(validator.iter_errors(data_of(path)))
    assert not errors, [e.message for e in errors]


def test_schema_and_validate_reject_a_misspelt_key(
    tmp_path: Path, validator: jsonschema.Draft202012Validator
) -> None:
    path = tmp_path / "typo.yaml"
    path.write_text(
        (scenarios_dir() / "diagonal_flip.yaml").read_text().replace("bias:", "bais:", 1)
    )
    assert any("bais" in e.message for e in validator.iter_errors(data_of(path)))
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2 and "unknown key 'bais'" in result.output


def test_validate_checks_every_file_and_runs_none() -> None:
    bad = Path(__file__).parent / "bad"
    files = ["diagonal_flip", str(bad / "unknown_key.yaml"), str(bad / "two_problems.yaml")]
    result = runner.invoke(app, ["validate", *files])
    assert result.exit_code == 2
    assert "diagonal_flip: ok" in result.stdout
    assert result.output.count("unknown key 'wieght'") == 2
    assert "2 of 3 files have problems" in result.output
    assert "Forward pass" not in result.output
    assert runner.invoke(app, ["validate", *[str(p) for p in SCENARIOS]]).exit_code == 0


def test_optimizer_defaults_are_written_once_and_agree() -> None:
    """Every hyperparameter a scenario may give has the optimizer's own default (torch.optim's),
    and every optimizer field can be given: a default written twice cannot drift."""
    import dataclasses
    import typing

    from backprop_trace import optim, schema

    union = schema.full_model().model_fields["optimizer"]
    specs = typing.get_args(union.annotation)
    assert {spec.model_fields["type"].annotation.__args__[0] for spec in specs} == set(
        optim.OPTIMIZER_TYPES
    )
    assert all(schema.optimizer_spec(kind) in specs for kind in optim.OPTIMIZER_TYPES)
    for spec in specs:
        kind = spec.model_fields["type"].annotation.__args__[0]
        cls = optim.OPTIMIZER_TYPES[kind]
        defaults = {f.name: f.default for f in dataclasses.fields(cls)}
        given = {name: field.default for name, field in spec.model_fields.items() if name != "type"}
        if "betas" in given:
            given["beta1"], given["beta2"] = given.pop("betas")
        assert given == defaults, kind


def test_the_optimizer_index_names_every_optimizer_where_it_is_defined() -> None:
    """OPTIMIZER_MODULES (what lets an optimizer be imported only when a scenario has it) names
    the module of every optimizer the package defines, and nothing more."""
    import importlib
    import pkgutil

    import backprop_trace.optim as package
    from backprop_trace.optim import OPTIMIZER_MODULES, OPTIMIZER_TYPES, Optimizer

    defined = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for value in vars(module).values():
            ours = isinstance(value, type) and value.__module__ == module.__name__
            if ours and issubclass(value, Optimizer) and value.kind:
                defined[value.kind] = info.name
    assert defined == OPTIMIZER_MODULES
    assert all(OPTIMIZER_TYPES[kind].kind == kind for kind in OPTIMIZER_MODULES)


def test_the_json_schema_is_the_same_each_time_it_is_made() -> None:
    """Made twice in one process, the JSON Schema is the same (pydantic 2.8 edited the nested
    parts of the schemas it was given, so the second came out nested again)."""
    from backprop_trace.schema import json_schema

    assert json_schema() == json_schema()
