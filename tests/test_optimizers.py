"""The optimizers: derive's exact steps against torch.optim's classes (run as users run them),
hand-derived first steps, the functional route the verifier takes against the classes, and a
property test over random networks, optimizers and hyperparameters, several steps each."""

from __future__ import annotations

import dataclasses
import json
import math
from decimal import Decimal
from pathlib import Path

import pytest
import torch
from hypothesis import given, reject, settings
from hypothesis import strategies as st

from derive.engine.exact import exact_context
from derive.engine.network import build_network
from derive.engine.optimizers import OPTIMIZERS
from derive.engine.spec import parse_spec
from derive.engine.training import OptimizerRule, train
from derive.errors import InputError
from derive.verify.torch_model import DTYPE, TorchNetwork
from derive.verify.training_check import TorchOptimizer, check_run, initial_state
from tests.conftest import make_spec
from tests.test_property import DETERMINISTIC, specs, with_samples

# hyperparameters beyond the defaults, by optimizer (torch's names)
VARIED = {
    "sgd": [{}, {"weight_decay": Decimal("0.1")}],
    "momentum": [{"dampening": Decimal("0.3")}, {"weight_decay": Decimal("0.05")}],
    "nesterov": [{}, {"momentum": Decimal("0.5"), "weight_decay": Decimal("0.2")}],
    "adagrad": [
        {"lr_decay": Decimal("0.1"), "initial_accumulator_value": Decimal("0.2")},
        {"weight_decay": Decimal("0.1"), "eps": Decimal("1e-6")},
    ],
    "rmsprop": [
        {"centered": True, "momentum": Decimal("0.9")},
        {"alpha": Decimal("0.9"), "weight_decay": Decimal("0.1"), "eps": Decimal("1e-4")},
    ],
    "adam": [
        {"amsgrad": True},
        {"betas": (Decimal("0.5"), Decimal("0.6")), "weight_decay": Decimal("0.1")},
    ],
    "adamw": [{"amsgrad": True, "weight_decay": Decimal("0.3")}, {"eps": Decimal("0.01")}],
}
CASES = [(name, given) for name, variants in VARIED.items() for given in [{}, *variants]]


def _class_run(rule: OptimizerRule, model: TorchNetwork, steps: int) -> list[torch.Tensor]:
    """θ after each step, by torch.optim's class as a user would run it."""
    theta = torch.nn.Parameter(model.theta.clone())
    h = {k: tuple(map(float, v)) if isinstance(v, tuple) else v if isinstance(v, bool) else float(v)
         for k, v in rule.settings.items()}  # fmt: skip
    optimizer = getattr(torch.optim, rule.optimizer.torch_class)(
        [theta], lr=float(rule.learning_rate), **h
    )
    out = []
    for _ in range(steps):
        optimizer.zero_grad()
        model.forward(theta.unsqueeze(0)).loss.sum().backward()
        optimizer.step()
        out.append(theta.detach().clone())
    return out


@pytest.mark.parametrize(("name", "given"), CASES)
def test_every_step_equals_torch_optim(name, given):
    network = build_network(make_spec(bias="neuron", biases=[0.1, -0.2, 0.3]))
    rule = OptimizerRule.named(name, Decimal("0.3"), given)
    run = train(network, rule, 4)
    model = TorchNetwork(network)
    for step, theirs in zip(run.steps, _class_run(rule, model, 4), strict=True):
        ours = torch.tensor([float(step.update.after[p]) for p in model.names], dtype=DTYPE)
        assert torch.allclose(ours, theirs, rtol=1e-12, atol=1e-14)
    assert check_run(run).max_rel_diff < 1e-13


