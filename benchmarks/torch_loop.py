"""The same training in PyTorch on the CPU, float64, for the throughput benchmark.

python benchmarks/torch_loop.py DATA.npz WEIGHTS.npz STEPS
"""

from __future__ import annotations

import sys

import numpy as np
import torch
from torch import nn


def main(data_path: str, weights_path: str, steps: int) -> None:
    torch.set_default_dtype(torch.float64)
    data = np.load(data_path)
    x_all = torch.tensor(data["inputs"], dtype=torch.float64)
    labels = torch.tensor(data["targets"], dtype=torch.long)
    start = np.load(weights_path)
    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor(start["W1"]).T)
        model[0].bias.copy_(torch.tensor(start["b1"]))
        model[2].weight.copy_(torch.tensor(start["W2"]).T)
        model[2].bias.copy_(torch.tensor(start["b2"]))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
    loss_fn = nn.CrossEntropyLoss()
    size, batches = 64, -(-len(x_all) // 64)
    for step in range(1, steps + 1):
        b = (step - 1) % batches
        x, t = x_all[b * size : (b + 1) * size], labels[b * size : (b + 1) * size]
        optimizer.zero_grad()
        loss = loss_fn(model(x), t)
        loss.backward()
        optimizer.step()
    print(f"final loss {loss.item():.6f}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
