"""One optimizer step for one parameter, worked with numbers: each line the rule's form, the
numbers put in, the value. Every value is the engine's (the step's terms and state); this
module only writes them down."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from derive.engine.names import partial_latex
from derive.engine.training import OptimizerRule
from derive.engine.update import ParameterStep, State
from derive.sheets import numbers


class _Writer:
    def __init__(self, places: int) -> None:
        self.places = places

    def n(self, value: Decimal) -> str:
        return numbers.latex(value, self.places)

    def f(self, value: Decimal) -> str:
        """A factor or a base: in brackets when negative or m × 10^e (so ^2 has one base)."""
        shown = self.n(value)
        return f"({shown})" if value < 0 or r"\times" in shown else shown

    def given(self, value: object) -> str:
        assert isinstance(value, Decimal)
        return numbers.given_latex(value)


def worked_lines(
    rule: OptimizerRule,
    step: ParameterStep,
    t: int,
    before: State,
    after: State,
    param: str,
    places: int,
) -> list[str]:
    """Aligned LaTeX lines (`lhs &= …`) of step `t` of `rule` for `param`."""
    w = _Writer(places)
    h, lr = rule.settings, w.given(rule.learning_rate)
    terms: Mapping[str, Decimal] = step.terms
    prev = {name: values[param] for name, values in before.items()}
    now = {name: values[param] for name, values in after.items()}
    lines = [rf"g_{{{t}}} &= {partial_latex('C', param)} = {w.n(step.gradient)}"]
    theta = rf"\theta_{{{t - 1}}}"
    start = w.n(step.before)
    decay = h.get("weight_decay")
    if decay and rule.name == "adamw":
        lines.append(
            rf"\theta' &= {theta} - \gamma \lambda {theta} = {start} - {lr} \times "
            rf"{w.given(decay)} \times {w.f(step.before)} = {w.n(terms['decayed'])}"
        )
        theta, start = r"\theta'", w.n(terms["decayed"])
    elif decay:
        lines.append(
            rf"g_{{{t}}} &\leftarrow g_{{{t}}} + \lambda {theta} = {w.n(step.gradient)} + "
            rf"{w.given(decay)} \times {w.f(step.before)} = {w.n(terms['g'])}"
        )
    g = terms["g"]
    kind = rule.optimizer.torch_class
    move: list[str]  # what γ multiplies, as a form and with numbers
    if kind == "SGD":
        move = _sgd(w, h, t, g, prev, now, terms, lines)
    elif kind == "Adagrad":
        move = _adagrad(w, h, t, g, prev, now, terms, lines)
        lr = w.n(terms["rate"]) if h["lr_decay"] else lr
    elif kind == "RMSprop":
        move = _rmsprop(w, h, t, g, prev, now, terms, lines)
    else:
        move = _adam(w, h, t, g, prev, now, terms, lines)
    gamma = r"\tilde\gamma" if kind == "Adagrad" and h["lr_decay"] else r"\gamma"
    after_value = numbers.updated_latex(step.after, step.change, places)
    lines.append(
        rf"\theta_{{{t}}} &= {theta} - {gamma} {move[0]} = {start} - {lr} \times {move[1]} "
        rf"= {after_value}"
    )
    return lines


def _sgd(w, h, t, g, prev, now, terms, lines) -> list[str]:
    if not h["momentum"]:
        return [f"g_{{{t}}}", w.f(g)]
    mu = w.given(h["momentum"])
    if t == 1:
        lines.append(rf"b_{{1}} &= g_{{1}} = {w.n(now['momentum_buffer'])}")
    else:
        damp = h["dampening"]
        keep = "" if not damp else r"(1 - \tau)\, "
        kept = "" if not damp else rf"{w.n(1 - damp)} \times "
        lines.append(
            rf"b_{{{t}}} &= \mu b_{{{t - 1}}} + {keep}g_{{{t}}} = {mu} \times "
            rf"{w.f(prev['momentum_buffer'])} + {kept}{w.f(g)} = {w.n(now['momentum_buffer'])}"
        )
    if h["nesterov"]:
        lines.append(
            rf"g_{{{t}}} + \mu b_{{{t}}} &= {w.n(g)} + {mu} \times "
            rf"{w.f(now['momentum_buffer'])} = {w.n(terms['direction'])}"
        )
        return [rf"(g_{{{t}}} + \mu b_{{{t}}})", w.f(terms["direction"])]
    return [f"b_{{{t}}}", w.f(now["momentum_buffer"])]


def _adagrad(w, h, t, g, prev, now, terms, lines) -> list[str]:
    if h["lr_decay"]:
        lines.append(
            rf"\tilde\gamma &= \gamma / (1 + (t - 1)\,\eta) = \gamma / (1 + {t - 1} \times "
            rf"{w.given(h['lr_decay'])}) = {w.n(terms['rate'])}"
        )
    lines.append(
        rf"s_{{{t}}} &= s_{{{t - 1}}} + g_{{{t}}}^2 = {w.n(prev['sum'])} + {w.f(g)}^2 "
        rf"= {w.n(now['sum'])}"
    )
    lines.append(rf"\sqrt{{s_{{{t}}}}} + \epsilon &= {w.n(terms['denominator'])}")
    return [
        rf"\frac{{g_{{{t}}}}}{{\sqrt{{s_{{{t}}}}} + \epsilon}}",
        rf"\frac{{{w.n(g)}}}{{{w.n(terms['denominator'])}}}",
    ]


def _rmsprop(w, h, t, g, prev, now, terms, lines) -> list[str]:
    alpha = w.given(h["alpha"])
    rest = w.n(1 - h["alpha"])
    lines.append(
        rf"v_{{{t}}} &= \alpha v_{{{t - 1}}} + (1 - \alpha)\, g_{{{t}}}^2 = {alpha} \times "
        rf"{w.n(prev['square_avg'])} + {rest} \times {w.f(g)}^2 = {w.n(now['square_avg'])}"
    )
    root = rf"\sqrt{{v_{{{t}}}}} + \epsilon"
    if h["centered"]:
        lines.append(
            rf"g^{{ave}}_{{{t}}} &= \alpha g^{{ave}}_{{{t - 1}}} + (1 - \alpha)\, g_{{{t}}} = "
            rf"{alpha} \times {w.f(prev['grad_avg'])} + {rest} \times {w.f(g)} "
            rf"= {w.n(now['grad_avg'])}"
        )
        root = rf"\sqrt{{v_{{{t}}} - (g^{{ave}}_{{{t}}})^2}} + \epsilon"
    lines.append(rf"{root} &= {w.n(terms['denominator'])}")
    scaled = rf"\frac{{{w.n(g)}}}{{{w.n(terms['denominator'])}}}"
    if h["momentum"]:
        lines.append(
            rf"b_{{{t}}} &= \mu b_{{{t - 1}}} + \frac{{g_{{{t}}}}}{{{root}}} = "
            rf"{w.given(h['momentum'])} \times {w.f(prev['momentum_buffer'])} + {scaled} "
            rf"= {w.n(now['momentum_buffer'])}"
        )
        return [f"b_{{{t}}}", w.f(now["momentum_buffer"])]
    return [rf"\frac{{g_{{{t}}}}}{{{root}}}", scaled]


def _adam(w, h, t, g, prev, now, terms, lines) -> list[str]:
    beta1, beta2 = h["betas"]
    lines.append(
        rf"m_{{{t}}} &= \beta_1 m_{{{t - 1}}} + (1 - \beta_1)\, g_{{{t}}} = {w.given(beta1)} "
        rf"\times {w.f(prev['exp_avg'])} + {w.n(1 - beta1)} \times {w.f(g)} "
        rf"= {w.n(now['exp_avg'])}"
    )
    lines.append(
        rf"v_{{{t}}} &= \beta_2 v_{{{t - 1}}} + (1 - \beta_2)\, g_{{{t}}}^2 = {w.given(beta2)} "
        rf"\times {w.n(prev['exp_avg_sq'])} + {w.n(1 - beta2)} \times {w.f(g)}^2 "
        rf"= {w.n(now['exp_avg_sq'])}"
    )
    v = "v"
    if h["amsgrad"]:
        lines.append(
            rf"v^{{max}}_{{{t}}} &= \max(v^{{max}}_{{{t - 1}}}, v_{{{t}}}) "
            rf"= {w.n(now['max_exp_avg_sq'])}"
        )
        v = "v^{max}"
    lines.append(
        rf"\hat m_{{{t}}} &= \frac{{m_{{{t}}}}}{{1 - \beta_1^{{{t}}}}} = "
        rf"\frac{{{w.n(now['exp_avg'])}}}{{1 - {w.given(beta1)}^{{{t}}}}} = {w.n(terms['m_hat'])}"
    )
    stored = now["max_exp_avg_sq"] if h["amsgrad"] else now["exp_avg_sq"]
    lines.append(
        rf"\hat v_{{{t}}} &= \frac{{{v}_{{{t}}}}}{{1 - \beta_2^{{{t}}}}} = "
        rf"\frac{{{w.n(stored)}}}{{1 - {w.given(beta2)}^{{{t}}}}} = {w.n(terms['v_hat'])}"
    )
    lines.append(rf"\sqrt{{\hat v_{{{t}}}}} + \epsilon &= {w.n(terms['denominator'])}")
    return [
        rf"\frac{{\hat m_{{{t}}}}}{{\sqrt{{\hat v_{{{t}}}}} + \epsilon}}",
        rf"\frac{{{w.n(terms['m_hat'])}}}{{{w.n(terms['denominator'])}}}",
    ]
