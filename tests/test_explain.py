"""explain: the chain rule with the step's numbers in. Every expansion is recomputed from its
JSON alone (each factor's rule from its operands, each term as the product of its factors, each
line as the sum of its terms) and must give what the trace holds: every learning flow, the
gradient, and, through the optimizer's lines, the new value."""

from __future__ import annotations

import json
import math
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import small_fractions, to_yaml, training_runs
from typer.testing import CliRunner

from backprop_trace import load_scenario, run
from backprop_trace.bundled import scenarios_dir
from backprop_trace.cli import app
from backprop_trace.explain import TargetError, explain, parse_target
from backprop_trace.layers import activations
from backprop_trace.render.explain import render_json
from backprop_trace.trace import Trace

CASES = Path(__file__).parent / "torch_cases"
BUNDLED = sorted(scenarios_dir().glob("*.yaml"))
runner = CliRunner()
FIXTURE = [HealthCheck.function_scoped_fixture]  # tmp_path: each example writes its own file


# -- recomputing an explanation from its JSON ------------------------------------------------------


def _arith(expr: str, operands: dict[str, Any]) -> Any:
    """The expression's value, computed here by Python itself (not by the package)."""

    def sqrt(v: Any) -> Any:
        return math.sqrt(v)

    names = {"sqrt": sqrt, "max": max, "min": min, "exp": math.exp, **operands}
    return eval(expr, {"__builtins__": {}}, names)


def _close(a: Any, b: Any, scale: Any, exact: bool) -> bool:
    if exact:
        return bool(a == b)
    return abs(float(a) - float(b)) <= 1e-9 * float(scale) + 1e-300


class Recomputed:
    """Checks one explanation's JSON against the trace; every failure is an AssertionError."""

    def __init__(self, doc: dict[str, Any], trace: Trace) -> None:
        self.doc, self.trace = doc, trace
        self.exact = doc["numerics"] == "exact"
        self.lines = {line["key"]: line for line in doc["lines"]}

    def value(self, d: dict[str, Any], name: str = "value") -> Any:
        if self.exact and f"{name}_exact" in d:
            return Fraction(d[f"{name}_exact"])
        return d[name]

    def factor(self, f: dict[str, Any]) -> Any:
        v = self.value(f)
        if "ref" in f:
            held = self.value(self.lines[f["ref"]], "held")
            assert _close(v, held, abs(held), self.exact), (f, held)
        if "expr" in f:
            operands = {k: self.value(o) for k, o in f["operands"].items()}
            recomputed = _arith(f["expr"], operands)
            assert _close(recomputed, v, abs(v) + abs(recomputed), self.exact), (f, recomputed)
        return v

    def check_lines(self) -> None:
        for line in self.doc["lines"]:
            total: Any = Fraction(0) if self.exact else 0.0
            scale = 0.0
            for term in line["terms"]:
                product: Any = Fraction(1) if self.exact else 1.0
                # a local derivative worked out by its rule in float64 (σ′, gelu′ far in a
                # tail: 1 + tanh(z) where tanh(z) is near -1) is off by a few units of the
                # rule's own parts, which are about 1, however small its value: two ways of
                # working it out agree to about 1e-16 in absolute terms, not relative ones
                size = 1.0
                for f in term["factors"]:
                    value = self.factor(f)
                    product = product * value
                    size *= max(abs(float(value)), 1.0) if "expr" in f else abs(float(value))
                assert _close(product, self.value(term), abs(product), self.exact), term
                total = total + product
                scale += size
            held = self.value(line, "held")
            # float64: the trace's own sum may round differently, within its rounding bound
            slack = line.get("rounding_bound", 0.0) * 2e9
            assert _close(total, held, scale + abs(float(held)) + slack, self.exact), (
                line["symbol"],
                total,
                held,
            )

    def check_results(self) -> None:
        step = next(s for s in self.trace.steps if s.step == self.doc["step"])
        for result in self.doc["results"]:
            if self.doc["kind"] != "parameter":
                line = self.lines[result["line"]]
                assert line["kind"] in ("flow", "loss")
                continue
            name, index = _split(result["entry"])
            param = step.param(name)
            if result["frozen"]:
                assert param.grad is None and result["line"] is None
                continue
            line = self.lines[result["line"]]
            gradient = param.grad[index]
            assert self.value(line, "held") == gradient
            # the update: each line's rule on its own operands, the last one the new value
            for f in result["update"]:
                self.factor(f)
            operands = [f["operands"] for f in result["update"]]
            ps = [self.value(o["p"]) for o in operands if "p" in o]
            assert ps[0] == param.old[index]  # the rule starts from the old value
            # ... and from the gradient: as grad (with weight decay added to it) or as g
            gs = [self.value(o["grad"]) for o in operands if "grad" in o] or [
                self.value(o["g"]) for o in operands if "g" in o
            ]
            assert gs[0] == gradient
            new = self.value(result["update"][-1])
            assert _close(new, param.new[index], abs(float(param.new[index])) + 1, self.exact)

    def check(self) -> None:
        self.check_lines()
        self.check_results()


