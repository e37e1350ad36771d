"""What the check of a training run reports, as plain numbers: it crosses from the helper
process that imports PyTorch to one that never does."""

from __future__ import annotations

from dataclasses import dataclass, field


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
    step_rel_diffs: tuple[float, ...]  # the same per step (NaN once torch's step is NaN)
    explained_steps: tuple[int, ...]  # steps beyond 1e-12 that the step-by-step check explains
    # step → parameters whose float64 step is rounding noise (centered RMSprop's √(v − ḡ²) of
    # a difference of 0), not compared
    cancelled: dict[int, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Comparison:
    """Every optimizer over a longer run, in float64 (PyTorch): the loss before each step and
    after the last, the path of two parameters, and the loss over those two (the others at
    their starting values)."""

    steps: int
    losses: dict[str, list[float]]  # optimizer → steps + 1 values
    pair: tuple[str, str]
    paths: dict[str, list[tuple[float, float]]]  # optimizer → steps + 1 points
    grid_x: list[float]
    grid_y: list[float]
    grid_loss: list[list[float]]  # [row y][column x]


@dataclass(frozen=True)
class Boundary:
    """A network of two inputs and one output trained until it classifies every sample
    (output above ½ for a target above ½), its output over the input plane before and after."""

    optimizer: str
    steps: int  # steps taken
    separated: bool  # within the steps allowed
    grid_x: list[float]
    grid_y: list[float]
    before: list[list[float]]  # o1 at the start, [row y][column x]
    after: list[list[float]]
    samples: list[tuple[float, float, float]]  # x1, x2, target
