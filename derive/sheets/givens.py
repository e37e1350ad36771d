"""The sheet's first section: the network, its diagram, every given number."""

from __future__ import annotations

from collections.abc import Sequence

from derive.engine.losses import LOSSES
from derive.engine.names import node_label
from derive.engine.operations import ACTIVATIONS
from derive.sheets.context import Context
from derive.sheets.diagram import Diagram, layout
from derive.sheets.document import Figure, Group, Paragraph, Section, Table, paragraph
from derive.sheets.labels import text_width
from derive.text import numbers
from derive.text.locale import fill

MATRIX_FONT = 12.0  # px: table.matrix's font size in derive/templates/sheet.css
MATRIX_CELL = 14.0  # px: a matrix cell's padding and rule
MATRIX_WIDTH = 630.0  # px: the sheet's column; a wider matrix is split into blocks of columns
SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
COLUMN_LIMIT = 24  # more parameters read better as weight matrices than as one long column


def givens(ctx: Context, carry_note: bool = True, table_if_needed: bool = False) -> Section:
    """`carry_note`: say how the worked solution rounds (not on an exercise's question page);
    `table_if_needed`: list and number the parameters only where the diagram does not carry
    them all (an exercise's question page fits one sheet of paper)."""
    words, net, spec = ctx.words["givens"], ctx.net, ctx.net.spec
    shown = {name: ctx.num.text(name) for name in net.given}
    data = (*net.inputs, *net.targets)
    # several samples: the diagram carries the parameters alone, a table the samples
    diagram = layout(net, {k: v for k, v in shown.items() if k not in data or not net.several})
    unlabelled = any(net.layers[l - 1][0].bias for l in diagram.matrices)
    caption = _caption(words, diagram, len(net.layers), spec.bias == "layer", unlabelled)
    figure = Figure(diagram, caption)
    facts = _facts(ctx, words, shown)
    matrices = bool(diagram.matrices) or len(net.params) > COLUMN_LIMIT
    if matrices:
        params = _matrices(ctx, shown)
    else:
        params = [
            Table(
                (words["col_name"], words["col_connects"], words["col_value"]),
                tuple((node_label(p), ctx.connects(p), shown[p]) for p in net.params),
            )
        ]
    numbering = _numbering(ctx, words)
    parameters = Group(words["parameters"], tuple(params), breakable=True)
    drawn = table_if_needed and _all_drawn(diagram)
    definition = LOSSES[spec.loss].formula
    carry = "carry_rounded" if ctx.d.places is not None else "carry_exact"
    return Section(
        "givens",
        words["heading"],
        (
            figure,
            facts,
            # the matrices the diagram's caption points to next, each kept whole on a page (the
            # facts fill the diagram's page first); a short column of parameters after the
            # numbering it continues
            *([parameters] if matrices else []),
            *(_samples(ctx, words) if net.several else ()),
            # an exercise page defines the loss (courses differ: ½ or not, mean or sum)
            *([paragraph(words["loss_is"], formula=definition)] if table_if_needed else []),
            # a diagram that names and gives every parameter says all the table would
            *([] if drawn else [numbering]),
            *([] if matrices or drawn else [parameters]),
            *([paragraph(words[carry], places=ctx.places)] if carry_note else []),
        ),
    )


def _facts(ctx: Context, words: dict, shown: dict[str, str]) -> Table:
    """The network, its activations, loss, biases, learning rate and data, named."""
    spec = ctx.net.spec
    return Table(
        ("", ""),
        (
            (words["network"], network_text(spec.layers, words)),
            (words["activation"], activations_text(spec.activations, ctx.lang, words)),
            (words["loss"], LOSSES[spec.loss].names[ctx.lang]),
            (words["biases"], words[f"bias_{spec.bias}"]),
            (words["learning_rate"], f"η = {numbers.given_text(spec.learning_rate)}"),
            *_data_rows(ctx, words, shown),
        ),
        style="facts",
    )


def _numbering(ctx: Context, words: dict) -> Paragraph:
    """How the weights are numbered, by the first two (each one unbroken piece)."""
    net = ctx.net
    first, second = (
        (ctx.connects(w) for w in net.weights[:2])
        if len(net.weights) > 1
        else (ctx.connects(net.weights[0]), "…")
    )
    first, second = (text.replace(" ", "\u00a0") for text in (first, second))  # one piece
    return paragraph(words[f"numbering_{net.spec.numbering}"], first=first, second=second)


