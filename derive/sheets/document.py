"""The worked solution as a document: sections of text, formulas (LaTeX), tables and a figure.

Plain data read off the Derivation (what the sheet shows) and the Verification (what was
checked); it computes no number. Renderers turn it into HTML and PDF; words come from
derive/locales/<lang>.toml.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import re
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from typing import ClassVar

from derive import __version__
from derive.engine.derivation import Derivation, Local
from derive.engine.network import LOSS, Network, Neuron
from derive.engine.operations import ACTIVATIONS, LOSSES
from derive.sheets import latex, numbers
from derive.sheets.diagram import Diagram, label, layout
from derive.verify.verification import SYMPY_LIMIT, Verification

LANGUAGES = ("en", "ko")
DETAIL_LIMIT = 6  # neurons or parameters per layer worked in full; the rest go to a table
TERM_LIMIT = 6  # terms of a weighted sum written out before it is abbreviated
PATH_LIMIT = 2  # chain-rule paths written out as products of partials
LINE_WIDTH = 72  # about the characters a formula line holds on A4 (see _width)


@dataclass(frozen=True)
class Paragraph:
    parts: tuple[tuple[str, str], ...]  # ("text", words) or ("math", LaTeX)
    kind: ClassVar[str] = "paragraph"


@dataclass(frozen=True)
class Formula:
    latex: str
    kind: ClassVar[str] = "formula"


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    style: str = "numbers"  # numbers: right-aligned after the first column; facts: label, text
    kind: ClassVar[str] = "table"


@dataclass(frozen=True)
class Figure:
    diagram: Diagram
    caption: str
    kind: ClassVar[str] = "figure"


@dataclass(frozen=True)
class Group:
    """Blocks kept together on one page, under an optional small heading."""

    title: str
    blocks: tuple
    kind: ClassVar[str] = "group"


@dataclass(frozen=True)
class Section:
    key: str
    heading: str
    blocks: tuple


@dataclass(frozen=True)
class Document:
    lang: str
    title: str
    subtitle: str
    sections: tuple[Section, ...]
    footer: tuple[str, ...]


def strings(lang: str) -> dict:
    text = resources.files("derive").joinpath(f"locales/{lang}.toml").read_text("utf-8")
    return tomllib.loads(text)


_FIELD = re.compile(r"\{(\w+)\}")


def fill(template: str, **fields: object) -> str:
    """Put fields into a locale string, leaving LaTeX braces such as w_{1} alone."""
    return _FIELD.sub(lambda m: str(fields.get(m.group(1), m.group(0))), template)


def paragraph(template: str, **fields: object) -> Paragraph:
    """A locale string with $…$ inline math split into text and math parts."""
    pieces = fill(template, **fields).split("$")
    return Paragraph(tuple(("math" if i % 2 else "text", p) for i, p in enumerate(pieces) if p))


def spec_digest(network: Network) -> str:
    """sha256 of the spec's content (not its file), so the footer names what was solved."""
    spec = network.spec
    content = {
        "layers": spec.layers,
        "activations": spec.activations,
        "loss": spec.loss,
        "bias": spec.bias,
        "numbering": spec.numbering,
        "values": [
            list(map(str, v)) for v in (spec.inputs, spec.targets, spec.weights, spec.biases)
        ],
        "learning_rate": str(spec.learning_rate),
        "title": spec.title,
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


class _Numbers:
    """Formats the shown derivation's values: given numbers as written, computed ones rounded."""

    def __init__(self, derivation: Derivation, places: int) -> None:
        self.d, self.places = derivation, places
        self.given = derivation.network.given

    def tex(self, value: Decimal) -> str:
        return numbers.latex(value, self.places)

    def node(self, name: str) -> str:
        if name in self.given:
            return numbers.given_latex(self.given[name])
        return self.tex(self.d.values[name])

    def text(self, name: str) -> str:
        if name in self.given:
            return numbers.given_text(self.given[name])
        return numbers.text(self.d.values[name], self.places)

    def factor(self, tex: str) -> str:
        """A number as a factor of a product: negatives in parentheses."""
        return rf"\left({tex}\right)" if tex.startswith("{-") else tex

    def substituted(self, local: Local) -> str:
        symbols = self.d.network.symbols
        return latex.formula(
            local.simplified, {symbols[n]: self.node(n) for n in local.substitution}
        )


_FRACTION = re.compile(r"\\frac\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}")
_COMMAND = re.compile(r"\\(left|right|cdot|times|,|[a-zA-Z]+)")


def _width(tex: str) -> int:
    """Rough printed width of a formula in characters: a fraction is as wide as its wider
    part, commands and braces take no room, an operator about one character."""
    while (match := _FRACTION.search(tex)) is not None:
        wider = max(match.group(1), match.group(2), key=lambda part: _width(part))
        tex = tex[: match.start()] + wider + tex[match.end() :]
    tex = _COMMAND.sub("x", tex)
    return len(re.sub(r"[{}_^\s]", "", tex)) + tex.count(" = ") * 2


def _product(factors: list[str]) -> str:
    return " \\times ".join(factors)


class _Builder:
    def __init__(self, shown: Derivation, places: int, lang: str) -> None:
        self.d, self.places, self.lang = shown, places, lang
        self.net = shown.network
        self.s = strings(lang)
        self.num = _Numbers(shown, places)
        self.children = self.net.children()

    # ---- helpers -------------------------------------------------------------------------
    def equation(self, *sides: str, first_row: int = 0) -> Formula:
        """a = b = c, dropping a side that repeats the one before it. A line too wide for the
        page is set as aligned rows (=-signs under each other); `first_row` keeps that many
        sides after the left-hand one on the first row."""
        kept = [sides[0]]
        for side in sides[1:]:
            if side != kept[-1]:
                kept.append(side)
        if not first_row and _width(" = ".join(kept)) <= LINE_WIDTH:
            return Formula(" = ".join(kept))
        rows: list[list[str]] = [kept[1 : 1 + first_row]] if first_row else []
        for side in kept[1 + first_row :]:
            if rows and _width(" = ".join([kept[0], *rows[-1], side])) <= LINE_WIDTH:
                rows[-1].append(side)
            else:
                rows.append([side])
        body = r" \\ ".join("&= " + " = ".join(row) for row in rows)
        return Formula(rf"\begin{{aligned}} {kept[0]} {body} \end{{aligned}}")

    def delta(self, z: str) -> str:
        return rf"\delta_{{{z[1:]}}}"

    def layer_title(self, section: str, layer: int) -> str:
        last = len(self.net.layers)
        return (
            self.s[section]["output_layer"]
            if layer == last
            else fill(self.s[section]["hidden_layer"], index=layer)
        )

    def connects(self, param: str) -> str:
        for n in self.net.neurons:
            for source, weight in n.terms:
                if weight == param:
                    return f"{label(source)} → {label(n.a)}"
        users = [n.a for n in self.net.neurons if n.bias == param]
        return fill(self.s["givens"]["bias_of"], neurons=", ".join(map(label, users)))

    def layer_params(self, layer: tuple[Neuron, ...]) -> list[str]:
        weights = [w for n in layer for _, w in n.terms]
        biases = list(dict.fromkeys(n.bias for n in layer if n.bias))
        order = {p: k for k, p in enumerate(self.net.params)}
        return sorted(weights, key=order.get) + biases

    # ---- sections ------------------------------------------------------------------------
    def givens(self) -> Section:
        s, net, spec = self.s["givens"], self.net, self.net.spec
        shown = {name: self.num.text(name) for name in net.given}
        figure = Figure(layout(net, shown), s["diagram_caption"])
        hidden = len(spec.layers) - 2
        sizes = "–".join(map(str, spec.layers))
        acts = [ACTIVATIONS[a] for a in dict.fromkeys(spec.activations)]
        loss = LOSSES[spec.loss]
        facts = Table(
            ("", ""),
            (
                (
                    s["network"],
                    fill(
                        s["layers"],
                        sizes=sizes,
                        hidden=fill(s["hidden_count"], count=hidden) if hidden else "",
                    ),
                ),
                (s["activation"], ", ".join(a.names[self.lang] for a in acts)),
                (s["loss"], loss.names[self.lang]),
                (s["learning_rate"], f"η = {numbers.given_text(spec.learning_rate)}"),
                (s["inputs"], ", ".join(f"{label(x)} = {shown[x]}" for x in net.inputs)),
                (s["targets"], ", ".join(f"{label(y)} = {shown[y]}" for y in net.targets)),
            ),
            style="facts",
        )
        params = Table(
            (s["col_name"], s["col_connects"], s["col_value"]),
            tuple((label(p), self.connects(p), shown[p]) for p in net.params),
        )
        first, second = (
            (self.connects(w) for w in net.weights[:2])
            if len(net.weights) > 1
            else (self.connects(net.weights[0]), "…")
        )
        numbering = paragraph(s[f"numbering_{spec.numbering}"], first=first, second=second)
        carry = "carry_rounded" if self.d.places is not None else "carry_exact"
        return Section(
            "givens",
            s["heading"],
            (
                figure,
                facts,
                numbering,
                Group(s["parameters"], (params,)),
                paragraph(s[carry], places=self.places),
            ),
        )

    def forward(self) -> Section:
        s, blocks = self.s["forward"], [paragraph(self.s["forward"]["intro"])]
        for layer in self.net.layers:
            act = ACTIVATIONS[self.net.activation(layer[0].layer)]
            blocks.append(
                Group(
                    self.layer_title("forward", layer[0].layer),
                    (
                        paragraph(
                            s["layer_note"],
                            activation=act.names[self.lang],
                            definition=act.definition,
                        ),
                    ),
                )
            )
            for k, n in enumerate(layer):
                if k < DETAIL_LIMIT:
                    blocks.append(Group("", (self.weighted_sum(n), self.activation(n))))
            if len(layer) > DETAIL_LIMIT:
                rows = tuple(
                    (label(n.a), self.num.text(n.z), self.num.text(n.a))
                    for n in layer[DETAIL_LIMIT:]
                )
                blocks.append(Table(("", "z", "a"), rows))
        return Section("forward", s["heading"], tuple(blocks))

    def weighted_sum(self, n: Neuron) -> Formula | Group:
        terms = [
            (
                latex.name(src) + " " + latex.name(w),
                _product([self.num.factor(self.num.node(src)), self.num.factor(self.num.node(w))]),
            )
            for src, w in n.terms
        ]
        if n.bias:
            terms.append((latex.name(n.bias), self.num.node(n.bias)))
        if len(terms) > TERM_LIMIT:
            terms = [*terms[:2], (r"\cdots", r"\cdots"), terms[-1]]
        names = " + ".join(t[0] for t in terms)
        values = " + ".join(t[1] for t in terms)
        formula = self.equation(latex.name(n.z), names, values, self.num.node(n.z))
        if len(n.terms) + bool(n.bias) > TERM_LIMIT:
            note = paragraph(self.s["forward"]["more_terms"], count=len(n.terms))
            return Group("", (formula, note))
        return formula

    def activation(self, n: Neuron) -> Formula:
        expr = self.net.exprs[n.a]
        symbols = self.net.symbols
        zs = {symbols[z]: self.num.node(z) for z in self.net.parents[n.a]}
        return self.equation(
            latex.name(n.a), latex.formula(expr), latex.formula(expr, zs), self.num.node(n.a)
        )

    def loss(self) -> Section:
        s, net = self.s["loss"], self.net
        loss = LOSSES[net.spec.loss]
        intro = paragraph(s["intro"], name=loss.names[self.lang], m=len(net.outputs))
        return Section("loss", s["heading"], (intro, Formula(loss.formula), self.loss_line()))

    def loss_line(self) -> Formula:
        net = self.net
        expr = net.exprs[LOSS]
        subs = {net.symbols[n]: self.num.node(n) for n in (*net.outputs, *net.targets)}
        sides = ["C", latex.formula(expr)]
        if len(net.outputs) <= 4:
            sides.append(latex.formula(expr, subs))
        return self.equation(*sides, self.num.tex(self.d.loss))

    def worked(self, name: str) -> tuple[Formula, ...]:
        """The worked line(s) of one quantity (names as in derive.grading.quantities)."""
        neurons = {n.z: n for n in self.net.neurons} | {n.a: n for n in self.net.neurons}
        if name == LOSS:
            return (self.loss_line(),)
        if name in neurons:
            n = neurons[name]
            return (self.weighted_sum(n) if name == n.z else self.activation(n),)
        if name.endswith("'"):
            return (self.gradient_lines(name[:-1])[1],)
        of, _, wrt = name.partition("/")
        of, wrt = of[1:], wrt[1:]
        if of != LOSS or wrt in self.net.outputs:
            if of == LOSS:
                return (self.upstream(wrt),)
            return (self.local_line(self.d.locals[(of, wrt)]),)
        if wrt in self.d.gradients:
            return (self.gradient_lines(wrt)[0],)
        return (
            (self.delta_line(wrt),)
            if wrt in {n.z for n in self.net.neurons}
            else (self.upstream(wrt),)
        )

    def backward(self) -> Section:
        s = self.s["backward"]
        blocks: list = [paragraph(s["intro"]), paragraph(s["delta"]), paragraph(s["update"])]
        for layer in reversed(self.net.layers):
            blocks.append(Group(self.layer_title("backward", layer[0].layer), ()))
            blocks += self.signals(layer)
            blocks += self.gradients(layer)
        return Section("backward", s["heading"], tuple(blocks))

    def signals(self, layer: tuple[Neuron, ...]) -> list:
        s = self.s["backward"]
        out = []
        detailed = layer[:DETAIL_LIMIT]
        for n in detailed:
            lines = [self.upstream(n.a)]
            lines += [
                self.local_line(self.d.locals[(a, n.z)])
                for a in self.children[n.z]
                if a == n.a or not ACTIVATIONS[self.net.activation(n.layer)].elementwise
            ]
            lines.append(self.delta_line(n.z))
            out.append(Group(f"{s['signals']}: {label(n.a)}", tuple(lines)))
        if len(layer) > DETAIL_LIMIT:
            rows = tuple(
                (
                    label(n.a),
                    numbers.text(self.d.adjoints[n.a].value, self.places),
                    numbers.text(self.d.locals[(n.a, n.z)].value, self.places),
                    numbers.text(self.d.adjoints[n.z].value, self.places),
                )
                for n in layer[DETAIL_LIMIT:]
            )
            out += [
                paragraph(s["signal_table_note"]),
                Table((s["col_neuron"], s["col_upstream"], s["col_local"], "δ"), rows),
            ]
        return out

    def upstream(self, node: str) -> Formula:
        """∂C/∂a: the loss derivative at an output, a sum over the next layer elsewhere."""
        if node in self.net.outputs:
            local = self.d.locals[(LOSS, node)]
            return self.equation(
                latex.partial(LOSS, node),
                latex.formula(local.simplified),
                self.num.substituted(local),
                self.num.tex(local.value),
            )
        partials, symbolic, numeric = [], [], []
        for z in self.children[node]:
            local = self.d.locals[(z, node)]
            partials.append(latex.partial(LOSS, z) + latex.partial(z, node))
            symbolic.append(self.delta(z) + " " + latex.formula(local.simplified))
            numeric.append(
                _product(
                    [
                        self.num.factor(self.num.tex(self.d.adjoints[z].value)),
                        self.num.factor(self.num.substituted(local)),
                    ]
                )
            )
        return self.equation(
            latex.partial(LOSS, node),
            " + ".join(partials),
            " + ".join(symbolic),
            " + ".join(numeric),
            self.num.tex(self.d.adjoints[node].value),
        )

    def local_line(self, local: Local) -> Formula:
        layers = [n.layer for n in self.net.neurons if n.a == local.of]
        elementwise = not layers or ACTIVATIONS[self.net.activation(layers[0])].elementwise
        return self.equation(
            latex.partial(local.of, local.wrt),
            # softmax's derivative as SymPy writes it is a page wide: its o-form says it all
            latex.formula(local.generic) if elementwise else latex.formula(local.simplified),
            latex.formula(local.simplified),
            self.num.substituted(local),
            self.num.tex(local.value),
        )

    def delta_line(self, z: str) -> Formula:
        partials, numeric = [], []
        for a in self.children[z]:
            partials.append(latex.partial(LOSS, a) + " " + latex.partial(a, z))
            numeric.append(
                _product(
                    [
                        self.num.factor(self.num.tex(self.d.adjoints[a].value)),
                        self.num.factor(self.num.tex(self.d.locals[(a, z)].value)),
                    ]
                )
            )
        return self.equation(
            f"{self.delta(z)} = {latex.partial(LOSS, z)}",
            " + ".join(partials),
            " + ".join(numeric),
            self.num.tex(self.d.adjoints[z].value),
        )

    def gradients(self, layer: tuple[Neuron, ...]) -> list:
        s = self.s["backward"]
        params = self.layer_params(layer)
        out = [
            Group(f"{s['params']}: {label(p)}", self.gradient_lines(p))
            for p in params[:DETAIL_LIMIT]
        ]
        if len(params) > DETAIL_LIMIT:
            rows = []
            for p in params[DETAIL_LIMIT:]:
                g = self.d.gradients[p]
                deltas = ", ".join(
                    numbers.text(self.d.adjoints[z].value, self.places) for z in g.uses
                )
                inputs = ", ".join(
                    numbers.text(self.d.locals[(z, p)].value, self.places) for z in g.uses
                )
                rows.append(
                    (
                        label(p),
                        self.connects(p),
                        deltas,
                        inputs,
                        numbers.text(g.value, self.places),
                        self.num.text(p),
                        numbers.updated_text(g.updated, g.step, self.places),
                    )
                )
            out += [
                paragraph(s["param_table_note"]),
                Table(
                    (
                        s["col_param"],
                        s["col_connects"],
                        s["col_delta"],
                        s["col_input"],
                        s["col_gradient"],
                        s["col_old"],
                        s["col_new"],
                    ),
                    tuple(rows),
                ),
            ]
        return out

    def gradient_lines(self, param: str) -> tuple[Formula, ...]:
        g = self.d.gradients[param]
        symbolic, numeric = [], []
        for z in g.uses:
            local = self.d.locals[(z, param)]
            factor = latex.formula(local.simplified)
            symbolic.append(self.delta(z) + ("" if factor == "1" else " " + factor))
            numeric.append(
                _product(
                    [
                        self.num.factor(self.num.tex(self.d.adjoints[z].value)),
                        self.num.factor(self.num.substituted(local)),
                    ]
                )
            )
        sides = [latex.partial(LOSS, param)]
        if g.paths and len(g.paths) <= PATH_LIMIT:
            sides.append(
                " + ".join(
                    r" \cdot ".join(latex.partial(a, b) for a, b in itertools.pairwise(path))
                    for path in g.paths
                )
            )
        chain = len(sides) == 2  # the chain of partials on a row of its own
        sides += [" + ".join(symbolic), " + ".join(numeric), self.num.tex(g.value)]
        gradient = self.equation(*sides, first_row=1 if chain else 0)
        p = latex.name(param)
        rate = numbers.given_latex(self.net.spec.learning_rate)
        update = self.equation(
            f"{p}'",
            rf"{p} - \eta \, {latex.partial(LOSS, param)}",
            f"{self.num.node(param)} - {rate} \\times {self.num.factor(self.num.tex(g.value))}",
            numbers.updated_latex(g.updated, g.step, self.places),
        )
        return gradient, update

    def summary(self) -> Section:
        s = self.s["summary"]
        rows = tuple(
            (
                label(p),
                self.num.text(p),
                numbers.text(g.value, self.places),
                numbers.updated_text(g.updated, g.step, self.places),
            )
            for p, g in self.d.gradients.items()
        )
        table = Table((s["col_param"], s["col_old"], s["col_gradient"], s["col_new"]), rows)
        loss = paragraph(s["loss_line"], loss=self.num.tex(self.d.loss))
        return Section("summary", s["heading"], (loss, table))

    def verification(self, v: Verification) -> Section:
        s = self.s["verification"]
        blocks: list = [paragraph(s["intro"], step=f"{v.step:g}")]

        def cell(value: float | None) -> str:
            return s["skipped"] if value is None else f"{value:.10g}".replace("-", numbers.MINUS)

        rows = tuple(
            (
                label(p) + ("*" if c.kink else ""),
                cell(c.chain_rule),
                cell(c.sympy),
                cell(c.autograd),
                cell(c.finite_difference),
                f"{c.largest_disagreement:.1e}".replace("-", numbers.MINUS),
            )
            for p, c in v.checks.items()
        )
        blocks.append(
            Table(
                (
                    s["col_param"],
                    s["col_chain"],
                    s["col_sympy"],
                    s["col_autograd"],
                    s["col_fd"],
                    s["col_gap"],
                ),
                rows,
            )
        )
        if v.sympy_skipped:
            reason = f"{len(v.checks)} > {SYMPY_LIMIT}"
            blocks.append(paragraph(s["sympy_skipped"], reason=reason))
        if any(c.kink for c in v.checks.values()):
            blocks.append(paragraph(s["kink"]))
        if self.d.places is not None:
            blocks.append(paragraph(s["rounded_note"]))
        return Section("verification", s["heading"], tuple(blocks))

    def footer(self, carry: str) -> tuple[str, ...]:
        s, spec = self.s["footer"], self.net.spec
        return (
            fill(s["made_by"], version=__version__),
            fill(s["spec"], source=spec.source, digest=spec_digest(self.net)[:16]),
            fill(s["options"], lang=self.lang, places=self.places, carry=carry),
        )


class DocumentBuilder:
    """Builds a sheet's document; everything but the verification section can be built (and
    typeset) while the verification still runs."""

    def __init__(self, shown: Derivation, lang: str, places: int, carry: str) -> None:
        """`shown` is the exact derivation or its hand-rounded twin."""
        self._b = _Builder(shown, places, lang)
        self.carry = carry
        self.body = (
            self._b.givens(),
            self._b.forward(),
            self._b.loss(),
            self._b.backward(),
            self._b.summary(),
        )

    def document(self, verification: Verification | None) -> Document:
        """The whole sheet; with None, the body alone (for typesetting ahead)."""
        b = self._b
        sections = self.body if verification is None else (*self.body, b.verification(verification))
        title = b.net.spec.title or b.s["title"]
        return Document(b.lang, title, b.s["subtitle"], sections, b.footer(self.carry))

    def worked(self, name: str) -> tuple[Formula, ...]:
        """The worked line(s) of one quantity, as the sheet shows it ('' names: none)."""
        return self._b.worked(name) if name not in self._b.net.inputs else ()

    def words(self) -> str:
        """Every character the sheet may print outside formulas, verification included."""
        verification = "".join(str(v) for v in self._b.s["verification"].values())
        body = "".join(document_strings(self.document(None)))
        return body + verification + "0123456789.e+-−*"


def document_strings(value: object) -> list[str]:
    """Every string in a document: the words its fonts must cover."""
    if isinstance(value, str):
        return [value]
    if dataclasses.is_dataclass(value):
        return [
            s for f in dataclasses.fields(value) for s in document_strings(getattr(value, f.name))
        ]
    if isinstance(value, tuple | list):
        return [s for item in value for s in document_strings(item)]
    return []
