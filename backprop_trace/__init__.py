"""backprop-trace: see exactly what one step of neural-network training does to every number."""

from .engine import run
from .errors import Problem, ScenarioError
from .scenario import Scenario, load_scenario, parse_scenario, scenario_from_dict
from .trace import LayerStep, ParamStep, StepTrace, Trace

__version__ = "0.1.0"

__all__ = [
    "LayerStep",
    "ParamStep",
    "Problem",
    "Scenario",
    "ScenarioError",
    "StepTrace",
    "Trace",
    "__version__",
    "load_scenario",
    "parse_scenario",
    "run",
    "scenario_from_dict",
]
