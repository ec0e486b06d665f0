"""The engine: run training steps phase by phase and return a Trace. Pure: it never prints.

forward -> loss -> backward -> update -> verify (forward again with the new parameters on the
same batch). Parameters are held in the in_out layout and shown in the scenario's layout.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from . import layers as L
from .errors import Problem, ScenarioError
from .numerics import (
    FLOAT64,
    Array,
    Mode,
    Numerics,
    backend,
    errors_within_rounding,
    noise_bound,
    scalar_to_float,
    to_float,
)
from .optim import State
from .scenario import Scenario
from .trace import Divergence, LayerStep, ParamStep, StepTrace, Trace

if TYPE_CHECKING:
    from .gradcheck import GradientCheck

EXACT_BIT_BUDGET = 1024  # ~308 digits: past this, exact steps get slow and the digits unreadable

StepCallback = Callable[[int, float, StepTrace | None], None]


def run(
    scenario: Scenario,
    *,
    steps: int | None = None,
    numerics: Mode | None = None,
    keep: Callable[[int], bool] | None = None,
    on_step: StepCallback | None = None,
    check: bool = False,
) -> Trace:
    """Train for ``steps`` (default: the scenario's). ``keep(k)`` says which steps to keep in
    full (default: all); ``on_step(k, loss_before, step_or_None)`` reports progress. ``check``
    puts a central-difference gradient check in every step kept in full. Ctrl-C
    (KeyboardInterrupt) during the run ends it early: the trace holds the steps completed before
    it and says ``interrupted``."""
    try:
        return _run(scenario, steps, numerics, keep, on_step, check, reuse=True)
    except _Replay as replay:
        # a step no trace kept diverged after its optimizer state was written in place: run
        # again, every state a new array, to show that step in full (the same numbers: writing
        # in place changes no result); its steps before are not reported twice
        first = replay.step

        def later(k: int, loss: float, step: StepTrace | None) -> None:
            if k >= first and on_step is not None:
                on_step(k, loss, step)

        return _run(scenario, steps, numerics, keep, later, check, reuse=False)


class _Replay(Exception):
    """Step ``step`` diverged where its state before is gone (written in place)."""

    def __init__(self, step: int) -> None:
        super().__init__(step)
        self.step = step


def _run(
    scenario: Scenario,
    steps: int | None,
    numerics: Mode | None,
    keep: Callable[[int], bool] | None,
    on_step: StepCallback | None,
    check: bool,
    *,
    reuse: bool,
) -> Trace:
    """run's loop. ``reuse``: a step that keeps no trace lets the optimizer write the new state
    into the arrays of the state before, when no kept step holds them (float64 only)."""
    mode = numerics or scenario.numerics
    reason = scenario.numerics_reason if numerics is None else f"{numerics}: as asked"
    exact_asked = (numerics or scenario.numerics_requested) == "exact"
    nx = backend(mode)
    written = scenario  # the trace shows the scenario as written; the loop may use floats
    if not nx.exact:  # hyperparameters as floats once, not at every update
        scenario = _with_float_hyperparameters(scenario)
    total = scenario.steps if steps is None else steps
    params = {name: nx.array(value) for name, value in scenario.initial.items()}
    inputs, targets = nx.array(scenario.inputs), nx.array(scenario.targets)
    states: dict[str, State] = {}
    # the layers' own buffers: carried (running statistics) and drawn for each step (masks)
    carried = {name: nx.array(value) for name, value in scenario.initial_state.items()}
    # only a kind that overrides Layer.draw draws buffers (dropout): the others are not asked,
    # and without one numpy.random is not imported
    draws_buffers = any(type(layer).draw is not L.Layer.draw for layer in scenario.layers)
    draws = np.random.default_rng(scenario.seed) if draws_buffers else None
    drawn: dict[str, Array] = {}
    kept: list[StepTrace] = []
    before: list[float] = []
    after: list[float] = []
    norms: dict[str, list[float]] = {
        name: [] for name in scenario.param_order if name not in scenario.frozen
    }
    diverged: Divergence | None = None
    owned = True  # no kept step holds the arrays of the optimizer states
    done = 0  # steps completed: an interruption drops the step it caught half done
    interrupted = False
    try:
        for k in range(1, total + 1):
            rows = scenario.batch_indices(k)
            x = inputs[rows.start : rows.stop]
            drawn = _draw(scenario, nx, draws, x.shape) if draws is not None else {}
            batch = _Batch(k, rows, x, targets[rows.start : rows.stop], carried, drawn)
            want = keep is None or keep(k)
            in_place = reuse and owned and not want and not nx.exact
            owned = not want
            states_before = dict(states)
            # Overflow to inf and the like are facts of the run, reported, not warned about.
            with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
                result = _step(
                    scenario,
                    nx,
                    params,
                    states,
                    batch,
                    keep=want,
                    check=check,
                    verify=k == total,
                    reuse=in_place,
                )
                # exact values never overflow, but beyond float64's range a run has diverged too
                if not result.finite():
                    if result.trace is None:  # run the step again, in full, to say where
                        if in_place and states_before:
                            raise _Replay(k)
                        states.clear()
                        states.update(states_before)
                        result = _step(scenario, nx, params, states, batch, keep=True, check=check)
                    assert result.trace is not None
                    diverged = _locate_divergence(result.trace)
            new_params = result.params
            carried = result.state
            if nx.exact and (bits := _exact_bits(new_params)) > EXACT_BIT_BUDGET:
                reason = _leave_exact(scenario, k, bits, exact_asked)
                nx, mode = backend("float64"), "float64"
                scenario = _with_float_hyperparameters(scenario)
                new_params = {n: to_float(v) for n, v in new_params.items()}
                states.update({name: _float_state(state) for name, state in states.items()})
                carried = {n: to_float(v) for n, v in carried.items()}
                inputs, targets = nx.array(inputs), nx.array(targets)
            # exact Fractions stay exact for the summary; floats as plain Python floats
            loss_after = result.loss_after
            before.append(result.loss_before if nx.exact else scalar_to_float(result.loss_before))
            after.append(
                loss_after if nx.exact or loss_after is None else scalar_to_float(loss_after)
            )
            for name, values in norms.items():
                values.append(result.norms[name])
            if result.trace is not None:
                kept.append(result.trace)
            params, done = new_params, k
            if on_step is not None:
                on_step(k, scalar_to_float(before[-1]), result.trace)
            if diverged is not None:
                break
    except KeyboardInterrupt:
        interrupted = True
        del before[done:], after[done:]
        for values in norms.values():
            del values[done:]
        kept = [s for s in kept if s.step <= done]
        diverged = diverged if diverged is not None and diverged.step <= done else None
        if done and after[-1] is None:  # the summary ends on the loss after the last step done
            rows = scenario.batch_indices(done)
            x, t = inputs[rows.start : rows.stop], targets[rows.start : rows.stop]
            with np.errstate(all="ignore"):
                buffers = {**params, **carried, **drawn}
                loss_after = scenario.loss.value(
                    nx, forward(scenario.layers, nx, buffers, x)[-1], t
                )
            after[-1] = loss_after if nx.exact else scalar_to_float(loss_after)
    return Trace(
        scenario=written,
        numerics=mode,
        numerics_reason=reason,
        steps=tuple(kept),
        losses_before=tuple(before),
        losses_after=tuple(after),
        total_steps=total,
        final_params={n: scenario.in_layout(n, v) for n, v in params.items()},
        final_state=dict(carried),
        diverged=diverged,
        interrupted=interrupted,
        grad_norms={name: tuple(values) for name, values in norms.items()},
    )


def _with_float_hyperparameters(scenario: Scenario) -> Scenario:
    optimizer = scenario.optimizer
    floats = {
        k: float(v) for k, v in optimizer.hyperparameters().items() if isinstance(v, Fraction)
    }
    # In float64 the hyperparameters are floats; the Fraction-typed fields hold them.
    faster = dataclasses.replace(optimizer, **floats)  # type: ignore[arg-type]
    return dataclasses.replace(scenario, optimizer=faster)


def _check(
    scenario: Scenario,
    params: dict[str, Array],
    grads: dict[str, Array],
    x: Array,
    t: Array,
    buffers: dict[str, Array],
) -> GradientCheck:
    from .gradcheck import check_gradients

    target = to_float(t)

    def loss(outputs: Array) -> float:
        return float(scenario.loss.value(FLOAT64, outputs, target))  # type: ignore[arg-type]

    def name(param: str, index: tuple[int, ...]) -> str:
        if scenario.layout == "out_in" and len(index) == 2:
            index = index[::-1]
        return param + "".join(f"[{i}]" for i in index)

    trainable = {n: g for n, g in grads.items() if n not in scenario.frozen}
    ordered = {n: trainable[n] for n in scenario.param_order if n in trainable}
    return check_gradients(scenario.layers, loss, {**params, **buffers}, ordered, x, name)


def _leave_exact(scenario: Scenario, step: int, bits: int, asked: bool) -> str:
    """Exact fractions that have grown too large: float64 from here on (the reason), or, when
    exact numerics were asked for, a clear stop rather than a run that never ends."""
    digits = int(bits * 0.30103)
    if asked:
        problem = Problem(
            scenario.source,
            0,
            0,
            (),
            f"exact numerics: by step {step} the fractions have grown to {digits:,} digits, "
            "and every further step costs more",
            "trace fewer steps exactly, or use numerics: float64 (--numerics float64)",
        )
        raise ScenarioError([problem])
    return (
        f"exact for steps 1–{step}, then float64: the exact fractions had grown to "
        f"{digits:,} digits"
    )


def _exact_bits(params: dict[str, Array]) -> int:
    """The size of the largest numerator or denominator among the parameters, in bits."""
    return max(
        (
            max(v.numerator.bit_length(), v.denominator.bit_length())
            for p in params.values()
            for v in p.flat
        ),
        default=0,
    )


def _float_state(state: State) -> State:
    changes = {
        f.name: getattr(state, f.name).astype(np.float64)
        for f in dataclasses.fields(state)
        if isinstance(getattr(state, f.name), np.ndarray)
    }
    return dataclasses.replace(state, **changes)


def _locate_divergence(step: StepTrace) -> Divergence:
    """The first NaN or infinity in the order the step computed things."""

    def first_bad(values: Array) -> tuple[int, ...] | None:
        bad = np.argwhere(~np.isfinite(to_float(values)))
        return tuple(int(i) for i in bad[0]) if len(bad) else None

    def entry(name: str, index: tuple[int, ...]) -> str:
        return name + "".join(f"[{i}]" for i in index)

    for p in step.params:
        if (ix := first_bad(p.old)) is not None:
            return Divergence(step.step, "forward", entry(p.name, ix), scalar_to_float(p.old[ix]))
    for layer in step.layers:
        if (ix := first_bad(layer.output)) is not None:
            where = f"{layer.name} output, example {step.examples[ix[0]]}, unit {ix[1]}"
            return Divergence(step.step, "forward", where, scalar_to_float(layer.output[ix]))
    if not np.isfinite(scalar_to_float(step.loss_before)):
        return Divergence(step.step, "loss", "the loss", scalar_to_float(step.loss_before))
    for p in step.params:
        if p.grad is not None and (ix := first_bad(p.grad)) is not None:
            return Divergence(
                step.step, "backward", f"dL/d{entry(p.name, ix)}", scalar_to_float(p.grad[ix])
            )
    for p in step.params:
        if (ix := first_bad(p.new)) is not None:
            return Divergence(step.step, "update", entry(p.name, ix), scalar_to_float(p.new[ix]))
    return Divergence(
        step.step, "verify", "the loss after the update", scalar_to_float(step.loss_after)
    )


def _draw(
    scenario: Scenario, nx: Numerics, rng: np.random.Generator, shape: tuple[int, ...]
) -> dict[str, Array]:
    """The buffers drawn for one step (dropout masks), layer by layer, from the run's one
    generator (seeded by the scenario): the same draws whether a step is shown or not."""
    drawn: dict[str, Array] = {}
    for layer in scenario.layers:
        drawn.update({name: nx.array(v) for name, v in layer.draw(rng, shape).items()})
        shape = (shape[0], *layer.output_shape(tuple(int(d) for d in shape[1:])))
    return drawn


def forward(
    layers: tuple[L.Layer, ...], nx: Numerics, params: dict[str, Array], x: Array
) -> list[Array]:
    """Every layer's output, preceded by the input: [x, layer 1 output, ..., network output]."""
    values = [x]
    for layer in layers:
        values.append(layer.forward(nx, values[-1], params))
    return values


@dataclasses.dataclass(frozen=True)
class _Batch:
    """What one step trains on: its number, the rows of the data, and their inputs and targets."""

    step: int
    rows: range
    x: Array
    t: Array
    state: dict[str, Array] = dataclasses.field(default_factory=dict)  # carried in
    drawn: dict[str, Array] = dataclasses.field(default_factory=dict)  # for this step


@dataclasses.dataclass(frozen=True)
class _StepResult:
    """What one step made: the updated parameters, the loss before and (when the verifying pass
    ran) after the update, and the step in full when it is kept."""

    params: dict[str, Array]
    loss_before: Any
    loss_after: Any = None  # None where the verifying pass was skipped
    trace: StepTrace | None = None
    state: dict[str, Array] = dataclasses.field(default_factory=dict)  # carried out
    norms: dict[str, float] = dataclasses.field(default_factory=dict)  # ‖gradient‖ by name
    params_finite: bool = True  # every entry of every new parameter

    def finite(self) -> bool:
        losses = [self.loss_before] + ([] if self.loss_after is None else [self.loss_after])
        if not all(np.isfinite(scalar_to_float(loss)) for loss in losses):
            return False
        return self.params_finite


def _all_finite(values: Array) -> bool:
    """Whether every entry is finite: for float64 first by the sum of squares (a NaN or an
    infinity makes it NaN or infinite; BLAS makes it fast), and only where that overflowed,
    entry by entry."""
    if values.dtype == object:
        return bool(np.isfinite(to_float(values)).all())
    flat = values.ravel()
    return math.isfinite(flat @ flat) or bool(np.isfinite(flat).all())


def _norm(grad: Array) -> float:
    """A gradient tensor's L2 norm as a float64 (for the run's gradient health): of exact
    fractions, the correctly rounded root of their exact sum of squares, the same on every
    machine."""
    if grad.dtype == object:
        squares = sum((v * v for v in grad.flat), Fraction(0))
        try:
            return math.sqrt(squares)
        except OverflowError:  # beyond float64's range: the run is diverging
            return math.inf
    flat = grad.ravel()
    return math.sqrt(float(flat @ flat))


def _step(
    scenario: Scenario,
    nx: Numerics,
    params: dict[str, Array],
    states: dict[str, State],
    batch: _Batch,
    *,
    keep: bool,
    check: bool = False,
    verify: bool = True,
    reuse: bool = False,
) -> _StepResult:
    """One step, updating ``states`` in place. A step not kept in full skips the verifying
    forward pass unless ``verify``. ``reuse``: the optimizer may write the new states into the
    arrays of the states before (Optimizer.update)."""
    x, t = batch.x, batch.t
    layers, loss = scenario.layers, scenario.loss
    buffers = {**batch.state, **batch.drawn}
    used = {**params, **buffers}  # what the layers read: parameters and buffers
    # forward and loss
    values = forward(layers, nx, used, x)
    state = dict(batch.state)  # the running statistics of this step's training forward pass
    for i, layer in enumerate(layers):
        state.update(layer.next_state(nx, values[i], batch.state))
    y = values[-1]
    terms, g = loss.terms_and_grad(nx, y, t)
    loss_before = terms.sum()
    # backward: the learning flow from the loss to the first layer
    flow: list[Array] = [y] * len(layers)
    grads: dict[str, Array] = {}
    norms: dict[str, float] = {}
    # float64, steps kept: the rounding bound of each sum the backward pass makes, carried along
    bounds = np.zeros(g.shape) if keep and not nx.exact else None
    if bounds is not None and loss.of_errors:  # an error that is rounding: so is its flow
        bounds = np.where(errors_within_rounding(y, t) & (y != t), np.abs(g), bounds)
    flow_noise: list[Array | None] = [None] * len(layers)
    noise: dict[str, Array] = {}
    for i in range(len(layers) - 1, -1, -1):
        flow[i], flow_noise[i] = g, bounds
        if bounds is not None:
            bounds, param_bounds = layers[i].backward_noise(
                values[i], values[i + 1], g, bounds, used
            )
            noise.update(param_bounds)
        g, layer_grads = layers[i].backward(nx, values[i], values[i + 1], g, used, i > 0)
        grads.update(layer_grads)
        # each gradient's norm while it is fresh in the cache (the run's gradient health)
        norms.update({n: _norm(v) for n, v in layer_grads.items() if n not in scenario.frozen})
    # update: each new tensor checked for a NaN or an infinity while it is fresh in the cache
    states_before = dict(states) if keep else {}
    new_params = dict(params)
    finite = True
    for name in scenario.param_order:
        if name not in scenario.frozen:
            new_params[name], states[name] = scenario.optimizer.update(
                nx, params[name], grads[name], states.get(name), reuse=reuse
            )
        finite = finite and _all_finite(new_params[name])
    if not (keep or verify):
        return _StepResult(new_params, loss_before, state=state, norms=norms, params_finite=finite)
    # verify: the same batch, the same drawn buffers; batch statistics are the new pass's own
    outputs_after = forward(layers, nx, {**new_params, **buffers}, x)[-1]
    loss_after = loss.value(nx, outputs_after, t)
    if not keep:
        return _StepResult(
            new_params, loss_before, loss_after, state=state, norms=norms, params_finite=finite
        )
    layer_steps = tuple(
        _layer_step(scenario, nx, i, used, values, flow[i], flow_noise[i], state, batch.drawn)
        for i in range(len(layers))
    )
    owner = {p: layer.name for layer in layers for p in layer.param_names}
    param_steps = tuple(
        ParamStep(
            name=name,
            layer=owner[name],
            trainable=name not in scenario.frozen,
            old=scenario.in_layout(name, params[name]),
            grad=None if name in scenario.frozen else scenario.in_layout(name, grads[name]),
            grad_noise=(
                scenario.in_layout(name, noise[name])
                if name in noise and name not in scenario.frozen
                else None
            ),
            new=scenario.in_layout(name, new_params[name]),
            state={
                key: scenario.in_layout(name, value)
                for key, value in (states[name].arrays() if name in states else {}).items()
            },
            optimizer_before=states_before.get(name),
            optimizer_after=states.get(name),
            terms={
                key: scenario.in_layout(name, value)
                for key, value in (
                    scenario.optimizer.terms(nx, params[name], grads[name], states[name])
                    if name in states
                    else {}
                ).items()
            },
        )
        for name in scenario.param_order
    )
    trace = StepTrace(
        step=batch.step,
        examples=tuple(batch.rows),
        inputs=x,
        targets=t,
        outputs_before=y,
        outputs_after=outputs_after,
        loss_before=loss_before,
        loss_after=loss_after,
        loss_terms=terms,
        layers=layer_steps,
        params=param_steps,
        probabilities=loss.probabilities(nx, y),
        check=_check(scenario, params, grads, x, t, buffers) if check else None,
        probabilities_after=loss.probabilities(nx, outputs_after),
    )
    return _StepResult(new_params, loss_before, loss_after, trace, state, norms, finite)


def _layer_step(
    scenario: Scenario,
    nx: Numerics,
    i: int,
    params: dict[str, Array],
    values: list[Array],
    flow: Array,
    flow_noise: Array | None = None,
    state: dict[str, Array] | None = None,
    drawn: dict[str, Array] | None = None,
) -> LayerStep:
    layer = scenario.layers[i]
    own = {key: (state or {})[name] for key, name in layer.state_names().items()}
    prefix = layer.name + "."
    drawn_here = {n[len(prefix) :]: v for n, v in (drawn or {}).items() if n.startswith(prefix)}
    z = values[i]
    at_kink: tuple[tuple[int, ...], ...] = ()
    near_kink: tuple[tuple[int, ...], ...] = ()
    if layer.kinked:
        at_kink = _positions(layer.kinks(z))
        if not nx.exact:
            bound = _rounding_bound(scenario, params, values, i)
            near_kink = _positions(layer.near_kinks(z, bound))
    return LayerStep(
        name=layer.name,
        kind=layer.kind,
        input=z,
        output=values[i + 1],
        grad_output=flow,
        grad_output_noise=flow_noise,
        params=layer.param_names,
        at_kink=at_kink,
        near_kink=near_kink,
        state=own,
        drawn=drawn_here,
    )


def _rounding_bound(
    scenario: Scenario, params: dict[str, Array], values: list[Array], i: int
) -> Array:
    """How far from its true value rounding can have moved the input of layer i: the rounding
    bound of the sum the layer before made (Layer.input_rounding; through entry-wise layers such
    as a relu, which pass their input's rounding on), else a few ulps of the value."""
    summed = None
    for k in range(i - 1, -1, -1):  # through entry-wise layers (a relu) to the sum before them
        summed = scenario.layers[k].input_rounding(values[k], params)
        if summed is not None or not scenario.layers[k].same_shape:
            break
    scale, terms = summed if summed is not None else (np.abs(values[i]), 1)
    bound: Array = noise_bound(scale, terms)
    return bound


def _positions(mask: Array) -> tuple[tuple[int, ...], ...]:
    return tuple(tuple(int(i) for i in ix) for ix in np.argwhere(mask))
