"""An exercise set's files: exercises.json, and per language the question booklet and the
answer key as HTML and PDF. Nothing is returned (so nothing is written) until every variant
has passed the verification; the PDFs render on workers while the next part is typeset."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from derive.exercises.documents import answer_keys, question_booklet
from derive.exercises.exercise_set import ExerciseSet, to_json
from derive.exercises.verified import verifying
from derive.progress import Progress
from derive.sheets.document import Document, document_strings, formulas
from derive.typeset.html import Formulas, HtmlRenderer
from derive.typeset.pdf import PdfJoiner, render_parts
from derive.workers import PDF, VERIFY, Workers

DIGITS = "0123456789.e+-−*±"  # what the verification and answers tables may add


def paths(directory: Path, langs: Sequence[str], formats: Sequence[str]) -> list[Path]:
    files = [directory / "exercises.json"]
    for lang in langs:
        files += [
            directory / f"{kind}.{lang}.{fmt}"
            for kind in ("questions", "answers")
            for fmt in formats
        ]
    return files


def start_workers(workers: Workers, langs: Sequence[str], formats: Sequence[str]) -> None:
    """The set's workers, started while the set is drawn: the PDF workers (two per language,
    at most one per core) import WeasyPrint, the verification worker PyTorch."""
    workers.start(VERIFY)
    if "pdf" in formats:
        workers.start(PDF, min(2 * len(langs), os.cpu_count() or 1))


def outputs(
    exercises: ExerciseSet,
    langs: Sequence[str],
    formats: Sequence[str],
    directory: Path,
    workers: Workers,
    progress: Progress | None = None,
) -> dict[Path, bytes]:
    """{path: contents} of every file of the set, made with the run's `workers`; `progress`
    counts the steps: the verification, then each booklet and key typeset, then each file
    finished."""
    n = len(exercises.variants)
    progress = progress or Progress(1, io.StringIO())
    start_workers(workers, langs, formats)
    wait = verifying(workers, exercises.variants)
    renderer = HtmlRenderer(workers)
    finishing: list[tuple[str, Callable[[], dict[Path, bytes]]]] = []
    for lang in langs:
        progress.step(f"questions ({lang})", 0)
        booklet, pages = question_booklet(exercises, lang)
        stem = directory / f"questions.{lang}"
        finishing.append((f"questions.{lang}", _render(renderer, booklet, stem, formats, pages)))
        progress.step(f"questions ({lang})", n)
    progress.step("verifying", 0)
    verifications = wait()  # raises before anything is written if a check failed
    progress.step("verified", n)
    for lang in langs:
        progress.step(f"answer keys ({lang})", 0)
        key, parts = answer_keys(exercises, lang, verifications)
        stem = directory / f"answers.{lang}"
        finishing.append((f"answers.{lang}", _render(renderer, key, stem, formats, parts)))
        progress.step(f"answer keys ({lang})", n)
    data = json.dumps(to_json(exercises), ensure_ascii=False, indent=1) + "\n"
    files = {directory / "exercises.json": data.encode("utf-8")}
    for name, finish in finishing:
        progress.step(f"{name} files", 0)
        files.update(finish())
        progress.step(f"{name} files", n)
    return files


def steps(exercises: ExerciseSet, langs: Sequence[str]) -> int:
    """The units outputs() counts: per variant, its verification, its question page and
    answer key in each language, and each of those finished."""
    return len(exercises.variants) * (1 + 4 * len(langs))


def parts_pdf(
    renderer: HtmlRenderer, parts: Sequence[Document], typeset: Formulas
) -> Callable[[], bytes]:
    """Start the parts' PDFs, each typeset here (into `typeset`) while the workers render
    the ones before, and given to the first free worker; each is joined as it comes, and
    the returned function waits for the last."""

    def requests() -> Iterator[tuple[str, str]]:
        for part in parts:
            formulas = renderer.formulas(part)
            typeset.update(formulas)
            yield renderer.pdf_request(part, formulas)

    joiner = PdfJoiner()
    rest = render_parts(renderer.workers, requests(), joiner.add)

    def joined() -> bytes:
        rest()
        return joiner.joined()

    return joined


def _render(
    renderer: HtmlRenderer,
    document: Document,
    stem: Path,
    formats: Sequence[str],
    parts: Sequence[Document] = (),
) -> Callable[[], dict[Path, bytes]]:
    """Typeset the document here, start its PDF (and the HTML's fonts) on workers; the
    returned function finishes its files. With `parts`, the PDF is theirs, joined (pages
    numbered per part): each typeset here while the workers render the ones before."""
    fonts = (
        renderer.word_fonts("".join(document_strings(document)) + DIGITS)
        if "html" in formats
        else None
    )
    typeset: Formulas = {}
    pdf: Callable[[], bytes] | None = None
    if "pdf" in formats and parts:
        pdf = parts_pdf(renderer, parts, typeset)
    wanted = formulas(document)
    typeset.update(renderer.math.document([f for f in wanted if f not in typeset]))
    if "pdf" in formats and not parts:
        pdf = renderer.pdf(document, typeset)

    def finish() -> dict[Path, bytes]:
        out = {}
        for fmt in formats:
            if fmt == "html" and fonts is not None:
                out[stem.with_name(f"{stem.name}.html")] = renderer.html(
                    document, typeset, fonts()
                ).encode("utf-8")
            if fmt == "pdf" and pdf is not None:
                out[stem.with_name(f"{stem.name}.pdf")] = pdf()
        return out

    return finish