def _split(entry: str) -> tuple[str, tuple[int, ...]]:
    name, _, rest = entry.partition("[")
    if not rest:
        return name, ()
    return name, tuple(int(i) for i in ("[" + rest).strip("[]").split("]["))


def _shapes(trace: Trace) -> list[tuple[int, ...]]:
    return [tuple(int(n) for n in layer.output.shape[1:]) for layer in trace.steps[0].layers]


def check_every_explanation(trace: Trace) -> int:
    """Every parameter tensor (every entry) and every unit of the last layer, in every kept
    step: recomputed from the JSON. Returns how many lines were checked."""
    checked = 0
    for step in trace.steps:
        texts = list(trace.scenario.param_order)
        outputs = _shapes(trace)[-1]
        texts += ["loss" + "".join(f"[{i}]" for i in ix) for ix in np.ndindex(*outputs)]
        for text in texts:
            target = parse_target(trace.scenario, text, _shapes(trace))
            for example in step.examples[:2]:
                explained = explain(trace, target, step=step.step, example=example, limit=10**9)
                doc = json.loads(render_json(explained))
                Recomputed(doc, trace).check()
                checked += len(doc["lines"])
                if target.kind == "parameter":
                    break  # a parameter's expansion holds every example already
    return checked


# -- the classic example, to nine decimals -----------------------------------------------------


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def test_the_classic_example_to_nine_decimals() -> None:
    """The tutorial's factors for w5 (W2[0][0]) and w1 (W1[0][0]), computed here from its
    network by hand, appear in explain's output at --precision 9."""
    x, t = (0.05, 0.10), (0.01, 0.99)
    h_net = [0.15 * x[0] + 0.20 * x[1] + 0.35, 0.25 * x[0] + 0.30 * x[1] + 0.35]
    h = [_sigmoid(z) for z in h_net]
    o = [_sigmoid(0.40 * h[0] + 0.45 * h[1] + 0.60), _sigmoid(0.50 * h[0] + 0.55 * h[1] + 0.60)]
    d_out = [o[0] - t[0], o[1] - t[1]]
    slope = [o[0] * (1 - o[0]), o[1] * (1 - o[1])]
    delta = [d_out[0] * slope[0], d_out[1] * slope[1]]
    paths = [delta[0] * 0.40, delta[1] * 0.50]
    d_h1 = paths[0] + paths[1]
    slope_h1 = h[0] * (1 - h[0])

    def nine(v: float) -> str:
        return f"{v:.9f}"

    w5 = runner.invoke(app, ["explain", "classic_2_2_2", "W2[0][0]", "--precision", "9"])
    assert w5.exit_code == 0, w5.output
    expected = f"{nine(d_out[0])} × {nine(slope[0])} × {nine(h[0])}"
    assert expected in w5.output
    assert f"= {nine(d_out[0] * slope[0] * h[0])}" in w5.output
    assert f"{nine(o[0])} × {nine(1 - o[0])}" in w5.output  # σ(z)(1 − σ(z)) with its numbers
    w1 = runner.invoke(app, ["explain", "classic_2_2_2", "W1[0][0]", "--precision", "9"])
    assert w1.exit_code == 0, w1.output
    assert f"{nine(paths[0])} + ({nine(paths[1])})" in w1.output  # the two paths
    assert f"= {nine(d_h1)}" in w1.output
    assert f"{nine(d_h1)} × {nine(slope_h1)} × 0.050000000" in w1.output
    assert f"= {nine(d_h1 * slope_h1 * 0.05)}" in w1.output
    assert f"= {nine(0.15 - 0.5 * d_h1 * slope_h1 * 0.05)}" in w1.output  # the new weight