@pytest.mark.parametrize(("name", "given"), CASES)
def test_the_functional_route_is_the_class_step(name, given):
    """What the verifier runs (torch.optim's functional step, state set up as its classes do)
    gives the classes' numbers, state included."""
    rule = OptimizerRule.named(name, Decimal("0.2"), given)
    generator = torch.Generator().manual_seed(7)
    start = torch.randn(5, generator=generator, dtype=DTYPE)
    grads = [torch.randn(5, generator=generator, dtype=DTYPE) for _ in range(4)]
    theta, state = start.clone(), initial_state(rule, start)
    param = torch.nn.Parameter(start.clone())
    h = {k: tuple(map(float, v)) if isinstance(v, tuple) else v if isinstance(v, bool) else float(v)
         for k, v in rule.settings.items()}  # fmt: skip
    optimizer = getattr(torch.optim, rule.optimizer.torch_class)([param], lr=0.2, **h)
    for grad in grads:
        TorchOptimizer(rule).step(theta, grad.clone(), state)
        param.grad = grad.clone()
        optimizer.step()
        assert torch.equal(theta, param.detach())
        for key in rule.state_names:
            assert torch.equal(state[key], optimizer.state[param][key])


def test_first_steps_by_hand():
    """Adam's first step is θ − γ·g/(|g| + ε) (m̂ = g, v̂ = g²); SGD with momentum μ moves by
    γg₁, then by γ(μg₁ + g₂); Adagrad's first step is γ·g/(|g| + ε)."""
    network = build_network(make_spec())
    lr, tiny = Decimal("0.1"), Decimal("1e-45")
    adam = train(network, OptimizerRule.named("adam", lr), 1).steps[0].update
    momentum = train(network, OptimizerRule.named("momentum", lr), 2)
    first, second = (step.update.params for step in momentum.steps)
    adagrad = train(network, OptimizerRule.named("adagrad", lr), 1).steps[0].update
    with exact_context():  # the test's own arithmetic at derive's 50 digits
        for s in adam.params.values():
            assert abs(s.change - lr * s.gradient / (abs(s.gradient) + Decimal("1e-8"))) < tiny
        for p, s in first.items():
            assert abs(s.change - lr * s.gradient) < tiny
            expected = lr * (Decimal("0.9") * s.gradient + second[p].gradient)
            assert abs(second[p].change - expected) < tiny
        for s in adagrad.params.values():
            assert abs(s.change - lr * s.gradient / (abs(s.gradient) + Decimal("1e-10"))) < tiny


def test_losses_fall_on_the_seed():
    network = build_network(make_spec())
    for name in OPTIMIZERS:
        run = train(network, OptimizerRule.named(name, Decimal("0.1")), 3)
        assert run.losses[-1] < run.losses[0], name


@settings(max_examples=40, **DETERMINISTIC)
@given(specs(), st.sampled_from(CASES), st.sampled_from(["0.0001", "0.01", "0.5"]))
def test_random_networks_train_as_torch_optim_does(spec, case, lr):
    name, hyper = case
    try:
        run = train(build_network(spec), OptimizerRule.named(name, Decimal(lr), hyper), 3)
    except InputError as refused:  # a run that leaves exact arithmetic's range is refused
        assert "diverges with learning rate" in str(refused)
        reject()
    check_run(run)  # raises VerificationError unless torch.optim agrees at every step


def test_a_step_beyond_1e_12_is_checked_step_by_step(monkeypatch):
    """PyTorch's own gradients a little off (as float64 can be at a saturated unit): each
    step's gradients pass the four-way check and torch.optim fed derive's gradients agrees, so
    the run passes, its drift reported. A wrong step fails, naming optimizer and step."""
    from derive.errors import VerificationError
    from derive.verify import training_check

    own = training_check.BatchModel.loss

    def drifting(model, theta):  # PyTorch's gradients 1e-9 off
        return own(model, theta) * (1 + 1e-9)

    monkeypatch.setattr(training_check.BatchModel, "loss", drifting)
    network = build_network(make_spec())
    run = train(network, OptimizerRule.named("momentum", Decimal("0.1")), 3)
    checked = training_check.check_run(run)
    assert checked.explained_steps == (1, 2, 3) and 1e-11 < checked.max_rel_diff < 1e-8

    second = run.steps[1]
    wrong = dict(second.update.params)
    wrong["w5"] = dataclasses.replace(wrong["w5"], after=wrong["w5"].after + Decimal("1e-7"))
    broken = dataclasses.replace(second, update=dataclasses.replace(second.update, params=wrong))
    run = dataclasses.replace(run, steps=(run.steps[0], broken, run.steps[2]))
    with pytest.raises(VerificationError, match="momentum, step 2"):
        training_check.check_run(run)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
