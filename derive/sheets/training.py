"""The training sheet: what was given, each optimizer's rule and its first steps worked with
numbers for one parameter, a table of every parameter after each step, the check against
torch.optim, the optimizers compared over a longer run, a guide, and (two inputs, one output)
the decision boundary. Every number comes from the exact runs or the checking helper."""

from __future__ import annotations

import functools
import math
from decimal import Decimal
from pathlib import Path
from typing import Any

from derive import __version__
from derive.engine.losses import LOSSES
from derive.engine.names import node_label, node_latex
from derive.engine.optimizers import SYMBOLS
from derive.engine.training import Run
from derive.engine.update import ParameterStep, State
from derive.sheets.context import LONG_TABLE
from derive.sheets.document import (
    Document,
    DocumentKind,
    Formula,
    Group,
    Paragraph,
    Publication,
    Section,
    Table,
    paragraph,
)
from derive.sheets.givens import activations_text, network_text
from derive.sheets.summary import shown_spec, spec_digest
from derive.sheets.training_compare import Compared
from derive.sheets.training_lines import worked_lines
from derive.sheets.training_rows import aligned_rows, given_text
from derive.text import numbers
from derive.text.locale import fill, optimizer_name, strings
from derive.trainer import Training
from derive.verify.training_result import RunCheck

WORKED = 2  # steps worked with numbers per optimizer (the second carries state); the table has all


