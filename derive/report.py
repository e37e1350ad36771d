"""Plain renderings of a Solution: a JSON-ready dict and a terminal report."""

from __future__ import annotations

from typing import Any

from derive.engine.network import LOSS
from derive.solution import Solution


def to_json(solution: Solution) -> dict[str, Any]:
    """Full-precision floats keyed by node and parameter names (see docs/json.md)."""
    d, v = solution.derivation, solution.verification
    net = d.network
    spec = net.spec
    return {
        "title": spec.title,
        "network": {
            "layers": list(spec.layers),
            "activations": list(spec.activations),
            "loss": spec.loss,
            "bias": spec.bias,
            "numbering": spec.numbering,
            "learning_rate": float(spec.learning_rate),
        },
        "values": {name: float(value) for name, value in d.values.items() if name != LOSS},
        "loss": float(d.loss),
        "gradients": {p: float(g.value) for p, g in d.gradients.items()},
        "updated": {p: float(g.updated) for p, g in d.gradients.items()},
        "node_gradients": {n: float(a.value) for n, a in d.adjoints.items() if n != LOSS},
        "local_derivatives": {f"d{a}/d{b}": float(loc.value) for (a, b), loc in d.locals.items()},
        "checks": {
            p: {
                "chain_rule": c.chain_rule,
                "sympy": c.sympy,
                "autograd": c.autograd,
                "finite_difference": c.finite_difference,
                "largest_disagreement": c.largest_disagreement,
                "relu_kink": c.kink,
            }
            for p, c in v.checks.items()
        },
        "verification": {
            "sympy_skipped": v.sympy_skipped,
            "finite_difference_step": v.step,
            "forward_disagreement": v.forward_disagreement,
        },
    }


def _num(value: object) -> str:
    return "skipped" if value is None else f"{float(value):.10g}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        first, *rest = (
            c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))
        )
        return "  ".join([first, *rest]).rstrip()

    return [line(header), line(["-" * w for w in widths]), *map(line, rows)]


def to_text(solution: Solution) -> str:
    """A report readable in a terminal: forward pass, loss, gradients and updates, checks."""
    d, v = solution.derivation, solution.verification
    net = d.network
    spec = net.spec
    acts = ", ".join(dict.fromkeys(spec.activations))
    out = [
        spec.title or "Backpropagation, one step",
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
    out += ["", f"Loss ({spec.loss})", f"  C = {_num(d.loss)}", "", "Gradients and one step"]
    rows = [[p, _num(net.given[p]), _num(g.value), _num(g.updated)] for p, g in d.gradients.items()]
    out += _table(["param", "value", "dC/dparam", f"updated (p - {spec.learning_rate}·grad)"], rows)
    out += ["", "Verification: chain rule, SymPy, PyTorch autograd (float64), finite differences"]
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
    out += _table(["param", "chain rule", "sympy", "autograd", "finite diff", "largest gap"], rows)
    if v.sympy_skipped:
        out.append(f"SymPy skipped: {v.sympy_skipped}")
    out.append(f"All {len(v.checks)} gradients agree (finite-difference step {v.step:g}).")
    return "\n".join(out)
