"""backprop-trace's speed, as ratios measured side by side in one run (never timed tests).

    python benchmarks/run.py [--quick]

Each comparison alternates its commands (A, B, A, B, ...) and takes the median of each; the
ratio is A's median over B's. Peak memory comes from GNU time's maximum resident set size.
Prints a Markdown table for the README.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
PY = sys.executable
TOOL = (
    [shutil.which("backprop-trace") or ""]
    if shutil.which("backprop-trace")
    else [PY, "-m", "backprop_trace"]
)


def timed(command: list[str], cwd: Path) -> tuple[float, int]:
    """(seconds, peak resident memory in MiB) of one run of a command."""
    started = time.perf_counter()
    result = subprocess.run(
        ["/usr/bin/time", "-f", "%M", *command],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "100"},
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{result.stderr[-2000:]}")
    kib = int(result.stderr.strip().splitlines()[-1])
    return elapsed, kib // 1024


def compare(a: list[str], b: list[str], cwd: Path, repeats: int) -> tuple[float, float, float]:
    """(median of a, median of b, a / b), alternating the runs after one warm-up each."""
    timed(a, cwd), timed(b, cwd)
    times_a, times_b = [], []
    for _ in range(repeats):
        times_a.append(timed(a, cwd)[0])
        times_b.append(timed(b, cwd)[0])
    ma, mb = statistics.median(times_a), statistics.median(times_b)
    return ma, mb, ma / mb


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
    rows: list[tuple[str, str, str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        setup(folder, steps)

        imports = [PY, "-c", "import numpy, rich.console, rich.table, typer, ruamel.yaml"]
        a, b, ratio = compare([*TOOL, "run", "diagonal_flip.yaml"], imports, folder, repeats)
        rows.append(
            (
                "Cold start: `run diagonal_flip.yaml` vs importing numpy, rich, typer, ruamel.yaml",
                f"{a:.3f} s / {b:.3f} s = **{ratio:.2f}×**",
                "≤ 1.3×",
                "yes" if ratio <= 1.3 else "no",
            )
        )
        a, b, ratio = compare([*TOOL, "--help"], [PY, "-c", "import typer"], folder, repeats)
        rows.append(
            (
                "`--help` vs `import typer`",
                f"{a:.3f} s / {b:.3f} s = **{ratio:.2f}×**",
                "near 1×",
                "yes" if ratio <= 1.3 else "no",
            )
        )

        tool = [*TOOL, "run", "mlp.yaml", "--quiet"]
        numpy_loop = [PY, str(HERE / "numpy_loop.py"), "train.npz", "weights.npz", str(steps)]
        a, b, ratio = compare(tool, numpy_loop, folder, repeats)
        rows.append(
            (
                f"Training, 784-128-10 Adam, batch 64, {steps} steps: tool vs numpy loop",
                f"{a:.2f} s / {b:.2f} s = **{ratio:.2f}×**",
                "≤ 1.15×",
                "yes" if ratio <= 1.15 else "no",
            )
        )
        a, b, ratio = per_step(folder, steps, repeats)
        rows.append(
            (
                f"The same {steps} steps in one process (no start-up): engine vs numpy loop",
                f"{a * 1000:.2f} ms / {b * 1000:.2f} ms a step = **{ratio:.2f}×**",
                "(shows the loop apart from start-up)",
                "",
            )
        )
        try:
            import torch  # noqa: F401

            torch_loop = [PY, str(HERE / "torch_loop.py"), "train.npz", "weights.npz", str(steps)]
            a, b, ratio = compare(tool, torch_loop, folder, repeats)
            rows.append(
                (
                    "The same training: tool vs PyTorch (CPU, float64, whole process)",
                    f"{a:.2f} s / {b:.2f} s = **{1 / ratio:.2f}× faster**",
                    "≥ 2× faster",
                    "yes" if 1 / ratio >= 2 else "no",
                )
            )
        except ImportError:
            rows.append(("The same training vs PyTorch", "skipped: torch not installed", "", ""))

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
        sys.path.insert(0, str(HERE))
        from explore_keys import rows as explore_rows
        from startup import rows as startup_rows

        rows += startup_rows(folder, repeats)
        rows += explore_rows()

    print("| Benchmark | Measured | Goal | Met |")
    print("|:--|:--|:--|:--|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


def per_step(folder: Path, steps: int, repeats: int) -> tuple[float, float, float]:
    """Seconds per step of the engine and of the numpy loop, both in this process, alternating."""
    import contextlib
    import io

    sys.path.insert(0, str(HERE))
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


def exact_costs() -> list[tuple[str, str, str, str]]:
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
