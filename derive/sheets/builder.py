"""Builds a sheet's Document from the shown batch and update and the verification: one sample
(a batch of one) worked through; several samples' steps 1–3 each (every sample when there are
at most SAMPLES_IN_FULL, else the first), their mean, one gradient-descent step on it, and each
sample's verification. Sample n's nodes are written x_{1}^{(n)}; weights and biases, the same
for every sample, carry no mark."""

from __future__ import annotations

import dataclasses
import functools
from decimal import Decimal

from derive.engine.batch import Batch
from derive.engine.exact import exact_context
from derive.engine.names import LOSS, Name, node_label, partial_latex
from derive.engine.operations import ACTIVATIONS
from derive.engine.update import Update
from derive.sheets import backward, forward, summary
from derive.sheets.context import LONG_TABLE, Context
from derive.sheets.document import (
    Document,
    Formula,
    Group,
    Section,
    Table,
    document_strings,
    paragraph,
)
from derive.sheets.givens import column_blocks, givens
from derive.sheets.lines import ELLIPSIS, Numbers, Shown, equation, plus
from derive.solution import Solution
from derive.text.locale import fill

SAMPLES_IN_FULL = 4  # more samples: the first is worked in full, the others in a table
MEAN_TERMS = 8  # a mean over more samples is written as its first two terms, ⋯ and its last


