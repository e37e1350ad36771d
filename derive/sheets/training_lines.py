"""One optimizer step for one parameter, worked with numbers: each row the rule's form, the
numbers put in, the value, its = under the others'. Every value is the engine's (the step's
terms and state); this module only says which rows each optimizer's step has, written through
derive/sheets/training_rows.py (each number through a `Writer`). Each row's left side is one
short symbol (g₁, m₁, v̂₁, θ₁), so the rows line up; a root or a quotient is worked inside the
row that uses it, with its numbers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal

from derive.engine.exact import exact_context
from derive.engine.names import partial_latex
from derive.engine.training import OptimizerRule
from derive.engine.update import ParameterStep, State
from derive.sheets.lines import Shown
from derive.sheets.training_rows import Step, Writer
from derive.text import numbers


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

    def begin(w: Writer) -> Shown:
        """θ₀, the spec's number as written; a later θ, the last step's."""
        return w.given(step.before) if t == 1 else w.n(step.before)

    rows = _gradient_rows(rule, step, t, param, begin)
    if len(rows) > 1:  # AdamW's decoupled decay: θ shrank first
        theta = r"\theta'"
    start = begin if theta != r"\theta'" else lambda w: w.n(terms["decayed"])
    rate_form: str = r"\eta"
    rate: Callable[[Writer], Shown] = lambda w: w.given(rule.learning_rate)  # noqa: E731
    move = writer(rule.optimizer.torch_class)(h, t, terms, prev, now, rows, rule.learning_rate)
    if rule.optimizer.torch_class == "Adagrad" and h["lr_decay"]:  # the decayed rate, worked
        rate_form = rf"\tilde\eta_{{{t}}}"
        rate = lambda w: w.n(terms["rate"])  # noqa: E731
    rows.append(
        Step(
            rf"\theta_{{{t}}}",
            f"{theta} - {rate_form} {move[0]}",
            lambda w: w.minus(start(w), w.times(rate(w), move[1](w))),
            step.after,
            numbers.updated_latex(step.after, step.change, places),
            numbers.updated(step.after, step.change, places),
        )
    )
    return [row.row(places) for row in rows]


def _gradient_rows(
    rule: OptimizerRule,
    step: ParameterStep,
    t: int,
    param: str,
    begin: Callable[[Writer], Shown],
) -> list[Step]:
    """g_t (with L2 weight decay, λθ joins it); with AdamW's decoupled decay, θ' after it."""
    decay = rule.settings.get("weight_decay")
    gradient, g, theta = partial_latex("C", param), step.terms["g"], rf"\theta_{{{t - 1}}}"
    if decay and rule.name != "adamw":  # L2: λθ joins the gradient
        return [
            Step(
                f"g_{{{t}}}",
                rf"{gradient} + \lambda {theta}",
                lambda w: w.plus(w.n(step.gradient), w.times(w.given(decay), begin(w))),
                g,
            )
        ]
    rows = [Step(f"g_{{{t}}}", gradient, lambda w: w.n(step.gradient), g)]
    if decay and rule.name == "adamw":  # decoupled: θ shrinks first
        rows.append(
            Step(
                r"\theta'",
                rf"{theta} - \eta \lambda {theta}",
                lambda w: w.minus(
                    begin(w), w.times(w.given(rule.learning_rate), w.given(decay), begin(w))
                ),
                step.terms["decayed"],
            )
        )
    return rows


Rows = list[Step]
# what η multiplies: as a form, and with numbers
Move = tuple[str, Callable[[Writer], Shown]]


def _sgd(h, t: int, terms, prev, now, rows: Rows, lr: Decimal) -> Move:
    g = terms["g"]
    if not h["momentum"]:
        return f"g_{{{t}}}", lambda w: w.n(g)
    buffer = now["momentum_buffer"]
    if t == 1:
        rows.append(Step("u_{1}", "g_{1}", lambda w: w.n(g), buffer))
    else:
        damp = h["dampening"]
        form = rf"\mu u_{{{t - 1}}} + " + (rf"(1 - \tau)\, g_{{{t}}}" if damp else f"g_{{{t}}}")

        def carried(w: Writer) -> Shown:
            kept = w.times(w.given(1 - damp), w.n(g)) if damp else w.n(g)
            return w.plus(w.times(w.given(h["momentum"]), w.n(prev["momentum_buffer"])), kept)

        rows.append(Step(f"u_{{{t}}}", form, carried, buffer))
    if h["nesterov"]:
        return rf"(g_{{{t}}} + \mu u_{{{t}}})", lambda w: w.bracket(
            w.plus(w.n(g), w.times(w.given(h["momentum"]), w.n(buffer)))
        )
    return f"u_{{{t}}}", lambda w: w.n(buffer)


def _adagrad(h, t: int, terms, prev, now, rows: Rows, lr: Decimal) -> Move:
    g = terms["g"]
    if h["lr_decay"]:
        rows.append(
            Step(
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
        Step(
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

    def average(w: Writer, name: str, x: Shown) -> Shown:
        return w.plus(w.times(w.given(alpha), w.n(prev[name])), w.times(w.given(rest), x))

    rows.append(
        Step(
            f"v_{{{t}}}",
            rf"\alpha v_{{{t - 1}}} + (1 - \alpha)\, g_{{{t}}}^2",
            lambda w: average(w, "square_avg", w.square(w.n(g))),
            now["square_avg"],
        )
    )
    root, under = rf"\sqrt{{v_{{{t}}}}} + \epsilon", now["square_avg"]
    if h["centered"]:
        rows.append(
            Step(
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
            Step(
                rf"\tilde{{v}}_{{{t}}}",
                rf"v_{{{t}}} - (g^{{ave}}_{{{t}}})^2",
                lambda w: w.minus(w.n(now["square_avg"]), w.square(w.n(now["grad_avg"]))),
                under,
            )
        )
        root = rf"\sqrt{{\tilde{{v}}_{{{t}}}}} + \epsilon"

    def scaled(w: Writer) -> Shown:
        """g / (√v + ε), or centered g / (√ṽ + ε)."""
        return w.frac(w.n(g), w.root(w.n(under), h["eps"]))

    if h["momentum"]:
        rows.append(
            Step(
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
        Step(
            f"m_{{{t}}}",
            rf"\beta_1 m_{{{t - 1}}} + (1 - \beta_1)\, g_{{{t}}}",
            lambda w: w.plus(
                w.times(w.given(beta1), w.n(prev["exp_avg"])), w.times(w.given(1 - beta1), w.n(g))
            ),
            now["exp_avg"],
        )
    )
    rows.append(
        Step(
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
            Step(
                f"v^{{max}}_{{{t}}}",
                rf"\max(v^{{max}}_{{{t - 1}}}, v_{{{t}}})",
                lambda w: w.maximum(w.n(prev["max_exp_avg_sq"]), w.n(now["exp_avg_sq"])),
                stored,
            )
        )
        v = "v^{max}"

    def corrected(w: Writer, value: Decimal, beta: Decimal) -> Shown:
        return w.frac(w.n(value), w.minus(w.given(Decimal(1)), w.power(w.given(beta), t)))

    rows.append(
        Step(
            rf"\hat m_{{{t}}}",
            rf"\frac{{m_{{{t}}}}}{{1 - \beta_1^{{{t}}}}}",
            lambda w: corrected(w, now["exp_avg"], beta1),
            terms["m_hat"],
        )
    )
    rows.append(
        Step(
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
