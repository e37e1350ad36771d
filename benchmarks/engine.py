"""Engine benchmark: node-by-node derivation and its verification, against differentiating one
whole-loss expression; and `derive solve` end to end for a small and a large network.

Table 1: for each architecture, in a fresh child process (SymPy's cache cold, as in one
`derive solve`; torch imported before the clock starts): build the network and derive every
gradient by the chain rule; verify it (a float-like twin, PyTorch autograd and torch.optim,
finite differences with error estimates, SymPy within its budget); and, capped at CAP seconds,
SymPy's naive differentiation of the one whole-loss expression for every parameter.

Table 2: wall time of `python -m derive solve SPEC --json` in fresh processes, [2, 2, 1] and
[16, 16, 8] alternately (issue 7's target: the large one at most 1 s more).

Prints Markdown tables (docs/performance.md keeps the last ones).
"""

from __future__ import annotations

import json
import multiprocessing
import random
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import sympy as sp

from derive.engine.batch import Batch
from derive.engine.derivation import derive
from derive.engine.network import build_network
from derive.engine.spec import Spec, bias_count, parse_spec, weight_count
from derive.engine.training import descend
from derive.verify.sympy_check import whole_loss

ARCHITECTURES = ([2, 2, 1], [4, 4, 2], [8, 8, 4], [16, 16, 8])
CAP = 60.0
SOLVE_RUNS = 5


def bench_document(layers: list[int]) -> dict:
    """Seeded two-decimal values, sigmoid, MSE, one bias per neuron."""
    rng = random.Random(2026)

    def values(n: int) -> list[float]:  # two decimals: JSON's shortest form is exact
        return [rng.randint(-100, 100) / 100 for _ in range(n)]

    return {
        "network": {"layers": layers, "bias": "neuron"},
        "values": {
            "inputs": values(layers[0]),
            "targets": [rng.randint(0, 100) / 100 for _ in range(layers[-1])],
            "weights": values(weight_count(tuple(layers))),
            "biases": values(bias_count(tuple(layers), "neuron")),
        },
    }


def bench_spec(layers: list[int]) -> Spec:
    document = bench_document(layers)
    for table in document.values():
        for key, value in table.items():
            if isinstance(value, list) and value and isinstance(value[0], float):
                table[key] = [Decimal(repr(v)) for v in value]
    return parse_spec(document, "<benchmark>", "bench")


def _engine(layers: list[int], out: multiprocessing.Queue) -> None:
    """(derive s, verify s), first run in this process."""
    from derive.verify.verification import verify_sample

    spec = bench_spec(layers)
    start = time.perf_counter()
    derivation = derive(build_network(spec))
    update = descend(Batch((derivation,)))
    middle = time.perf_counter()
    verify_sample(derivation, update)
    out.put((middle - start, time.perf_counter() - middle))


def _naive(layers: list[int], out: multiprocessing.Queue) -> None:
    network = build_network(bench_spec(layers))
    start = time.perf_counter()
    loss = whole_loss(network)
    for param in network.params:
        sp.diff(loss, network.symbols[param])
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


def engine_table() -> None:
    import torch  # noqa: F401 - imported before forking: the clock never counts its import

    print(f"python {sys.version.split()[0]}, cold SymPy cache, naive capped at {CAP:.0f} s\n")
    print("| layers | parameters | derive s | verify s | total s | naive SymPy s | speed-up |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for layers in ARCHITECTURES:
        spec = bench_spec(layers)
        count = spec.weight_count + spec.bias_count
        derive_s, verify_s = in_child(_engine, layers)
        total = derive_s + verify_s
        naive = in_child(_naive, layers)
        naive_cell = f"{naive:.2f}" if naive is not None else f"> {CAP:.0f} (capped)"
        speedup = f"{naive / derive_s:.0f}×" if naive is not None else f"> {CAP / derive_s:.0f}×"
        print(
            f"| {layers} | {count} | {derive_s:.3f} | {verify_s:.3f} | {total:.3f} "
            f"| {naive_cell} | {speedup} |"
        )


def solve_table() -> None:
    small, large = [2, 2, 1], [16, 16, 8]
    times: dict[str, list[float]] = {str(small): [], str(large): []}
    with tempfile.TemporaryDirectory() as folder:
        paths = {}
        for layers in (small, large):
            paths[str(layers)] = Path(folder) / f"net{len(paths)}.json"
            paths[str(layers)].write_text(json.dumps(bench_document(layers)))
        for _ in range(SOLVE_RUNS):
            for key, path in paths.items():
                command = [sys.executable, "-m", "derive", "solve", str(path), "--json"]
                start = time.perf_counter()
                subprocess.run(command, check=True, capture_output=True)
                times[key].append(time.perf_counter() - start)
    medians = {key: statistics.median(values) for key, values in times.items()}
    print(f"\n`derive solve --json`, {SOLVE_RUNS} fresh processes each, alternating\n")
    print("| layers | median s | best s |")
    print("|---|---:|---:|")
    for key, values in times.items():
        print(f"| {key} | {medians[key]:.2f} | {min(values):.2f} |")
    difference = medians[str(large)] - medians[str(small)]
    print(f"\n[16, 16, 8] takes {difference:.2f} s more than [2, 2, 1].")


if __name__ == "__main__":
    engine_table()
    solve_table()