class DocumentBuilder:
    """Builds a sheet's document; everything but the verification section can be built (and
    typeset) while the verification still runs."""

    def __init__(
        self,
        batch: Batch,
        update: Update,
        lang: str,
        places: int,
        carry: str,
        detail: str = "some",
        written: bool = False,
    ) -> None:
        """`batch` and `update` are the exact ones or their hand-rounded twins (or a
        student's own numbers, `written`)."""
        self.batch, self.carry, self.detail = batch, carry, detail
        self.several = batch.network.several
        first = batch.samples[0]
        loss = batch.loss if self.several else None  # what the step starts from
        self.ctx = Context(first, update, places, lang, detail, loss=loss, written=written)
        self.contexts = (self.ctx,)
        if self.several:
            self.contexts = tuple(
                Context(d, update, places, lang, detail, sample=n, written=written)
                for n, d in enumerate(batch.samples, start=1)
            )
        count = len(self.contexts)
        self.in_full = self.contexts[: SAMPLES_IN_FULL if count <= SAMPLES_IN_FULL else 1]

    @functools.cached_property
    def gradients(self) -> dict[str, Decimal]:
        """The batch's mean gradients, which several samples' mean lines show."""
        return self.batch.gradients

    @functools.cached_property
    def body(self) -> tuple[Section, ...]:
        """Every section but the verification (built once asked: a checker's worked lines
        need none)."""
        return (
            givens(self.ctx),
            *(section for ctx in self.in_full for section in _sample_sections(ctx)),
            *((self._mean(),) if self.several else ()),
            summary.summary(self.ctx),
        )

    def document(self, solution: Solution | None) -> Document:
        """The whole sheet; with None, the body alone (for typesetting ahead)."""
        ctx = self.ctx
        sections = self.body
        if solution is not None:
            sections = (*sections, self._verification(solution))
        words, title = ctx.words, ctx.words["title"]
        if self.several:
            words = ctx.words["samples"]
            title = fill(words["title"], count=len(self.contexts))
        title = ctx.net.spec.title_for(ctx.lang) or title
        footer = summary.footer(ctx, self.carry, self.detail)
        return Document(ctx.lang, title, words["subtitle"], sections, footer)

    def worked(self, name: Name) -> tuple[Formula, ...]:
        """The worked line(s) of one quantity, as the sheet shows it: a sample's, the mean or
        the update (none for an input)."""
        if name.sample is not None:
            return worked(self.contexts[name.sample - 1], dataclasses.replace(name, sample=None))
        if not self.several or name.updated:
            return worked(self.ctx, name)
        if name == Name(LOSS):
            return (self.mean_line(None),)
        if name.of == LOSS and name.wrt in self.batch.network.params:
            return (self.mean_line(name.wrt),)
        return ()

    def words(self, draft: Document | None = None) -> str:
        """Every character the sheet may print outside formulas, verification included: the
        body's (`draft`: document(None), if already built), every word of the verification's
        locale tables (the section is built last, once the check is in) and the numbers'
        characters: what the fonts need."""
        tables = ("verification", "samples_verification") if self.several else ("verification",)
        ctx = self.ctx
        verification = "".join(str(v) for t in tables for v in ctx.words[t].values())
        body = self.document(None) if draft is None else draft
        return "".join(document_strings(body)) + verification + "0123456789.e+-−*"

    def mean_line(self, param: str | None) -> Formula:
        """C = 1/N (C⁽¹⁾ + … + C⁽ᴺ⁾), or ∂C/∂p likewise, with numbers: each term with as many
        digits as make the line add up (terms that cancel need more)."""
        ctx, count = self.ctx, len(self.contexts)
        if param is None:
            left, result = LOSS, self.ctx.loss
            parts = [(c.tex(LOSS), c.d.loss) for c in self.contexts]
        else:
            left, result = partial_latex(LOSS, param), self.gradients[param]
            parts = [(c.partial(LOSS, param), c.d.gradients[param].value) for c in self.contexts]
        count_tex = rf"\frac{{1}}{{{count}}}"

        def numeric(num: Numbers) -> Shown:
            terms = [num.operand(value) for _, value in parts]
            with exact_context():  # of every term, written out or not
                mean = sum((t.value for t in terms), Decimal(0)) / count
            if count > MEAN_TERMS:
                terms = [*terms[:2], Shown(ELLIPSIS, None), terms[-1]]
            return Shown(rf"{count_tex} \left({plus([t.tex for t in terms])}\right)", mean)

        names = [name for name, _ in parts]
        if count > MEAN_TERMS:
            names = [*names[:2], ELLIPSIS, names[-1]]
        return equation(
            left,
            rf"{count_tex} \left({' + '.join(names)}\right)",
            ctx.num.fit(numeric, result),
            ctx.num.tex(result),
        )

    def _mean(self) -> Section:
        """Step 4: the batch's loss, each parameter's mean gradient and its update."""
        ctx, count = self.ctx, len(self.contexts)
        words = ctx.words["samples"]
        blocks: list = []
        if count > len(self.in_full):
            blocks.append(paragraph(words["others"], first=len(self.in_full) + 1, last=count))
        blocks.append(paragraph(words["mean_intro"]))
        rests = [p for layer in ctx.net.layers for p in ctx.params_in_full(layer)[1]]
        if count > len(self.in_full) or rests:  # numbers the lines below abbreviate or skip
            blocks.append(self._per_sample())
        blocks.append(Group(words["loss_title"], (self.mean_line(None),)))
        for layer in reversed(ctx.net.layers):
            full, rest = ctx.params_in_full(layer)
            title = ctx.layer_title("backward", layer[0].layer)
            blocks.append(Group(title, (), leads=True))
            blocks += [
                Group(
                    f"{words['param_title']}: {node_label(p)}",
                    (self.mean_line(p), backward.update_line(ctx, p)),
                )
                for p in full
            ]
            if len(rest) > LONG_TABLE:
                blocks.append(paragraph(words["rest_in_summary"], count=len(rest)))
            elif rest:
                rows = tuple(
                    (
                        node_label(p),
                        ctx.num.text_of(self.gradients[p]),
                        ctx.num.text(p),
                        ctx.num.updated_text(p),
                    )
                    for p in rest
                )
                keys = ("col_param", "col_gradient", "col_old", "col_new")
                header = tuple(words[k] for k in keys)
                blocks += [paragraph(words["rest_note"]), Table(header, rows)]
        return Section("mean", words["mean_heading"], tuple(blocks))

    def _per_sample(self) -> Group:
        """Every sample's loss and gradients, and their means, as a table (of a network with
        long layers, the gradients of the parameters worked in full)."""
        ctx = self.ctx
        words = ctx.words["samples"]
        header = (words["col_quantity"], *(f"n = {c.sample}" for c in self.contexts))
        header += (words["col_mean"],)
        rows = [
            (
                f"{LOSS}⁽ⁿ⁾",
                *(ctx.num.text_of(c.d.loss) for c in self.contexts),
                ctx.num.text_of(self.ctx.loss),
            )
        ]
        params = ctx.net.params
        if any(len(ctx.params_in_full(layer)[1]) > LONG_TABLE for layer in ctx.net.layers):
            params = ctx.worked_params()
        for p in params:
            values = [c.d.gradients[p].value for c in self.contexts]
            rows.append(
                (
                    f"∂{LOSS}⁽ⁿ⁾/∂{node_label(p)}",
                    *map(ctx.num.text_of, values),
                    ctx.num.text_of(self.gradients[p]),
                )
            )
        return Group(words["per_sample"], column_blocks(header, rows), breakable=True)

    def _verification(self, solution: Solution) -> Section:
        """One sample's four ways; several samples' (a table per sample worked in full, a line
        for the others), and the step against torch.optim's SGD on the batch."""
        if not self.several:
            return summary.verification(self.ctx, solution.verifications[0])
        words = self.ctx.words["samples_verification"]
        checked = solution.verifications
        skipped = next((v for v in checked if v.sympy_skipped), checked[0])
        blocks: list = [summary.verification_intro(self.ctx, skipped, words)]
        for ctx, v in zip(self.in_full, checked, strict=False):
            title = fill(words["sample_title"], n=ctx.sample)
            blocks.append(Group(title, tuple(summary.checks(ctx, v)), breakable=True))
        others = checked[len(self.in_full) :]
        if others:
            rows = tuple(
                (
                    str(n) + ("*" if any(c.kink for c in v.checks.values()) else ""),
                    str(len(v.checks)),
                    summary.gap(max(c.largest_disagreement for c in v.checks.values())),
                )
                for n, v in enumerate(others, start=len(self.in_full) + 1)
            )
            header = (words["col_sample"], words["col_checked"], words["col_gap"])
            blocks += [paragraph(words["others"]), Table(header, rows)]
            kinked = [n for n in solution.samples_at_kinks if n > len(self.in_full)]
            if kinked:
                blocks.append(paragraph(words["kink"], units=self._kinks(kinked)))
        gap, kinks = summary.gap(solution.update_disagreement), solution.samples_at_kinks
        if not solution.update_explained:
            blocks.append(paragraph(words["step_check"], gap=gap))
        elif kinks:
            units = self._kinks(kinks)
            blocks.append(paragraph(words["step_check_kink"], gap=gap, units=units))
        else:
            blocks.append(paragraph(words["step_check_rounding"], gap=gap))
        shared = self.ctx.words["verification"]
        if self.ctx.d.places is not None:
            blocks.append(paragraph(shared["rounded_note"]))
        return Section("verification", shared["heading"], tuple(blocks))

    def _kinks(self, samples: list[int] | tuple[int, ...]) -> str:
        """The units of these samples at a kink: 'z₃⁽⁶⁾ = 0' (or the samples, where z is
        near 0 rather than at it)."""
        net = self.ctx.net
        kinked = [n for n in net.neurons if ACTIVATIONS[net.activation(n.layer)].kink]
        at = [
            f"{ctx.label(n.z)} = 0"
            for ctx in (self.contexts[s - 1] for s in samples)
            for n in kinked
            if ctx.d.values[n.z] == 0
        ]
        return ", ".join(at) or ", ".join(
            fill(self.ctx.words["samples_verification"]["sample_title"], n=s) for s in samples
        )


