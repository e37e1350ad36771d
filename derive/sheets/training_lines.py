"""One optimizer step for one parameter, worked with numbers: each row the rule's form, the
numbers put in, the value, its = under the others'. Every value is the engine's (the step's
terms and state); this module only writes them down, a row at a time through `_row`, each
number through `_Writer`. Each row's left side is one short symbol (g₁, m₁, v̂₁, θ₁), so the
rows line up; a root or a quotient is worked inside the row that uses it, with its numbers."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from derive.engine.exact import exact_context
from derive.engine.names import partial_latex
from derive.engine.training import OptimizerRule
from derive.engine.update import ParameterStep, State
from derive.sheets import numbers
from derive.sheets.lines import LINE_WIDTH, MAX_GUARD, Shown, width

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
    (r"\tilde{v}", 1.10), (r"\tilde\eta", 1.06), ("u_", 1.03), ("g_", 0.99), ("v_", 0.97),
    (r"\theta_", 0.95), (r"\theta'", 0.86), ("s_", 0.85),
)  # fmt: skip
CONTINUED = r" \\ &= "  # a row too wide for the line goes on below, = under =


def _left_width(lhs: str) -> float:
    return next(width for start, width in LEFT_WIDTHS if lhs.startswith(start))


def aligned_rows(lines: list[str]) -> list[str]:
    """A worked step's rows as aligned formulas, = under =: one, or for a step of SPLIT_ROWS
    printed rows or more two (a page may break between them, never inside a row), each with
    a row of no height holding the step's widest left side, so that both parts' left columns
    are as wide."""
    printed = [1 + line.count(CONTINUED) for line in lines]
    if sum(printed) < SPLIT_ROWS or len(lines) < 2:
        return [_aligned(lines)]
    widest = max((line.split(" &=")[0] for line in lines), key=_left_width)
    pad = rf"\hphantom{{{widest}}} &"
    ends = [sum(printed[: k + 1]) for k in range(len(lines))]  # printed rows through line k
    half = min(next(k + 1 for k, end in enumerate(ends) if 2 * end >= ends[-1]), len(lines) - 1)
    return [_aligned([*part, pad]) for part in (lines[:half], lines[half:])]


def _aligned(rows: list[str]) -> str:
    return r"\begin{aligned} " + r" \\ ".join(rows) + r" \end{aligned}"


def _row(lhs: str, *sides: str) -> str:
    """One aligned row: lhs = side = side = …; the sides that would run past the line's
    width (lines.width's estimate) go on in rows of their own, each starting at its =."""
    rows = [[sides[0]]]
    for side in sides[1:]:
        if width(" = ".join([lhs, *rows[-1], side])) <= LINE_WIDTH:
            rows[-1].append(side)
        else:
            rows.append([side])
    return f"{lhs} &= " + CONTINUED.join(" = ".join(row) for row in rows)


class _Writer:
    """How the numbers of one step read: computed values rounded to `places` and `guard` more
    digits (a row's operands get the digits that make it check on a calculator), given ones
    as written. Each number and each piece of arithmetic is a Shown: its LaTeX and the value
    its printed digits give."""

    def __init__(self, places: int, guard: int = 0) -> None:
        self.places, self.guard = places, guard

    def n(self, value: Decimal) -> Shown:
        digits = self.places + self.guard
        return Shown(numbers.latex(value, digits), numbers.shown(value, digits))

    def given(self, value: object) -> Shown:
        assert isinstance(value, Decimal)
        return Shown(given_latex(value), value)

    @staticmethod
    def f(x: Shown) -> Shown:
        """A number as a factor or a base: in brackets when negative or m × 10^e (so ^2 has
        one base); a product, power or fraction as it is."""
        return Shown(f"({x.tex})", x.value) if _NEGATIVE_OR_POWER.match(x.tex) else x

    @staticmethod
    def _with(tex: str, value: Callable[[], Decimal]) -> Shown:
        with exact_context():
            return Shown(tex, value())

    def times(self, *factors: Shown) -> Shown:
        return self._with(
            r" \times ".join(self.f(x).tex for x in factors),
            lambda: math.prod((x.value for x in factors), start=Decimal(1)),
        )

    def plus(self, left: Shown, right: Shown) -> Shown:
        """left + right, a negative right subtracted: 0.9 × 0.1 − 0.0998."""
        tex = right.tex
        if tex.startswith("{-") and tex.endswith("}") and tex.count("{") == 1:
            return self._with(f"{left.tex} - {tex[2:-1]}", lambda: left.value + right.value)
        return self._with(f"{left.tex} + {tex}", lambda: left.value + right.value)

    def minus(self, left: Shown, right: Shown) -> Shown:
        return self._with(f"{left.tex} - {self.f(right).tex}", lambda: left.value - right.value)

    def square(self, x: Shown) -> Shown:
        return self._with(f"{self.f(x).tex}^2", lambda: x.value * x.value)

    def power(self, base: Shown, t: int) -> Shown:
        return self._with(f"{base.tex}^{{{t}}}", lambda: base.value**t)

    def frac(self, top: Shown, bottom: Shown) -> Shown:
        return self._with(rf"\frac{{{top.tex}}}{{{bottom.tex}}}", lambda: top.value / bottom.value)

    def root(self, inside: Shown, eps: object) -> Shown:
        r"""√(…) + ε, with the numbers: \sqrt{0.00995} + 10^{-8}."""
        e = self.given(eps)
        return self._with(
            rf"\sqrt{{{inside.tex}}} + {e.tex}", lambda: inside.value.sqrt() + e.value
        )

    def maximum(self, a: Shown, b: Shown) -> Shown:
        return Shown(rf"\max({a.tex}, {b.tex})", max(a.value, b.value))

    def bracket(self, x: Shown) -> Shown:
        return Shown(f"({x.tex})", x.value)


_NEGATIVE_OR_POWER = re.compile(r"^(\{-[\d.]+\}|\{?-?[\d.]+ \\times 10\^\{-?\d+\}\}?)$")


@dataclass(frozen=True)
class _Step:
    """One row to write: lhs = form = numbers = value, the numbers built by a writer (so that
    they can be written again with more digits)."""

    lhs: str
    form: str
    numbers: Callable[[_Writer], Shown]
    value: Decimal
    printed: str | None = None  # the value as printed, if not at the sheet's digits
    printed_value: Decimal | None = None

    def row(self, places: int) -> str:
        """The row, its operands given the fewest guard digits at which the printed numbers
        give the printed value on a calculator."""
        result = self.printed or numbers.latex(self.value, places)
        target = (
            self.printed_value
            if self.printed_value is not None
            else numbers.shown(self.value, places)
        )
        for guard in range(MAX_GUARD + 1):
            shown = self.numbers(_Writer(places, guard))
            if _agrees(shown.value, target):
                break
        if shown.tex == result:  # g₁ = ∂C/∂w₅ = −0.0998: the number is the value
            return _row(self.lhs, self.form, result)
        return _row(self.lhs, self.form, shown.tex, result)


def _agrees(value: Decimal, printed: Decimal) -> bool:
    try:
        return numbers.agrees(value, printed)
    except ArithmeticError:  # 1/0 of a rounded 0: more digits needed
        return False


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
    h = rule.settings
    terms: Mapping[str, Decimal] = step.terms
    prev = {name: values[param] for name, values in before.items()}
    now = {name: values[param] for name, values in after.items()}
    theta = rf"\theta_{{{t - 1}}}"

    def begin(w: _Writer) -> Shown:
        """θ₀, the spec's number as written; a later θ, the last step's."""
        return w.given(step.before) if t == 1 else w.n(step.before)

    decay = h.get("weight_decay")
    gradient = partial_latex("C", param)
    g = terms["g"]
    if decay and rule.name != "adamw":  # L2: λθ joins the gradient
        rows = [
            _Step(
                f"g_{{{t}}}",
                rf"{gradient} + \lambda {theta}",
                lambda w: w.plus(w.n(step.gradient), w.times(w.given(decay), begin(w))),
                g,
            )
        ]
    else:
        rows = [_Step(f"g_{{{t}}}", gradient, lambda w: w.n(step.gradient), g)]
    if decay and rule.name == "adamw":  # decoupled: θ shrinks first
        rows.append(
            _Step(
                r"\theta'",
                rf"{theta} - \eta \lambda {theta}",
                lambda w: w.minus(
                    begin(w), w.times(w.given(rule.learning_rate), w.given(decay), begin(w))
                ),
                terms["decayed"],
            )
        )
        theta = r"\theta'"
    start = begin if theta != r"\theta'" else lambda w: w.n(terms["decayed"])
    rate_form: str = r"\eta"
    rate: Callable[[_Writer], Shown] = lambda w: w.given(rule.learning_rate)  # noqa: E731
    move = writer(rule.optimizer.torch_class)(h, t, terms, prev, now, rows, rule.learning_rate)
    if rule.optimizer.torch_class == "Adagrad" and h["lr_decay"]:  # the decayed rate, worked
        rate_form = rf"\tilde\eta_{{{t}}}"
        rate = lambda w: w.n(terms["rate"])  # noqa: E731
    rows.append(
        _Step(
            rf"\theta_{{{t}}}",
            f"{theta} - {rate_form} {move[0]}",
            lambda w: w.minus(start(w), w.times(rate(w), move[1](w))),
            step.after,
            numbers.updated_latex(step.after, step.change, places),
            numbers.updated(step.after, step.change, places),
        )
    )
    return [row.row(places) for row in rows]


Rows = list[_Step]
# what η multiplies: as a form, and with numbers
Move = tuple[str, Callable[[_Writer], Shown]]


def _sgd(h, t: int, terms, prev, now, rows: Rows, lr: Decimal) -> Move:
    g = terms["g"]
    if not h["momentum"]:
        return f"g_{{{t}}}", lambda w: w.n(g)
    buffer = now["momentum_buffer"]
    if t == 1:
        rows.append(_Step("u_{1}", "g_{1}", lambda w: w.n(g), buffer))
    else:
        damp = h["dampening"]
        form = rf"\mu u_{{{t - 1}}} + " + (rf"(1 - \tau)\, g_{{{t}}}" if damp else f"g_{{{t}}}")

        def carried(w: _Writer) -> Shown:
            kept = w.times(w.given(1 - damp), w.n(g)) if damp else w.n(g)
            return w.plus(w.times(w.given(h["momentum"]), w.n(prev["momentum_buffer"])), kept)

        rows.append(_Step(f"u_{{{t}}}", form, carried, buffer))
    if h["nesterov"]:
        return rf"(g_{{{t}}} + \mu u_{{{t}}})", lambda w: w.bracket(
            w.plus(w.n(g), w.times(w.given(h["momentum"]), w.n(buffer)))
        )
    return f"u_{{{t}}}", lambda w: w.n(buffer)


def _adagrad(h, t: int, terms, prev, now, rows: Rows, lr: Decimal) -> Move:
    g = terms["g"]
    if h["lr_decay"]:
        rows.append(
            _Step(
                rf"\tilde\eta_{{{t}}}",
                r"\frac{\eta}{1 + (t - 1)\,\kappa}",
                lambda w: w.frac(
                    w.given(lr),
                    w.plus(
                        w.given(Decimal(1)),
                        w.times(w.given(Decimal(t - 1)), w.given(h["lr_decay"])),
                    ),
                ),
                terms["rate"],
            )
        )
    rows.append(
        _Step(
            f"s_{{{t}}}",
            f"s_{{{t - 1}}} + g_{{{t}}}^2",
            lambda w: w.plus(w.n(prev["sum"]), w.square(w.n(g))),
            now["sum"],
        )
    )
    return (
        rf"\frac{{g_{{{t}}}}}{{\sqrt{{s_{{{t}}}}} + \epsilon}}",
        lambda w: w.frac(w.n(g), w.root(w.n(now["sum"]), h["eps"])),
    )


def _rmsprop(h, t: int, terms, prev, now, rows: Rows, lr: Decimal) -> Move:
    g = terms["g"]
    alpha, rest = h["alpha"], 1 - h["alpha"]

    def average(w: _Writer, name: str, x: Shown) -> Shown:
        return w.plus(w.times(w.given(alpha), w.n(prev[name])), w.times(w.given(rest), x))

    rows.append(
        _Step(
            f"v_{{{t}}}",
            rf"\alpha v_{{{t - 1}}} + (1 - \alpha)\, g_{{{t}}}^2",
            lambda w: average(w, "square_avg", w.square(w.n(g))),
            now["square_avg"],
        )
    )
    root, under = rf"\sqrt{{v_{{{t}}}}} + \epsilon", now["square_avg"]
    if h["centered"]:
        rows.append(
            _Step(
                f"g^{{ave}}_{{{t}}}",
                rf"\alpha g^{{ave}}_{{{t - 1}}} + (1 - \alpha)\, g_{{{t}}}",
                lambda w: average(w, "grad_avg", w.n(g)),
                now["grad_avg"],
            )
        )
        # the variance worked in a row of its own (PyTorch's ṽ): put into the root, v and
        # g^ave would need all the digits that cancel in v − (g^ave)² (all, at alpha = 0)
        with exact_context():  # as the engine's step takes it
            under = now["square_avg"] - now["grad_avg"] * now["grad_avg"]
        rows.append(
            _Step(
                rf"\tilde{{v}}_{{{t}}}",
                rf"v_{{{t}}} - (g^{{ave}}_{{{t}}})^2",
                lambda w: w.minus(w.n(now["square_avg"]), w.square(w.n(now["grad_avg"]))),
                under,
            )
        )
        root = rf"\sqrt{{\tilde{{v}}_{{{t}}}}} + \epsilon"

    def scaled(w: _Writer) -> Shown:
        """g / (√v + ε), or centered g / (√ṽ + ε)."""
        return w.frac(w.n(g), w.root(w.n(under), h["eps"]))

    if h["momentum"]:
        rows.append(
            _Step(
                f"u_{{{t}}}",
                rf"\mu u_{{{t - 1}}} + \frac{{g_{{{t}}}}}{{{root}}}",
                lambda w: w.plus(
                    w.times(w.given(h["momentum"]), w.n(prev["momentum_buffer"])), scaled(w)
                ),
                now["momentum_buffer"],
            )
        )
        return f"u_{{{t}}}", lambda w: w.n(now["momentum_buffer"])
    return rf"\frac{{g_{{{t}}}}}{{{root}}}", scaled


def _adam(h, t: int, terms, prev, now, rows: Rows, lr: Decimal) -> Move:
    g = terms["g"]
    beta1, beta2 = h["betas"]
    rows.append(
        _Step(
            f"m_{{{t}}}",
            rf"\beta_1 m_{{{t - 1}}} + (1 - \beta_1)\, g_{{{t}}}",
            lambda w: w.plus(
                w.times(w.given(beta1), w.n(prev["exp_avg"])), w.times(w.given(1 - beta1), w.n(g))
            ),
            now["exp_avg"],
        )
    )
    rows.append(
        _Step(
            f"v_{{{t}}}",
            rf"\beta_2 v_{{{t - 1}}} + (1 - \beta_2)\, g_{{{t}}}^2",
            lambda w: w.plus(
                w.times(w.given(beta2), w.n(prev["exp_avg_sq"])),
                w.times(w.given(1 - beta2), w.square(w.n(g))),
            ),
            now["exp_avg_sq"],
        )
    )
    v, stored = "v", now["exp_avg_sq"]
    if h["amsgrad"]:
        stored = now["max_exp_avg_sq"]
        rows.append(
            _Step(
                f"v^{{max}}_{{{t}}}",
                rf"\max(v^{{max}}_{{{t - 1}}}, v_{{{t}}})",
                lambda w: w.maximum(w.n(prev["max_exp_avg_sq"]), w.n(now["exp_avg_sq"])),
                stored,
            )
        )
        v = "v^{max}"

    def corrected(w: _Writer, value: Decimal, beta: Decimal) -> Shown:
        return w.frac(w.n(value), w.minus(w.given(Decimal(1)), w.power(w.given(beta), t)))

    rows.append(
        _Step(
            rf"\hat m_{{{t}}}",
            rf"\frac{{m_{{{t}}}}}{{1 - \beta_1^{{{t}}}}}",
            lambda w: corrected(w, now["exp_avg"], beta1),
            terms["m_hat"],
        )
    )
    rows.append(
        _Step(
            rf"\hat v_{{{t}}}",
            rf"\frac{{{v}_{{{t}}}}}{{1 - \beta_2^{{{t}}}}}",
            lambda w: corrected(w, stored, beta2),
            terms["v_hat"],
        )
    )
    return (
        rf"\frac{{\hat m_{{{t}}}}}{{\sqrt{{\hat v_{{{t}}}}} + \epsilon}}",
        lambda w: w.frac(w.n(terms["m_hat"]), w.root(w.n(terms["v_hat"]), h["eps"])),
    )


# each torch.optim class's worked rows (what η multiplies, and the rows before the update)
WRITERS: dict[str, Callable[..., Move]] = {
    "SGD": _sgd,
    "Adagrad": _adagrad,
    "RMSprop": _rmsprop,
    "Adam": _adam,
    "AdamW": _adam,  # the decoupled decay is its own row, written before these
}


def writer(torch_class: str) -> Callable[..., Move]:
    """The rows of an optimizer's step; an optimizer without any is an error, never another
    optimizer's rows."""
    if torch_class not in WRITERS:
        raise ValueError(f"no worked rows for torch.optim.{torch_class}")
    return WRITERS[torch_class]
