"""The optimizers of torch.optim, each one entry: its hyperparameters by torch's names and
defaults, its state, its update rule as PyTorch's documentation writes it, and the step itself
in exact decimals.

The steps follow PyTorch's implementation (torch 2.x), which differs from some papers: SGD's
momentum buffer starts as the first gradient, undampened; Nesterov uses g + μb; Adam's and
RMSprop's ε is added outside the square root, Adam's bias corrections are 1 − βᵗ; Adagrad's
rate decays as η/(1 + (t − 1)·lr_decay) and its sum starts at initial_accumulator_value;
AdamW decays θ ← θ − ηλθ before the Adam step, the others add λθ to the gradient (L2). Every
optimizer works parameter by parameter, so a step is a function of one parameter's value,
gradient and state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from derive.engine import torch_steps
from derive.engine.torch_steps import TorchStep

Value = Decimal | bool | tuple[Decimal, Decimal]
Hyper = Mapping[str, Value]
# (hyperparameters, learning rate, step t ≥ 1, θ, g, state before) → (θ after, state after,
# the step's intermediate terms by name, for the sheets: g with weight decay, m̂, v̂, …)
Result = tuple[Decimal, dict[str, Decimal], dict[str, Decimal]]
Step = Callable[[Hyper, Decimal, int, Decimal, Decimal, Mapping[str, Decimal]], Result]
# a chart's line: colour, dash (matplotlib's name or (offset, on-off)), marker; far apart in
# hue and lightness, so that lines that coincide, or a page printed in black and white, still
# tell the optimizers apart
Style = tuple[str, str | tuple[int, tuple[int, ...]], str]

ZERO, ONE = Decimal(0), Decimal(1)


@dataclass(frozen=True)
class Optimizer:
    """One optimizer of torch.optim: everything derive says or does with it but the worked
    rows of a step (derive/sheets/training_lines.py writes them per torch_class) and its
    names (derive/locales)."""

    name: str  # derive's name: sgd, momentum, nesterov, adagrad, rmsprop, adam, adamw
    torch_class: str  # torch.optim.<torch_class>
    defaults: dict[str, Value]  # every hyperparameter but lr, by torch's names
    state: Callable[[Hyper], tuple[str, ...]]  # torch's state names the hyperparameters use
    initial: Callable[[Hyper], dict[str, Decimal]]  # the state before the first step
    step: Step
    formula: Callable[[Hyper], tuple[str, ...]]  # LaTeX lines, the rule as PyTorch writes it
    torch_step: TorchStep  # torch.optim's functional step, for the check
    style: Style  # its line in the comparison's charts

    def __reduce__(self) -> tuple[Callable[[str], Optimizer], tuple[str]]:
        """Pickled by name (an entry of OPTIMIZERS): a worker process has the same table."""
        return _entry, (self.name,)

    def hyperparameters(self, given: Mapping[str, Value]) -> dict[str, Value]:
        """Every hyperparameter: the given ones, torch's defaults for the rest."""
        return {key: given.get(key, default) for key, default in self.defaults.items()}


def _l2(h: Hyper, theta: Decimal, g: Decimal) -> Decimal:
    decay = h["weight_decay"]
    assert isinstance(decay, Decimal)
    return g + decay * theta if decay else g


def _number(h: Hyper, key: str) -> Decimal:
    value = h[key]
    assert isinstance(value, Decimal)
    return value


# --- SGD, with momentum and Nesterov ---------------------------------------------------------


def _sgd_state(h: Hyper) -> tuple[str, ...]:
    return ("momentum_buffer",) if h["momentum"] else ()


def _sgd_step(
    h: Hyper, lr: Decimal, t: int, theta: Decimal, g: Decimal, state: Mapping[str, Decimal]
) -> Result:
    g = _l2(h, theta, g)
    momentum = _number(h, "momentum")
    if not momentum:
        return theta - lr * g, {}, {"g": g}
    if t > 1:
        buffer = momentum * state["momentum_buffer"] + (ONE - _number(h, "dampening")) * g
    else:
        buffer = g
    direction = g + momentum * buffer if h["nesterov"] else buffer
    return theta - lr * direction, {"momentum_buffer": buffer}, {"g": g}


