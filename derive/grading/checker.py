"""Grading a hand calculation: each claimed number against the verified derivation.

Verdicts, in computation order: correct (rounds to the true value at the digits written),
accepted (one unit off in the last digit, or what rounding the intermediates gives), carried
(wrong, but right from the student's own earlier wrong numbers), wrong (with the slip that
reproduces the claimed digits, where one does).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from derive.engine.batch import Batch
from derive.engine.exact import round_fixed, round_places
from derive.engine.names import LOSS, Name
from derive.engine.network import build_network
from derive.engine.quantities import (
    Quantity,
    QuantityRole,
    Values,
    as_written,
    batch_quantities,
    batch_values,
    by_hand,
    compute_all,
    samples_of,
    with_compute,
)
from derive.engine.update import Update

ZERO_FLOOR = Decimal("1e-12")  # below this a true value counts as 0
VERDICTS = ("correct", "accepted", "carried", "wrong")


@dataclass(frozen=True)
class Claim:
    name: Name
    written: str  # as the student wrote it: "0.470"
    value: Decimal

    @property
    def decimals(self) -> int:
        return max(0, -self.value.as_tuple().exponent)


@dataclass(frozen=True)
class Result:
    name: Name
    claimed: str
    expected: str  # the true value at the student's precision
    verdict: str  # correct | accepted | carried | wrong
    note: tuple[str, dict[str, str]]  # a message key of locales [check] and its fields
    because_of: tuple[Name, ...]  # for carried errors: the earlier claims it follows from


def at(value: Decimal, decimals: int) -> Decimal:
    return round_fixed(value, decimals)


def matches(claim: Claim, value: Decimal) -> bool:
    """The claim is `value` written to the claim's digits (0 only for a true 0)."""
    if not value.is_finite():
        return False
    if claim.value == 0 and abs(value) > ZERO_FLOOR:
        return False
    return at(value, claim.decimals) == claim.value


def _near(claim: Claim, value: Decimal) -> bool:
    """Within one unit of the last digit written, and not a 0 (or a wrong sign) standing in
    for a small value: 0 for a gradient of 0.0004 is never close."""
    same_sign = claim.value * value > 0
    return same_sign and abs(claim.value - value) <= Decimal(1).scaleb(-claim.decimals)


def _slips(
    batch: Batch, update: Update, table: dict[Name, Quantity]
) -> list[tuple[str, dict[Name, Quantity]]]:
    """The worked solution with one typical slip built in, as (slip name, quantities); a slip
    may have several worlds, one per place it is made."""
    net = batch.network
    rate = update.rule.learning_rate
    samples = samples_of(net)
    updates = [n for n, q in table.items() if q.role is QuantityRole.UPDATE]
    activation_of = {Name(n.a, sample=s): Name(n.z, sample=s) for n in net.neurons for s in samples}
    activation_locals = [Name(n.a, n.z, sample=s) for n in net.neurons for s in samples]
    loss_parts = [Name(LOSS, sample=s) for s in samples]
    loss_parts += [Name(LOSS, o, sample=s) for o in net.outputs for s in samples]

    def update_slip(sign: int, scale: Decimal) -> Callable[[Name], Callable[[Values], Decimal]]:
        def make(name: Name) -> Callable[[Values], Decimal]:
            p, g = net.given[name.of], Name(LOSS, name.of)
            return lambda v: p - sign * scale * v[g]

        return make

    def scaled(name: Name, factor: Decimal) -> Callable[[Values], Decimal]:
        return lambda v: factor * table[name].compute(v)

    def z_for_a(name: Name) -> Callable[[Values], Decimal]:
        def compute(v: Values) -> Decimal:
            return table[name].compute(
                {**v, **{a: v[z] for a, z in activation_of.items() if z in v}}
            )

        return compute

    slips = {
        "update_sign": {n: update_slip(-1, rate)(n) for n in updates},
        "learning_rate": {n: update_slip(1, Decimal(1))(n) for n in updates},
        "activation_derivative": {n: (lambda v: Decimal(1)) for n in activation_locals},
        "half_factor": {n: scaled(n, Decimal("0.5")) for n in loss_parts},
        "double_factor": {n: scaled(n, Decimal(2)) for n in loss_parts},
        "z_for_a": {n: z_for_a(n) for n in table if n not in activation_of and n not in updates},
    }
    worlds = [(name, with_compute(table, changes)) for name, changes in slips.items()]
    # z for a in the backward pass alone: ∂z/∂w read as the z the weight multiplies (δ3·z1 for
    # ∂C/∂w5), the forward pass and the error signals true; the world above also slips z3 and
    # σ′, so its ∂C/∂w5 is far from a student's who erred only there
    weight_locals = {n: z_for_a(n) for n in table if n.wrt in net.params and n.of != LOSS}
    worlds.append(("z_for_a", with_compute(table, weight_locals)))
    spec = net.spec
    other = {"by_source": "by_target", "by_target": "by_source"}[spec.numbering]
    swapped = build_network(type(spec)(**{**spec.__dict__, "numbering": other}))
    if any(len(layer) > 1 for layer in swapped.layers) and len(swapped.weights) > 1:
        worlds.append(("numbering", batch_quantities(swapped, update.rule)))
    if net.several:  # the samples' losses and gradients added up, not averaged
        count = Decimal(len(batch.samples))
        means = {n: scaled(n, count) for n, q in table.items() if q.role is QuantityRole.MEAN}
        worlds.append(("sum_not_mean", with_compute(table, means)))
    return worlds


