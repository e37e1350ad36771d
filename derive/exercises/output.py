"""An exercise set's files: exercises.json, and per language the question booklet and the
answer key as HTML and PDF. Nothing is returned (so nothing is written) until every variant
has passed the verification; the PDFs render on workers while the next part is typeset."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from derive.exercises.documents import answer_keys, question_booklet
from derive.exercises.exercise_set import ExerciseSet, to_json
from derive.exercises.verified import verifying
from derive.progress import Progress
from derive.sheets.document import Document, Publication, document_strings
from derive.typeset.html import HtmlRenderer
from derive.typeset.publish import publish
from derive.verify.verification import Verification
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
    finished. Every document is started before any file is finished: the PDFs of the
    booklets render while the keys are typeset."""
    start_workers(workers, langs, formats)
    wait = verifying(workers, exercises.variants)
    publications = _publications(exercises, langs, directory, wait, progress)
    files = publish(publications, formats, HtmlRenderer(workers), progress, 2 * len(langs))
    data = json.dumps(to_json(exercises), ensure_ascii=False, indent=1) + "\n"
    return {directory / "exercises.json": data.encode("utf-8")} | files


def _publications(
    exercises: ExerciseSet,
    langs: Sequence[str],
    directory: Path,
    verified: Callable[[], list[Verification]],
    progress: Progress | None,
) -> Iterator[Publication]:
    """The booklets, then (once every variant is verified) the answer keys: each one PDF of
    a part per variant."""
    n = len(exercises.variants)
    for lang in langs:
        booklet, pages = question_booklet(exercises, lang)
        yield _publication(directory / f"questions.{lang}", booklet, pages, n)
    if progress is not None:
        progress.step("verifying", 0)
    verifications = verified()  # raises before anything is written if a check failed
    if progress is not None:
        progress.step("verified", n)
    for lang in langs:
        key, parts = answer_keys(exercises, lang, verifications)
        yield _publication(directory / f"answers.{lang}", key, parts, n)


def _publication(stem: Path, document: Document, parts: Sequence[Document], n: int) -> Publication:
    # the HTML's fonts cover what the verification and answers tables may add
    characters = "".join(document_strings(document)) + DIGITS
    return Publication(stem, lambda: document, characters=characters, parts=tuple(parts), units=n)


def steps(exercises: ExerciseSet, langs: Sequence[str]) -> int:
    """The units outputs() counts: per variant, its verification, its question page and
    answer key in each language, and each of those finished."""
    return len(exercises.variants) * (1 + 4 * len(langs))