@pytest.mark.parametrize("weight", ["-356", "-365"])
def test_squared_gradients_below_float64s_normal_range(name, weight):
    """σ(−360) ≈ 10⁻¹⁵⁶: the gradient's square, in Adagrad's sum or Adam's and RMSprop's
    averages, is below 2.2×10⁻³⁰⁸, where float64 keeps only steps of 5×10⁻³²⁴ (a relative
    10⁻¹¹ to 10⁻⁷ there). That is float64's limit, not a wrong step (lr 1.0, six steps)."""
    spec = parse_spec(
        {
            "network": {"layers": [1, 1], "activation": "sigmoid"},
            "values": {"inputs": [Decimal(1)], "targets": [Decimal(1)],
                       "weights": [Decimal(weight)]},
        },
        "<test>",
        "tiny",
    )  # fmt: skip
    run = train(build_network(spec), OptimizerRule.named(name, Decimal("1.0")), 6)
    assert check_run(run).max_rel_diff <= 1e-12


def test_centered_rmsprop_at_alpha_0_is_not_called_wrong():
    """alpha = 0 makes v = g² and ḡ = g: v − ḡ² is exactly 0 and the step θ − γ·g/ε. float64
    rounds the difference to about ±10⁻²⁰, and torch.optim's square root of that is NaN (or
    10⁻¹⁰): the check keeps torch's numbers, says why, and compares the rest."""
    network = build_network(make_spec())
    hyper = {"alpha": Decimal(0), "centered": True}
    run = train(network, OptimizerRule.named("rmsprop", Decimal("0.1"), hyper), 2)
    with exact_context():  # the first step by hand, at derive's 50 digits
        for s in run.steps[0].update.params.values():
            assert abs(s.change - Decimal("0.1") * s.gradient / Decimal("1e-8")) < Decimal("1e-40")
    checked = check_run(run)
    assert checked.cancelled == {1: network.params, 2: network.params}
    assert checked.explained_steps == (1, 2) and math.isnan(checked.max_rel_diff)
    assert math.isnan(checked.torch_steps[1].loss)  # torch.optim's run is NaN from step 1 on
    first = checked.torch_steps[0].params
    assert any(math.isnan(v) for v in first.values())
    assert all(math.isnan(first[p]) or first[p] != float(s.after)
               for p, s in run.steps[0].update.params.items())  # fmt: skip


def test_train_json_holds_every_step(capsys):
    from derive.commands.cli import main

    assert main(["train", "--optimizer", "adam,momentum", "--steps", "2", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert list(data["optimizers"]) == ["adam", "momentum"]
    adam = data["optimizers"]["adam"]
    assert adam["hyperparameters"] == {
        "lr": 0.1, "betas": [0.9, 0.999], "eps": 1e-08, "weight_decay": 0.0, "amsgrad": False
    }  # fmt: skip
    assert [s["step"] for s in adam["steps"]] == [1, 2]
    assert adam["steps"][0]["loss"] == pytest.approx(0.12551847239835578, rel=1e-15)
    assert set(adam["steps"][1]["state"]) == {"exp_avg", "exp_avg_sq"}
    assert adam["torch_max_rel_diff"] < 1e-13
    assert set(data["optimizers"]["momentum"]["steps"][0]["state"]) == {"momentum_buffer"}


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('optimizer = "sgd"\nbetas = [0.9, 0.99]', "training.betas: not a hyperparameter of sgd"),
        ("momentum = 0.9", "training.momentum: a hyperparameter needs an optimizer"),
        ('optimizer = "nesterov"\nmomentum = 0', "training.nesterov: needs a momentum above 0"),
        ('optimizer = "adam"\nbetas = [0.9, 1]', "training.betas[1]: must be in [0, 1)"),
        ('optimizer = "rmsprop"\neps = 0', "training.eps: must be positive"),
        ('optimizer = "momentum"\nmomentum = -0.5', "training.momentum: must not be negative"),
        ("steps = 0", "training.steps: must be a whole number from 1 to 50"),
        ("steps = 51", "training.steps: must be a whole number from 1 to 50"),
        ("lr = 0", "training.lr: must be positive"),
        ('optimizer = "lion"', "training.optimizer: unknown value 'lion'"),
        ("gamma = 1", "training.gamma: unknown key"),
    ],
)
def test_bad_training_tables_are_one_line(tmp_path, capsys, table, message):
    from derive.commands.cli import main

    spec = tmp_path / "net.toml"
    seed = (Path(__file__).parent.parent / "derive/examples/seed.toml").read_text()
    spec.write_text(f"{seed}\n[training]\n{table}\n")
    assert main(["train", str(spec)]) == 2
    err = capsys.readouterr().err
    assert err == f"derive: {spec}: {message}" + err.split(message, 1)[1] and err.count("\n") == 1


