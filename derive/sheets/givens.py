"""The sheet's first section: the network, its diagram, every given number."""

from __future__ import annotations

from derive.engine.names import node_label
from derive.engine.operations import ACTIVATIONS, LOSSES
from derive.sheets import numbers
from derive.sheets.context import Context
from derive.sheets.diagram import layout
from derive.sheets.document import Figure, Group, Section, Table
from derive.sheets.locale import fill, paragraph


def givens(ctx: Context) -> Section:
    words, net, spec = ctx.words["givens"], ctx.net, ctx.net.spec
    shown = {name: ctx.num.text(name) for name in net.given}
    figure = Figure(layout(net, shown), words["diagram_caption"])
    hidden = len(spec.layers) - 2
    sizes = "–".join(map(str, spec.layers))
    acts = [ACTIVATIONS[a] for a in dict.fromkeys(spec.activations)]
    facts = Table(
        ("", ""),
        (
            (
                words["network"],
                fill(
                    words["layers"],
                    sizes=sizes,
                    hidden=fill(words["hidden_count"], count=hidden) if hidden else "",
                ),
            ),
            (words["activation"], ", ".join(a.names[ctx.lang] for a in acts)),
            (words["loss"], LOSSES[spec.loss].names[ctx.lang]),
            (words["learning_rate"], f"η = {numbers.given_text(spec.learning_rate)}"),
            (words["inputs"], ", ".join(f"{node_label(x)} = {shown[x]}" for x in net.inputs)),
            (words["targets"], ", ".join(f"{node_label(y)} = {shown[y]}" for y in net.targets)),
        ),
        style="facts",
    )
    params = Table(
        (words["col_name"], words["col_connects"], words["col_value"]),
        tuple((node_label(p), ctx.connects(p), shown[p]) for p in net.params),
    )
    first, second = (
        (ctx.connects(w) for w in net.weights[:2])
        if len(net.weights) > 1
        else (ctx.connects(net.weights[0]), "…")
    )
    numbering = paragraph(words[f"numbering_{spec.numbering}"], first=first, second=second)
    carry = "carry_rounded" if ctx.d.places is not None else "carry_exact"
    return Section(
        "givens",
        words["heading"],
        (
            figure,
            facts,
            numbering,
            Group(words["parameters"], (params,), breakable=True),
            paragraph(words[carry], places=ctx.places),
        ),
    )
