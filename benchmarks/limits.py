"""The documented limits' benchmark (issue 17 §8: no command over 60 s on any valid input within
the limits of docs/spec.md): networks at the limits — 4,096 parameters wide or square, eight
layers, 32 samples — each through `derive sheet --lang en,ko` and `derive train` (all seven
optimizers over 6 steps, and runs that nearly spend train's budget of exact gradients), wall
time of a fresh process, against the imports every run needs, measured in the same run.
Prints a Markdown table.

The networks' numbers are drawn from a seeded generator, so every run measures the same specs.
"""

from __future__ import annotations

import itertools
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LIMIT_S = 60.0
BASELINE = [sys.executable, "-c", "import torch, sympy, weasyprint, matplotlib"]


def spec(layers: list[int], samples: int = 1, bias: str = "none", seed: int = 0) -> dict:
    """A sigmoid MSE network with weights of 3 decimals in [−0.5, 0.5] and inputs in [0, 1]."""
    rng = random.Random(seed)
    weights = sum(a * b for a, b in itertools.pairwise(layers))
    biases = sum(layers[1:]) if bias == "neuron" else 0

    def draw(low: float, high: float) -> float:
        return round(rng.uniform(low, high), 3)

    rows = [[draw(0, 1) for _ in range(layers[0])] for _ in range(samples)]
    targets = [[draw(0, 1) for _ in range(layers[-1])] for _ in range(samples)]
    return {
        "network": {"layers": layers, "activation": "sigmoid", "loss": "mse", "bias": bias},
        "values": {
            "inputs": rows if samples > 1 else rows[0],
            "targets": targets if samples > 1 else targets[0],
            "weights": [draw(-0.5, 0.5) for _ in range(weights)],
            "biases": [draw(-0.5, 0.5) for _ in range(biases)],
            "learning_rate": 0.1,
        },
    }


WIDE, SQUARE = [64, 63, 1], [32, 32, 32, 32, 32]
SHEET = ["sheet", "--lang", "en,ko"]
SEVEN = ["train", "--steps", "6"]  # all seven optimizers
RUNS = (  # (network, its spec, the command): each limit, and train's budget nearly spent
    ("wide 64–63–1 (4,095 parameters)", spec(WIDE), SHEET),
    ("wide 64–63–1 (4,095 parameters)", spec(WIDE), SEVEN),
    ("wide 64–63–1 (4,095 parameters)", spec(WIDE), ["train", "--steps", "34"]),
    ("square 32–32–32–32–32 (4,096)", spec(SQUARE), SHEET),
    ("square 32–32–32–32–32 (4,096)", spec(SQUARE), SEVEN),
    ("deep, 8 layers of 8 with biases (504)", spec([8] * 8, bias="neuron"), SHEET),
    ("deep, 8 layers of 8 with biases (504)", spec([8] * 8, bias="neuron"), SEVEN),
    ("wide, 32 samples", spec(WIDE, samples=32), SHEET),
    ("wide, 32 samples", spec(WIDE, samples=32), ["train", "--optimizer", "adam", "--steps", "7"]),
    ("square, 32 samples", spec(SQUARE, samples=32), SHEET),
    ("8–16–16–4, 32 samples (448)", spec([8, 16, 16, 4], samples=32), SEVEN),
)


def wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    baseline = wall(BASELINE)
    imports = " ".join(BASELINE[1:])
    print(f"imports alone (`{imports}`): {baseline:.1f} s; target ≤ {LIMIT_S:.0f} s\n")
    print("| network | command | s | × imports | ≤ 60 s |")
    print("|---|---|---:|---:|:---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for name, body, args in RUNS:
            path = Path(tmp) / "net.json"
            path.write_text(json.dumps(body))
            out = Path(tmp) / "out"
            seconds = wall([sys.executable, "-m", "derive", *args, str(path), "-o", str(out)])
            ok = "yes" if seconds <= LIMIT_S else "**no**"
            command = " ".join(args)
            print(f"| {name} | {command} | {seconds:.1f} | {seconds / baseline:.0f} | {ok} |")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
