"""What the check of a training run reports, as plain numbers: it crosses from the helper
process that imports PyTorch to one that never does."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


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
class Trial:
    """One optimizer at one learning rate over the comparison's steps (float64)."""

    rate: Decimal
    losses: list[float]  # C before each step and after the last; shorter: diverged there

    def finished(self, steps: int) -> bool:
        return len(self.losses) == steps + 1


@dataclass(frozen=True)
class Plane:
    """The plane the paths are drawn on, θ = θ₀ + p·d₁ + q·d₂: through the start, spanned by
    the first two principal directions of every drawn path's θₜ − θ₀ taken together (Li et
    al. 2018), so that the loss over it is the loss under the paths up to their distance from
    it, which `off_plane` and `gap` measure."""

    names: tuple[str, ...]  # the parameters, in order
    directions: tuple[tuple[float, ...], tuple[float, ...]]  # d₁, d₂: unit, orthogonal
    held: float  # the share of the paths' Σ‖θₜ − θ₀‖² that lies in the plane
    off_plane: float  # the largest distance of a path's point from the plane
    gap: float  # the largest |C(θₜ) − C(θ₀ + pₜd₁ + qₜd₂)| over the paths' points
    paths: dict[str, list[tuple[float, float]]]  # optimizer → (p, q) of θ₀, θ₁, …
    grid_p: list[float]
    grid_q: list[float]
    grid_loss: list[list[float]]  # C over the plane, [row q][column p]


@dataclass(frozen=True)
class Comparison:
    """Every optimizer over a longer run, in float64 (torch.optim), at each learning rate of
    a grid; each is then shown at the rate whose loss ended lowest, its path drawn on the
    plane that holds the paths best."""

    steps: int
    grid: tuple[Decimal, ...]  # the learning rates tried besides the worked one
    worked_rate: Decimal  # the sheet's own rate
    trials: dict[str, list[Trial]]  # optimizer → one per rate, in the order of `rates`
    chosen: dict[str, Decimal]  # optimizer → its rate: the lowest loss after `steps`
    plane: Plane

    @property
    def rates(self) -> tuple[Decimal, ...]:
        """The grid and the worked rate, ascending."""
        return tuple(sorted({*self.grid, self.worked_rate}))

    def trial(self, name: str, rate: Decimal) -> Trial:
        return self.trials[name][self.rates.index(rate)]

    @property
    def losses(self) -> dict[str, list[float]]:
        """Each optimizer's losses at its chosen rate."""
        return {name: self.trial(name, rate).losses for name, rate in self.chosen.items()}


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
