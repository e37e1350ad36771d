"""One optimizer step for one parameter, worked with numbers: each row the rule's form, the
numbers put in, the value, its = under the others'. Every value is the engine's (the step's
terms and state); this module only writes them down, a row at a time through `_row`, each
number through `_Writer`. Each row's left side is one short symbol (g₁, m₁, v̂₁, θ₁), so the
rows line up; a root or a quotient is worked inside the row that uses it, with its numbers."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from derive.engine.names import partial_latex
from derive.engine.training import OptimizerRule
from derive.engine.update import ParameterStep, State
from derive.sheets import numbers

POWER_BELOW = -3  # a given number under 10⁻³ (ε, a tiny decay) is written m × 10^e


def given_latex(value: Decimal) -> str:
    """A number the user (or torch's defaults) gave, as written; a tiny one as 10^{-8} or
    m \\times 10^{e}, not as a row of zeros."""
    if not value or value.adjusted() >= POWER_BELOW:
        return numbers.given_latex(value)
    mantissa = value.scaleb(-value.adjusted()).normalize()
    power = rf"10^{{{value.adjusted()}}}"
    return power if mantissa == 1 else rf"{numbers.given_latex(mantissa)} \times {power}"


def given_text(value: Decimal) -> str:
    """given_latex as text: 10⁻⁸, 5 × 10⁻⁹, 0.999."""
    if not value or value.adjusted() >= POWER_BELOW:
        return numbers.given_text(value)
    mantissa = value.scaleb(-value.adjusted()).normalize()
    power = "10" + str(value.adjusted()).translate(numbers.SUPERSCRIPT)
    return power if mantissa == 1 else f"{numbers.given_text(mantissa)} × {power}"


SPLIT_ROWS = 5  # a worked step of this many rows or more is set in two parts
# each left side's printed width (em, measured): the widest of a step's pads the others
LEFT_WIDTHS = (
    ("v^{max}", 2.13), ("g^{ave}", 1.81), (r"\hat m", 1.71), (r"\hat v", 1.36), ("m_", 1.27),
    (r"\tilde\eta", 1.06), ("u_", 1.03), ("g_", 0.99), ("v_", 0.97), (r"\theta_", 0.95),
    (r"\theta'", 0.86), ("s_", 0.85),
)  # fmt: skip


def _left_width(lhs: str) -> float:
    return next(width for start, width in LEFT_WIDTHS if lhs.startswith(start))


def aligned_rows(lines: list[str]) -> list[str]:
    """A worked step's rows as aligned formulas, = under =: one, or for a long step two (a
    page may break between them), each with a row of no height holding the step's widest
    left side, so that both parts' left columns are as wide."""
    if len(lines) < SPLIT_ROWS:
        return [_aligned(lines)]
    widest = max((line.split(" &=")[0] for line in lines), key=_left_width)
    pad = rf"\hphantom{{{widest}}} &"
    half = (len(lines) + 1) // 2
    return [_aligned([*part, pad]) for part in (lines[:half], lines[half:])]


def _aligned(rows: list[str]) -> str:
    return r"\begin{aligned} " + r" \\ ".join(rows) + r" \end{aligned}"


def _row(lhs: str, *sides: str) -> str:
    """One aligned row: lhs = side = side = …"""
    return rf"{lhs} &= " + " = ".join(sides)


class _Writer:
    """How the numbers of one step read: computed values rounded to `places`, given ones as
    written."""

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
        return given_latex(value)

    def root(self, square: Decimal, eps: object) -> str:
        r"""√(a number) + ε, with the numbers: \sqrt{0.00995} + 10^{-8}."""
        return rf"\sqrt{{{self.n(square)}}} + {self.given(eps)}"

    def times(self, *factors: str) -> str:
        return r" \times ".join(factors)

    def plus(self, left: str, right: str) -> str:
        """left + right, a negative right subtracted: 0.9 × 0.1 − 0.0998."""
        if right.startswith("{-") and right.endswith("}") and right.count("{") == 1:
            return f"{left} - {right[2:-1]}"
        return f"{left} + {right}"


