"""derive train benchmark (issue 10's target): `derive train` with its defaults (the seed, all
seven optimizers, 3 worked steps, 100 compared; HTML + PDF, English) against the imports it
cannot avoid, `python -c "import torch, sympy, weasyprint, matplotlib"`, measured alternately
in the same run (fresh processes). Target: at most 1.5× the imports. Prints a Markdown table.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 5
BASELINE = [sys.executable, "-c", "import torch, sympy, weasyprint, matplotlib"]


def wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    # derive's modules compiled, as an installed package has them (and the imports compared
    # with come compiled from site-packages), whatever PYTHONDONTWRITEBYTECODE says
    package = Path(__file__).resolve().parent.parent / "derive"
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)
    baseline, train, both = [], [], []
    for _ in range(RUNS):
        baseline.append(wall(BASELINE))
        with tempfile.TemporaryDirectory() as out:
            train.append(wall([sys.executable, "-m", "derive", "train", "-o", out]))
        with tempfile.TemporaryDirectory() as out:
            command = [sys.executable, "-m", "derive", "train", "--lang", "en,ko", "-o", out]
            both.append(wall(command))
    base = statistics.median(baseline)
    print(f"{RUNS} runs each, fresh process per run, alternating\n")
    print("| run | median s | best s | × imports |")
    print("|---|---:|---:|---:|")
    imports = "`import torch, sympy, weasyprint, matplotlib`"
    print(f"| {imports} | {base:.2f} | {min(baseline):.2f} | 1.00 |")
    for name, times in (
        ("`derive train` (defaults: en, HTML + PDF)", train),
        ("`derive train --lang en,ko`", both),
    ):
        median = statistics.median(times)
        print(f"| {name} | {median:.2f} | {min(times):.2f} | {median / base:.2f} |")


if __name__ == "__main__":
    main()
