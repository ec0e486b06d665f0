"""Write scenarios/mnist_sized.npz: eight synthetic 28x28 "digits" (strokes on a blank canvas,
pixel values in [0, 1]) with class labels. Deterministic: python tests/make_mnist_sized.py"""

from __future__ import annotations

from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "scenarios" / "mnist_sized.npz"


def stroke(canvas: np.ndarray, rng: np.random.Generator) -> None:
    r0, c0, r1, c1 = rng.integers(4, 24, size=4)
    for s in np.linspace(0, 1, 40):
        r, c = round(r0 + s * (r1 - r0)), round(c0 + s * (c1 - c0))
        canvas[max(r - 1, 0) : r + 2, max(c - 1, 0) : c + 2] = np.maximum(
            canvas[max(r - 1, 0) : r + 2, max(c - 1, 0) : c + 2], 0.5
        )
        canvas[r, c] = 1.0


def main() -> None:
    rng = np.random.default_rng(2026)
    images = np.zeros((8, 28, 28))
    for image in images:
        for _ in range(rng.integers(2, 5)):
            stroke(image, rng)
    labels = rng.integers(0, 10, size=8)
    np.savez_compressed(OUT, inputs=images.reshape(8, 784).round(2), targets=labels)


if __name__ == "__main__":
    main()