def worked_lines(
    rule: OptimizerRule,
    step: ParameterStep,
    t: int,
    before: State,
    after: State,
    param: str,
    places: int,
) -> list[str]:
    """Aligned LaTeX rows (`lhs &= …`) of step `t` of `rule` for `param`."""
    w = _Writer(places)
    h = rule.settings
    terms: Mapping[str, Decimal] = step.terms
    prev = {name: values[param] for name, values in before.items()}
    now = {name: values[param] for name, values in after.items()}
    theta, start = rf"\theta_{{{t - 1}}}", w.n(step.before)
    decay = h.get("weight_decay")
    gradient = partial_latex("C", param)
    if decay and rule.name != "adamw":  # L2: λθ joins the gradient
        added = w.times(w.given(decay), w.f(step.before))
        lines = [
            _row(
                f"g_{{{t}}}",
                rf"{gradient} + \lambda {theta}",
                w.plus(w.n(step.gradient), added),
                w.n(terms["g"]),
            )
        ]
    else:
        lines = [_row(f"g_{{{t}}}", gradient, w.n(step.gradient))]
    if decay and rule.name == "adamw":  # decoupled: θ shrinks first
        shrink = w.times(w.given(rule.learning_rate), w.given(decay), w.f(step.before))
        lines.append(
            _row(
                r"\theta'",
                rf"{theta} - \eta \lambda {theta}",
                f"{start} - {shrink}",
                w.n(terms["decayed"]),
            )
        )
        theta, start = r"\theta'", w.n(terms["decayed"])
    kind = rule.optimizer.torch_class
    rate = (r"\eta", w.given(rule.learning_rate))
    if kind == "SGD":
        move = _sgd(w, h, t, terms["g"], prev, now, lines)
    elif kind == "Adagrad":
        move = _adagrad(w, h, t, terms, prev, now, lines, rate[1])
        if h["lr_decay"]:
            rate = (rf"\tilde\eta_{{{t}}}", w.n(terms["rate"]))
    elif kind == "RMSprop":
        move = _rmsprop(w, h, t, terms, prev, now, lines)
    else:
        move = _adam(w, h, t, terms, prev, now, lines)
    lines.append(
        _row(
            rf"\theta_{{{t}}}",
            f"{theta} - {rate[0]} {move[0]}",
            f"{start} - {w.times(rate[1], move[1])}",
            numbers.updated_latex(step.after, step.change, places),
        )
    )
    return lines


Rows = list[str]
Move = tuple[str, str]  # what η multiplies: as a form, and with numbers


def _sgd(w: _Writer, h, t: int, g: Decimal, prev, now, lines: Rows) -> Move:
    if not h["momentum"]:
        return f"g_{{{t}}}", w.f(g)
    mu = w.given(h["momentum"])
    buffer = now["momentum_buffer"]
    if t == 1:
        lines.append(_row("u_{1}", "g_{1}", w.n(buffer)))
    else:
        damp = h["dampening"]
        form = rf"\mu u_{{{t - 1}}} + " + (rf"(1 - \tau)\, g_{{{t}}}" if damp else f"g_{{{t}}}")
        kept = w.times(w.given(1 - damp), w.f(g)) if damp else w.n(g)
        carried = w.times(mu, w.f(prev["momentum_buffer"]))
        lines.append(_row(f"u_{{{t}}}", form, w.plus(carried, kept), w.n(buffer)))
    if h["nesterov"]:
        ahead = w.plus(w.n(g), w.times(mu, w.f(buffer)))
        return rf"(g_{{{t}}} + \mu u_{{{t}}})", f"({ahead})"
    return f"u_{{{t}}}", w.f(buffer)


def _adagrad(w: _Writer, h, t: int, terms, prev, now, lines: Rows, lr: str) -> Move:
    g = terms["g"]
    if h["lr_decay"]:
        lines.append(
            _row(
                rf"\tilde\eta_{{{t}}}",
                r"\frac{\eta}{1 + (t - 1)\,\kappa}",
                rf"\frac{{{lr}}}{{1 + {t - 1} \times {w.given(h['lr_decay'])}}}",
                w.n(terms["rate"]),
            )
        )
    lines.append(
        _row(
            f"s_{{{t}}}",
            f"s_{{{t - 1}}} + g_{{{t}}}^2",
            w.plus(w.n(prev["sum"]), f"{w.f(g)}^2"),
            w.n(now["sum"]),
        )
    )
    return (
        rf"\frac{{g_{{{t}}}}}{{\sqrt{{s_{{{t}}}}} + \epsilon}}",
        rf"\frac{{{w.n(g)}}}{{{w.root(now['sum'], h['eps'])}}}",
    )


