"""backprop-trace: see exactly what one step of neural-network training does to every number.

The names below load on first use, so that `backprop-trace --help` starts without numpy or
pydantic.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_WHERE = {
    "run": "engine",
    "Problem": "errors",
    "ScenarioError": "errors",
    "Scenario": "scenario",
    "load_scenario": "scenario",
    "parse_scenario": "scenario",
    "scenario_from_dict": "scenario",
    "from_torch": "torch_models",
    "save_scenario": "render.scenario_file",
    "LayerStep": "trace",
    "ParamStep": "trace",
    "StepTrace": "trace",
    "Trace": "trace",
}

__all__ = [
    "LayerStep",
    "ParamStep",
    "Problem",
    "Scenario",
    "ScenarioError",
    "StepTrace",
    "Trace",
    "__version__",
    "from_torch",
    "load_scenario",
    "parse_scenario",
    "run",
    "save_scenario",
    "scenario_from_dict",
]

if TYPE_CHECKING:
    from .engine import run
    from .errors import Problem, ScenarioError
    from .render.scenario_file import save_scenario
    from .scenario import Scenario, load_scenario, parse_scenario, scenario_from_dict
    from .torch_models import from_torch
    from .trace import LayerStep, ParamStep, StepTrace, Trace


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module 'backprop_trace' has no attribute {name!r}")