def test_the_kink_at_exactly_zero_explains_diagonal_flips_zero() -> None:
    result = runner.invoke(app, ["explain", "diagonal_flip", "W1[0][0]"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "Why ∂L/∂W1[0][0] is 0" in text
    assert "linear1[0] is exactly 0, on the kink" in text
    assert "PyTorch's convention" in text
    trace = run(load_scenario(scenarios_dir() / "diagonal_flip.yaml"))
    target = parse_target(trace.scenario, "W1[0][0]", _shapes(trace))
    (result_,) = explain(trace, target).results
    assert any("PyTorch's convention" in why for why in result_.why_zero)


def test_a_dead_unit_a_zero_input_and_a_frozen_parameter_say_so() -> None:
    trace = run(load_scenario(scenarios_dir() / "diagonal_flip.yaml"))
    shapes = _shapes(trace)
    dead = explain(trace, parse_target(trace.scenario, "W1[0][1]", shapes)).results[0]
    assert any("dead" in why for why in dead.why_zero)
    zero_input = explain(trace, parse_target(trace.scenario, "W1[1][2]", shapes)).results[0]
    assert any("x[1] is 0" in why for why in zero_input.why_zero)
    frozen = run(load_scenario(scenarios_dir() / "frozen_layer.yaml"))
    held = explain(frozen, parse_target(frozen.scenario, "W1[0][0]", _shapes(frozen)))
    assert held.results[0].frozen and held.results[0].line is None
    out = " ".join(runner.invoke(app, ["explain", "frozen_layer", "W1[0][0]"]).output.split())
    assert "frozen" in out and "keeps its value" in out


def test_a_max_pool_window_another_input_won() -> None:
    trace = run(load_scenario(scenarios_dir() / "digit_cnn.yaml"))
    shapes = _shapes(trace)
    texts = []
    for c, r, q in np.ndindex(*shapes[1]):
        target = parse_target(trace.scenario, f"relu1[{c}][{r}][{q}]", shapes)
        texts += explain(trace, target).results[0].why_zero
    assert any("was won by relu1" in why for why in texts)


# -- every kind: recomputed from the JSON --------------------------------------------------------


@pytest.mark.parametrize("path", sorted(CASES.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_torch_case_recomputes_from_its_json(path: Path) -> None:
    trace = run(load_scenario(path), steps=min(2, load_scenario(path).steps))
    assert check_every_explanation(trace) > 0


@pytest.mark.parametrize("path", [p for p in BUNDLED if p.stem != "mnist_sized"], ids=str)
def test_every_bundled_scenario_recomputes_from_its_json(path: Path) -> None:
    scenario = load_scenario(path)
    for numerics in ("exact", "float64") if scenario.numerics == "exact" else ("float64",):
        trace = run(scenario, steps=min(2, scenario.steps), numerics=numerics)  # type: ignore[arg-type]
        assert check_every_explanation(trace) > 0


EXTRA_KINDS = [
    {"type": "gelu"},
    {"type": "gelu", "approximate": "tanh"},
    {"type": "silu"},
    {"type": "elu", "alpha": Fraction(1, 2)},
    {"type": "softplus", "beta": 2, "threshold": 1},
    {"type": "dropout", "p": Fraction(1, 2)},
    {"type": "layernorm"},
    {"type": "batchnorm"},
]


@st.composite
def runs_of_every_kind(draw: Any) -> dict[str, Any]:
    """training_runs, with one of the other kinds put after the first linear layer."""
    scenario = draw(training_runs())
    extra = dict(draw(st.sampled_from(EXTRA_KINDS)))
    if extra["type"] == "batchnorm":
        data = scenario["data"]
        rows = len(data["inputs"])
        if rows < 2:
            data["inputs"] = data["inputs"] * 2
            data["targets"] = data["targets"] * 2
        data.pop("batch_size", None)  # the whole batch: never one value per channel
    if extra["type"] == "dropout":
        scenario["seed"] = draw(st.integers(0, 1000))
    scenario["layers"].insert(1, extra)
    return dict(scenario)


@st.composite
def image_runs(draw: Any) -> dict[str, Any]:
    """A small convolutional network: conv (stride, padding), relu, a pool, flatten, linear."""
    channels, size = draw(st.integers(1, 2)), draw(st.integers(3, 5))
    out_channels, kernel = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    stride, padding = draw(st.integers(1, 2)), draw(st.integers(0, 1))
    conv_size = (size + 2 * padding - kernel) // stride + 1
    weight = [
        [[[draw(small_fractions) for _ in range(kernel)] for _ in range(kernel)]] * channels
        for _ in range(out_channels)
    ]
    pool = draw(st.sampled_from(["maxpool2d", "avgpool2d"]))
    pooled = conv_size // 2 if conv_size >= 2 else conv_size
    pool_kernel = 2 if conv_size >= 2 else 1
    n = draw(st.integers(1, 3))
    images = [
        [
            [[draw(st.sampled_from([0, 1, 2, Fraction(1, 2), -1])) for _ in range(size)]] * size
            for _ in range(channels)
        ]
        for _ in range(n)
    ]
    features = out_channels * pooled * pooled
    return {
        "name": "random images",
        "layers": [
            {
                "type": "conv2d",
                "weight": weight,
                "bias": [draw(small_fractions) for _ in range(out_channels)],
                "stride": stride,
                "padding": padding,
            },
            {"type": "relu"},
            {"type": pool, "kernel_size": pool_kernel},
            {"type": "flatten"},
            {
                "type": "linear",
                "weight": [[draw(small_fractions) for _ in range(2)] for _ in range(features)],
            },
        ],
        "loss": draw(st.sampled_from(["mse", "cross_entropy"])),
        "optimizer": {"type": "sgd", "lr": Fraction(1, 10)},
        "data": {
            "inputs": images,
            "targets": [draw(st.integers(0, 1)) for _ in range(n)],
        },
    }


def _run_text(tmp: Path, scenario: dict[str, Any]) -> Trace:
    path = tmp / "random.yaml"
    path.write_text(to_yaml(scenario) + "\n")
    return run(load_scenario(path))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(scenario=training_runs())
def test_random_runs_recompute_from_their_json(tmp_path: Path, scenario: dict[str, Any]) -> None:
    assert check_every_explanation(_run_text(tmp_path, scenario)) > 0


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(scenario=runs_of_every_kind())
def test_random_runs_of_every_kind_recompute_from_their_json(
    tmp_path: Path, scenario: dict[str, Any]
) -> None:
    assert check_every_explanation(_run_text(tmp_path, scenario)) > 0


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(scenario=image_runs())
def test_random_image_runs_recompute_from_their_json(
    tmp_path: Path, scenario: dict[str, Any]
) -> None:
    if scenario["loss"] == "mse":
        scenario["data"]["targets"] = [[t, 1 - t] for t in scenario["data"]["targets"]]
    assert check_every_explanation(_run_text(tmp_path, scenario)) > 0


def test_a_wrong_local_derivative_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """σ′ written as σ(1 + σ): its own arithmetic still adds up, but the chain no longer gives
    the learning flow the trace holds."""
    trace = run(load_scenario(scenarios_dir() / "classic_2_2_2.yaml"))
    check_every_explanation(trace)  # right as it is

    def wrong(self: Any, around: Any, at: tuple[int, ...]) -> Any:
        from backprop_trace.chain import computed

        y = around.y[at]
        return computed("σ′", "σ(z)·(1 + σ(z))", "s*(1 + s)", s=y)

    monkeypatch.setattr(activations.Sigmoid, "derivative", wrong)
    with pytest.raises(AssertionError):
        check_every_explanation(trace)


# -- the command -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("param", "said"),
    [
        ("W9[0][0]", "did you mean 'W2[0][0]'?"),
        ("W1[0][9]", "did you mean W1[0][2]?"),
        ("W1[0][0][0]", "W1 has 2 indexes, not 3"),
        ("W1[a]", "only indexes such as [0] may follow"),
        ("relu1", "give the unit"),
        ("loss[7]", "index 7 is out of range"),
        ("", "names no parameter, layer or loss"),
    ],
)
def test_a_param_that_names_nothing_exits_2_with_the_names(param: str, said: str) -> None:
    result = runner.invoke(app, ["explain", "diagonal_flip", param])
    assert result.exit_code == 2
    assert said in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_run_explain_checks_param_before_running() -> None:
    result = runner.invoke(app, ["run", "diagonal_flip", "--explain", "W7"])
    assert result.exit_code == 2
    assert "did you mean" in result.output and "Step 1" not in result.output


def test_run_explain_shows_the_expansion_in_the_backward_phase() -> None:
    result = runner.invoke(app, ["run", "diagonal_flip", "--explain", "W2[2][1]"])
    assert result.exit_code == 0
    out = result.output
    assert (
        out.index("3. Backward pass")
        < out.index("How W2[2][1] came to be")
        < out.index("4. Update")
    )


def test_an_example_outside_the_batch_is_refused() -> None:
    result = runner.invoke(app, ["explain", "softmax_classification", "W1[0][0]", "--example", "9"])
    assert result.exit_code == 2
    assert "not in step 1's batch" in " ".join(result.output.split())


def test_parse_target_longest_name_wins(tmp_path: Path) -> None:
    path = tmp_path / "named.yaml"
    path.write_text(
        "name: t\nlayers:\n  - {type: linear, name: fc, weight: [[1]], bias: [0]}\n"
        "  - {type: relu, name: fc.weight}\n"
        "loss: mse\noptimizer: {type: sgd, lr: 0.1}\ndata: {input: [1], target: [0]}\n"
    )
    scenario = load_scenario(path)
    assert parse_target(scenario, "fc.weight[0][0]", [(1,), (1,)]).kind == "parameter"
    with pytest.raises(TargetError):
        parse_target(scenario, "fc.weightx", [(1,), (1,)])


def test_formats(tmp_path: Path) -> None:
    args = ["explain", "classic_2_2_2", "W1[0][0]"]
    doc = json.loads(runner.invoke(app, [*args, "--format", "json"]).output)
    assert doc["format"] == "backprop-trace-explain/1" and doc["results"][0]["entry"] == "W1[0][0]"
    markdown = runner.invoke(app, [*args, "--format", "markdown"]).output
    assert markdown.startswith("# W1\\[0\\]\\[0\\]") and "```text" in markdown
    page = runner.invoke(app, [*args, "--format", "html"]).output
    assert page.startswith("<!DOCTYPE html>") and "<title>W1[0][0]" in page
    assert "http" not in page and "<script" not in page
    out = tmp_path / "w1.html"
    result = runner.invoke(app, [*args, "--format", "html", "--output", str(out)])
    assert result.exit_code == 0 and out.read_text() == page


def test_exact_fractions_on_request() -> None:
    result = runner.invoke(app, ["explain", "diagonal_flip", "b2[1]", "--fractions"])
    assert result.exit_code == 0
    assert "-11/20" in result.output  # 2 × (−1/10 − 1) / 4


def test_a_tensor_explains_each_entry_the_largest_first() -> None:
    result = runner.invoke(app, ["explain", "diagonal_flip", "W2", "--table-limit", "3"])
    assert result.exit_code == 0
    out = " ".join(result.output.split())
    assert "3 of its 12 entries, the largest |gradient| first" in out
    trace = run(load_scenario(scenarios_dir() / "diagonal_flip.yaml"))
    grad = trace.steps[0].param("W2").grad
    assert grad is not None
    biggest = max(np.ndindex(*grad.shape), key=lambda ix: abs(grad[ix]))
    assert f"∂L/∂W2[{biggest[0]}][{biggest[1]}]" in out


def test_a_long_sum_shows_its_largest_terms_and_the_others_summed_from_themselves() -> None:
    from backprop_trace.explain.document import SHOWN_TERMS, Equation, layout
    from backprop_trace.render.numbers import NumberStyle

    trace = run(load_scenario(scenarios_dir() / "mnist_sized.yaml"), steps=1)
    explained = explain(trace, parse_target(trace.scenario, "relu1[0]", _shapes(trace)))
    line = explained.line(explained.results[0].line or "")
    assert len(line.terms) > SHOWN_TERMS  # 10 paths, one per output unit
    ranked = sorted(line.terms, key=lambda t: abs(t.value))
    hidden = ranked[: len(line.terms) - SHOWN_TERMS]
    num = NumberStyle()
    others = sum(t.value for t in hidden)
    (equation,) = [
        b for b in layout(explained, num) if isinstance(b, Equation) and b.lhs == line.symbol
    ]
    shown_others = num(others)
    tail = f"[{len(hidden)} other terms: " + (
        f"({shown_others})" if shown_others.startswith("-") else shown_others
    )
    assert tail + "]" in equation.rows[1] and tail + "]" in equation.rows[2]
    assert equation.rows[-1] == num(line.held)


def test_example_e_expands_that_example() -> None:
    args = ["explain", "softmax_classification", "W1[0][0]"]
    first = " ".join(runner.invoke(app, args).output.split())
    third = " ".join(runner.invoke(app, [*args, "--example", "2"]).output.split())
    assert "Example 0 is expanded" in first and "Example 2 is expanded" in third
    assert "∂L/∂relu1[0] (ex. 2)" in first and "∂L/∂relu1[0] (ex. 0)" in third
