"""The optimizers compared over a longer run than the worked steps, in float64 with
torch.optim (the same functional steps the check holds against derive's exact ones), and the
decision boundary of a two-input network before and after training."""

from __future__ import annotations

import math

import torch

from derive.engine.batch import sample_network
from derive.engine.network import Network
from derive.engine.training import OptimizerRule
from derive.verify.torch_model import DTYPE, TorchNetwork, single_thread
from derive.verify.training_check import BatchModel, initial_state, optim_step
from derive.verify.training_result import Boundary, Comparison

GRID = 61  # points per side of a contour or boundary grid
MARGIN = 0.25  # of the paths' extent, around them
BOUNDARY_STEPS = 5000  # at most, training until the samples are separated


def _losses_and_paths(
    model: BatchModel, rule: OptimizerRule, steps: int, pair: tuple[int, int]
) -> tuple[list[float], list[tuple[float, float]]]:
    theta = model.theta.clone()
    state = initial_state(rule, theta)
    losses, path = [], [(float(theta[pair[0]]), float(theta[pair[1]]))]
    for _ in range(steps):
        leaf = theta.clone().requires_grad_(True)
        loss = model.loss(leaf)
        if not torch.isfinite(loss):  # diverged in float64: the series ends here
            return losses, path
        loss.backward()
        losses.append(loss.item())
        with torch.no_grad():
            optim_step(rule, theta, leaf.grad.clone(), state)
        point = (float(theta[pair[0]]), float(theta[pair[1]]))
        if not all(map(math.isfinite, point)):
            return losses, path
        path.append(point)
    with torch.no_grad():
        final = model.loss(theta).item()
    if math.isfinite(final):
        losses.append(final)
    return losses, path


def _span(values: list[float]) -> list[float]:
    low, high = min(values), max(values)
    pad = max(high - low, 0.2) * MARGIN
    return torch.linspace(low - pad, high + pad, GRID, dtype=DTYPE).tolist()


def compare(
    network: Network, rules: list[OptimizerRule], pair: tuple[str, str], steps: int
) -> Comparison:
    model = BatchModel(network)
    index = (model.names.index(pair[0]), model.names.index(pair[1]))
    losses, paths = {}, {}
    with single_thread():
        for rule in rules:
            losses[rule.name], paths[rule.name] = _losses_and_paths(model, rule, steps, index)
        points = [p for path in paths.values() for p in path]
        xs, ys = _span([p[0] for p in points]), _span([p[1] for p in points])
        grid = model.theta.repeat(GRID * GRID, 1)
        mesh_y, mesh_x = torch.meshgrid(
            torch.tensor(ys, dtype=DTYPE), torch.tensor(xs, dtype=DTYPE), indexing="ij"
        )
        grid[:, index[0]], grid[:, index[1]] = mesh_x.flatten(), mesh_y.flatten()
        with torch.no_grad():
            rows = torch.stack([m.forward(grid).loss for m in model.models]).mean(0)
    surface = rows.reshape(GRID, GRID).tolist()
    return Comparison(steps, losses, pair, paths, xs, ys, surface)


def _outputs(models: list[TorchNetwork], theta: torch.Tensor, xs: list[float], ys: list[float]):
    """o1 over the input plane at θ: one network per grid point, the inputs varied."""
    net = models[0]
    mesh_y, mesh_x = torch.meshgrid(
        torch.tensor(ys, dtype=DTYPE), torch.tensor(xs, dtype=DTYPE), indexing="ij"
    )
    saved = net.x
    try:
        net.x = torch.stack([mesh_x.flatten(), mesh_y.flatten()], dim=-1)  # (G, 2)
        with torch.no_grad():
            out = net.forward(theta.unsqueeze(0).expand(GRID * GRID, -1)).post[-1][:, 0]
    finally:
        net.x = saved
    return out.reshape(GRID, GRID).tolist()


def boundary(network: Network, rule: OptimizerRule) -> Boundary:
    """Train with `rule` until every sample is on its side of ½ (at most BOUNDARY_STEPS)."""
    model = BatchModel(network)
    samples = []
    for s in range(max(1, len(network.samples))):
        given = sample_network(network, s).given
        samples.append((float(given["x1"]), float(given["x2"]), float(given["y1"])))
    theta = model.theta.clone()
    state = initial_state(rule, theta)
    targets = torch.tensor([y > 0.5 for _, _, y in samples])

    def separated(at: torch.Tensor) -> bool:
        with torch.no_grad():
            outs = torch.stack([m.forward(at.unsqueeze(0)).post[-1][0, 0] for m in model.models])
        return bool(((outs > 0.5) == targets).all())

    steps = 0
    with single_thread():
        while not separated(theta) and steps < BOUNDARY_STEPS:
            leaf = theta.clone().requires_grad_(True)
            model.loss(leaf).backward()
            with torch.no_grad():
                optim_step(rule, theta, leaf.grad.clone(), state)
            steps += 1
        xs = _span([x for x, _, _ in samples])
        ys = _span([y for _, y, _ in samples])
        before = _outputs(model.models, model.theta, xs, ys)
        after = _outputs(model.models, theta, xs, ys)
    return Boundary(rule.name, steps, separated(theta), xs, ys, before, after, samples)
