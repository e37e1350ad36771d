"""Sheet benchmark: wall time of `derive sheet` against the time Python takes just to import
what it needs, `python -c "import torch, sympy, weasyprint"`, measured alternately in one run
so that both see the same machine (issue 7's targets: the default sheet, seed HTML + PDF in one
language, in no more time than the imports; both languages in one call in at most 1.3×).

Each run is a fresh process (interpreter start, imports, verification, typesetting, files
written). Prints a Markdown table (docs/performance.md keeps the last one).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 7
BASELINE = [sys.executable, "-c", "import torch, sympy, weasyprint"]
CASES = (
    ("seed, en (the default)", []),
    ("seed, en,ko in one call", ["--lang", "en,ko"]),
    ("seed, ko, rounded carry", ["--lang", "ko", "--carry", "rounded"]),
    ("section 3, en", ["examples/seed_section3.toml"]),
    (
        "seed + section 3, en,ko",
        ["examples/seed.toml", "examples/seed_section3.toml", "--lang", "en,ko"],
    ),
)


def wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def sheet(arguments: list[str], out: Path) -> float:
    return wall([sys.executable, "-m", "derive", "sheet", *arguments, "-o", str(out)])


def main() -> None:
    # derive's modules compiled, as an installed package has them (and the imports compared
    # with come compiled from site-packages), whatever PYTHONDONTWRITEBYTECODE says
    package = Path(__file__).resolve().parent.parent / "derive"
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)
    baseline: list[float] = []
    times: dict[str, list[float]] = {name: [] for name, _ in CASES}
    sizes: dict[str, tuple[int, int]] = {}
    for _ in range(RUNS):
        for name, arguments in CASES:  # the baseline right before each case
            baseline.append(wall(BASELINE))
            with tempfile.TemporaryDirectory() as out:
                times[name].append(sheet(arguments, Path(out)))
                files = sorted(Path(out).iterdir())
                html = sum(p.stat().st_size for p in files if p.suffix == ".html")
                pdf = sum(p.stat().st_size for p in files if p.suffix == ".pdf")
                sizes[name] = (html // 1024, pdf // 1024)
    base = statistics.median(baseline)
    print(f"{RUNS} runs each, fresh process per run, alternating with the baseline")
    print(f"baseline `import torch, sympy, weasyprint`: median {base:.2f} s\n")
    print("| sheet | median s | best s | × baseline | HTML KB | PDF KB |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, _ in CASES:
        median = statistics.median(times[name])
        html, pdf = sizes[name]
        print(
            f"| {name} | {median:.2f} | {min(times[name]):.2f} | {median / base:.2f} "
            f"| {html} | {pdf} |"
        )


if __name__ == "__main__":
    main()
