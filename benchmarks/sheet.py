"""Sheet benchmark: wall time of `derive sheet` (HTML + PDF, one language) on the seed example,
each run a fresh process (interpreter start, imports, verification and rendering included).
Prints a Markdown table (docs/performance.md keeps the last one).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 5
CASES = (
    ("seed, en", ["--lang", "en"]),
    ("seed, ko", ["--lang", "ko"]),
    ("seed, ko, rounded", ["--lang", "ko", "--carry", "rounded"]),
    ("section 3, en", ["examples/seed_section3.toml", "--lang", "en"]),
)


def wall(arguments: list[str]) -> tuple[float, int, int]:
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        command = [sys.executable, "-m", "derive", "sheet", *arguments, "-o", out]
        subprocess.run(command, check=True, capture_output=True)
        seconds = time.perf_counter() - start
        sizes = {p.suffix: p.stat().st_size for p in Path(out).iterdir()}
    return seconds, sizes[".html"], sizes[".pdf"]


def main() -> None:
    print(f"{RUNS} runs each, fresh process per run\n")
    print("| sheet | median s | best s | HTML KB | PDF KB |")
    print("|---|---:|---:|---:|---:|")
    for name, arguments in CASES:
        results = [wall(arguments) for _ in range(RUNS)]
        times = [r[0] for r in results]
        html_kb, pdf_kb = results[0][1] / 1024, results[0][2] / 1024
        print(
            f"| {name} | {statistics.median(times):.2f} | {min(times):.2f} "
            f"| {html_kb:.0f} | {pdf_kb:.0f} |"
        )


if __name__ == "__main__":
    main()