def _rmsprop(w: _Writer, h, t: int, terms, prev, now, lines: Rows) -> Move:
    g = terms["g"]
    alpha, rest = w.given(h["alpha"]), w.given(1 - h["alpha"])
    lines.append(
        _row(
            f"v_{{{t}}}",
            rf"\alpha v_{{{t - 1}}} + (1 - \alpha)\, g_{{{t}}}^2",
            w.plus(w.times(alpha, w.f(prev["square_avg"])), w.times(rest, f"{w.f(g)}^2")),
            w.n(now["square_avg"]),
        )
    )
    root = rf"\sqrt{{v_{{{t}}}}} + \epsilon"
    shown_root = w.root(now["square_avg"], h["eps"])
    if h["centered"]:
        lines.append(
            _row(
                f"g^{{ave}}_{{{t}}}",
                rf"\alpha g^{{ave}}_{{{t - 1}}} + (1 - \alpha)\, g_{{{t}}}",
                w.plus(w.times(alpha, w.f(prev["grad_avg"])), w.times(rest, w.f(g))),
                w.n(now["grad_avg"]),
            )
        )
        root = rf"\sqrt{{v_{{{t}}} - (g^{{ave}}_{{{t}}})^2}} + \epsilon"
        inside = f"{w.n(now['square_avg'])} - {w.f(now['grad_avg'])}^2"
        shown_root = rf"\sqrt{{{inside}}} + {w.given(h['eps'])}"
    scaled = rf"\frac{{{w.n(g)}}}{{{shown_root}}}"
    if h["momentum"]:
        lines.append(
            _row(
                f"u_{{{t}}}",
                rf"\mu u_{{{t - 1}}} + \frac{{g_{{{t}}}}}{{{root}}}",
                w.plus(w.times(w.given(h["momentum"]), w.f(prev["momentum_buffer"])), scaled),
                w.n(now["momentum_buffer"]),
            )
        )
        return f"u_{{{t}}}", w.f(now["momentum_buffer"])
    return rf"\frac{{g_{{{t}}}}}{{{root}}}", scaled


def _adam(w: _Writer, h, t: int, terms, prev, now, lines: Rows) -> Move:
    g = terms["g"]
    beta1, beta2 = h["betas"]
    lines.append(
        _row(
            f"m_{{{t}}}",
            rf"\beta_1 m_{{{t - 1}}} + (1 - \beta_1)\, g_{{{t}}}",
            w.plus(
                w.times(w.given(beta1), w.f(prev["exp_avg"])), w.times(w.given(1 - beta1), w.f(g))
            ),
            w.n(now["exp_avg"]),
        )
    )
    lines.append(
        _row(
            f"v_{{{t}}}",
            rf"\beta_2 v_{{{t - 1}}} + (1 - \beta_2)\, g_{{{t}}}^2",
            w.plus(
                w.times(w.given(beta2), w.f(prev["exp_avg_sq"])),
                w.times(w.given(1 - beta2), f"{w.f(g)}^2"),
            ),
            w.n(now["exp_avg_sq"]),
        )
    )
    v, stored = "v", now["exp_avg_sq"]
    if h["amsgrad"]:
        stored = now["max_exp_avg_sq"]
        lines.append(
            _row(
                f"v^{{max}}_{{{t}}}",
                rf"\max(v^{{max}}_{{{t - 1}}}, v_{{{t}}})",
                rf"\max({w.n(prev['max_exp_avg_sq'])}, {w.n(now['exp_avg_sq'])})",
                w.n(stored),
            )
        )
        v = "v^{max}"
    lines.append(
        _row(
            rf"\hat m_{{{t}}}",
            rf"\frac{{m_{{{t}}}}}{{1 - \beta_1^{{{t}}}}}",
            rf"\frac{{{w.n(now['exp_avg'])}}}{{1 - {w.given(beta1)}^{{{t}}}}}",
            w.n(terms["m_hat"]),
        )
    )
    lines.append(
        _row(
            rf"\hat v_{{{t}}}",
            rf"\frac{{{v}_{{{t}}}}}{{1 - \beta_2^{{{t}}}}}",
            rf"\frac{{{w.n(stored)}}}{{1 - {w.given(beta2)}^{{{t}}}}}",
            w.n(terms["v_hat"]),
        )
    )
    return (
        rf"\frac{{\hat m_{{{t}}}}}{{\sqrt{{\hat v_{{{t}}}}} + \epsilon}}",
        rf"\frac{{{w.n(terms['m_hat'])}}}{{{w.root(terms['v_hat'], h['eps'])}}}",
    )
