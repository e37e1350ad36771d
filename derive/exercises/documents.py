"""An exercise set as two documents per language: the question booklet (per variant: who,
which variant, the givens, the numbered questions with answer boxes, a space to work in per
question) and the answer key (one grid of every variant's answers, then each variant's
worked solution as `derive sheet` renders it, the asked values tagged with their number)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from derive import __version__
from derive.engine.exact import round_fixed
from derive.engine.training import descend
from derive.exercises.exercise_set import ExerciseSet
from derive.exercises.generator import Variant
from derive.exercises.questions import Question
from derive.sheets.builder import DocumentBuilder
from derive.sheets.context import Context
from derive.sheets.document import Document, DocumentKind, Formula, Group, Section, Table, paragraph
from derive.sheets.givens import givens
from derive.solution import Solution
from derive.text import numbers
from derive.text.locale import fill, strings
from derive.verify.verification import Verification


def question_booklet(exercises: ExerciseSet, lang: str) -> tuple[Document, tuple[Document, ...]]:
    """Per variant: the givens and the questions with answer boxes (a page), then a space to
    work in per question (the next page; its own name line, for pages printed one-sided).
    The booklet whole (the HTML file), and its variants as parts (the PDF, rendered side by
    side and joined, each variant's pages numbered on their own: a student's handout)."""
    words = strings(lang)["booklet"]
    parts: list[list[Section]] = []
    header = (words["col_number"], words["col_question"], words["col_answer"])
    for v in exercises.variants:
        ctx = Context(v.derivation, descend(v.batch), exercises.precision, lang, "some")
        who = _identity(words, v)
        # no heading: the variant's id is in the row a student fills in
        part = [Section(f"{v.id}-who", "", (who,))]
        given = givens(ctx, carry_note=False, table_if_needed=True)
        symbols = paragraph(words["loss_symbols"], m=len(ctx.net.outputs))
        part.append(_keyed(dataclasses.replace(given, blocks=(*given.blocks, symbols)), v))
        rows = tuple(
            (str(n), _question_text(words, q, v), "") for n, q in enumerate(v.questions, 1)
        )
        asked = (
            paragraph(words["instructions"], precision=exercises.precision),
            Table(header, rows, style="questions"),
        )
        part.append(Section(f"{v.id}-questions", words["questions_heading"], asked))
        spaces = tuple((str(n), q.name.label) for n, q in enumerate(v.questions, 1))
        work = (who, Table(("", ""), spaces, style="work"))
        part.append(Section(f"{v.id}-work", fill(words["work_heading"], id=v.id), work))
        parts.append(part)
    return _in_parts(_document(lang, "title", exercises, [], DocumentKind.QUESTIONS), parts)


def answer_keys(
    exercises: ExerciseSet, lang: str, verifications: Sequence[Verification]
) -> tuple[Document, tuple[Document, ...]]:
    """The answer key whole (the HTML file), and the same pages in parts (the PDF, rendered
    side by side and joined, each numbered on its own): the grid of every variant's answers,
    a page or two a grader keeps at hand, then each variant's worked solution, as `derive
    sheet` renders it, the line of each asked value tagged with its question's number."""
    words = strings(lang)["booklet"]
    parts = [[_grid(exercises, words)]]
    for v, verification in zip(exercises.variants, verifications, strict=True):
        batch = v.batch
        update = descend(batch)
        builder = DocumentBuilder(batch, update, lang, exercises.precision, "exact")
        tags = {  # a quantity's worked line(s), as the sheet shows them, and the asked answer
            # under its number: the line carries the sheet's digits, the question asks more
            line: fill(words["question_tag"], number=n) + "\n" + _fixed(q.shown, q.decimals)
            for n, q in enumerate(v.questions, 1)
            for line in builder.worked(q.name)
        }
        opening = Section(f"{v.id}-worked", fill(words["worked_heading"], id=v.id), ())
        worked = [
            _keyed(_tagged(s, tags), v)
            for s in builder.document(Solution(batch, update, (verification,))).sections
        ]
        parts.append([opening, *worked])
    return _in_parts(_document(lang, "key_title", exercises, [], DocumentKind.KEY), parts)


def _in_parts(
    whole: Document, parts: Sequence[Sequence[Section]]
) -> tuple[Document, tuple[Document, ...]]:
    """`whole` holding every part, each from a new page, and each part a document of its own
    (the footer, what regenerates the set, once, at the end)."""
    documents = tuple(
        dataclasses.replace(
            whole, sections=tuple(part), footer=whole.footer if k == len(parts) - 1 else ()
        )
        for k, part in enumerate(parts)
    )
    sections = (
        dataclasses.replace(section, new_page=k > 0 and n == 0)
        for k, part in enumerate(parts)
        for n, section in enumerate(part)
    )
    return dataclasses.replace(whole, sections=tuple(sections)), documents


def _grid(exercises: ExerciseSet, words: dict) -> Section:
    """Every variant's answers, a row each, a column per question as the booklet numbers
    them, its tolerance under its name (the same for every variant of a drawn set)."""
    first = exercises.variants[0].questions
    header = (
        words["col_variant"],
        *(
            f"{n} · {q.name.label}\n±{numbers.given_text(q.tolerance)}"
            for n, q in enumerate(first, 1)
        ),
    )
    rows = tuple(
        (v.id, *(_cell(q, t.tolerance) for q, t in zip(v.questions, first, strict=True)))
        for v in exercises.variants
    )
    note = paragraph(words["grid_note"], precision=exercises.precision)
    return Section("answers", words["grid_heading"], (note, Table(header, rows, style="grid")))


def _cell(q: Question, tolerance: Decimal) -> str:
    """The answer to its asked decimals; under it, in brackets, the hand-carried one where it
    reads differently; its own tolerance where it is not its column's (a spec's one set)."""
    lines = [_fixed(q.shown, q.decimals)]
    carried = round_fixed(q.rounded, q.decimals)
    if carried != q.shown:
        lines.append(f"({_fixed(carried, q.decimals)})")
    if q.tolerance != tolerance:
        lines.append(f"±{numbers.given_text(q.tolerance)}")
    return "\n".join(lines)


def _identity(words: dict, v: Variant) -> Table:
    """Name, student id and variant: the line a student fills in."""
    who = (words["name"], "", words["student_id"], "", words["col_variant"], v.id)
    return Table(("",) * len(who), (who,), style="identity")


def _tagged(block: Any, tags: dict[Formula, str]) -> Any:
    """`block` with each worked line of an asked quantity tagged with its question."""
    if isinstance(block, Formula):
        return dataclasses.replace(block, tag=tags[block]) if block in tags else block
    if isinstance(block, Section | Group):
        return dataclasses.replace(block, blocks=tuple(_tagged(b, tags) for b in block.blocks))
    return block


def _document(
    lang: str,
    title: str,
    exercises: ExerciseSet,
    sections: list,
    kind: DocumentKind = DocumentKind.SHEET,
) -> Document:
    """A question booklet (DocumentKind.QUESTIONS) names no seed and no command: students must not
    be able to regenerate the key; the key names both."""
    words = strings(lang)["booklet"]
    if kind is DocumentKind.QUESTIONS:
        subtitle = _public_subtitle(lang, exercises)
        footer: tuple[str, ...] = (fill(strings(lang)["footer"]["made_by"], version=__version__),)
    else:
        subtitle, footer = _subtitle(lang, exercises), _footer(lang, exercises)
    return Document(lang, words[title], subtitle, tuple(sections), footer, kind)


def _fixed(value: Decimal, decimals: int) -> str:
    """Exactly the asked decimals (a question asks 4 decimals of 0.0927: 0.0927, not 0.09270)."""
    return f"{round_fixed(value, decimals):f}".replace("-", numbers.MINUS)


def _keyed(section: Section, v: Variant) -> Section:
    """A section of one variant, its HTML id made unique in the booklet."""
    return dataclasses.replace(section, key=f"{v.id}-{section.key}")


def _question_text(words: dict, q: Question, v: Variant) -> str:
    places = fill(words["decimals"], decimals=q.decimals)
    rate = numbers.given_text(v.spec.learning_rate)
    return fill(words[q.kind], name=q.name.label, places=places, rate=rate)


def _public_subtitle(lang: str, exercises: ExerciseSet) -> str:
    """What students may see: the level, or the network's title."""
    if exercises.level is not None:
        return fill(strings(lang)["booklet"]["level"], level=exercises.level)
    return exercises.variants[0].spec.title_for(lang) or ""


def _subtitle(lang: str, exercises: ExerciseSet) -> str:
    words = strings(lang)["booklet"]
    if exercises.count is None:
        return _public_subtitle(lang, exercises) or exercises.name
    count = exercises.count
    counted = fill(words["variants"], count=count) if count > 1 else words["variant"]
    if exercises.level is not None:
        return fill(
            words["subtitle_level"], level=exercises.level, seed=exercises.seed, count=counted
        )
    return fill(words["subtitle_spec"], name=exercises.name, seed=exercises.seed, count=counted)


def _footer(lang: str, exercises: ExerciseSet) -> tuple[str, ...]:
    """derive's version and the set's own arguments: what regenerates these pages."""
    words = strings(lang)
    if exercises.count is None:
        scope = ""
    else:
        level = f"--level\u00a0{exercises.level} " if exercises.level is not None else ""
        scope = f"{level}--count\u00a0{exercises.count}"
    arguments = fill(
        words["booklet"]["footer_set"],
        name=exercises.name if exercises.level is None else "",  # a spec's; a level says so
        seed=exercises.seed,
        scope=scope,
        precision=exercises.precision,
        ask=",".join(exercises.kinds),
    )
    compact = re.sub(" +", " ", arguments).strip()  # an empty scope; no-break spaces stay
    return (fill(words["footer"]["made_by"], version=__version__), compact)
