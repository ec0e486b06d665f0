"""backprop-trace's speed, as ratios measured side by side in one run (never timed tests).

    python benchmarks/run.py [--quick]

Each comparison alternates its commands (A, B, A, B, ...) and takes the median of each; the
ratio is A's median over B's. Peak memory comes from GNU time's maximum resident set size. How
the tool is started, and with which bytecode caches: benchmarks/common.py. Prints a Markdown
table for the README.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import FLOOR, IMPORTS, PY, TOOL, compare, timed  # noqa: E402

Row = tuple[str, str, str, str]


def setup(folder: Path, steps: int) -> None:
    """The throughput workload: 1,024 synthetic examples in an .npz, the scenario, and its
    initial weights for the hand-written loops."""
    from backprop_trace import load_scenario

    rng = np.random.default_rng(0)
    inputs = np.clip(rng.normal(0.1, 0.3, size=(1024, 784)), 0, 1)
    np.savez(folder / "train.npz", inputs=inputs, targets=rng.integers(0, 10, size=1024))
    (folder / "mlp.yaml").write_text(
        "name: throughput\n"
        "layers:\n  - {type: linear, in: 784, out: 128, init: he}\n  - {type: relu}\n"
        "  - {type: linear, in: 128, out: 10, init: he}\n"
        "loss: cross_entropy\noptimizer: {type: adam, lr: 0.001}\n"
        f"data: {{file: train.npz, batch_size: 64}}\nsteps: {steps}\nseed: 0\n"
    )
    from backprop_trace.bundled import scenarios_dir

    bundled = scenarios_dir() / "diagonal_flip.yaml"
    (folder / "diagonal_flip.yaml").write_bytes(bundled.read_bytes())
    s = load_scenario(folder / "mlp.yaml")
    np.savez(
        folder / "weights.npz", **{k: np.asarray(v, dtype=np.float64) for k, v in s.initial.items()}
    )
    for n in (10, 32, 100, 316, 1000):
        x = ", ".join(f"{v:.2f}" for v in rng.uniform(-1, 1, size=n))
        (folder / f"size{n}.yaml").write_text(
            f"name: size {n}\nlayers:\n  - {{type: linear, in: {n}, out: {n}, init: he}}\n"
            f"  - {{type: relu}}\n  - {{type: linear, in: {n}, out: 1, init: he}}\n"
            f"loss: mse\noptimizer: {{type: sgd, lr: 0.01}}\ndata: {{input: [{x}], target: [1]}}\n"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer repeats and steps")
    args = parser.parse_args()
    repeats = 3 if args.quick else 7
    steps = 100 if args.quick else 500
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        setup(folder, steps)
        rows += cold_start(folder, repeats)
        rows += training(folder, steps, repeats)
        for n in (10, 32, 100, 316, 1000):
            t, mem = timed([*TOOL, "run", f"size{n}.yaml"], folder)
            params = n * n + 2 * n + 1
            rows.append(
                (
                    f"One fully shown step, {params:,} parameters",
                    f"{t:.2f} s, {mem} MiB",
                    "grows with what is shown",
                    "",
                )
            )
        for n in (100, 1_000, 10_000, 100_000):
            t, mem = timed([*TOOL, "run", "tanh_regression", "--steps", str(n), "--quiet"], folder)
            rows.append(
                (
                    f"{n:,} steps of tanh_regression, --quiet",
                    f"{t:.2f} s, {mem} MiB",
                    "memory flat",
                    "",
                )
            )
        rows += exact_costs()
        from explore_keys import rows as explore_rows
        from startup import rows as startup_rows

        rows += startup_rows(folder, repeats)
        rows += explore_rows()

    print("| Benchmark | Measured | Goal | Met |")
    print("|:--|:--|:--|:--|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


def cold_start(folder: Path, repeats: int) -> list[Row]:
    """`run diagonal_flip.yaml` against the bare imports, and against the floor of its
    libraries (benchmarks/floor.py): what part of the goal start-up can reach at all."""
    tool, floor, imports = compare(
        [[*TOOL, "run", "diagonal_flip.yaml"], [*FLOOR, "diagonal_flip.yaml"], IMPORTS],
        folder,
        repeats,
    )
    ratio = tool / imports
    help_, typer_ = compare([[*TOOL, "--help"], [PY, "-c", "import typer"]], folder, repeats)
    return [
        (
            "Cold start: `run diagonal_flip.yaml` vs importing numpy, rich, typer, ruamel.yaml",
            f"{tool:.3f} s / {imports:.3f} s = **{ratio:.2f}×**",
            "≤ 1.3×",
            "yes" if ratio <= 1.3 else "no",
        ),
        (
            "The libraries' floor (benchmarks/floor.py: a typer command with run's options, the "
            "scenario read by ruamel.yaml and a pydantic model, a rich table) vs the same imports",
            f"{floor:.3f} s / {imports:.3f} s = **{floor / imports:.2f}×**",
            "(the least any tool on these libraries takes)",
            "",
        ),
        (
            "Cold start: `run diagonal_flip.yaml` vs that floor",
            f"{tool:.3f} s / {floor:.3f} s = **{tool / floor:.2f}×**",
            "(what is the tool's own)",
            "",
        ),
        (
            "`--help` vs `import typer`",
            f"{help_:.3f} s / {typer_:.3f} s = **{help_ / typer_:.2f}×**",
            "near 1×",
            "yes" if help_ / typer_ <= 1.3 else "no",
        ),
    ]


def training(folder: Path, steps: int, repeats: int) -> list[Row]:
    """The 784-128-10 Adam training: the tool against a hand-written numpy loop and PyTorch,
    whole processes, and the engine against the loop in one process (no start-up)."""
    tool = [*TOOL, "run", "mlp.yaml", "--quiet"]
    loop = [PY, str(HERE / "numpy_loop.py"), "train.npz", "weights.npz", str(steps)]
    commands = [tool, loop, [*FLOOR, "diagonal_flip.yaml"], [PY, "-c", "import numpy"]]
    try:
        import torch  # noqa: F401

        commands.append([PY, str(HERE / "torch_loop.py"), "train.npz", "weights.npz", str(steps)])
    except ImportError:
        pass
    a, b, floor, numpy_only, *torch_time = compare(commands, folder, repeats)
    best = b + floor - numpy_only  # the loop, started as a tool on these libraries must start
    rows: list[Row] = [
        (
            f"Training, 784-128-10 Adam, batch 64, {steps} steps: tool vs numpy loop",
            f"{a:.2f} s / {b:.2f} s = **{a / b:.2f}×**",
            "≤ 1.15×",
            "yes" if a / b <= 1.15 else "no",
        ),
        (
            "The same, at best for a tool on these libraries: the loop plus the floor's start-up "
            "beyond `import numpy`, vs the loop",
            f"({b:.2f} + {floor:.2f} − {numpy_only:.2f}) s / {b:.2f} s = **{best / b:.2f}×**",
            "(the least any tool on these libraries takes)",
            "",
        ),
    ]
    e, n, ratio = per_step(folder, steps, repeats)
    rows.append(
        (
            f"The same {steps} steps in one process (no start-up): engine vs numpy loop",
            f"{e * 1000:.2f} ms / {n * 1000:.2f} ms a step = **{ratio:.2f}×**",
            "≤ 1.05×",
            "yes" if ratio <= 1.05 else "no",
        )
    )
    if torch_time:
        faster = torch_time[0] / a
        rows.append(
            (
                "The same training: tool vs PyTorch (CPU, float64, whole process)",
                f"{a:.2f} s / {torch_time[0]:.2f} s = **{faster:.2f}× faster**",
                "≥ 3× faster",
                "yes" if faster >= 3 else "no",
            )
        )
    else:
        rows.append(("The same training vs PyTorch", "skipped: torch not installed", "", ""))
    return rows


def per_step(folder: Path, steps: int, repeats: int) -> tuple[float, float, float]:
    """Seconds per step of the engine and of the numpy loop, both in this process, alternating."""
    import contextlib
    import io

    import numpy_loop

    from backprop_trace import load_scenario, run

    scenario = load_scenario(folder / "mlp.yaml")
    engine, loop = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        run(scenario, steps=steps, keep=lambda k: False)
        engine.append((time.perf_counter() - started) / steps)
        started = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            numpy_loop.main(str(folder / "train.npz"), str(folder / "weights.npz"), steps)
        loop.append((time.perf_counter() - started) / steps)
    a, b = statistics.median(engine), statistics.median(loop)
    return a, b, a / b


def exact_costs() -> list[Row]:
    """Exact arithmetic against float64 on the same rational network, as steps grow."""
    from backprop_trace import load_scenario, run
    from backprop_trace.bundled import scenarios_dir

    scenario = load_scenario(scenarios_dir() / "diagonal_flip.yaml")
    rows = []
    for steps in (1, 10, 50):
        started = time.perf_counter()
        trace = run(scenario, steps=steps, keep=lambda k: False)
        exact = time.perf_counter() - started
        started = time.perf_counter()
        run(scenario, steps=steps, numerics="float64", keep=lambda k: False)
        floats = time.perf_counter() - started
        rows.append(
            (
                f"Exact vs float64, diagonal_flip, {steps} step" + ("s" if steps > 1 else ""),
                f"{exact * 1000:.1f} ms / {floats * 1000:.1f} ms = **{exact / floats:.1f}×**;"
                f" {trace.numerics_reason}",
                "auto switches when fractions grow",
                "",
            )
        )
    from backprop_trace import scenario_from_dict

    growing = scenario_from_dict(
        {
            "name": "growing fractions",
            "layers": [
                {
                    "type": "linear",
                    "weight": [["1/3", "2/7"], ["5/11", "-3/13"]],
                    "bias": [0.1, 0.2],
                },
                {"type": "relu"},
                {"type": "linear", "weight": [["1/17"], ["1/19"]]},
            ],
            "loss": "mse",
            "optimizer": {"type": "sgd", "lr": "1/7"},
            "data": {"input": [1, 2], "target": [1]},
        }
    )
    started = time.perf_counter()
    trace = run(growing, steps=60, keep=lambda k: False)
    elapsed = time.perf_counter() - started
    rows.append(
        (
            "Exact arithmetic whose fractions grow (sevenths, seventeenths), 60 steps",
            f"{elapsed * 1000:.0f} ms; {trace.numerics_reason}",
            "auto switches when fractions grow",
            "yes" if trace.numerics == "float64" else "no",
        )
    )
    return rows


if __name__ == "__main__":
    main()
