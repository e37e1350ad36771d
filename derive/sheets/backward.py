"""Step 3 of a sheet: backpropagation, output layer first — error signals, every factor of the
chain rule (generic form → numbers → value), every gradient and its update."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import sympy as sp

from derive.engine.derivation import Local
from derive.engine.exact import exact_context
from derive.engine.losses import LOSSES
from derive.engine.names import (
    LOSS,
    Name,
    node_label,
    split,
)
from derive.engine.network import Neuron
from derive.engine.operations import ACTIVATIONS
from derive.sheets import latex
from derive.sheets.context import LONG_TABLE, Context
from derive.sheets.document import Formula, Group, Section, Table, paragraph
from derive.sheets.lines import TERM_LIMIT, Numbers, Shown, abbreviated, equation, times, total
from derive.text import numbers
from derive.text.locale import fill

PATH_LIMIT = 2  # chain-rule paths written out as products of partials

# a neuron's error signal of more lines may run on to the next page rather than leave a blank
# (no page is left over a quarter empty); it keeps its heading with its first line, and its
# last two lines together
KEEP_WHOLE = 2


def backward(ctx: Context) -> Section:
    words = ctx.words["backward"]
    blocks: list = []
    if ctx.first:  # said once, before the first sample's chain rule
        blocks += [paragraph(words["intro"]), paragraph(words["delta"])]
    if ctx.sample is None:  # several samples: the step is taken on their mean, later
        blocks.append(paragraph(words["update"]))
    for layer in reversed(ctx.net.layers):
        hidden = layer[0].a not in ctx.net.outputs
        wide = hidden and len(ctx.children[layer[0].a]) > TERM_LIMIT  # said once per layer
        sums = (paragraph(words["more_terms"], limit=TERM_LIMIT),) if wide else ()
        blocks.append(Group(ctx.layer_title("backward", layer[0].layer), sums, leads=True))
        blocks += signals(ctx, layer)
        blocks += gradients(ctx, layer)
    return Section("backward", words["heading"], tuple(blocks))


def _elementwise(ctx: Context, layer: int) -> bool:
    return ACTIVATIONS[ctx.net.activation(layer)].elementwise


def signals(ctx: Context, layer: tuple[Neuron, ...]) -> list:
    words = ctx.words["backward"]
    loss = LOSSES[ctx.net.spec.loss]
    shortcut = loss.delta_shortcut if ctx.net.activation(layer[0].layer) == loss.needs else None
    out = []
    if shortcut is not None and layer[0].a in ctx.net.outputs:
        o, y = sp.symbols("o y")
        out.append(
            paragraph(
                words["shortcut"],
                activation=ACTIVATIONS[loss.needs].names[ctx.lang],
                loss=loss.names[ctx.lang],
                formula=r"\delta = " + latex.formula(shortcut(o, y, len(ctx.net.outputs))),
            )
        )
    full, rest = ctx.in_full(layer)
    elementwise = _elementwise(ctx, layer[0].layer)
    if not elementwise:  # softmax: each δ needs every ∂C/∂o of its layer, so those come first
        out.append(Group(words["upstreams"], tuple(upstream(ctx, n.a) for n in full)))
    for n in full:
        lines = [upstream(ctx, n.a)] if elementwise else []
        lines += [
            local_line(ctx, ctx.d.locals[(a, n.z)])
            for a in ctx.children[n.z]
            if a == n.a or not elementwise
        ]
        lines.append(delta_line(ctx, n.z))
        if shortcut is not None and n.a in ctx.net.outputs:
            lines.append(shortcut_line(ctx, n, shortcut))
        lines += _inactive(ctx, n)
        title = f"{words['signals']}: {ctx.label(n.a)}"
        out.append(Group(title, tuple(lines), breakable=len(lines) > KEEP_WHOLE))
    if rest:
        rows = tuple(
            (
                ctx.label(n.a),
                ctx.num.text_of(ctx.d.adjoints[n.a].value),
                ctx.num.text_of(ctx.d.locals[(n.a, n.z)].value),
                ctx.num.text_of(ctx.d.adjoints[n.z].value),
            )
            for n in rest
        )
        a = split(layer[0].a)[0]  # h or o, as in the worked lines
        upstream_col, local_col = (fill(words[k], a=a) for k in ("col_upstream", "col_local"))
        header = (words["col_neuron"], upstream_col, local_col, "δ")
        out += [paragraph(words["signal_table_note"]), Table(header, rows)]
    return out


def _inactive(ctx: Context, n: Neuron) -> list:
    """A unit with a kink that this input leaves flat (ReLU at z < 0): its derivative is 0,
    and so is every gradient through it; said where its δ is worked, for it explains zeros
    further down."""
    kinked = ACTIVATIONS[ctx.net.activation(n.layer)].kink
    if not kinked or ctx.d.locals[(n.a, n.z)].value != 0 or not ctx.d.values[n.z] < 0:
        return []
    a, z, value = ctx.label(n.a), ctx.tex(n.z), ctx.num.tex(ctx.d.values[n.z])
    return [paragraph(ctx.words["backward"]["inactive"], a=a, z=z, value=value)]


def shortcut_line(ctx: Context, n: Neuron, shortcut: Callable[..., sp.Expr]) -> Formula:
    """δ = o − y (softmax with cross-entropy), the textbook shortcut of the chain above; its
    value is the chain's δ. The numbers are written in only where they are the ones the chain
    used (exact carry): rounded numbers need not give the rounded δ."""
    symbols = ctx.net.symbols
    target = ctx.net.targets[n.index]
    form = shortcut(symbols[n.a], symbols[target], len(ctx.net.outputs))
    value = ctx.d.adjoints[n.z].value
    sides = [ctx.delta(n.z), ctx.formula(form)]
    if ctx.d.places is None:
        sides.append(ctx.num.fit(lambda num: num.put_in(form, (n.a, target)), value))
    return equation(*sides, ctx.num.tex(value))


def upstream(ctx: Context, node: str) -> Formula:
    """∂C/∂a: the loss derivative at an output, a sum over the next layer elsewhere."""
    num = ctx.num
    if node in ctx.net.outputs:
        local = ctx.d.locals[(LOSS, node)]
        return equation(
            ctx.partial(LOSS, node),
            ctx.formula(local.simplified),
            num.fit(lambda num: num.substituted(local), local.value),
            num.tex(local.value),
        )
    children = ctx.children[node]
    terms = [
        (
            ctx.partial(LOSS, z) + ctx.partial(z, node),
            ctx.delta(z) + " " + ctx.formula(ctx.d.locals[(z, node)].simplified),
        )
        for z in children
    ]
    partials, symbolic = zip(*abbreviated(terms), strict=True)

    def numeric(num: Numbers) -> Shown:
        return total(
            [
                times(
                    num.operand(ctx.d.adjoints[z].value), num.substituted(ctx.d.locals[(z, node)])
                )
                for z in children
            ]
        )

    value = ctx.d.adjoints[node].value
    return equation(
        ctx.partial(LOSS, node),
        " + ".join(partials),
        " + ".join(symbolic),
        num.fit(numeric, value),
        num.tex(value),
    )


def local_line(ctx: Context, local: Local) -> Formula:
    layers = [n.layer for n in ctx.net.neurons if n.a == local.of]
    elementwise = not layers or _elementwise(ctx, layers[0])
    sides = [
        ctx.partial(local.of, local.wrt),
        # softmax's derivative as SymPy writes it is a page wide: its o-form says it all
        ctx.formula(local.generic) if elementwise else ctx.formula(local.simplified),
        ctx.formula(local.simplified),
    ]
    # a constant derivative (a linear unit's 1) is its own value: not "1 = 1.000"
    if local.simplified.is_Number:
        return equation(*sides)
    numbers = ctx.num.fit(lambda num: num.substituted(local), local.value)
    return equation(*sides, numbers, ctx.num.slope(local).tex)


def delta_line(ctx: Context, z: str) -> Formula:
    num = ctx.num
    children = ctx.children[z]
    partials = [ctx.partial(LOSS, a) + " " + ctx.partial(a, z) for a in children]

    def numeric(num: Numbers) -> Shown:
        return total(
            [
                times(num.operand(ctx.d.adjoints[a].value), num.slope(ctx.d.locals[(a, z)]))
                for a in children
            ]
        )

    value = ctx.d.adjoints[z].value
    return equation(
        f"{ctx.delta(z)} = {ctx.partial(LOSS, z)}",
        " + ".join(partials),
        num.fit(numeric, value),
        num.tex(value),
    )


def gradients(ctx: Context, layer: tuple[Neuron, ...]) -> list:
    """Each parameter's gradient, and its update (one sample; of several, the step is taken on
    their mean, later)."""
    words = ctx.words["backward"]
    updates = ctx.sample is None
    title = words["params" if updates else "gradients"]
    full, rest = ctx.params_in_full(layer)
    out = [
        Group(
            f"{title}: {node_label(p)}",
            (gradient_line(ctx, p), update_line(ctx, p)) if updates else (gradient_line(ctx, p),),
        )
        for p in full
    ]
    if len(rest) > LONG_TABLE:
        out.append(paragraph(words["rest_in_summary"], count=len(rest)))
    elif rest:
        rows = []
        for p in rest:
            g = ctx.d.gradients[p]
            deltas = ", ".join(ctx.num.text_of(ctx.d.adjoints[z].value) for z in g.uses)
            inputs = ", ".join(_input_text(ctx, ctx.d.locals[(z, p)]) for z in g.uses)
            row = (node_label(p), ctx.connects(p), deltas, inputs, ctx.num.text_of(g.value))
            rows.append((*row, ctx.num.text(p), ctx.num.updated_text(p)) if updates else row)
        keys = ["col_param", "col_connects", "col_delta", "col_input", "col_gradient"]
        keys += ["col_old", "col_new"] if updates else []
        note = words["param_table_note" if updates else "gradient_table_note"]
        header = tuple(fill(words[k], C=ctx.label(LOSS)) for k in keys)  # C⁽ⁿ⁾ of a sample
        out += [paragraph(note), Table(header, tuple(rows))]
    return out


def _input_text(ctx: Context, local: Local) -> str:
    """What a parameter multiplies: a bias's 1 as in its worked line, not 1.000."""
    return "1" if local.simplified == 1 else ctx.num.text_of(local.value)