def check(
    batch: Batch, update: Update, claims: list[Claim], shared: dict | None = None
) -> list[Result]:
    """A verdict for every claim, in the order the worked solution computes them; `batch` is
    its samples' derivations (one, or several).

    `shared`: a dict the caller keeps for one derivation and update (a variant that a whole
    class answers), in which what depends on them alone (the quantities, their true values,
    the slips' worlds, the solution reworked at each precision) is worked out once."""
    if not shared:
        shared = {} if shared is None else shared
        shared.update(_shared(batch, update))
    table, true, worlds = shared["table"], shared["true"], shared["worlds"]
    rounded: dict[int, dict[Name, Decimal]] = shared["rounded"]
    written: dict[tuple[int, Name], Decimal] = shared["written"]  # as_written, per place

    def by_hand_written(p: int, name: Name) -> Decimal:
        if (p, name) not in written:
            written[p, name] = as_written(table[name], rounded[p])
        return written[p, name]

    by_name = {c.name: c for c in claims}
    student = compute_all(table, {c.name: c.value for c in claims})
    results: dict[Name, Result] = {}
    for name in (n for n in table if n in by_name):
        claim = by_name[name]
        upstream = _upstream_claims(table, name, by_name)
        wrong_before = tuple(u for u in upstream if results[u].verdict in ("wrong", "carried"))
        from_student = table[name].compute(student)  # from the student's own numbers
        # students round intermediates to a few decimals, and small results to more
        places = [p for p in range(1, max(claim.decimals, 3) + 1) if claim.decimals and claim.value]
        for p in places:
            if p not in rounded:
                rounded[p] = by_hand(batch.network, p)
        # carried to p decimals: the value itself rounded to p (0.4630), or worked from the
        # rounded values before it and written to the claim's digits (0.4626)
        carry_places = next(
            (
                p
                for p in reversed(places)
                if matches(claim, rounded[p][name]) or matches(claim, by_hand_written(p, name))
            ),
            None,
        )
        verdict, key, fields, because = _verdict(
            claim, true[name], from_student, upstream, wrong_before, carry_places
        )
        if verdict == "wrong":
            own = {c.name: c.value for c in claims}
            key = _diagnose(claim, true[name], worlds, own) or "wrong"
        # the true value to two more digits than the student wrote
        shown = (
            f"{round_places(true[name], claim.decimals + 2):f}" if true[name].is_finite() else "?"
        )
        expected = f"{at(true[name], claim.decimals):f}"
        note = (key, {"true": shown, **fields})
        results[name] = Result(name, claim.written, expected, verdict, note, because)
    return [results[n] for n in table if n in results]


def _shared(batch: Batch, update: Update) -> dict:
    """What a verdict needs of one derivation and update alone, worked out once."""
    table = batch_quantities(batch.network, update.rule)
    return {
        "table": table,
        "true": batch_values(batch, update),
        "worlds": _slips(batch, update, table),
        "rounded": {},
        "written": {},
    }


def _verdict(
    claim: Claim,
    true: Decimal,
    from_student: Decimal,
    upstream: tuple[Name, ...],
    wrong_before: tuple[Name, ...],
    carry_places: int | None,
) -> tuple[str, str, dict[str, str], tuple[Name, ...]]:
    """(verdict, note key, note fields, the wrong claims it follows from), first that holds:
    right; right from the student's own rounded numbers; right as carried rounded to some
    places; off by one in the last digit; following from earlier wrong claims; else wrong
    (the slip is named by the caller)."""
    if matches(claim, true):
        return "correct", "correct", {}, ()
    if matches(claim, from_student) and upstream and not wrong_before:
        return "accepted", "own_rounding", {"names": _names(upstream)}, ()
    if carry_places is not None:
        return "accepted", "rounded_carry", {"places": str(carry_places)}, ()
    if _near(claim, true):
        return "accepted", "last_digit", {}, ()
    if matches(claim, from_student) and wrong_before:
        return "carried", "carried", {"names": _names(wrong_before)}, wrong_before
    return "wrong", "wrong", {}, ()


def _names(names: tuple[Name, ...]) -> str:
    return ", ".join(map(str, names))


def _upstream_claims(
    table: dict[Name, Quantity], name: Name, claimed: dict[Name, Claim]
) -> tuple[Name, ...]:
    """The nearest claimed quantities this one is computed from."""
    found: list[Name] = []
    stack, seen = list(table[name].inputs), set()
    while stack:
        current = stack.pop(0)
        if current in seen:
            continue
        seen.add(current)
        if current in claimed:
            found.append(current)
        elif current in table:
            stack += table[current].inputs
    return tuple(sorted(found, key=list(table).index))


def _diagnose(
    claim: Claim,
    true: Decimal,
    worlds: list[tuple[str, dict[Name, Quantity]]],
    own: dict[Name, Decimal],
) -> str | None:
    """The slip that reproduces the claimed value at its digits, if one does."""
    for shift in (1, -1, 2, -2):
        if true and matches(claim, true.scaleb(shift)):
            return "decimal_shift"
    others = {n: v for n, v in own.items() if n != claim.name}
    for slip, table in worlds:
        if claim.name not in table:
            continue
        for overrides in ({}, others):
            value = compute_all(table, overrides)[claim.name]
            if not matches(Claim(claim.name, "", at(true, claim.decimals)), value) and matches(
                claim, value
            ):
                return slip
    if true and matches(claim, -true):  # after the slips that flip a sign for a reason
        return "sign"
    return None
