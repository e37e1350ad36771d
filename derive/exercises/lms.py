"""What an LMS question of an exercise set shows, in one language: the givens (the diagram as an
image file, compact tables of every number), each asked quantity with the answers that earn
credit, and its worked step. The Moodle XML (moodle.py) and the QTI package (qti.py) format
these pages; neither computes an answer or a tolerance of its own.

Credit follows the set's questions: full credit within `Question.tolerance` (half a unit of the
last asked digit) around the exact value, and the same around the value carrying rounded
numbers gives where that reads differently at the asked digits; partial credit (where the LMS
has it) within two units of the last digit around the exact value, never wider.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup

from derive.engine.batch import Batch
from derive.engine.exact import round_fixed
from derive.engine.losses import LOSSES
from derive.engine.names import LOSS, Name, node_label
from derive.engine.training import descend
from derive.exercises.exercise_set import ExerciseSet
from derive.exercises.generator import Variant
from derive.exercises.questions import Question
from derive.sheets.builder import DocumentBuilder
from derive.sheets.diagram import layout
from derive.sheets.givens import activations_text, network_text
from derive.text.locale import fill, strings
from derive.text.numbers import given_text
from derive.typeset.html import environment
from derive.typeset.svg import DiagramFiles

EXTRA_PLACES = 6  # an answer is written to the asked digits and this many more: far inside
PARTIAL_UNITS = 2  # partial credit within this many units of the last asked digit, at most
PARTIAL_PERCENT = "50"


@dataclass(frozen=True)
class Accepted:
    """Answers within `tolerance` (absolute) of `value` earn `percent` of the marks."""

    value: Decimal
    tolerance: Decimal
    percent: str  # as Moodle writes it: "100", "50", "83.33333"
    feedback: str

    @property
    def full(self) -> bool:
        return self.percent == "100"


@dataclass(frozen=True)
class Asked:
    """One asked quantity as a student sees it, and what it accepts."""

    question: Question
    what: str  # 'gradient of an output-layer weight'
    label: str  # '∂C/∂w₅'
    places: str  # '4 decimals'
    accepted: tuple[Accepted, ...]  # the tight full-credit ranges first: the first match wins
    worked: tuple[str, ...]  # its worked line(s) as LaTeX


@dataclass(frozen=True)
class Page:
    """One variant in one language: what its LMS question shows."""

    id: str  # V01
    image: str  # the diagram's file name: V01.svg
    svg: bytes
    width: int  # px, the image's size on the page
    height: int
    alt: str
    intro: str
    facts: tuple[tuple[str, str], ...]  # network, activation, loss, learning rate, x, y
    header: tuple[str, str, str]  # name, connects, value
    parameters: tuple[tuple[str, str, str], ...]
    task: str  # above the numbered questions
    item_task: str  # above one question asked alone (a QTI item)
    asked: tuple[Asked, ...]
    worked_heading: str


def set_label(exercises: ExerciseSet) -> str:
    """The set's name and seed ('level2 seed 4'): distinct sets, distinct categories and
    identifiers (a level's name carries its level)."""
    return f"{exercises.name} seed {exercises.seed}"


def pages(exercises: ExerciseSet, lang: str) -> list[Page]:
    diagrams = DiagramFiles()
    return [_page(v, exercises.precision, lang, diagrams) for v in exercises.variants]


def _page(variant: Variant, precision: int, lang: str, diagrams: DiagramFiles) -> Page:
    d = variant.derivation
    batch = Batch((d,))
    builder = DocumentBuilder(batch, descend(batch), lang, precision, "exact")
    ctx, net, spec = builder.ctx, d.network, d.network.spec
    given, words = ctx.words["givens"], strings(lang)["lms"]
    shown = {name: given_text(value) for name, value in net.given.items()}
    diagram = layout(net, shown)
    facts = (
        (given["network"], network_text(spec.layers, given)),
        (given["activation"], activations_text(spec.activations, lang, given)),
        (given["loss"], LOSSES[spec.loss].names[lang]),
        (given["learning_rate"], f"η = {given_text(spec.learning_rate)}"),
        (given["inputs"], ", ".join(f"{node_label(x)} = {shown[x]}" for x in net.inputs)),
        (given["targets"], ", ".join(f"{node_label(y)} = {shown[y]}" for y in net.targets)),
    )
    parameters = tuple((node_label(p), ctx.connects(p), shown[p]) for p in net.params)
    asked = tuple(
        Asked(
            q,
            words[q.kind],
            q.name.label,
            fill(words["places"], places=q.decimals),
            accepted(q, precision, words),
            _worked(builder, q.name),
        )
        for q in variant.questions
    )
    return Page(
        id=variant.id,
        image=f"{variant.id}.svg",
        svg=diagrams.svg(diagram, words["diagram_alt"]),
        width=round(diagram.width),
        height=round(diagram.height),
        alt=words["diagram_alt"],
        intro=fill(words["intro"], id=variant.id),
        facts=facts,
        header=(given["col_name"], given["col_connects"], given["col_value"]),
        parameters=parameters,
        task=words["task"],
        item_task=words["item_task"],
        asked=asked,
        worked_heading=words["worked"],
    )


def _worked(builder: DocumentBuilder, name: Name) -> tuple[str, ...]:
    """A quantity's worked line; a parameter's gradient after the error signal δ it is made
    of (when one neuron uses the parameter: a shared bias sums several)."""
    lines = builder.worked(name)
    if name.of == LOSS and name.wrt is not None:
        users = [
            n
            for n in builder.ctx.net.neurons
            if name.wrt == n.bias or any(w == name.wrt for _, w in n.terms)
        ]
        if len(users) == 1:
            lines = builder.worked(Name(LOSS, users[0].z)) + lines
    return tuple(f.latex for f in lines)


def accepted(q: Question, precision: int, words: dict[str, str]) -> tuple[Accepted, ...]:
    """Full credit around the exact value; around the hand-carried value where it reads
    differently at the asked digits; half credit within two units of the last digit."""
    exact = round_fixed(q.answer, q.decimals + EXTRA_PLACES)
    out = [Accepted(exact, q.tolerance, "100", words["exact"])]
    if round_fixed(q.rounded, q.decimals) != q.shown:
        carried = fill(words["carried"], places=precision)
        by_hand = round_fixed(q.rounded, q.decimals + EXTRA_PLACES)
        out.append(Accepted(by_hand, q.tolerance, "100", carried))
    unit = Decimal(1).scaleb(-q.decimals)
    out.append(Accepted(exact, PARTIAL_UNITS * unit, PARTIAL_PERCENT, words["close"]))
    return tuple(out)


def number(value: Decimal) -> str:
    """A plain decimal, as Moodle's and Canvas's number parsers read it: '-0.0348159', '0.0005'."""
    return f"{value:f}"


class Html:
    """The HTML of LMS questions: templates/lms.html.j2 (Jinja2, autoescape) lays out pages."""

    def __init__(self) -> None:
        templates = environment()
        self.macros = templates.get_template("lms.html.j2").module

    def cloze(self, page: Page, src: str, boxes: Sequence[Markup]) -> str:
        """The givens, then the numbered questions with `boxes` (Moodle's cloze answers)."""
        return str(self.macros.cloze(page, src, boxes))

    def item(self, page: Page, src: str, asked: Asked) -> str:
        """The givens, then one question (a QTI item)."""
        return str(self.macros.item(page, src, asked))

    def worked(self, page: Page, asked: Sequence[Asked]) -> str:
        """The worked steps of `asked`, LaTeX in \\( … \\) for the LMS's MathJax."""
        return str(self.macros.worked(page, asked))
