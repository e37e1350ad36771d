"""The training sheet's comparison teaches the right lesson: each optimizer at the rate of a
stated grid that suits it (torch.optim's classes reproduce every trial), and the loss-surface
plot true to the paths drawn on it (the loss at each drawn point, by derive's exact engine,
equals the surface's within what the sheet states)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import torch

from derive.engine.batch import derive_batch
from derive.engine.spec import load_spec
from derive.engine.training import at
from derive.sheets.document import Table, blocks
from derive.sheets.training import TrainingSheet
from derive.text.locale import optimizer_name
from derive.trainer import COMPARISON_STEPS, RATE_GRID, Training, rules
from derive.verify.torch_model import DTYPE
from derive.verify.training_check import BatchModel

ROOT = Path(__file__).resolve().parent.parent
XOR = ROOT / "examples" / "xor.toml"


@pytest.fixture(scope="module")
def seed() -> Training:
    spec = load_spec(None)
    return Training(spec, rules(spec, ["sgd", "momentum", "rmsprop", "adam"]), 2)


@pytest.fixture(scope="module")
def xor() -> Training:
    spec = load_spec(XOR)
    return Training(spec, rules(spec, ["adam", "nesterov", "adagrad"]), 2)


def _class_losses(training: Training, name: str, rate: Decimal) -> tuple[list, torch.Tensor]:
    """The loss at θ₀, θ₁, … and those θ, by torch.optim's class as a user runs it."""
    rule = next(r.rule for r in training.runs if r.rule.name == name)
    model = BatchModel(training.network)
    theta = torch.nn.Parameter(model.theta.clone())
    h = {k: tuple(map(float, v)) if isinstance(v, tuple) else v if isinstance(v, bool) else float(v)
         for k, v in rule.settings.items()}  # fmt: skip
    optimizer = getattr(torch.optim, rule.optimizer.torch_class)([theta], lr=float(rate), **h)
    losses, points = [], [theta.detach().clone()]
    for _ in range(COMPARISON_STEPS):
        optimizer.zero_grad()
        loss = model.loss(theta)
        losses.append(loss.item())
        loss.backward()
        optimizer.step()
        points.append(theta.detach().clone())
    losses.append(model.loss(theta).item())
    return losses, torch.stack(points)


@pytest.mark.parametrize("case", ["seed", "xor"])
def test_each_optimizer_is_shown_at_the_best_rate_of_the_grid(case, request):
    training = request.getfixturevalue(case)
    comparison = training.checked.comparison
    assert comparison.grid == RATE_GRID
    assert comparison.rates == tuple(sorted({*RATE_GRID, training.runs[0].rule.learning_rate}))
    for name, trials in comparison.trials.items():
        finished = [t for t in trials if t.finished(COMPARISON_STEPS)]
        best = min(finished, key=lambda t: t.losses[-1])
        assert comparison.chosen[name] == best.rate
        assert all(t.losses[-1] >= best.losses[-1] for t in finished)


@pytest.mark.parametrize(("case", "name"), [("seed", "adam"), ("xor", "adagrad")])
def test_the_trials_are_torch_optims_own_runs(case, name, request):
    training = request.getfixturevalue(case)
    comparison = training.checked.comparison
    for rate in (comparison.chosen[name], comparison.worked_rate):
        theirs, _ = _class_losses(training, name, rate)
        assert comparison.trial(name, rate).losses == pytest.approx(theirs, rel=1e-9, abs=1e-15)


@pytest.mark.parametrize("case", ["seed", "xor"])
def test_the_paths_are_the_runs_projected_on_an_orthonormal_plane(case, request):
    training = request.getfixturevalue(case)
    comparison = training.checked.comparison
    plane = comparison.plane
    d = torch.tensor(plane.directions, dtype=DTYPE)
    assert torch.allclose(d @ d.T, torch.eye(2, dtype=DTYPE), atol=1e-12)
    start = BatchModel(training.network).theta
    for name in comparison.trials:
        _, points = _class_losses(training, name, comparison.chosen[name])
        drawn = torch.tensor(plane.paths[name], dtype=DTYPE)
        assert torch.allclose(drawn, (points - start) @ d.T, rtol=1e-8, atol=1e-9)
        off = (points - start) - ((points - start) @ d.T) @ d
        assert float(off.norm(dim=1).max()) <= plane.off_plane * (1 + 1e-9) + 1e-12


def _exact_loss(training: Training, start: list[Decimal], p: float, q: float) -> float:
    d1, d2 = (
        tuple(Decimal(repr(c)) for c in d) for d in training.checked.comparison.plane.directions
    )
    point = [s + Decimal(repr(p)) * a + Decimal(repr(q)) * b for s, a, b in zip(start, d1, d2)]
    params = dict(zip(training.network.params, point, strict=True))
    return float(derive_batch(at(training.network, params)).loss)


@pytest.mark.parametrize("case", ["seed", "xor"])
def test_the_surface_under_each_path_is_the_paths_loss_within_the_stated_gap(case, request):
    """derive's exact engine (not PyTorch) at points of the plane: the surface drawn is the
    loss there, and under every tenth point of each path it is the path's own loss within the
    gap the sheet states."""
    training = request.getfixturevalue(case)
    comparison = training.checked.comparison
    plane = comparison.plane
    start = [training.network.given[p] for p in training.network.params]
    for row, column in [(0, 0), (30, 30), (60, 5), (12, 47)]:
        exact = _exact_loss(training, start, plane.grid_p[column], plane.grid_q[row])
        assert plane.grid_loss[row][column] == pytest.approx(exact, rel=1e-9, abs=1e-15)
    for name, path in plane.paths.items():
        own = comparison.losses[name]
        for t in range(0, len(path), 10):
            under = _exact_loss(training, start, *path[t])
            assert abs(under - own[t]) <= plane.gap * (1 + 1e-6) + 1e-12
    assert plane.held > 0.95
    if case == "seed":  # one sample: the paths lie in their plane, the plot is exact
        assert plane.gap < 1e-4 and plane.held > 0.999


def test_the_sheet_states_the_grid_the_plane_and_ranks_in_a_table(seed):
    sheet = TrainingSheet(seed, "en")
    section = next(s for s in sheet.document.sections if s.key == "comparison")
    assert section.heading == "The optimizers compared"
    text = " ".join(str(b) for b in blocks(section))
    assert "grid 0.01, 0.03, 0.1, 0.3, 1" in text and "Li et al. 2018" in text
    ranking = next(b for b in blocks(section) if isinstance(b, Table))
    assert ranking.header[:2] == ("rank", "optimizer") and len(ranking.rows) == 4
    # rows name the optimizers as readers know them (RMSprop), not by the spec's keys
    chosen = {optimizer_name("en", k): r for k, r in seed.checked.comparison.chosen.items()}
    for row in ranking.rows:  # the chosen rate's column carries the mark
        rate = seed.checked.comparison.rates[[c.endswith("*") for c in row[2:]].index(True)]
        assert rate == chosen[row[1]]


def test_one_optimizer_is_not_compared(xor):
    training = Training(xor.spec, rules(xor.spec, ["adam"]), 1)
    for lang, heading in (("en", "Adam over 100 steps"), ("ko", "Adam: 100스텝")):
        section = next(
            s for s in TrainingSheet(training, lang).document.sections if s.key == "comparison"
        )
        assert section.heading == heading
        text = " ".join(str(b) for b in blocks(section))
        assert "rank" not in text and "compared" not in text.lower()
