"""Plain renderings of a Solution: a JSON-ready dict and a terminal report."""

from __future__ import annotations

import math
import sys
from decimal import Decimal
from typing import Any

from derive.engine.batch import Batch
from derive.engine.derivation import Derivation
from derive.engine.exact import exact_context
from derive.engine.names import LOSS, Name
from derive.engine.spec import Spec
from derive.engine.update import Update
from derive.solution import Solution
from derive.verify.verification import Verification


def _network_json(spec: Spec) -> dict[str, Any]:
    return {
        "layers": list(spec.layers),
        "activations": list(spec.activations),
        "loss": spec.loss,
        "bias": spec.bias,
        "numbering": spec.numbering,
        "learning_rate": float(spec.learning_rate),
        "settings": {key: float(value) for key, value in spec.settings.items()},
    }


def _derivation_json(d: Derivation) -> dict[str, Any]:
    return {
        "values": {name: json_number(value) for name, value in d.values.items() if name != LOSS},
        "loss": json_number(d.loss),
        "gradients": {p: json_number(g.value) for p, g in d.gradients.items()},
        "node_gradients": {n: json_number(a.value) for n, a in d.adjoints.items() if n != LOSS},
        "local_derivatives": {
            str(Name(a, b)): json_number(loc.value) for (a, b), loc in d.locals.items()
        },
    }


def _update_json(u: Update) -> dict[str, Any]:
    return {
        "loss_after": json_number(u.loss_after),
        "updated": {p: json_number(step.after) for p, step in u.params.items()},
        # the step is torch.optim's SGD with its defaults: gradient descent, as docs/json.md
        # names it, with its one hyperparameter
        "update": {
            "rule": "gradient_descent",
            "hyperparameters": {"learning_rate": float(u.rule.learning_rate)},
            "step": u.step,
        },
    }


def _checks_json(v: Verification) -> dict[str, Any]:
    return {
        p: {
            "chain_rule": _finite(c.chain_rule),
            "sympy": _finite(c.sympy),
            "autograd": _finite(c.autograd),
            "autograd_tolerance": _finite(c.autograd_tolerance),
            "finite_difference": _finite(c.finite_difference),
            "finite_difference_error": _finite(c.finite_difference_error),
            "finite_difference_step": _finite(c.finite_difference_step),
            "largest_disagreement": _finite(c.largest_disagreement),
            "relu_kink": c.kink,
        }
        for p, c in v.checks.items()
    }


def _verification_json(v: Verification) -> dict[str, Any]:
    return {
        "sympy_skipped": v.sympy_skipped,
        "sympy_unevaluable": list(v.sympy_unevaluable),
        "rounding_explained": list(v.rounding_explained),
        "forward_disagreement": _finite(v.forward_disagreement),
        "update_disagreement": _finite(v.update_disagreement),
    }


def to_json(solution: Solution) -> dict[str, Any]:
    """Full-precision floats keyed by node and parameter names (see docs/json.md): one
    sample's derivation, step and checks at the top; several samples' each in `samples`, then
    the batch's mean loss and gradients, the step taken with them and its check."""
    batch, u = solution.batch, solution.update
    spec = batch.network.spec
    head = {"title": spec.title, "network": _network_json(spec)}
    samples = [
        {**_derivation_json(d), "checks": _checks_json(v), "verification": _verification_json(v)}
        for d, v in zip(batch.samples, solution.verifications, strict=True)
    ]
    step = _update_json(u)
    if not batch.network.several:  # the sample's numbers, the step beside its loss and gradients
        one = samples[0]
        ahead = ("values", "loss", "loss_after", "gradients", "updated", "update")
        return head | {k: {**one, **step}[k] for k in ahead} | one
    return head | {
        "samples": samples,
        "loss": json_number(batch.loss),
        "gradients": {p: json_number(g) for p, g in batch.gradients.items()},
        **step,
        "update_disagreement": solution.update_disagreement,
        "update_disagreement_explained": solution.update_explained,
        "samples_at_kinks": list(solution.samples_at_kinks),
    }


SMALLEST_NORMAL = Decimal(sys.float_info.min)


def json_number(value: Decimal) -> float | str:
    """The exact value correctly rounded to float64, or, where float64 cannot hold it (beyond
    10³⁰⁸, or so small it would lose digits), the decimal itself as a string: '1.97E+434'."""
    as_float = float(value)
    if math.isfinite(as_float) and (not value or abs(value) >= SMALLEST_NORMAL):
        return as_float
    with exact_context(17):
        return f"{(+value).normalize():E}"


def _finite(value: float | None) -> float | None:
    """JSON has no infinity: an unbounded estimate (or a missing value) is null."""
    return value if value is not None and math.isfinite(value) else None


def _num(value: object) -> str:
    return "skipped" if value is None else f"{float(value):.10g}"


