"""Builds a sheet's Document from the shown derivation and update and the verification."""

from __future__ import annotations

import functools

from derive.engine.derivation import Derivation
from derive.engine.names import LOSS, Name
from derive.engine.update import Update
from derive.sheets import backward, forward, summary
from derive.sheets.context import Context
from derive.sheets.document import Document, Formula, Section, document_strings
from derive.sheets.givens import givens
from derive.verify.verification import Verification


class DocumentBuilder:
    """Builds a sheet's document; everything but the verification section can be built (and
    typeset) while the verification still runs."""

    def __init__(
        self,
        derivation: Derivation,
        update: Update,
        lang: str,
        places: int,
        carry: str,
        detail: str = "some",
        written: bool = False,
    ) -> None:
        """`derivation` and `update` are the exact ones or their hand-rounded twins (or a
        student's own numbers, `written`)."""
        self.ctx = Context(derivation, update, places, lang, detail, written=written)
        self.carry, self.detail = carry, detail

    @functools.cached_property
    def body(self) -> tuple[Section, ...]:
        """Every section but the verification (built once asked: a checker's worked lines
        need none)."""
        return (
            givens(self.ctx),
            forward.forward(self.ctx),
            forward.loss(self.ctx),
            backward.backward(self.ctx),
            summary.summary(self.ctx),
        )

    def document(self, verification: Verification | None) -> Document:
        """The whole sheet; with None, the body alone (for typesetting ahead)."""
        ctx = self.ctx
        sections = self.body
        if verification is not None:
            sections = (*sections, summary.verification(ctx, verification))
        title = ctx.net.spec.title_for(ctx.lang) or ctx.words["title"]
        footer = summary.footer(ctx, self.carry, self.detail)
        return Document(ctx.lang, title, ctx.words["subtitle"], sections, footer)

    def worked(self, name: Name) -> tuple[Formula, ...]:
        """The worked line(s) of one quantity, as the sheet shows it (none for an input)."""
        return worked(self.ctx, name)

    def words(self) -> str:
        """Every character the sheet may print outside formulas, verification included."""
        return sheet_words(self.document(None), self.ctx, ("verification",))


def sheet_words(body: Document, ctx: Context, tables: tuple[str, ...]) -> str:
    """The body's characters, every word of the verification's locale `tables` (the section
    is built last, once the check is in) and the numbers' characters: what the fonts need."""
    verification = "".join(str(v) for t in tables for v in ctx.words[t].values())
    return "".join(document_strings(body)) + verification + "0123456789.e+-−*"


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