def gradient_line(ctx: Context, param: str) -> Formula:
    """∂C/∂p = the chain of partials = Σ δ·input, with numbers."""
    num = ctx.num
    g = ctx.d.gradients[param]
    symbolic = []
    for z in g.uses:
        factor = ctx.formula(ctx.d.locals[(z, param)].simplified)
        symbolic.append(ctx.delta(z) + ("" if factor == "1" else " " + factor))

    def numeric(num: Numbers) -> Shown:
        return total(
            [
                times(
                    num.operand(ctx.d.adjoints[z].value), num.substituted(ctx.d.locals[(z, param)])
                )
                for z in g.uses
            ]
        )

    sides = [ctx.partial(LOSS, param)]
    if g.paths and len(g.paths) <= PATH_LIMIT:
        sides.append(
            " + ".join(
                r" \cdot ".join(ctx.partial(a, b) for a, b in itertools.pairwise(path))
                for path in g.paths
            )
        )
    chain = len(sides) == 2  # the chain of partials on a row of its own
    sides += [" + ".join(symbolic), num.fit(numeric, g.value), num.tex(g.value)]
    return equation(*sides, first_row=1 if chain else 0)


def update_line(ctx: Context, param: str) -> Formula:
    """p' = p − η·∂C/∂p, with numbers, from the update rule's step."""
    num = ctx.num
    step = ctx.u.params[param]
    p = ctx.tex(param)
    rate = ctx.u.rule.learning_rate

    def numeric(num: Numbers) -> Shown:
        change = times(Shown(numbers.given_latex(rate), rate), num.operand(step.gradient))
        old = num.node(param)
        with exact_context():
            return Shown(f"{old.tex} - {change.tex}", old.value - change.value)

    return equation(
        Name(param, updated=True).latex,
        rf"{p} - \eta \, {ctx.partial(LOSS, param)}",
        num.fit(numeric, step.after, num.updated(param)),
        num.updated_tex(param),
    )
