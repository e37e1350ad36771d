"""The end of a sheet: the summary table, the verification table and the footer."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from decimal import Decimal
from pathlib import Path

from derive import __version__
from derive.engine.exact import exact_context
from derive.engine.names import node_label
from derive.engine.spec import BUILTIN_SOURCE, Spec
from derive.engine.training_spec import TrainingSettings
from derive.sheets.context import LONG_TABLE, Context
from derive.sheets.document import Group, Paragraph, Section, Table, paragraph
from derive.sheets.lines import Numbers, Shown
from derive.text import numbers
from derive.text.locale import fill, strings
from derive.verify.verification import Verification

TWO_COLUMNS = 24  # a longer summary table is set in two columns side by side
LOSS_DIGITS = 10  # decimals of C before and after a step, at most, to show that it changed


def summary(ctx: Context) -> Section:
    words = ctx.words["summary"]
    rows = tuple(
        (
            node_label(p),
            ctx.num.text(p),
            ctx.num.text_of(step.gradient),
            ctx.num.updated_text(p),
        )
        for p, step in ctx.u.params.items()
    )
    header = (words["col_param"], words["col_old"], words["col_gradient"], words["col_new"])
    columns = 2 if len(rows) > TWO_COLUMNS else 1  # 139 rows take two pages, not four
    table = Table(header, rows, columns=columns)
    # C and C′, and what the step did: one block, never parted by a page
    return Section("summary", words["heading"], (table, Group("", loss_change(ctx))))


def loss_change(ctx: Context) -> tuple:
    """Did the step help? C before and after, and their difference: worked exactly, C and C′
    with as many more digits as show the change (a small step on a batch whose gradients
    cancel still lowers C) and as make C − C′ as printed give the change as printed; worked
    by hand, as carried."""
    words, before, after = ctx.words["summary"], ctx.loss, ctx.u.loss_after
    guard = 0
    if ctx.d.places is None:
        while guard < LOSS_DIGITS - ctx.places and _same(before, after, ctx.places + guard):
            guard += 1
    higher, lower = (after, before) if after > before else (before, after)

    def difference(num: Numbers) -> Shown:
        big, small = num.operand(higher), num.operand(lower)
        with exact_context():
            return Shown(f"{big.tex} - {small.tex}", big.value - small.value)

    with exact_context():
        change = higher - lower
    num = ctx.num.fitted(difference, change, start=guard)
    shown_before, shown_after = num.operand(before).tex, num.operand(after).tex
    line = paragraph(words["loss_line"], before=shown_before, after=shown_after)
    if shown_before == shown_after:
        return line, paragraph(words["loss_same"])
    key = "loss_lower" if after < before else "loss_higher"
    result = ctx.num.tex(change)
    if ctx.d.places is not None and change.adjusted() >= numbers.SCIENTIFIC_BELOW:
        # two carried numbers' difference, as exact as they are: 0.125 − 0.124 = 0.001, not
        # 0.00100, whose digits the numbers do not have
        result = f"{change.normalize():f}"
    return line, paragraph(words[key], change=f"{difference(num).tex} = {result}")


def _same(before: Decimal, after: Decimal, places: int) -> bool:
    return numbers.text(before, places) == numbers.text(after, places)


def _cell(value: float | None, missing: str) -> str:
    """A verified value to 10 significant digits, trailing zeros kept so that the columns'
    digits line up (0 alone)."""
    if value is None:
        return missing
    return "0" if value == 0 else f"{value:#.10g}".replace("-", numbers.MINUS)


def gap(value: float) -> str:
    """A relative disagreement: 0 when none, else two digits and an exponent."""
    return "0" if value == 0 else f"{value:.1e}".replace("-", numbers.MINUS)


def verification(ctx: Context, v: Verification) -> Section:
    words = ctx.words["verification"]
    blocks = [verification_intro(ctx, v, words), *checks(ctx, v)]
    if ctx.d.places is not None:
        blocks.append(paragraph(words["rounded_note"]))
    return Section("verification", words["heading"], tuple(blocks))


def verification_intro(ctx: Context, v: Verification, words: dict) -> Paragraph:
    """Four ways, or three and why not the fourth (`words`: intro and intro_without_sympy,
    of one sample or of several)."""
    if not v.sympy_skipped:
        return paragraph(words["intro"])
    why = ctx.words["verification"]["sympy_skipped"]  # in plain words: a handout's reader
    return paragraph(words["intro_without_sympy"] + " " + why)


def checks(ctx: Context, v: Verification) -> list:
    """The table of every gradient's four values, and what explains a difference."""
    words = ctx.words["verification"]
    keys = ("col_param", "col_chain", "col_sympy", "col_autograd", "col_fd", "col_gap")
    columns = [k for k in keys if k != "col_sympy" or not v.sympy_skipped]
    checked = v.checks
    if len(checked) > LONG_TABLE:  # the worked parameters and any with a note, a line for all
        flagged = {*v.sympy_unevaluable, *v.rounding_explained}
        flagged |= {p for p, c in checked.items() if c.kink}
        shown = set(ctx.worked_params()) | flagged
        checked = {p: c for p, c in v.checks.items() if p in shown}
    rows = tuple(
        tuple(
            {
                "col_param": node_label(p) + ("*" if c.kink else ""),
                "col_chain": _cell(c.chain_rule, ""),
                "col_sympy": _cell(c.sympy, words["skipped"]),
                "col_autograd": _cell(c.autograd, ""),
                "col_fd": _cell(c.finite_difference, ""),
                "col_gap": gap(c.largest_disagreement),
            }[k]
            for k in columns
        )
        for p, c in checked.items()
    )
    blocks: list = [Table(tuple(words[k] for k in columns), rows, style="numbers verification")]
    others = [p for p in v.checks if p not in checked]
    if others:
        widest = max(others, key=lambda p: v.checks[p].largest_disagreement)
        gap_of = v.checks[widest].largest_disagreement
        blocks.append(
            paragraph(
                words["others_agree"],
                count=f"{len(others):,}",
                gap=gap(gap_of),
                param=node_label(widest),
            )
        )
    if v.sympy_unevaluable:
        names = ", ".join(map(node_label, v.sympy_unevaluable))
        blocks.append(paragraph(words["sympy_unevaluable"], names=names))
    if v.rounding_explained:
        names = ", ".join(map(node_label, v.rounding_explained))
        blocks.append(paragraph(words["float_rounding"], names=names))
    if any(c.kink for c in v.checks.values()):
        blocks.append(paragraph(words["kink"]))
    return blocks


