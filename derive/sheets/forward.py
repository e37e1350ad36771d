"""Steps 1 and 2 of a sheet: the forward pass neuron by neuron, and the loss."""

from __future__ import annotations

import re

from derive.engine.losses import LOSSES
from derive.engine.names import LOSS, split
from derive.engine.network import Neuron
from derive.engine.operations import ACTIVATIONS
from derive.sheets.context import Context
from derive.sheets.document import Formula, Group, Section, Table, paragraph
from derive.sheets.lines import TERM_LIMIT, Numbers, Shown, abbreviated, equation, times, total


def forward(ctx: Context) -> Section:
    words = ctx.words["forward"]
    blocks: list = [paragraph(words["intro"])] if ctx.first else []
    for layer in ctx.net.layers:
        act = ACTIVATIONS[ctx.net.activation(layer[0].layer)]
        note = paragraph(
            words["layer_note"],
            activation=act.names[ctx.lang],
            definition=act.define(ctx.net.spec.settings),
        )
        notes = [note] if ctx.first else []  # several samples: said for the first
        if len(layer[0].terms) + bool(layer[0].bias) > TERM_LIMIT and ctx.first:
            notes.append(paragraph(words["more_terms"], limit=TERM_LIMIT))
        title = ctx.layer_title("forward", layer[0].layer)
        blocks.append(Group(title, tuple(notes), leads=True))
        full, rest = ctx.in_full(layer)
        if act.elementwise:
            blocks += [Group("", (weighted_sum(ctx, n), activation(ctx, n))) for n in full]
        else:  # softmax: each output needs every z of its layer, so all z come first
            blocks.append(Group("", tuple(weighted_sum(ctx, n) for n in full)))
            blocks.append(Group("", tuple(activation(ctx, n) for n in full)))
        if rest:
            rows = tuple((ctx.label(n.a), ctx.num.text(n.z), ctx.num.text(n.a)) for n in rest)
            blocks.append(paragraph(words["table_note"]))
            blocks.append(Table((words["col_neuron"], "z", split(layer[0].a)[0]), rows))
    return Section("forward", words["heading"], tuple(blocks))


def weighted_sum(ctx: Context, n: Neuron) -> Formula:
    num = ctx.num
    names = [ctx.tex(src) + " " + ctx.tex(w) for src, w in n.terms]
    names += [ctx.tex(n.bias)] if n.bias else []

    def values(num: Numbers) -> Shown:
        terms = [times(num.node(src), num.node(w)) for src, w in n.terms]
        return total(terms + ([num.node(n.bias)] if n.bias else []))

    names = [t[0] for t in abbreviated([(name,) for name in names])]
    value = ctx.d.values[n.z]
    return equation(ctx.tex(n.z), " + ".join(names), num.fit(values, value), num.tex(value))


def activation(ctx: Context, n: Neuron) -> Formula:
    expr = ctx.net.exprs[n.a]
    parents = ctx.net.parents[n.a]
    value = ctx.d.values[n.a]
    numbers = ctx.num.fit(lambda num: num.put_in(expr, parents, ctx.sample), value)
    return equation(ctx.tex(n.a), ctx.formula(expr), numbers, ctx.num.tex(value))


def loss(ctx: Context) -> Section:
    words, net = ctx.words["loss"], ctx.net
    entry = LOSSES[net.spec.loss]
    m = len(net.outputs)
    outputs = words["output" if m == 1 else "outputs"]
    if not ctx.first:  # several samples: the loss is defined at the first
        return Section("loss", words["heading"], (Group("", (loss_line(ctx),)),))
    intro = paragraph(words["intro"], name=entry.names[ctx.lang], m=m, outputs=outputs)
    # the definition and the worked line on one page
    definition = entry.formula if ctx.sample is None else _of_each_sample(entry.formula)
    worked = Group("", (Formula(definition), loss_line(ctx)))
    return Section("loss", words["heading"], (intro, worked))


_OUTPUT_OR_TARGET = re.compile(r"\b([oy])_\{i\}")


def _of_each_sample(definition: str) -> str:
    """The loss's definition, of several samples: each sample's C⁽ⁿ⁾ over its yᵢ⁽ⁿ⁾, oᵢ⁽ⁿ⁾."""
    marked = _OUTPUT_OR_TARGET.sub(r"\1_{i}^{(n)}", definition)
    return marked.replace("C = ", "C^{(n)} = ", 1)


def loss_line(ctx: Context) -> Formula:
    net = ctx.net
    expr = net.exprs[LOSS]
    sides = [ctx.tex(LOSS), ctx.formula(expr)]
    if len(net.outputs) <= 4:
        names = (*net.outputs, *net.targets)
        sides.append(ctx.num.fit(lambda num: num.put_in(expr, names, ctx.sample), ctx.d.loss))
    return equation(*sides, ctx.num.tex(ctx.d.loss))
