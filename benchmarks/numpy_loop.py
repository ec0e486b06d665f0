"""The throughput benchmark's baseline: the same training as the benchmark scenario, written by
hand in float64 numpy. 784-128-10 ReLU, cross-entropy, Adam lr 0.001, batch 64, N steps.

    python benchmarks/numpy_loop.py DATA.npz WEIGHTS.npz STEPS
"""

from __future__ import annotations

import sys

import numpy as np


def main(data_path: str, weights_path: str, steps: int) -> None:
    data = np.load(data_path)
    x_all, labels = data["inputs"].astype(np.float64), data["targets"]
    start = np.load(weights_path)
    params = {k: start[k].astype(np.float64) for k in ("W1", "b1", "W2", "b2")}
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v = {k: np.zeros_like(p) for k, p in params.items()}
    lr, b1, b2, eps, size = 0.001, 0.9, 0.999, 1e-8, 64
    onehot = np.eye(10)[labels]
    batches = -(-len(x_all) // size)
    for step in range(1, steps + 1):
        b = (step - 1) % batches
        x, t = x_all[b * size : (b + 1) * size], onehot[b * size : (b + 1) * size]
        z1 = x @ params["W1"] + params["b1"]
        h = np.maximum(z1, 0)
        z2 = h @ params["W2"] + params["b2"]
        shifted = z2 - z2.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        _loss = -(t * log_p).sum() / len(x)
        g2 = (np.exp(log_p) - t) / len(x)
        grads = {"W2": h.T @ g2, "b2": g2.sum(axis=0)}
        g1 = (g2 @ params["W2"].T) * (z1 > 0)
        grads["W1"], grads["b1"] = x.T @ g1, g1.sum(axis=0)
        for k in params:
            m[k] += (1 - b1) * (grads[k] - m[k])
            v[k] = v[k] * b2 + (1 - b2) * grads[k] * grads[k]
            denom = np.sqrt(v[k]) / (1 - b2**step) ** 0.5 + eps
            params[k] = params[k] - lr / (1 - b1**step) * (m[k] / denom)
    print(f"final loss {_loss:.6f}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
