"""The JSON trace (format backprop-trace/1): exact values rounded to the nearest float."""

from __future__ import annotations

import json
import math
from fractions import Fraction
from typing import Any

import numpy as np

from backprop_trace.numerics import Array, scalar_to_float, to_float
from backprop_trace.trace import LayerStep, ParamStep, StepTrace, Trace

FORMAT = "backprop-trace/1"


def number(value: Any) -> float | None:
    """A JSON number; NaN and infinities (a diverged run) become null."""
    out = scalar_to_float(value)
    return out if math.isfinite(out) else None


def array(value: Array) -> Any:
    floats = to_float(value)
    if np.isfinite(floats).all():
        return floats.tolist()
    shown = floats.astype(object)
    shown[~np.isfinite(floats)] = None
    return shown.tolist()


def hyperparameter(value: Any) -> Any:
    return number(value) if isinstance(value, Fraction) else value


def trace_to_dict(trace: Trace) -> dict[str, Any]:
    scenario = trace.scenario
    optimizer: dict[str, Any] = {"type": scenario.optimizer.kind}
    optimizer.update(
        {k: hyperparameter(v) for k, v in scenario.optimizer.hyperparameters().items()}
    )
    optimizer["exact"] = {
        k: str(v)
        for k, v in scenario.optimizer.hyperparameters().items()
        if isinstance(v, Fraction)
    }
    return {
        "format": FORMAT,
        "scenario": scenario.name,
        "description": scenario.description,
        "numerics": trace.numerics,
        "numerics_reason": trace.numerics_reason,
        "layout": scenario.layout,
        "loss": scenario.loss.kind,
        "optimizer": optimizer,
        "frozen": sorted(scenario.frozen),
        "total_steps": trace.total_steps,
        "steps": [_step(step, exact=trace.numerics == "exact") for step in trace.steps],
        "grad_norms": {
            name: [number(v) for v in values] for name, values in trace.grad_norms.items()
        },
        "diverged": None
        if trace.diverged is None
        else {
            "step": trace.diverged.step,
            "phase": trace.diverged.phase,
            "where": trace.diverged.where,
            "value": str(trace.diverged.value),
        },
    }


def _step(step: StepTrace, *, exact: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "step": step.step,
        "examples": list(step.examples),
        "loss_before": number(step.loss_before),
        "loss_after": number(step.loss_after),
    }
    if exact:
        out["loss_before_exact"] = str(step.loss_before)
        out["loss_after_exact"] = str(step.loss_after)
    out.update(
        {
            "inputs": array(step.inputs),
            "targets": array(step.targets),
            "outputs_before": array(step.outputs_before),
            "outputs_after": array(step.outputs_after),
            "params": [_param(p, exact) for p in step.params],
            "layers": [_layer(layer) for layer in step.layers],
        }
    )
    if step.check is not None:
        out["check"] = {
            "passed": step.check.passed,
            "max_error": step.check.max_error,
            "threshold": step.check.threshold,
            "total": step.check.total,
            "entries": [
                {
                    "name": e.name,
                    "analytic": number(e.analytic),
                    "numerical": number(e.numerical),
                    "error": None if e.kink else e.error,
                    "kink": e.kink,
                }
                for e in step.check.entries
            ],
        }
    return out


def exact_strings(value: Array) -> Any:
    """An exact array as nested lists of 'p/q' strings."""
    return np.vectorize(str, otypes=[object])(value).tolist()


def _param(p: ParamStep, exact: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": p.name,
        "layer": p.layer,
        "shape": list(p.shape),
        "trainable": p.trainable,
        "old": array(p.old),
        "grad": None if p.grad is None else array(p.grad),
        "new": array(p.new),
    }
    if exact:
        out["exact"] = {
            "old": exact_strings(p.old),
            "grad": None if p.grad is None else exact_strings(p.grad),
            "new": exact_strings(p.new),
        }
    if p.state:
        out["state"] = {key: array(value) for key, value in p.state.items()}
    if p.terms:
        out["terms"] = {key: array(value) for key, value in p.terms.items()}
    return out


def _layer(layer: LayerStep) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": layer.name,
        "type": layer.kind,
        "output": array(layer.output),
        "grad_output": array(layer.grad_output),
    }
    if layer.params:
        out["params"] = list(layer.params)
    if layer.state:
        out["state"] = {key: array(value) for key, value in layer.state.items()}
    for key, value in layer.drawn.items():  # the step's own buffers: "mask"
        out[key] = array(value)
    if layer.at_kink:
        out["at_kink"] = [list(p) for p in layer.at_kink]
    if layer.near_kink:
        out["near_kink"] = [list(p) for p in layer.near_kink]
    return out


def render_json(trace: Trace) -> str:
    return json.dumps(trace_to_dict(trace), indent=1, allow_nan=False) + "\n"
