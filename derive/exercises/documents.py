"""An exercise set as two documents per language: the question booklet (per variant: who,
which variant, the givens, the numbered questions with room for the answers) and the answer
key (per variant: the answers, then the worked solution as `derive sheet` renders it)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from decimal import Decimal

from derive import __version__
from derive.engine.exact import round_fixed
from derive.engine.names import node_label
from derive.engine.update import descend
from derive.exercises.exercise_set import ExerciseSet
from derive.exercises.generator import Variant
from derive.exercises.questions import Question
from derive.sheets import numbers
from derive.sheets.builder import DocumentBuilder
from derive.sheets.context import Context
from derive.sheets.document import Document, Section, Table
from derive.sheets.givens import givens
from derive.sheets.locale import fill, paragraph, strings
from derive.verify.verification import Verification

ANSWER_COLUMNS = ("col_quantity", "col_shown", "col_exact", "col_rounded", "col_credit")


def question_booklet(exercises: ExerciseSet, lang: str) -> Document:
    words = strings(lang)["booklet"]
    sections: list[Section] = []
    for k, v in enumerate(exercises.variants):
        ctx = Context(v.derivation, descend(v.derivation), exercises.precision, lang, "some")
        who = (words["name"], "", words["student_id"], "", words["col_variant"], v.id)
        identity = Table(("",) * len(who), (who,), style="identity")
        # no heading: the variant's id is in the row a student fills in
        sections.append(Section(f"{v.id}-who", "", (identity,), new_page=k > 0))
        sections.append(_keyed(givens(ctx, carry_note=False, table_if_needed=True), v))
        rows = tuple(
            (str(n), _question_text(words, q, v), "") for n, q in enumerate(v.questions, 1)
        )
        header = (words["col_number"], words["col_question"], words["col_answer"])
        asked = (
            paragraph(words["instructions"], precision=exercises.precision),
            Table(header, rows, style="questions"),
        )
        sections.append(Section(f"{v.id}-questions", words["questions_heading"], asked))
    return _document(lang, "title", exercises, sections, kind="questions")


def answer_keys(
    exercises: ExerciseSet, lang: str, verifications: Sequence[Verification]
) -> tuple[Document, tuple[Document, ...]]:
    """The answer key whole (the HTML file), and the same pages one document per variant
    (the PDF, rendered in parts side by side and joined, numbered per variant)."""
    words = strings(lang)["booklet"]
    header = tuple(words[c] for c in ANSWER_COLUMNS)
    per_variant = []
    for v, verification in zip(exercises.variants, verifications, strict=True):
        rows = tuple(
            (
                q.name.label,
                _fixed(q.shown, q.decimals),
                f"{q.answer:.10g}".replace("-", numbers.MINUS),
                _fixed(q.rounded, q.decimals),
                numbers.given_text(q.tolerance),
            )
            for q in v.questions
        )
        answers = (paragraph(words["answers_note"]), Table(header, rows))
        heading = fill(words["answers_heading"], id=v.id)
        builder = DocumentBuilder(
            v.derivation, descend(v.derivation), lang, exercises.precision, "exact"
        )
        worked = [_keyed(s, v) for s in builder.document(verification).sections]
        per_variant.append([Section(f"{v.id}-answers", heading, answers), *worked])
    parts = tuple(
        _document(lang, "key_title", dataclasses.replace(exercises, variants=(v,)), sections)
        for v, sections in zip(exercises.variants, per_variant, strict=True)
    )
    whole = [  # each variant after the first on a new page
        dataclasses.replace(section, new_page=k > 0 and n == 0)
        for k, sections in enumerate(per_variant)
        for n, section in enumerate(sections)
    ]
    return _document(lang, "key_title", exercises, whole), parts


def _document(
    lang: str, title: str, exercises: ExerciseSet, sections: list, kind: str = "sheet"
) -> Document:
    """A question booklet (kind "questions") names no seed and no command: students must not
    be able to regenerate the key; the key names both."""
    words = strings(lang)["booklet"]
    if kind == "questions":
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
    name = q.name.label
    if q.kind == "update":
        rate = numbers.given_text(v.spec.learning_rate)
        text = fill(words["update"], weight=node_label(q.name.of), rate=rate, name=name)
    else:
        text = fill(words[q.kind], name=name)
    return fill(words["decimals"], question=text, decimals=q.decimals)


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