def text_table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        first, *rest = (
            c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))
        )
        return "  ".join([first, *rest]).rstrip()

    return [line(header), line(["-" * w for w in widths]), *map(line, rows)]


def to_text(solution: Solution) -> str:
    """A report readable in a terminal: one sample's forward pass, loss and gradients, or
    several samples' losses and gradients and their means; the step; the checks."""
    batch, u = solution.batch, solution.update
    spec, several = batch.network.spec, batch.network.several
    out = [spec.title_for("en") or "Backpropagation, one step"]
    if several:
        out += _samples_text(batch)
    else:
        out += _sample_text(batch.samples[0])
    rows = [[p, _num(s.before), _num(s.gradient), _num(s.after)] for p, s in u.params.items()]
    header = ["param", "value", "dC/dparam", f"updated (p - {spec.learning_rate}·grad)"]
    if several:
        header[2:] = ["mean dC/dparam", "updated"]
    out += text_table(header, rows)
    out += [f"Loss after the step: C' = {_num(u.loss_after)} (before: {_num(batch.loss)})", ""]
    if several:
        out.append(
            "Every sample's gradients agree four ways (chain rule, SymPy, autograd, finite "
            "differences); " + _batch_step_check(solution)
        )
    else:
        out += _checks_text(solution.verifications[0])
    return "\n".join(out)


def _sample_text(d: Derivation) -> list[str]:
    """One sample: the network, its forward pass and loss."""
    net = d.network
    spec = net.spec
    acts = ", ".join(dict.fromkeys(spec.activations))
    out = [
        f"network {'-'.join(map(str, spec.layers))} ({acts}), loss {spec.loss}, "
        f"bias {spec.bias}, numbering {spec.numbering}, learning rate {spec.learning_rate}",
        "",
        "Forward pass",
    ]
    for n in net.neurons:
        terms = " + ".join(f"{s}·{w}" for s, w in n.terms) + (f" + {n.bias}" if n.bias else "")
        act = net.activation(n.layer)
        out.append(f"  {n.z} = {terms} = {_num(d.values[n.z])}")
        out.append(f"  {n.a} = {act}({n.z}) = {_num(d.values[n.a])}")
    return [*out, "", f"Loss ({spec.loss})", f"  C = {_num(d.loss)}", "", "Gradients and one step"]


def _samples_text(batch: Batch) -> list[str]:
    """Several samples: the network, each sample's loss and gradients, and their means."""
    spec = batch.network.spec
    out = [
        f"network {'-'.join(map(str, spec.layers))}, loss {spec.loss}, "
        f"{len(batch.samples)} samples, learning rate {spec.learning_rate}",
        "The batch's loss is the mean of the samples' losses (PyTorch's reduction='mean'), "
        "each gradient the mean of theirs.",
        "",
    ]
    header = ["", *(f"sample {n}" for n in range(1, len(batch.samples) + 1)), "mean"]
    rows = [["C", *(_num(d.loss) for d in batch.samples), _num(batch.loss)]]
    rows += [
        [f"dC/d{p}", *(_num(d.gradients[p].value) for d in batch.samples), _num(g)]
        for p, g in batch.gradients.items()
    ]
    out += [*text_table(header, rows), "", "One step of gradient descent on the mean gradient"]
    return out


def _checks_text(v: Verification) -> list[str]:
    """One sample's four ways, parameter by parameter."""
    out = ["Verification: chain rule, SymPy, PyTorch autograd (float64), finite differences"]
    rows = [
        [
            p,
            _num(c.chain_rule),
            _num(c.sympy),
            _num(c.autograd),
            _num(c.finite_difference) + (" (ReLU kink)" if c.kink else ""),
            f"{c.largest_disagreement:.1e}",
        ]
        for p, c in v.checks.items()
    ]
    out += text_table(
        ["param", "chain rule", "sympy", "autograd", "finite diff", "largest gap"], rows
    )
    if v.sympy_skipped:
        out.append(f"SymPy skipped: {v.sympy_skipped}")
    if v.sympy_unevaluable:
        out.append(f"SymPy's form cannot be evaluated here for: {', '.join(v.sympy_unevaluable)}")
    out.append(f"All {len(v.checks)} gradients agree, and the update agrees with torch.optim.SGD.")
    return out


def _batch_step_check(solution: Solution) -> str:
    gap = f"{solution.update_disagreement:.1e} relative"
    if not solution.update_explained:
        return f"the step agrees with torch.optim.SGD on the batch ({gap})."
    why = (
        f"sample {', '.join(map(str, solution.samples_at_kinks))} sits at a ReLU kink"
        if solution.samples_at_kinks
        else "float64's rounding of the gradients"
    )
    return (
        f"torch.optim.SGD on the batch with PyTorch's own gradients differs by {gap} "
        f"({why}); fed the verified gradients, its step agrees within 1e-12."
    )
