"""Central finite differences in float64, each with an estimate of its own error.

A fixed step and tolerance fail on steep losses (an input of 1000 makes the loss vary a
thousand times faster in that weight) and on large ones (rounding noise grows with C). So for
every parameter a ladder of steps is tried, and each step's error is estimated: truncation from
comparing the steps h and 2h (Richardson: the error of D(h) is about |D(h) − D(2h)|/3), rounding
from a first-order bound of float64's error in C divided by h. The step with the smallest
estimate is kept. A kinked unit (ReLU) changing side within ±2h makes the difference
meaningless there; that is reported, not failed.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from derive.engine.derivation import Derivation
from derive.engine.losses import LOSSES
from derive.verify.torch_model import DTYPE, TorchNetwork

LADDER = (1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8)  # × max(1, |θ|)
EPSILON = 2.0**-52


@dataclass(frozen=True)
class Estimate:
    value: float  # (C(θ + h) − C(θ − h)) / 2h at the chosen step
    error: float  # estimated |value − ∂C/∂θ|: truncation + rounding
    step: float
    kink: bool  # a kinked unit changes side within the step


def loss_noise(derivation: Derivation) -> float:
    """A first-order bound of float64's rounding error in C: each computed node carries a
    relative error of about ε (a weighted sum, ε times the sum of its terms' sizes), and C
    feels it through ∂C/∂node. Losses PyTorch takes from the logits skip the outputs, but add
    up terms of the logits' size that cancel (BCE: max(z, 0) − z·y + ln(1 + e^−|z|); cross-
    entropy: ln Σe^z − z_y), so each logit adds ε·(|z| + 1) of noise to C."""
    net = derivation.network
    from_logits = LOSSES[net.spec.loss].torch_from_logits
    skipped = set(net.outputs) if from_logits else set()
    values, adjoints = derivation.values, derivation.adjoints
    total = abs(float(derivation.loss))
    if from_logits:
        total += sum(abs(float(values[n.z])) + 1 for n in net.layers[-1])
    for n in net.neurons:
        size = sum(abs(float(values[s] * values[w])) for s, w in n.terms)
        size += abs(float(values[n.bias])) if n.bias else 0.0
        total += abs(float(adjoints[n.z].value)) * size
        if n.a not in skipped:
            total += abs(float(adjoints[n.a].value) * float(values[n.a]))
    return 8 * EPSILON * total


def finite_differences(model: TorchNetwork, noise: float) -> list[Estimate]:
    """An estimate for every parameter, in θ's order."""
    theta = model.theta
    size = len(theta)
    scale = torch.clamp(theta.abs(), min=1.0)
    steps = torch.tensor(LADDER, dtype=DTYPE)[None, :] * scale[:, None]  # (P, L)
    offsets = torch.stack([steps, -steps, 2 * steps, -2 * steps], dim=-1)  # (P, L, 4)
    params = torch.arange(size)[:, None, None].expand_as(offsets).reshape(-1)
    losses, crossed = model.moved_losses(params, offsets.reshape(-1))
    c = losses.reshape(offsets.shape)
    kinks = crossed.reshape(offsets.shape).any(-1)  # (P, L)
    d1 = (c[..., 0] - c[..., 1]) / (2 * steps)
    d2 = (c[..., 2] - c[..., 3]) / (4 * steps)
    errors = (d1 - d2).abs() / 3 + noise / steps + EPSILON * d1.abs()
    errors = torch.where(kinks, torch.inf, errors)
    errors = torch.nan_to_num(errors, nan=torch.inf, posinf=torch.inf)
    best = errors.argmin(-1)
    estimates = []
    for k in range(size):
        j = int(best[k])
        kink = bool(kinks[k].all())
        if kink:  # every step crosses a kink: the smallest tells most
            j = len(LADDER) - 1
        estimates.append(Estimate(float(d1[k, j]), float(errors[k, j]), float(steps[k, j]), kink))
    return estimates