def worked(ctx: Context, name: Name) -> tuple[Formula, ...]:
    """The worked line(s) of one quantity of `ctx`'s derivation (none for an input)."""
    net = ctx.net
    neurons = {n.z: n for n in net.neurons} | {n.a: n for n in net.neurons}
    if name.updated:
        return (backward.update_line(ctx, name.of),)
    if name.wrt is None:
        if name.of == LOSS:
            return (forward.loss_line(ctx),)
        if name.of in neurons:
            n = neurons[name.of]
            return (forward.weighted_sum(ctx, n) if name.of == n.z else forward.activation(ctx, n),)
        return ()
    if name.of != LOSS:
        return (backward.local_line(ctx, ctx.d.locals[(name.of, name.wrt)]),)
    if name.wrt in net.outputs:
        return (backward.upstream(ctx, name.wrt),)
    if name.wrt in ctx.d.gradients:
        return (backward.gradient_line(ctx, name.wrt),)
    if name.wrt in {n.z for n in net.neurons}:
        return (backward.delta_line(ctx, name.wrt),)
    return (backward.upstream(ctx, name.wrt),)


def _sample_sections(ctx: Context) -> list[Section]:
    """Steps 1–3 for one sample; of several, headed with its number, its data said first."""
    sections = [forward.forward(ctx), forward.loss(ctx), backward.backward(ctx)]
    if ctx.sample is None:
        return sections
    words, net = ctx.words["samples"], ctx.net
    inputs = ", ".join(f"{ctx.label(x)} = {ctx.num.text(x)}" for x in net.inputs)
    targets = ", ".join(f"{ctx.label(y)} = {ctx.num.text(y)}" for y in net.targets)
    lead = paragraph(words["lead"], n=ctx.sample, inputs=inputs, targets=targets)
    sections[0] = dataclasses.replace(sections[0], blocks=(lead, *sections[0].blocks))
    return [
        dataclasses.replace(
            s,
            key=f"sample{ctx.sample}-{s.key}",
            heading=fill(words["heading"], n=ctx.sample, heading=s.heading),
        )
        for s in sections
    ]
