"""What the check of a training run reports, as plain numbers: it crosses from the helper
process that imports PyTorch to one that never does."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TorchValues:
    """torch.optim's numbers at one step."""

    loss: float  # C before the step
    params: dict[str, float]  # θ after the step
    state: dict[str, dict[str, float]]  # state variable → parameter → value, after the step


@dataclass(frozen=True)
class RunCheck:
    torch_steps: tuple[TorchValues, ...]
    max_rel_diff: float  # largest normwise relative difference over steps, params and state
    explained_steps: tuple[int, ...]  # steps beyond 1e-12 that the step-by-step check explains