def spec_digest(spec: Spec) -> str:
    """sha256 of the spec's content (not its file), so the footer names what was solved."""
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
        "settings": {key: str(value) for key, value in spec.settings.items()},
        "title": spec.title,
    }
    if spec.samples:  # several: every sample (the digest of one-sample specs is unchanged)
        content["samples"] = [[list(map(str, x)), list(map(str, y))] for x, y in spec.samples]
    if spec.training:
        content["training"] = _training_content(spec.training)
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def _training_content(training: TrainingSettings) -> str:
    """The [training] table as the digest has always hashed it (its dataclass's repr from when
    the class was called Training), spelled out so that no class's name changes a digest."""
    fields = dataclasses.fields(training)
    return f"Training({', '.join(f'{f.name}={getattr(training, f.name)!r}' for f in fields)})"


def shown_source(source: str) -> str:
    """A spec's file as a footer names it: relative to the working directory, or its name
    alone: never an absolute path of the machine that rendered it."""
    path = Path(source)
    if not path.is_absolute():
        return source
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return path.name


def shown_spec(spec: Spec, lang: str) -> str:
    """A spec as a footer names it: its file (shown_source), or the built-in seed in the
    reader's language."""
    if spec.source == BUILTIN_SOURCE:
        return strings(lang)["footer"]["builtin_spec"]
    return shown_source(spec.source)


def footer(ctx: Context, carry: str, detail: str) -> tuple[str, ...]:
    words, spec = ctx.words["footer"], ctx.net.spec
    return (
        fill(words["made_by"], version=__version__),
        fill(words["spec"], source=shown_spec(spec, ctx.lang), digest=spec_digest(spec)[:16]),
        fill(words["options"], lang=ctx.lang, places=ctx.places, carry=carry, detail=detail),
    )