@pytest.mark.parametrize(
    "argv",
    [["--optimizer", "lion"], ["--steps", "0"], ["--steps", "51"], ["--lr", "-1"], ["--lr", "x"],
     ["--param", "w9"]],
)  # fmt: skip
def test_bad_train_options_exit_2(capsys, argv):
    from derive.commands.cli import main

    try:
        code = main(["train", *argv])
    except SystemExit as exit_:  # argparse's complaint, as one line
        code = exit_.code
    assert code == 2
    assert capsys.readouterr().err.startswith(f"derive: train: {argv[0]}: ")


@settings(max_examples=15, **DETERMINISTIC)
@given(specs(), st.sampled_from(CASES), st.lists(st.integers(-20, 20), min_size=1, max_size=12))
def test_batches_train_as_torch_optim_does(spec, case, numbers):
    """Random networks with two to six samples (inputs varied, the targets kept valid)."""
    spec = with_samples(spec, numbers)
    run = train(build_network(spec), OptimizerRule.named(case[0], Decimal("0.1"), case[1]), 2)
    assert len(run.steps[0].batch.samples) == len(spec.samples)
    check_run(run)


def test_every_optimizer_is_one_whole_entry():
    """What the check, the sheets and the charts need of an optimizer comes from its entry or
    is written for its torch.optim class: no optimizer falls into another's branch."""
    from derive.engine.operations import ACTIVATIONS
    from derive.sheets.training_lines import WRITERS, writer
    from derive.text.locale import strings

    styles = [entry.style for entry in OPTIMIZERS.values()]
    assert len({s[0] for s in styles}) == len({s[2] for s in styles}) == len(OPTIMIZERS)
    for name, entry in OPTIMIZERS.items():
        assert writer(entry.torch_class) is WRITERS[entry.torch_class]
        for lang in ("en", "ko"):
            assert strings(lang)["guide"][name]["name"]
            state_names = entry.state(entry.hyperparameters({}))
            assert all(s in strings(lang)["train_state"] for s in state_names), (name, lang)
    with pytest.raises(ValueError, match=r"no worked rows for torch\.optim\.LBFGS"):
        writer("LBFGS")
    assert {a.name for a in ACTIVATIONS.values() if a.kink} == {"relu", "leaky_relu"}
    assert {a.name for a in ACTIVATIONS.values() if a.saturates} == {
        "sigmoid",
        "tanh",
        "softmax",
    }


def test_every_locale_has_the_same_keys():
    from derive.text.locale import strings

    def keys(table: dict, prefix: str = "") -> set[str]:
        found = set()
        for key, value in table.items():
            found.add(prefix + key)
            if isinstance(value, dict):
                found |= keys(value, f"{prefix}{key}.")
        return found

    english, korean = keys(strings("en")), keys(strings("ko"))
    assert english - korean == set() and korean - english == set()
