"""An exercise set read back for grading: DIR/exercises.json → each variant's spec and the
quantities it asks, and, once per variant on first use, its verified solution.

A variant is rebuilt from its spec, derived and verified in this process (PyTorch is imported
once, whatever the number of variants), and its questions are worked out again and held
against the answers the file holds: a set that was edited, or made by another version of
derive, is refused rather than graded against numbers it does not show.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from derive.engine.names import Name
from derive.engine.source import decode, parse_json, read_bytes
from derive.engine.spec import Spec, parse_spec
from derive.errors import InputError, shown
from derive.exercises.exercise_set import FINGERPRINT, MAX_COUNT, fingerprint
from derive.exercises.questions import KINDS, Question, QuestionKind, questions
from derive.report import json_number
from derive.sheet import MAX_PRECISION
from derive.solution import Solution, solve

SET_FILE = "exercises.json"
MAX_SET_BYTES = 4_000_000  # 500 variants of a level-3 set are about 0.8 MB
MAX_ID = 20  # characters of a variant's id
_NUMBERED = re.compile(r"[Vv]?0*(\d{1,6})")


@dataclass(frozen=True)
class SetVariant:
    """A variant as the file has it."""

    id: str
    index: int  # its place in the file's list, for messages
    spec: Spec
    stored: tuple[dict[str, Any], ...]  # its questions as the file has them


@dataclass(frozen=True)
class Solved:
    """A variant derived, verified and held against the file: what its students are graded by."""

    id: str
    solution: Solution
    questions: tuple[Question, ...]  # in the set's order of names
    shared: dict = field(default_factory=dict, compare=False)  # the checker's, for the class


class ExerciseFile:
    def __init__(self, path: str | Path) -> None:
        """`path`: the set's directory (as `derive exercises -o DIR` wrote it) or its
        exercises.json; InputError names the file, the key and the problem."""
        path = Path(path)
        if path.is_dir():
            path = path / SET_FILE
        elif not path.exists():
            what = "the directory derive exercises wrote, or its exercises.json"
            raise InputError(str(path), "", f"no such directory or file (--set: {what})")
        self.path, self.source = path, str(path)
        data = read_bytes(path, MAX_SET_BYTES)
        self.digest = hashlib.sha256(data).hexdigest()
        document = parse_json(decode(data, self.source), self.source)
        self.seed, self.level = document.get("seed"), document.get("level")
        self.precision = self._precision(document)
        self.kinds = self._kinds(document)
        self.variants = self._variants(document)
        self.names = self._names()
        self._check_fingerprint(document)
        self._solved: dict[str, Solved] = {}

    def find(self, written: str) -> str | None:
        """The id of the variant a student wrote (V07; v7, 7 and V007 too), or None."""
        text = written.strip()
        if text in self.variants:
            return text
        match = _NUMBERED.fullmatch(text)
        if match is None:
            return None
        number = int(match.group(1))
        return next((v for v in self.variants if _number_of(v) == number), None)

    def solved(self, ident: str) -> Solved:
        """The variant derived and verified (once), its questions held against the file."""
        if ident not in self._solved:
            variant = self.variants[ident]
            solution = solve(variant.spec)
            rebuilt = questions(solution.derivation, self.precision, self.kinds)
            self._compare(variant, rebuilt)
            self._solved[ident] = Solved(ident, solution, rebuilt)
        return self._solved[ident]

    def _fail(self, key: str, problem: str) -> InputError:
        return InputError(self.source, key, problem)

    def _precision(self, document: dict[str, Any]) -> int:
        value = document.get("precision")
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._fail("precision", f"must be a whole number, got {shown(value)}")
        if not 1 <= value <= MAX_PRECISION:
            raise self._fail("precision", f"must be from 1 to {MAX_PRECISION}, got {value}")
        return value

    def _kinds(self, document: dict[str, Any]) -> tuple[QuestionKind, ...]:
        value = document.get("ask")
        if not isinstance(value, list) or not value:
            raise self._fail("ask", f"must be a list of kinds of question, got {shown(value)}")
        for i, kind in enumerate(value):
            if kind not in KINDS:
                problem = f"unknown kind {shown(kind)} (choose from: {', '.join(KINDS)})"
                raise self._fail(f"ask[{i}]", problem)
        return tuple(map(QuestionKind, value))

    def _variants(self, document: dict[str, Any]) -> dict[str, SetVariant]:
        value = document.get("variants")
        if not isinstance(value, list) or not value:
            raise self._fail("variants", f"must be a list of variants, got {shown(value)}")
        if len(value) > MAX_COUNT:
            raise self._fail("variants", f"{len(value):,} variants (at most {MAX_COUNT})")
        out: dict[str, SetVariant] = {}
        for i, entry in enumerate(value):
            key = f"variants[{i}]"
            if not isinstance(entry, dict):
                raise self._fail(key, f"must be a table, got {shown(entry)}")
            ident = entry.get("id")
            if not isinstance(ident, str) or not ident.strip() or len(ident) > MAX_ID:
                problem = f"must be a name of 1 to {MAX_ID} characters, got {shown(ident)}"
                raise self._fail(f"{key}.id", problem)
            if ident in out:
                raise self._fail(f"{key}.id", f"{shown(ident)} is given twice")
            spec_data = entry.get("spec")
            if not isinstance(spec_data, dict):
                raise self._fail(f"{key}.spec", f"must be a table, got {shown(spec_data)}")
            try:
                spec = parse_spec(spec_data, self.source, ident)
            except InputError as exc:
                raise self._fail(f"{key}.spec.{exc.key}", exc.problem) from None
            stored = entry.get("questions")
            if not isinstance(stored, list) or not stored:
                problem = f"must be a list of questions, got {shown(stored)}"
                raise self._fail(f"{key}.questions", problem)
            for j, question in enumerate(stored):
                if not isinstance(question, dict):
                    problem = f"must be a table, got {shown(question)}"
                    raise self._fail(f"{key}.questions[{j}]", problem)
            out[ident] = SetVariant(ident, i, spec, tuple(stored))
        return out

    def _check_fingerprint(self, document: dict[str, Any]) -> None:
        """The file's content gives the fingerprint derive exercises wrote: nothing in it was
        changed since, not even what leaves every answer the same (a spec's numbering, the
        level)."""
        stored = document.get(FINGERPRINT)
        again = "make it again (derive exercises with the same arguments)"
        if stored is None:
            problem = f"missing: the set was written by an earlier version of derive; {again}"
            raise self._fail(FINGERPRINT, problem)
        if stored != fingerprint(document):
            problem = (
                "not the one the set's content gives: the set was changed after derive "
                f"exercises wrote it; {again}"
            )
            raise self._fail(FINGERPRINT, problem)

    def _names(self) -> tuple[Name, ...]:
        """The quantities the set asks: the same for every variant."""
        first: tuple[Name, ...] | None = None
        for variant in self.variants.values():
            names = []
            for j, question in enumerate(variant.stored):
                key = f"variants[{variant.index}].questions[{j}].name"
                try:
                    names.append(Name.parse(question.get("name")))
                except (TypeError, ValueError):
                    name = shown(question.get("name"))
                    raise self._fail(key, f"{name} is not a quantity name") from None
            if len(set(names)) < len(names):
                raise self._fail(f"variants[{variant.index}].questions", "a quantity twice")
            if first is None:
                first = tuple(names)
            elif tuple(names) != first:
                asked = ", ".join(map(str, first))
                problem = f"asks other quantities than the first variant ({asked})"
                raise self._fail(f"variants[{variant.index}].questions", problem)
        assert first is not None
        return first

    def _compare(self, variant: SetVariant, rebuilt: tuple[Question, ...]) -> None:
        """Every stored question is the rebuilt one: same name, kind, decimals, answer, rounded
        answer and tolerance (the numbers as the file writes them, float64)."""
        if tuple(q.name for q in rebuilt) != self.names:
            asked = ", ".join(str(q.name) for q in rebuilt)
            raise self._stale(variant, "questions", f"its network asks {asked}")
        for j, (stored, question) in enumerate(zip(variant.stored, rebuilt)):
            expected = {
                "kind": question.kind,
                "decimals": question.decimals,
                "answer": json_number(question.answer),
                "rounded": json_number(question.rounded),
                "tolerance": float(question.tolerance),
            }
            for key, value in expected.items():
                if not _same(stored.get(key), value):
                    where = f"questions[{j}].{key}"
                    problem = f"{shown(stored.get(key))} where its network gives {value}"
                    raise self._stale(variant, where, problem)

    def _stale(self, variant: SetVariant, key: str, problem: str) -> InputError:
        return self._fail(
            f"variants[{variant.index}].{key}",
            f"{problem}: the set was changed after derive exercises wrote it, or by another "
            "version of derive; make it again (derive exercises with the same arguments)",
        )


def _number_of(ident: str) -> int | None:
    match = _NUMBERED.fullmatch(ident)
    return int(match.group(1)) if match else None


def _same(stored: object, value: object) -> bool:
    if isinstance(value, str):  # a number float64 cannot hold: written as a string
        return stored == value
    if isinstance(stored, bool) or not isinstance(stored, int | Decimal):
        return False
    if isinstance(value, int):
        return stored == value and isinstance(stored, int)
    return float(stored) == value