def _sgd_formula(h: Hyper) -> tuple[str, ...]:
    lines = [r"g_t \leftarrow \nabla_\theta C(\theta_{t-1})"]
    if h["weight_decay"]:
        lines.append(r"g_t \leftarrow g_t + \lambda \theta_{t-1}")
    if h["momentum"]:
        lines.append(
            r"u_t \leftarrow \mu u_{t-1} + (1 - \tau)\, g_t \quad (t > 1), \qquad u_1 = g_1"
        )
        lines.append(r"g_t \leftarrow g_t + \mu u_t" if h["nesterov"] else r"g_t \leftarrow u_t")
    lines.append(r"\theta_t \leftarrow \theta_{t-1} - \eta g_t")
    return tuple(lines)


# --- Adagrad ---------------------------------------------------------------------------------


def _adagrad_step(
    h: Hyper, lr: Decimal, t: int, theta: Decimal, g: Decimal, state: Mapping[str, Decimal]
) -> Result:
    g = _l2(h, theta, g)
    rate = lr / (ONE + (t - 1) * _number(h, "lr_decay"))
    total = state["sum"] + g * g
    denominator = total.sqrt() + _number(h, "eps")
    return theta - rate * g / denominator, {"sum": total}, {"g": g, "rate": rate}


def _adagrad_formula(h: Hyper) -> tuple[str, ...]:
    return (
        r"\tilde\eta_t \leftarrow \eta / \bigl(1 + (t - 1)\,\kappa\bigr)",
        r"g_t \leftarrow \nabla_\theta C(\theta_{t-1})"
        + (r" + \lambda \theta_{t-1}" if h["weight_decay"] else ""),
        r"s_t \leftarrow s_{t-1} + g_t^2",
        r"\theta_t \leftarrow \theta_{t-1} - \tilde\eta_t \, \frac{g_t}{\sqrt{s_t} + \epsilon}",
    )


# --- RMSprop ---------------------------------------------------------------------------------


def _rmsprop_state(h: Hyper) -> tuple[str, ...]:
    return (
        ("square_avg",)
        + (("grad_avg",) if h["centered"] else ())
        + (("momentum_buffer",) if h["momentum"] else ())
    )


def _rmsprop_step(
    h: Hyper, lr: Decimal, t: int, theta: Decimal, g: Decimal, state: Mapping[str, Decimal]
) -> Result:
    g = _l2(h, theta, g)
    alpha = _number(h, "alpha")
    square = alpha * state["square_avg"] + (ONE - alpha) * g * g
    out = {"square_avg": square}
    variance = square
    if h["centered"]:
        mean = alpha * state["grad_avg"] + (ONE - alpha) * g
        out["grad_avg"] = mean
        variance = square - mean * mean
    denominator = variance.sqrt() + _number(h, "eps")
    scaled = g / denominator
    momentum = _number(h, "momentum")
    if momentum:
        scaled = momentum * state["momentum_buffer"] + scaled
        out["momentum_buffer"] = scaled
    return theta - lr * scaled, out, {"g": g}


def _rmsprop_formula(h: Hyper) -> tuple[str, ...]:
    lines = [
        r"g_t \leftarrow \nabla_\theta C(\theta_{t-1})"
        + (r" + \lambda \theta_{t-1}" if h["weight_decay"] else ""),
        r"v_t \leftarrow \alpha v_{t-1} + (1 - \alpha)\, g_t^2",
    ]
    denominator = r"\sqrt{v_t} + \epsilon"
    if h["centered"]:
        lines.append(r"g^{ave}_t \leftarrow \alpha g^{ave}_{t-1} + (1 - \alpha)\, g_t")
        denominator = r"\sqrt{v_t - (g^{ave}_t)^2} + \epsilon"
    if h["momentum"]:
        lines.append(rf"u_t \leftarrow \mu u_{{t-1}} + \frac{{g_t}}{{{denominator}}}")
        lines.append(r"\theta_t \leftarrow \theta_{t-1} - \eta u_t")
    else:
        lines.append(rf"\theta_t \leftarrow \theta_{{t-1}} - \eta \, \frac{{g_t}}{{{denominator}}}")
    return tuple(lines)


