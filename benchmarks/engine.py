"""Engine benchmark: node-by-node derivation vs differentiating one whole-loss expression.

For each architecture, each in a fresh child process (so SymPy's cache starts cold, as in one
`derive solve`; torch is imported before the clock starts): build the network and derive every
gradient by the chain rule, then check them with PyTorch autograd and finite differences; and,
capped at CAP seconds, SymPy's naive differentiation of the one whole-loss expression.
Prints a Markdown table (docs/performance.md keeps the last one).
"""

from __future__ import annotations

import multiprocessing
import random
import sys
import time
from decimal import Decimal

from derive.engine.derivation import derive
from derive.engine.network import build_network
from derive.engine.spec import Spec, bias_count, parse_spec, weight_count
from derive.verify.verification import sympy_gradients

ARCHITECTURES = ([2, 2, 1], [4, 4, 2], [8, 8, 4], [16, 16, 8])
CAP = 60.0


def bench_spec(layers: list[int]) -> Spec:
    """Seeded two-decimal values, sigmoid, MSE, one bias per neuron."""
    rng = random.Random(2026)

    def values(n: int) -> list[Decimal]:
        return [Decimal(rng.randint(-100, 100)) / 100 for _ in range(n)]

    doc = {
        "network": {"layers": layers, "bias": "neuron"},
        "values": {
            "inputs": values(layers[0]),
            "targets": [Decimal(rng.randint(0, 100)) / 100 for _ in range(layers[-1])],
            "weights": values(weight_count(tuple(layers))),
            "biases": values(bias_count(tuple(layers), "neuron")),
        },
    }
    return parse_spec(doc, "<benchmark>", "bench")


def _engine(layers: list[int], out: multiprocessing.Queue) -> None:
    """(build + derive, autograd + finite-difference check) seconds, first run in this process."""
    from derive.verify.torch_model import TorchNetwork

    spec = bench_spec(layers)
    start = time.perf_counter()
    derivation = derive(build_network(spec))
    middle = time.perf_counter()
    model = TorchNetwork(derivation.network)
    model.autograd()
    model.finite_differences(1e-5)
    out.put((middle - start, time.perf_counter() - middle))


def _naive(layers: list[int], out: multiprocessing.Queue) -> None:
    network = build_network(bench_spec(layers))
    start = time.perf_counter()
    sympy_gradients(network)
    out.put(time.perf_counter() - start)


def in_child(target, layers: list[int]) -> object | None:
    """Run target(layers, queue) in a fresh process; None if it takes longer than CAP."""
    queue: multiprocessing.Queue = multiprocessing.Queue()
    child = multiprocessing.Process(target=target, args=(layers, queue))
    child.start()
    child.join(CAP)
    if child.is_alive():
        child.terminate()
        child.join()
        return None
    return queue.get()


def main() -> None:
    import torch  # noqa: F401 - imported before forking: the clock never counts its import

    print(f"python {sys.version.split()[0]}, cold SymPy cache, naive capped at {CAP:.0f} s\n")
    print(
        "| layers | parameters | derive s | autograd + FD s | total s | ms / parameter "
        "| naive SymPy s | speed-up |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for layers in ARCHITECTURES:
        spec = bench_spec(layers)
        count = spec.weight_count + spec.bias_count
        derive_s, check_s = in_child(_engine, layers)
        total = derive_s + check_s
        naive = in_child(_naive, layers)
        naive_cell = f"{naive:.2f}" if naive is not None else f"> {CAP:.0f} (capped)"
        speedup = f"{naive / total:.0f}×" if naive is not None else f"> {CAP / total:.0f}×"
        print(
            f"| {layers} | {count} | {derive_s:.3f} | {check_s:.3f} | {total:.3f} "
            f"| {1000 * total / count:.2f} | {naive_cell} | {speedup} |"
        )


if __name__ == "__main__":
    main()