def _hyper(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return "(" + ", ".join(given_text(v) for v in value) + ")"
    assert isinstance(value, Decimal)
    return given_text(value)


class TrainingSheet:
    """The training sheet (derive.trainer.Training, checked) in one language: its document,
    HTML and PDF."""

    def __init__(self, training: Training, lang: str, places: int = 3):
        self.training = training
        self.lang, self.places = lang, places
        self.words = strings(lang)["train"]
        self.all = strings(lang)

    def publication(self, directory: Path = Path()) -> Publication:
        """DIR/<spec name>.train.<lang>.<format> (derive.typeset.publish): the worked part
        (the most of the sheet's formulas) is typeset while the check runs."""
        stem = directory / f"{self.training.spec.name}.train.{self.lang}"
        return Publication(stem, lambda: self.document, draft=self.worked)

    @functools.cached_property
    def worked(self) -> Document:
        """The part that needs only the exact runs (the given, each optimizer)."""
        return self._document(self._worked_sections())

    def _worked_sections(self) -> list[Section]:
        return [self._given(), *(self._optimizer(run) for run in self.training.runs)]

    def _document(self, sections: list[Section]) -> Document:
        title = self.training.spec.title_for(self.lang) or self.words["title"]
        return Document(
            self.lang, title, self.words["subtitle"], tuple(sections), self._footer(),
            kind=DocumentKind.TRAINING,
        )  # fmt: skip

    @functools.cached_property
    def document(self) -> Document:
        checked = self.training.checked  # raises VerificationError before anything is built
        sections = list(self.worked.sections)
        sections.append(self._verification(checked.checks))
        assert checked.comparison is not None  # started with the comparison (the default)
        compared = Compared(self.lang, checked.comparison)
        sections.append(compared.comparison())
        if checked.boundary is not None:
            sections.append(compared.boundary(checked.boundary))
        sections.append(compared.guide())
        return self._document(sections)

    # --- given ---------------------------------------------------------------------------

    def _given(self) -> Section:
        t, w, facts_words = self.training, self.words, self.all["givens"]
        spec, network = t.spec, t.network
        runs = t.runs
        facts = (
            (w["network"], network_text(spec.layers, facts_words)),
            (w["activation"], activations_text(spec.activations, self.lang, facts_words)),
            (w["loss"], LOSSES[spec.loss].names[self.lang]),
            (w["samples"], str(len(spec.batch))),
            (w["lr"], numbers.given_text(runs[0].rule.learning_rate)),
            (w["steps"], str(len(runs[0].steps))),
            (w["optimizers"], ", ".join(optimizer_name(self.lang, r.rule.name) for r in runs)),
        )
        blocks: list = [Table(("", ""), facts, style="facts")]
        if len(spec.batch) > 1:
            rows = tuple(
                (
                    str(n),
                    ", ".join(numbers.given_text(v) for v in x),
                    ", ".join(numbers.given_text(v) for v in y),
                )
                for n, (x, y) in enumerate(spec.batch, 1)
            )
            header = (w["col_sample"], w["col_inputs"], w["col_targets"])
            blocks += [Table(header, rows), paragraph(w["batch_note"], count=len(spec.batch))]
        else:
            blocks.append(paragraph(w["one_sample_note"]))
        start = tuple((node_label(p), numbers.given_text(network.given[p])) for p in network.params)
        given: Any = (  # a long list of the spec's own numbers is said, not printed
            paragraph(w["start_many"], count=len(start))
            if len(start) > LONG_TABLE
            else Table((w["col_param"], w["col_value"]), start, columns=2 if len(start) > 12 else 1)
        )
        blocks.append(Group(w["start"], (given,)))
        return Section("given", w["given"], tuple(blocks))

    # --- one optimizer -------------------------------------------------------------------

    def _optimizer(self, run: Run) -> Section:
        w, rule = self.words, run.rule
        settings = ", ".join(
            f"{k}\u00a0({SYMBOLS[k]})\u00a0=\u00a0{_hyper(v)}"
            if k in SYMBOLS
            else f"{k}\u00a0=\u00a0{_hyper(v)}"
            for k, v in rule.hyperparameters.items()
        )
        # blocks a page may break between, none taller than a quarter page: the
        # hyperparameters (kept with the heading), the rule's sentence and formula, what it
        # keeps and the note on the worked steps, then each worked step whole under its title
        blocks: list = [
            Group("", (Paragraph((("text", fill(w["hyper"], list=settings)),)),)),
            Group("", (paragraph(w["rule"]), Formula(rule.formula))),
        ]
        meanings = self.all["train_state"]
        states = [paragraph(meanings[s]) for s in rule.state_names]
        kept = [paragraph(w["state_intro"]), *states] if states else [paragraph(w["no_state"])]
        param = self.training.param
        kept.append(paragraph(w["worked_note"], param=node_latex(param), places=self.places))
        blocks.append(Group("", tuple(kept)))
        for step in run.steps[:WORKED]:
            t = step.update.step
            before = self._state_before(run, t)
            lines = worked_lines(
                rule, step.update.params[param], t, before, step.update.state, param, self.places
            )
            # a long step in two parts a page may break between, the title with the first
            parts = [Formula(part) for part in aligned_rows(lines)]
            blocks.append(Group(fill(w["worked"], t=t, param=node_label(param)), (parts[0],)))
            blocks += [Group("", (part,)) for part in parts[1:]]
        if len(run.steps) > WORKED:
            blocks.append(paragraph(w["later_steps"]))
        blocks.append(self._table(run))
        heading = fill(
            w["heading"],
            name=optimizer_name(self.lang, rule.name),
            torch_class=rule.optimizer.torch_class,
        )
        return Section(f"optimizer-{rule.name}", heading, tuple(blocks))

    def _state_before(self, run: Run, t: int) -> State:
        if t == 1:
            return run.rule.initial_state(run.steps[0].update.params.keys())
        return run.steps[t - 2].update.state

    def _table(self, run: Run) -> Group:
        w = self.words
        params = list(run.steps[0].update.params)
        note = paragraph(w["table_note"])
        if len(params) > LONG_TABLE:  # pages of numbers: the worked parameter's row, and why
            count = len(params) - 1
            params = [self.training.param]
            note = paragraph(w["table_note"] + " " + fill(w["table_one"], count=count))
        header = (
            w["col_param"],
            *(fill(w["col_step"], t=_sub(t)) for t in range(len(run.steps) + 1)),
        )
        rows = []
        for p in params:
            first: ParameterStep = run.steps[0].update.params[p]
            values = [numbers.given_text(first.before)]
            values += [
                numbers.updated_text(
                    s.update.params[p].after, s.update.params[p].change, self.places
                )
                for s in run.steps
            ]
            rows.append((node_label(p), *values))
        rows.append((w["row_loss"], *(numbers.text(c, self.places + 2) for c in run.losses)))
        first, last = run.losses[0], run.losses[-1]
        key = "loss_fell" if last < first else "loss_rose"
        shown = {
            "before": numbers.text(first, self.places + 2),
            "after": numbers.text(last, self.places + 2),
        }
        said = fill(w[key], steps=len(run.steps), **shown)
        losses = run.losses
        rose = [str(t) for t in range(1, len(losses)) if losses[t] > losses[t - 1]]
        if rose and last < first:  # fell overall, but not at every step
            said += " " + fill(w["rose_at"], steps=", ".join(rose))
        outcome = Paragraph((("text", said),))
        # the loss sentence stays with the table's end
        blocks = (note, Table(header, tuple(rows)), outcome)
        return Group(w["table_title"], blocks, breakable=True)

    # --- verification --------------------------------------------------------------------

    def _verification(self, checks: list[RunCheck]) -> Section:
        w, param = self.words, self.training.param
        header = (
            w["col_optimizer"],
            w["col_step_number"],
            w["col_loss_derive"],
            w["col_loss_torch"],
            fill(w["col_param_derive"], param=node_label(param)),
            fill(w["col_param_torch"], param=node_label(param)),
            w["col_gap"],
        )
        rows = []
        for run, check in zip(self.training.runs, checks, strict=True):
            for step, theirs, gap in zip(
                run.steps, check.torch_steps, check.step_rel_diffs, strict=True
            ):
                t = step.update.step
                mark = " †" if t in check.cancelled else " *" if t in check.explained_steps else ""
                rows.append(
                    (
                        optimizer_name(self.lang, run.rule.name) if t == 1 else "",
                        str(t),
                        sig(float(step.loss)),
                        sig(theirs.loss),
                        sig(float(step.update.params[param].after)),
                        sig(theirs.params[param]),
                        _gap_text(gap) + mark if gap else "0",
                    )
                )
        note = paragraph(w["verification_note"], param=node_label(param))
        blocks: list = [note, Table(header, tuple(rows))]
        if any(set(c.explained_steps) - set(c.cancelled) for c in checks):
            blocks.append(paragraph(w["explained"]))
        for run, check in zip(self.training.runs, checks, strict=True):
            if check.cancelled:
                lost = sorted({p for params in check.cancelled.values() for p in params})
                names = ", ".join(node_label(p) for p in self.training.network.params if p in lost)
                blocks.append(
                    paragraph(
                        w["cancelled"],
                        optimizer=optimizer_name(self.lang, run.rule.name),
                        params=names,
                    )
                )
        return Section("verification", w["verification"], tuple(blocks))

    # --- comparison, boundary, guide ------------------------------------------------------

    def _footer(self) -> tuple[str, ...]:
        footer, spec = self.all["footer"], self.training.spec
        return (
            fill(footer["made_by"], version=__version__),
            fill(footer["spec"], source=shown_spec(spec, self.lang), digest=spec_digest(spec)[:16]),
        )


def _sub(t: int) -> str:
    return str(t).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def sig(value: float, digits: int = 10) -> str:
    """A float at `digits` significant digits, trailing zeros kept, a real minus sign (NaN,
    as torch.optim may compute, as its name)."""
    if math.isnan(value):
        return "NaN"
    return f"{value:.{digits}g}".replace("-", numbers.MINUS) if value else "0"


def _gap_text(gap: float) -> str:
    """A relative difference from torch.optim: 1.3e−13, or NaN where its value is NaN."""
    return "NaN" if math.isnan(gap) else f"{gap:.1e}".replace("-", numbers.MINUS)