# --- Adam and AdamW --------------------------------------------------------------------------


def _adam_state(h: Hyper) -> tuple[str, ...]:
    return ("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if h["amsgrad"] else ())


def _adam_moments(
    h: Hyper, lr: Decimal, t: int, theta: Decimal, g: Decimal, state: Mapping[str, Decimal]
) -> Result:
    beta1, beta2 = h["betas"]  # type: ignore[misc]
    m = beta1 * state["exp_avg"] + (ONE - beta1) * g
    v = beta2 * state["exp_avg_sq"] + (ONE - beta2) * g * g
    out = {"exp_avg": m, "exp_avg_sq": v}
    if h["amsgrad"]:
        v = out["max_exp_avg_sq"] = max(state["max_exp_avg_sq"], v)
    m_hat = m / (ONE - beta1**t)
    v_hat = v / (ONE - beta2**t)
    denominator = v_hat.sqrt() + _number(h, "eps")
    return theta - lr * m_hat / denominator, out, {"g": g, "m_hat": m_hat, "v_hat": v_hat}


def _adam_step(
    h: Hyper, lr: Decimal, t: int, theta: Decimal, g: Decimal, state: Mapping[str, Decimal]
) -> Result:
    return _adam_moments(h, lr, t, theta, _l2(h, theta, g), state)


def _adamw_step(
    h: Hyper, lr: Decimal, t: int, theta: Decimal, g: Decimal, state: Mapping[str, Decimal]
) -> Result:
    decayed = theta - lr * _number(h, "weight_decay") * theta
    after, state_after, terms = _adam_moments(h, lr, t, decayed, g, state)
    return after, state_after, {"decayed": decayed, **terms}


def _adam_formula(decoupled: bool) -> Callable[[Hyper], tuple[str, ...]]:
    def formula(h: Hyper) -> tuple[str, ...]:
        lines = [
            r"g_t \leftarrow \nabla_\theta C(\theta_{t-1})"
            + (r" + \lambda \theta_{t-1}" if h["weight_decay"] and not decoupled else "")
        ]
        theta = r"\theta_{t-1}"
        if decoupled:  # PyTorch: the gradient first, then the decay, then the Adam step
            lines.append(r"\theta_t \leftarrow \theta_{t-1} - \eta \lambda \theta_{t-1}")
            theta = r"\theta_t"
        lines += [
            r"m_t \leftarrow \beta_1 m_{t-1} + (1 - \beta_1)\, g_t",
            r"v_t \leftarrow \beta_2 v_{t-1} + (1 - \beta_2)\, g_t^2",
            r"\hat m_t \leftarrow m_t / (1 - \beta_1^t)",
        ]
        if h["amsgrad"]:
            lines += [
                r"v^{max}_t \leftarrow \max(v^{max}_{t-1}, v_t)",
                r"\hat v_t \leftarrow v^{max}_t / (1 - \beta_2^t)",
            ]
        else:
            lines.append(r"\hat v_t \leftarrow v_t / (1 - \beta_2^t)")
        lines.append(
            rf"\theta_t \leftarrow {theta} - \eta \,"
            r" \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}"
        )
        return tuple(lines)

    return formula


def _zeros(names: Callable[[Hyper], tuple[str, ...]]) -> Callable[[Hyper], dict[str, Decimal]]:
    return lambda h: {name: ZERO for name in names(h)}


def _sgd(name: str, momentum: str, nesterov: bool, style: Style) -> Optimizer:
    return Optimizer(
        name,
        "SGD",
        {
            "momentum": Decimal(momentum),
            "dampening": ZERO,
            "weight_decay": ZERO,
            "nesterov": nesterov,
        },
        _sgd_state,
        _zeros(_sgd_state),
        _sgd_step,
        _sgd_formula,
        torch_steps.sgd,
        style,
    )


def _adam(name: str, torch_class: str, decay: str, step: Step, style: Style) -> Optimizer:
    return Optimizer(
        name,
        torch_class,
        {
            "betas": (Decimal("0.9"), Decimal("0.999")),
            "eps": Decimal("1e-8"),
            "weight_decay": Decimal(decay),
            "amsgrad": False,
        },
        _adam_state,
        _zeros(_adam_state),
        step,
        _adam_formula(decoupled=name == "adamw"),
        torch_steps.adam(decoupled=name == "adamw"),
        style,
    )


OPTIMIZERS: dict[str, Optimizer] = {
    entry.name: entry
    for entry in (
        _sgd("sgd", "0", nesterov=False, style=("#1f77b4", "-", "o")),
        _sgd("momentum", "0.9", nesterov=False, style=("#2ca02c", "--", "s")),
        _sgd("nesterov", "0.9", nesterov=True, style=("#17becf", ":", "^")),
        Optimizer(
            "adagrad",
            "Adagrad",
            {
                "lr_decay": ZERO,
                "weight_decay": ZERO,
                "initial_accumulator_value": ZERO,
                "eps": Decimal("1e-10"),
            },
            lambda h: ("sum",),
            lambda h: {"sum": _number(h, "initial_accumulator_value")},
            _adagrad_step,
            _adagrad_formula,
            torch_steps.adagrad,
            ("#ff7f0e", "-.", "D"),
        ),
        Optimizer(
            "rmsprop",
            "RMSprop",
            {
                "alpha": Decimal("0.99"),
                "eps": Decimal("1e-8"),
                "weight_decay": ZERO,
                "momentum": ZERO,
                "centered": False,
            },
            _rmsprop_state,
            _zeros(_rmsprop_state),
            _rmsprop_step,
            _rmsprop_formula,
            torch_steps.rmsprop,
            ("#8c564b", (0, (5, 1, 1, 1, 1, 1)), "v"),
        ),
        _adam("adam", "Adam", "0", _adam_step, ("#d62728", "-", "P")),
        _adam("adamw", "AdamW", "0.01", _adamw_step, ("#9467bd", (0, (3, 1)), "X")),
    )
}
FLAGS = ("nesterov", "centered", "amsgrad")  # the hyperparameters that are true or false
# each hyperparameter's symbol in the rules, as text: PyTorch's documentation's, but for the
# learning rate η (as on every derive sheet; PyTorch writes γ), Adagrad's lr_decay κ (PyTorch
# reuses η) and its initial_accumulator_value s₀ (PyTorch reuses dampening's τ)
SYMBOLS = {
    "lr": "η",
    "momentum": "μ",
    "dampening": "τ",
    "weight_decay": "λ",
    "lr_decay": "κ",
    "initial_accumulator_value": "s₀",
    "eps": "ε",
    "alpha": "α",
    "betas": "β₁, β₂",
}


def _entry(name: str) -> Optimizer:
    return OPTIMIZERS[name]


def problem(optimizer: Optimizer, hyper: Mapping[str, Value]) -> tuple[str, str] | None:
    """(key, what is wrong) with a full set of hyperparameters, as torch.optim would refuse
    them (or as would make its step meaningless), or None."""
    for key, value in hyper.items():
        if key in FLAGS:
            continue
        if key == "betas":
            assert isinstance(value, tuple)
            for i, beta in enumerate(value):
                if not ZERO <= beta < ONE:
                    return f"betas[{i}]", f"must be in [0, 1), got {beta}"
            continue
        assert isinstance(value, Decimal)
        if key == "eps" and value <= 0:
            return key, f"must be positive, got {value}"
        if key == "alpha" and not ZERO <= value < ONE:
            return key, f"must be in [0, 1), got {value}"
        if key == "dampening" and not ZERO <= value <= ONE:
            return key, f"must be in [0, 1], got {value}"
        if value < 0:
            return key, f"must not be negative, got {value}"
    if hyper.get("nesterov") and (not hyper["momentum"] or hyper["dampening"]):
        return "nesterov", "needs a momentum above 0 and a dampening of 0 (as torch.optim.SGD)"
    return None
