"""from_torch: a PyTorch model traced as it trains. A tanh MLP with Adam gives the loss before
and after that torch's own optimizer.step() gives (to 1e-12, in float64); every supported module,
loss and optimizer reads back into a trace that agrees with torch; what is not supported is
refused with a message that names it; save_scenario writes a file that runs the same."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from backprop_trace import from_torch, load_scenario, run, save_scenario
from backprop_trace.torch_models import UnsupportedModel

pytestmark = pytest.mark.torch


def _torch_step(model: Any, x: Any, t: Any, loss_fn: Any, opt: Any) -> tuple[float, float]:
    """Torch's own loss before and after one optimizer.step()."""
    import torch

    opt.zero_grad()
    loss = loss_fn(model(x), t)
    loss.backward()
    opt.step()
    with torch.no_grad():
        after = loss_fn(model(x), t)
    return loss.item(), after.item()


def _tanh_mlp() -> tuple[Any, Any, Any]:
    import torch
    from torch import nn

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2)).double()
    x = torch.randn(4, 3, dtype=torch.float64)
    t = torch.randn(4, 2, dtype=torch.float64)
    return model, x, t


def test_a_tanh_mlp_with_adam_agrees_with_torchs_own_step() -> None:
    import copy

    import torch
    from torch import nn

    model, x, t = _tanh_mlp()
    ours = copy.deepcopy(model)
    scenario = from_torch(
        ours, x, t, nn.MSELoss(), torch.optim.Adam(ours.parameters(), lr=0.01), name="tanh MLP"
    )
    trace = run(scenario)
    before, after = _torch_step(
        model, x, t, nn.MSELoss(), torch.optim.Adam(model.parameters(), lr=0.01)
    )
    assert abs(trace.losses_before[0] - before) <= 1e-12
    assert abs(trace.losses_after[0] - after) <= 1e-12
    assert [p.name for p in trace.steps[0].params] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    new = dict(model.named_parameters())
    for p in trace.steps[0].params:  # every new weight as torch's, in torch's layout
        np.testing.assert_allclose(
            np.asarray(p.new, dtype=float), new[p.name].detach().numpy(), rtol=0, atol=1e-12
        )


def _kinds() -> list[tuple[str, Any]]:
    import torch
    from torch import nn

    return [
        (
            "relu, sgd+momentum, cross entropy",
            lambda: (
                nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3)),
                torch.randn(5, 4),
                torch.tensor([0, 2, 1, 1, 0]),
                nn.CrossEntropyLoss(),
                lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
            ),
        ),
        (
            "sigmoid, rmsprop, bce",
            lambda: (
                nn.Sequential(nn.Linear(3, 4), nn.LeakyReLU(0.1), nn.Linear(4, 2), nn.Sigmoid()),
                torch.randn(4, 3),
                torch.rand(4, 2),
                nn.BCELoss(),
                lambda ps: torch.optim.RMSprop(ps, lr=0.01, centered=True),
            ),
        ),
        (
            "gelu/silu/elu/softplus, adamw, sum of squares",
            lambda: (
                nn.Sequential(
                    nn.Linear(3, 4),
                    nn.GELU(approximate="tanh"),
                    nn.Linear(4, 4),
                    nn.SiLU(),
                    nn.Linear(4, 4),
                    nn.ELU(0.5),
                    nn.Linear(4, 2),
                    nn.Softplus(beta=2.0, threshold=5.0),
                ),
                torch.randn(3, 3),
                torch.randn(3, 2),
                nn.MSELoss(reduction="sum"),
                lambda ps: torch.optim.AdamW(ps, lr=0.01, amsgrad=True),
            ),
        ),
        (
            "conv, pools, batchnorm, layernorm, adagrad",
            lambda: (
                nn.Sequential(
                    nn.Conv2d(1, 2, 3, padding=1),
                    nn.BatchNorm2d(2),
                    nn.ReLU(),
                    nn.MaxPool2d(2),
                    nn.AvgPool2d(1),
                    nn.Flatten(),
                    nn.Linear(8, 4),
                    nn.LayerNorm(4),
                    nn.Linear(4, 3),
                ),
                torch.randn(2, 1, 4, 4),
                torch.tensor([2, 0]),
                nn.CrossEntropyLoss(),
                lambda ps: torch.optim.Adagrad(ps, lr=0.1, lr_decay=0.01),
            ),
        ),
    ]


@pytest.mark.parametrize("index", range(4), ids=["relu", "sigmoid", "gelu", "conv"])
def test_every_supported_kind_agrees_with_torch(index: int) -> None:
    import copy

    import torch

    torch.manual_seed(1)
    _, make = _kinds()[index]
    model, x, t, loss_fn, optimizer = make()
    model = model.double()
    x = x.double()
    t = t.double() if t.is_floating_point() else t
    ours = copy.deepcopy(model)
    trace = run(from_torch(ours, x, t, loss_fn, optimizer(list(ours.parameters()))))
    before, after = _torch_step(model, x, t, loss_fn, optimizer(list(model.parameters())))
    assert abs(trace.losses_before[0] - before) <= 1e-10 * max(1.0, abs(before))
    assert abs(trace.losses_after[0] - after) <= 1e-10 * max(1.0, abs(after))


def test_frozen_parameters_come_from_requires_grad(tmp_path: Path) -> None:
    import torch
    from torch import nn

    model, x, t = _tanh_mlp()
    model[0].weight.requires_grad_(False)
    trainable = [p for p in model.parameters() if p.requires_grad]
    scenario = from_torch(model, x, t, nn.MSELoss(), torch.optim.SGD(trainable, lr=0.1))
    assert scenario.frozen == frozenset({"0.weight"})
    path = tmp_path / "model.yaml"  # written, read back, run: the same losses
    save_scenario(scenario, path)
    again = load_scenario(path)
    assert again.frozen == scenario.frozen and again.layout == "out_in"
    assert run(again).losses_after == run(scenario).losses_after


@pytest.mark.parametrize(
    ("build", "named"),
    [
        ("lstm", "LSTM"),
        ("conv_groups", "groups or dilation"),
        ("loss_sum", "CrossEntropyLoss(reduction='sum')"),
        ("two_groups", "2 parameter groups"),
        ("stepped", "state has already advanced"),
        ("maximize", "maximize=True"),
        ("module", "Net"),
        ("optimizer", "LBFGS"),
    ],
)
def test_what_is_not_supported_is_named(build: str, named: str) -> None:
    import torch
    from torch import nn

    model, x, t = _tanh_mlp()
    loss: Any = nn.MSELoss()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    if build == "lstm":
        model = nn.Sequential(nn.LSTM(3, 2))
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
    elif build == "conv_groups":
        model = nn.Sequential(nn.Conv2d(2, 2, 3, groups=2))
    elif build == "loss_sum":
        loss = nn.CrossEntropyLoss(reduction="sum")
    elif build == "two_groups":
        opt = torch.optim.SGD(
            [{"params": model[0].parameters()}, {"params": model[2].parameters()}], lr=0.1
        )
    elif build == "stepped":
        opt = torch.optim.Adam(model.parameters())
        _torch_step(model, x, t, loss, opt)
    elif build == "maximize":
        opt = torch.optim.SGD(model.parameters(), lr=0.1, maximize=True)
    elif build == "module":

        class Net(nn.Module):
            pass

        model = Net()
    elif build == "optimizer":
        opt = torch.optim.LBFGS(model.parameters())
    with pytest.raises(UnsupportedModel, match=named.replace("(", r"\(").replace(")", r"\)")):
        from_torch(model, x, t, loss, opt)
