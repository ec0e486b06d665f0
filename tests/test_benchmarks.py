"""The benchmark's baseline is the same training as the engine's (not a timing test)."""

from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path

import numpy as np

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def test_numpy_loop_trains_exactly_as_the_engine(tmp_path: Path) -> None:
    sys.path.insert(0, str(BENCHMARKS))
    import numpy_loop
    import run as bench

    from backprop_trace import load_scenario, run

    bench.setup(tmp_path, steps=5)
    trace = run(load_scenario(tmp_path / "mlp.yaml"), keep=lambda k: False)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        numpy_loop.main(str(tmp_path / "train.npz"), str(tmp_path / "weights.npz"), 5)
    printed = float(out.getvalue().split()[-1])
    np.testing.assert_allclose(printed, trace.losses_before[-1], rtol=1e-5)  # printed to 6 places
