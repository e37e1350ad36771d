"""The optimizers compared over a longer run than the worked steps, in float64 with
torch.optim (the same functional steps the check holds against derive's exact ones), and the
decision boundary of a two-input network before and after training."""

from __future__ import annotations

import dataclasses
import math
from decimal import Decimal

import torch

from derive.engine.batch import sample_network
from derive.engine.network import Network
from derive.engine.training import OptimizerRule
from derive.verify.torch_model import DTYPE, TorchNetwork, single_thread
from derive.verify.training_check import BatchModel, TorchOptimizer, initial_state
from derive.verify.training_result import Boundary, Comparison, Plane, Trial

GRID = 61  # points per side of a contour or boundary grid
MARGIN = 0.25  # of the paths' extent, around them
BOUNDARY_STEPS = 5000  # at most, training until the samples are separated


def _batch_losses(model: BatchModel, thetas: torch.Tensor) -> torch.Tensor:
    """The batch's loss at every row of θ (R, P): the mean over the samples' networks."""
    return torch.stack([m.forward(thetas).loss for m in model.models]).mean(0)


def _trials(
    model: BatchModel, rules: list[OptimizerRule], steps: int
) -> tuple[list[list[float]], list[torch.Tensor]]:
    """Each of `rules` for `steps` steps of torch.optim, all side by side (one forward and
    backward pass per step for all): each rule's losses at θ₀, θ₁, … and those θ (T, P),
    both ending where its run left float64's range."""
    theta = model.theta.repeat(len(rules), 1)
    states = [initial_state(rule, theta[r]) for r, rule in enumerate(rules)]
    optimizers = [TorchOptimizer(rule) for rule in rules]
    losses: list[list[float]] = [[] for _ in rules]
    points: list[list[torch.Tensor]] = [[] for _ in rules]
    live = list(range(len(rules)))
    for step in range(steps + 1):
        leaf = theta[live].clone().requires_grad_(True)
        values = _batch_losses(model, leaf)
        if step < steps:
            values.sum().backward()  # the rows are independent: each row's own gradient
        moving = []
        now = theta.detach().clone()  # each row's θ, read below as a view
        for i, (r, value) in enumerate(zip(live, values.tolist(), strict=True)):
            if math.isfinite(value):
                losses[r].append(value)
                points[r].append(now[r])
                moving.append((i, r))
        live = []
        if step == steps:
            break
        with torch.no_grad():
            grads = leaf.grad.clone()
            for i, r in moving:
                optimizers[r].step(theta[r], grads[i], states[r])
            finite = torch.isfinite(theta).all(dim=1).tolist()
            live = [r for _, r in moving if finite[r]]
    return losses, [torch.stack(p) for p in points]


def _best(trials: list[Trial], steps: int) -> int:
    """The lowest loss after `steps` among the rates that finished (the smaller rate on a
    tie); if none finished, the one that lasted longest."""
    finished = [i for i, t in enumerate(trials) if t.finished(steps)]
    if finished:
        return min(finished, key=lambda i: (trials[i].losses[-1], i))
    return min(range(len(trials)), key=lambda i: (-len(trials[i].losses), i))


def _direction(vector: torch.Tensor) -> torch.Tensor:
    """A principal direction with the sign that makes its largest entry positive: the same
    plane either way, drawn the same way every time."""
    return -vector if vector[int(vector.abs().argmax())] < 0 else vector


def _span(values: list[float]) -> list[float]:
    low, high = min(values), max(values)
    pad = max(high - low, 0.2) * MARGIN
    return torch.linspace(low - pad, high + pad, GRID, dtype=DTYPE).tolist()


def _plane(
    model: BatchModel, paths: dict[str, torch.Tensor], losses: dict[str, list[float]]
) -> Plane:
    """The plane through θ₀ spanned by the first two principal directions of every path's
    θₜ − θ₀ (no centring: the plane goes through the start), the loss over it, and how far
    the paths lie from it."""
    start = model.theta
    moves = torch.cat([path - start for path in paths.values()])
    _, sizes, rows = torch.linalg.svd(moves, full_matrices=False)
    basis = [_direction(rows[k]) for k in range(min(2, len(rows)))]
    while len(basis) < 2:  # a network of one parameter: the second direction is flat
        basis.append(torch.zeros_like(start))
    directions = torch.stack(basis)  # (2, P)
    total = float((sizes**2).sum())
    held = float((sizes[:2] ** 2).sum()) / total if total else 1.0
    with torch.no_grad():
        coords = {name: (path - start) @ directions.T for name, path in paths.items()}
        drawn = torch.cat(list(coords.values()))
        off_plane = float((moves - drawn @ directions).norm(dim=1).max())
        under = _batch_losses(model, start + drawn @ directions)
        own = torch.tensor([c for name in paths for c in losses[name]], dtype=DTYPE)
        gap = float((under - own).abs().max())
        ps, qs = _span(drawn[:, 0].tolist()), _span(drawn[:, 1].tolist())
        mesh_q, mesh_p = torch.meshgrid(
            torch.tensor(qs, dtype=DTYPE), torch.tensor(ps, dtype=DTYPE), indexing="ij"
        )
        grid = start + torch.stack([mesh_p.flatten(), mesh_q.flatten()], dim=1) @ directions
        surface = _batch_losses(model, grid).reshape(GRID, GRID).tolist()
    return Plane(
        model.names,
        (tuple(directions[0].tolist()), tuple(directions[1].tolist())),
        held,
        off_plane,
        gap,
        {name: [tuple(point) for point in c.tolist()] for name, c in coords.items()},
        ps,
        qs,
        surface,
    )


def compare(
    network: Network, rules: list[OptimizerRule], steps: int, grid: tuple[Decimal, ...]
) -> Comparison:
    """Every rule at each rate of `grid` and at its own (the sheet's), in float64 with
    torch.optim; each shown at its best rate, the paths on their plane."""
    model = BatchModel(network)
    worked = rules[0].learning_rate
    rates = tuple(sorted({*grid, worked}))  # Comparison.rates
    each = [dataclasses.replace(rule, learning_rate=rate) for rule in rules for rate in rates]
    with single_thread():
        losses, points = _trials(model, each, steps)
        trials, chosen, paths, shown = {}, {}, {}, {}
        for k, rule in enumerate(rules):
            row = range(k * len(rates), (k + 1) * len(rates))
            trials[rule.name] = [Trial(each[r].learning_rate, losses[r]) for r in row]
            best = row[_best(trials[rule.name], steps)]
            chosen[rule.name], paths[rule.name] = each[best].learning_rate, points[best]
            shown[rule.name] = losses[best]
        plane = _plane(model, paths, shown)
    return Comparison(steps, grid, worked, trials, chosen, plane)


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
    optimizer = TorchOptimizer(rule)
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
                optimizer.step(theta, leaf.grad.clone(), state)
            steps += 1
        xs = _span([x for x, _, _ in samples])
        ys = _span([y for _, y, _ in samples])
        before = _outputs(model.models, model.theta, xs, ys)
        after = _outputs(model.models, theta, xs, ys)
    return Boundary(rule.name, steps, separated(theta), xs, ys, before, after, samples)