def _data_rows(ctx: Context, words: dict, shown: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """The inputs and targets, or how many samples there are (given in their own table)."""
    net = ctx.net
    if net.several:
        return ((words["samples"], fill(words["samples_row"], count=len(net.samples))),)
    return (
        (words["inputs"], ", ".join(f"{node_label(x)} = {shown[x]}" for x in net.inputs)),
        (words["targets"], ", ".join(f"{node_label(y)} = {shown[y]}" for y in net.targets)),
    )


def _samples(ctx: Context, words: dict) -> tuple[Group, Paragraph]:
    """Every sample's inputs and targets, and how a batch's loss and gradients are formed."""
    net = ctx.net
    data = (*net.inputs, *net.targets)
    header = (words["col_sample"], *(node_label(name) for name in data))
    rows = [
        (str(n), *(numbers.given_text(sample[name]) for name in data))
        for n, sample in enumerate(net.samples, start=1)
    ]
    table = Group(words["samples"], column_blocks(header, rows), breakable=True)
    return table, paragraph(words["batch_note"], count=len(net.samples))


def network_text(layers: Sequence[int], words: dict) -> str:
    """The network row of every document's givens: '2–2–1 neurons (input, 1 hidden, output)'
    (en dashes between the sizes, as printed books write them)."""
    hidden = len(layers) - 2
    return fill(
        words["layers"],
        sizes="–".join(map(str, layers)),
        hidden=fill(words["hidden_count"], count=hidden) if hidden else "",
    )


def activations_text(activations: Sequence[str], lang: str, words: dict) -> str:
    """'sigmoid', or each layer's where they differ: 'tanh (hidden), softmax (output)'."""
    names = [ACTIVATIONS[a].names[lang] for a in activations]
    if len(set(names)) == 1:
        return names[0]
    last = len(names)
    layers = [
        words["layer_output"] if k == last else fill(words["layer_hidden"], index=k)
        for k in range(1, last + 1)
    ]
    return ", ".join(fill(words["per_layer"], name=n, layer=l) for n, l in zip(names, layers))


def _all_drawn(diagram: Diagram) -> bool:
    """Every weight and bias is written on the diagram (no matrix, no neuron left out)."""
    kinds = {label.kind for label in diagram.labels}
    return not diagram.matrices and "more" not in kinds


def _caption(
    words: dict, diagram: Diagram, layers: int, shared: bool, unlabelled_biases: bool
) -> str:
    """What the diagram shows: which weights sit on edges, where the biases are (beside
    their neurons, or only in a matrix), the ⋮."""
    kinds = {label.kind for label in diagram.labels}
    if not diagram.matrices:
        weights = words["caption_weights"]
    elif len(diagram.matrices) < layers:
        weights = words["caption_some_matrices"]
    else:
        weights = words["caption_all_matrices"]
    parts = [words["diagram_caption"], weights]
    if "bias" in kinds:
        parts.append(words["caption_shared_biases" if shared else "caption_biases"])
        if unlabelled_biases:
            parts.append(words["caption_matrix_biases"])
    parts += [words["caption_more"]] if "more" in kinds else []
    return " ".join(parts)


def _matrices(ctx: Context, shown: dict[str, str]) -> list[Group]:
    """Every layer's weights as a matrix W: row = source, column = target, as in a W (and a
    row of biases): the parameters of a network whose diagram cannot carry them all, or too
    many for one column."""
    words, net = ctx.words["givens"], ctx.net
    biased = any(layer[0].bias for layer in net.layers)
    note = paragraph(words["matrix_note"] + (" " + words["matrix_biases"] if biased else ""))
    blocks: list[Group] = []
    names = [words["layer_input"]]
    names += [fill(words["layer_hidden"], index=l) for l in range(1, len(net.layers))]
    names.append(words["layer_output"])
    for l, layer in enumerate(net.layers, start=1):
        rows = [
            (node_label(source), *(_cell(n.terms[i][1], shown) for n in layer))
            for i, (source, _) in enumerate(layer[0].terms)
        ]
        if layer[0].bias:
            rows.append(("b", *(_cell(n.bias, shown) for n in layer)))
        header = ("", *(node_label(n.a) for n in layer))
        matrix = f"W⁽{str(l).translate(SUPERSCRIPT)}⁾"
        title = fill(words["matrix_title"], matrix=matrix, sources=names[l - 1], targets=names[l])
        # a page break may fall between a matrix's blocks (each kept whole), not a blank
        blocks.append(Group(title, column_blocks(header, rows), breakable=True))
    return [Group("", (note, blocks[0]), breakable=True), *blocks[1:]]


def _cell(param: str, shown: dict[str, str]) -> str:
    return f"{node_label(param)} = {shown[param]}"


def column_blocks(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> tuple[Table, ...]:
    """The matrix as tables of as many columns as the sheet's width holds (the row names
    repeated), in the fewest blocks, of even widths: 8 columns as 4 + 4, not 7 + 1."""
    columns = list(zip(header, *rows))
    widths = [max(text_width(c, MATRIX_FONT) for c in column) + MATRIX_CELL for column in columns]
    count = len(columns) - 1
    for parts in range(1, count + 1):
        size = -(-count // parts)
        spans = [(a, min(a + size, count + 1)) for a in range(1, count + 1, size)]
        if all(widths[0] + sum(widths[a:b]) <= MATRIX_WIDTH for a, b in spans) or size == 1:
            break
    return tuple(
        Table((header[0], *header[a:b]), tuple((r[0], *r[a:b]) for r in rows), style="matrix")
        for a, b in spans
    )
