"""What each patch of third-party code is worth (issue 18 §6): processor-seconds of the work it
speeds up, with every patch on and with each one off, for the documents behind the speed
targets: the default seed sheet (en), the default training sheet (en: seven optimizers, three
steps worked) and a 30-variant exercise set's answer key (level 2, en).

- ziamath's four speed patches: typesetting every formula of each document (a fresh
  typesetter, nothing cached), in a fresh process per variant, best of REPEATS.
- glyphs as text (ziafont) and text runs (WeasyPrint): WeasyPrint's time for the seed sheet's
  PDF and one variant's answer key, best of REPEATS (glyphs as outlines: typeset without it).

Processor time, so a busy machine disturbs it less than wall time. Prints a Markdown table;
compare each difference with the margin of the target it sits on (docs/performance.md).
"""

from __future__ import annotations

import json
import subprocess
import sys

REPEATS = 3
SPEED = ("asdict", "ChainMap", "size_px", "single_line")
PDF = ("text_glyphs", "text_runs")

# a speed patch's name → the (owner's name, attribute) it replaces
REPLACES = {
    "asdict": ("styles", "asdict"),
    "ChainMap": ("styles", "ChainMap"),
    "size_px": ("Mnode", "size_px"),
    "single_line": ("Mrow", "_setup_single_line"),
}


def measure_here(off: str) -> dict[str, float]:
    """In this (fresh) process: every patch but `off`, each document typeset, PDFs timed."""
    import time
    from unittest import mock

    from derive.sheets.document import formulas
    from derive.typeset import mathsvg, weasyprint_patches, ziamath_patches

    ziamath_patches.install()
    for (owner, attribute), original in list(ziamath_patches._ORIGINALS.items()):
        if off in REPLACES and REPLACES[off] == (_name(owner), attribute):
            setattr(owner, attribute, original)
    if off == "text_glyphs":
        mock.patch.object(ziamath_patches, "text_glyphs_fit", return_value=False).start()
    if off == "text_runs":
        mock.patch.object(weasyprint_patches, "fits", return_value=False).start()
    docs, out = documents(), {}
    for name, document in docs.items():
        keys, best = formulas(document), float("inf")
        for _ in range(REPEATS):
            start = time.process_time()
            mathsvg.MathTypesetter().document(keys)
            best = min(best, time.process_time() - start)
        out["typeset " + name] = best
    if off not in SPEED:
        out.update(pdf_seconds(docs))
    return out


def _name(owner: object) -> str:
    return str(getattr(owner, "__name__", "")).rsplit(".", 1)[-1]


def documents() -> dict:
    """The documents behind the targets (built with every check, in this process)."""
    from derive.engine.spec import load_spec
    from derive.exercises.documents import answer_keys
    from derive.exercises.exercise_set import build_set
    from derive.exercises.verified import verifying
    from derive.sheet import Sheet
    from derive.sheets.training import TrainingSheet
    from derive.trainer import Training, rules
    from derive.workers import Workers

    spec = load_spec(None)
    workers = Workers(inline=True)
    training = Training(spec, rules(spec, None), 3, workers=workers)
    exercises = build_set(None, 30, seed=2026, level=2)
    key, parts = answer_keys(exercises, "en", verifying(workers, exercises.variants)())
    return {
        "seed sheet": Sheet(spec).document,
        "training sheet": TrainingSheet(training, "en").document,
        "answer key (30)": key,
        "one variant's key": parts[1],  # parts[0]: the grid of every answer
    }


def pdf_seconds(docs: dict) -> dict[str, float]:
    """WeasyPrint's processor-seconds for the seed sheet and one variant's key."""
    import time

    from derive.typeset.html import HtmlRenderer
    from derive.typeset.pdf import PdfWriter

    renderer, writer, out = HtmlRenderer(), PdfWriter(), {}
    for name in ("seed sheet", "one variant's key"):
        request = renderer.pdf_request(docs[name], renderer.formulas(docs[name]))
        writer.write(request)  # WeasyPrint imported, the stylesheet parsed
        best = float("inf")
        for _ in range(REPEATS):
            start = time.process_time()
            writer.write(request)
            best = min(best, time.process_time() - start)
        out["PDF " + name] = best
    return out


def measure(off: str) -> dict[str, float]:
    """measure_here(off) in a fresh process."""
    command = [sys.executable, __file__, "--measure", off]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.splitlines()[-1])


def main() -> None:
    base = measure("")
    rows = {off: measure(off) for off in (*SPEED, *PDF)}
    print(f"processor-seconds, best of {REPEATS}; each column one patch off\n")
    print("| work | all patches on | " + " | ".join(f"−{off}" for off in rows) + " |")
    print("|---|---:|" + "---:|" * len(rows))
    for work, seconds in base.items():
        cells = [
            f"{rows[off][work]:.3f} ({rows[off][work] - seconds:+.3f})" if work in rows[off] else ""
            for off in rows
        ]
        print(f"| {work} | {seconds:.3f} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--measure"]:
        print(json.dumps(measure_here(sys.argv[2])))
    else:
        main()
