"""Exercise-set benchmark (issue 9's targets): 30 variants with question booklets and answer
keys in HTML and PDF, against one default `derive sheet` measured in the same run.

Prints a Markdown table: the wall time of `derive exercises --count 30 --level 2` (fresh
process, files written) and of `derive sheet` (alternating, RUNS times each), their ratio
(target ≤ 6×), the processor-seconds each took (all helpers included: the machine's busy time,
so run it on a quiet machine) and how many cores that kept busy; and, in one process after
start-up, the time per variant of the question
booklet (target ≤ 0.15 s) and of the answer key (≤ 0.5 s), each split into typesetting the
formulas and rendering the PDF (the helper's wall time while this process waits).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 3
COUNT = 30
SET = ["--count", str(COUNT), "--level", "2", "--seed", "2026"]


def busy_seconds() -> float:
    """Processor-seconds the whole machine has spent busy (Linux /proc/stat), 0 elsewhere."""
    try:
        with open("/proc/stat") as stat:
            fields = stat.readline().split()[1:]
    except OSError:
        return 0.0
    ticks = [int(f) for f in fields]
    idle = ticks[3] + ticks[4]  # idle, iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def run(command: list[str]) -> tuple[float, float]:
    """Wall seconds of the command, and the machine's busy processor-seconds meanwhile (all
    its helper processes, and whatever else runs: keep the machine quiet)."""
    start, busy = time.perf_counter(), busy_seconds()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start, busy_seconds() - busy


def derive(*arguments: str) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as out:
        return run([sys.executable, "-m", "derive", *arguments, "-o", out])


def phases() -> dict[str, float]:
    """Seconds of each phase of one set's files, after start-up (imports, the set drawn)."""
    from derive.exercises.documents import answer_keys, question_booklet
    from derive.exercises.exercise_set import build_set
    from derive.exercises.verified import verifying
    from derive.typeset.html import HtmlRenderer
    from derive.typeset.pdf import parts_pdf
    from derive.workers import PDF, Workers

    exercises = build_set(None, COUNT, seed=2026, level=2)
    workers = Workers()
    wait = verifying(workers, exercises.variants)
    renderer = HtmlRenderer(workers)
    workers.start(PDF, os.cpu_count() or 1)  # as derive exercises does
    out: dict[str, float] = {}

    def timed(name: str, work):
        start = time.perf_counter()
        result = work()
        out[name] = time.perf_counter() - start
        return result

    _, pages = timed("questions: document", lambda: question_booklet(exercises, "en"))
    timed(
        "questions: formulas and PDF (a part per variant, on every core, joined)",
        lambda: parts_pdf(renderer, pages, {})(),
    )
    verifications = timed("verification (waited for)", wait)
    _, parts = timed("answers: documents", lambda: answer_keys(exercises, "en", verifications))
    timed(
        "answers: formulas and PDF (typeset part by part, on every core, joined)",
        lambda: parts_pdf(renderer, parts, {})(),
    )
    return out


def main() -> None:
    # derive's modules compiled, as an installed package has them, whatever
    # PYTHONDONTWRITEBYTECODE says
    package = Path(__file__).resolve().parent.parent / "derive"
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)
    sheets, sets = [], []
    for _ in range(RUNS):
        sheets.append(derive("sheet"))
        sets.append(derive("exercises", *SET))
    sheet, whole = (statistics.median(w for w, _ in runs) for runs in (sheets, sets))
    print(f"{RUNS} runs each, fresh process per run, alternating\n")
    print("| run | median s | best s | × one sheet | processor-s (median) | cores busy |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, runs, median in (
        ("`derive sheet` (seed, en, HTML + PDF)", sheets, sheet),
        (f"`derive exercises {' '.join(SET)}` (en, HTML + PDF)", sets, whole),
    ):
        cpu = statistics.median(c for _, c in runs)
        print(
            f"| {name} | {median:.2f} | {min(w for w, _ in runs):.2f} | {median / sheet:.2f} "
            f"| {cpu:.1f} | {cpu / median:.2f} |"
        )
    times = phases()
    print(f"\nOne process after start-up, {COUNT} variants:\n")
    print("| phase | s | s per variant |")
    print("|---|---:|---:|")
    for name, seconds in times.items():
        print(f"| {name} | {seconds:.2f} | {seconds / COUNT:.3f} |")
    questions = sum(s for n, s in times.items() if n.startswith("questions"))
    answers = sum(s for n, s in times.items() if n.startswith("answers"))
    print(
        f"| **questions** (target ≤ 0.15 s a variant) | {questions:.2f} | {questions / COUNT:.3f} |"
    )
    print(f"| **answer keys** (target ≤ 0.5 s a variant) | {answers:.2f} | {answers / COUNT:.3f} |")


if __name__ == "__main__":
    main()
