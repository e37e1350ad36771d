"""What each patch of third-party code is worth (issue 18 §6): processor-seconds of the work it
speeds up, with the patch on and off, alternating in one process (ROUNDS rounds, the best
of each), for the documents behind the speed targets: the default seed sheet (en), the
default training sheet's worked part (en: seven optimizers, three steps) and one variant of
a level-2 exercise set's answer key (en).

- ziamath's four speed patches: typesetting every formula of each document (a fresh
  typesetter, nothing cached), the patch put back or taken out between rounds.
- glyphs as text (ziafont): typesetting, and WeasyPrint's time for the PDF.
- text runs (WeasyPrint): WeasyPrint's time for the PDF.

Alternating in one process: runs in separate processes differed by more than some patches
are worth. Processor time, so a busy machine disturbs it less than wall time. Prints a
Markdown table; compare each difference with the margin of the target it sits on
(docs/performance.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from unittest import mock

ROUNDS = 5
SPEED = {  # a speed patch's name → (module, owner's name, attribute) it replaces
    "asdict": ("ziamath.styles", "", "asdict"),
    "ChainMap": ("ziamath.styles", "", "ChainMap"),
    "size_px": ("ziamath.nodes.mnode", "Mnode", "size_px"),
    "single_line": ("ziamath.nodes.mrow", "Mrow", "_setup_single_line"),
}


def documents() -> dict:
    """The documents behind the targets, every check made (in this process)."""
    from derive.engine.spec import load_spec
    from derive.exercises.documents import answer_keys
    from derive.exercises.exercise_set import build_set
    from derive.exercises.verified import verifying
    from derive.sheet import Sheet
    from derive.sheets.training import TrainingSheet
    from derive.trainer import Training, rules
    from derive.workers import Workers

    spec, workers = load_spec(None), Workers(inline=True)
    training = Training(spec, rules(spec, None), 3, workers=workers)
    exercises = build_set(None, 2, seed=2026, level=2)
    _, parts = answer_keys(exercises, "en", verifying(workers, exercises.variants)())
    return {
        "seed sheet": Sheet(spec).document,
        "training sheet's worked part": TrainingSheet(training, "en").worked,
        "one variant's answer key": parts[1],  # parts[0]: the grid of every answer
    }


def speed_patch(name: str) -> Callable[[bool], None]:
    """A switch for one ziamath speed patch: on or off."""
    import importlib

    from derive.typeset import ziamath_patches

    module, owner_name, attribute = SPEED[name]
    owner = importlib.import_module(module)
    owner = getattr(owner, owner_name) if owner_name else owner
    patched = getattr(owner, attribute)
    original = ziamath_patches._ORIGINALS[owner, attribute]
    return lambda on: setattr(owner, attribute, patched if on else original)


def typeset_seconds(document: object, context: AbstractContextManager) -> float:
    from derive.sheets.document import formulas
    from derive.typeset import mathsvg

    keys = formulas(document)
    with context:
        start = time.process_time()
        mathsvg.MathTypesetter().document(keys)
        return time.process_time() - start


def pdf_seconds(document: object, context: AbstractContextManager, weasyprint: bool) -> float:
    """WeasyPrint's processor time for the document (typeset within `context`), with or
    without the text-runs patch."""
    from derive.typeset import weasyprint_patches
    from derive.typeset.html import HtmlRenderer
    from derive.typeset.pdf import PdfWriter
    from derive.workers import Workers

    with context:
        renderer = HtmlRenderer(Workers(inline=True))
        request = renderer.pdf_request(document, renderer.formulas(document))
    (weasyprint_patches.install if weasyprint else weasyprint_patches.uninstall)()
    writer = PdfWriter()
    writer.write(request)  # the stylesheet parsed, fonts loaded
    start = time.process_time()
    writer.write(request)
    seconds = time.process_time() - start
    weasyprint_patches.install()
    return seconds


def measure(docs: dict) -> dict[tuple[str, str], tuple[float, float]]:
    """{(patch, work): (best seconds with it, best without)}, alternating on and off."""
    from derive.typeset import ziamath_patches

    def outlines(on: bool) -> AbstractContextManager:
        off = mock.patch.object(ziamath_patches, "text_glyphs_fit", return_value=False)
        return nullcontext() if on else off

    best: dict[tuple[str, str, bool], float] = {}

    def keep(key: tuple[str, str, bool], seconds: float) -> None:
        best[key] = min(best.get(key, float("inf")), seconds)

    for _ in range(ROUNDS):
        for on in (True, False):
            for name in SPEED:
                switch = speed_patch(name)
                switch(on)
                for work, document in docs.items():
                    keep((name, "typeset " + work, on), typeset_seconds(document, nullcontext()))
                switch(True)
            for work, document in docs.items():
                keep(
                    ("text_glyphs", "typeset " + work, on), typeset_seconds(document, outlines(on))
                )
                keep(("text_glyphs", "PDF " + work, on), pdf_seconds(document, outlines(on), True))
                keep(("text_runs", "PDF " + work, on), pdf_seconds(document, nullcontext(), on))
    return {(p, w): (best[p, w, True], best[p, w, False]) for p, w, on in best if on}


def main() -> None:
    from derive.typeset import mathsvg

    mathsvg._ziamath()  # ziamath imported and patched
    found = measure(documents())
    print(f"processor-seconds, best of {ROUNDS} alternating rounds in one process\n")
    print("| patch | work | on | off | off − on |")
    print("|---|---|---:|---:|---:|")
    for (patch, work), (on, off) in found.items():
        print(f"| {patch} | {work} | {on:.3f} | {off:.3f} | {off - on:+.3f} |")


if __name__ == "__main__":
    main()
