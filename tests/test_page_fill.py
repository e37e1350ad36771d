"""Rendered sheets waste no paper: no page before the last is more than a quarter blank, for
the kinds of network an instructor writes (the example specs), in both languages; nor do an
exercise set's question booklet and answer key, variant by variant (levels 1 and 3)."""

from __future__ import annotations

import io
import itertools
import random
import re
from collections.abc import Callable
from pathlib import Path

import pypdf
import pytest
from conftest import make_spec

from derive.engine.spec import load_spec
from derive.sheet import Sheet, sheets
from derive.sheets.document import blocks
from derive.text.locale import strings

# slow (renders every example's PDFs): make test-fast leaves it out
pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
KINDS = (
    "seed",
    "tanh_2-3-2",
    "classifier_3-4-3",
    "bce_2-3-3-1",
    "linear_by_target",
    "layer_bias_2-2-2",
    "seed_section3",
    "xor",
)
MM = 72 / 25.4
TOP, BOTTOM = 18 * MM, 20 * MM  # the page margins of derive/templates/sheet.css


def lowest_text(page: pypdf.PageObject, bottom: float = BOTTOM) -> float:
    """The y of the page's lowest line of text, in points from the bottom edge."""
    lows: list[float] = []

    def visit(text: str, cm: list[float], tm: list[float], *_: object) -> None:
        # text in the page's own coordinates (WeasyPrint flips y); the page number sits in
        # the bottom margin and does not count
        y = cm[5] + cm[3] * tm[5]
        if text.strip() and cm[3] < 0 and y > bottom - 2:
            lows.append(y)

    page.extract_text(visitor_text=visit)
    return min(lows)


def blank_below(pdf: bytes, top: float = TOP, bottom: float = BOTTOM) -> list[float]:
    """Per page, the share of the text area left blank under its lowest line of text."""
    pages = pypdf.PdfReader(io.BytesIO(pdf)).pages
    return [
        (lowest_text(page, bottom) - bottom) / (float(page.mediabox.height) - top - bottom)
        for page in pages
    ]


@pytest.fixture(scope="module", params=KINDS)
def pdfs(request) -> dict[str, bytes]:
    """One example's sheets, by language (a fixture per example: no test waits for all)."""
    made = sheets([load_spec(EXAMPLES / f"{request.param}.toml")], ("en", "ko"))
    return {sheet.lang: sheet.pdf for sheet in made}


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_no_page_before_the_last_is_a_quarter_blank(pdfs, lang):
    shares = blank_below(pdfs[lang])
    assert len(shares) >= 2
    assert max(shares[:-1]) <= 0.25, [round(s, 2) for s in shares]


def test_a_dense_network_keeps_each_weight_matrix_on_one_page_and_fills_its_pages():
    """8-16-16-4: the matrices are printed in blocks of columns; each block (a table) stays
    whole on one page, and still no page before the last is a quarter blank."""
    rng = random.Random(5)
    layers = [8, 16, 16, 4]
    count = sum(a * b for a, b in itertools.pairwise(layers))
    values = {
        "inputs": [rng.randint(-50, 50) / 100 for _ in range(8)],
        "targets": [rng.randint(-50, 50) / 100 for _ in range(4)],
        "weights": [rng.randint(-50, 50) / 100 for _ in range(count)],
        "biases": [rng.randint(-50, 50) / 100 for _ in range(36)],
    }
    spec = make_spec(layers=layers, activation="tanh", bias="neuron", loss="half_sse", **values)
    sheet = Sheet(spec, "en")
    pages = [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(sheet.pdf)).pages]
    matrices = [
        b for b in blocks(sheet.document.sections[0]) if getattr(b, "style", "") == "matrix"
    ]
    assert len(matrices) > 4
    for table in matrices:
        cells = [cell for row in table.rows for cell in row[1:]]
        assert len({next(k for k, p in enumerate(pages) if c in p) for c in cells}) == 1, cells[0]
    shares = blank_below(sheet.pdf)
    assert max(shares[:-1]) <= 0.25, [round(s, 2) for s in shares]


# Exercise sets: the booklet and the key print with narrower margins (derive/templates/sheet.css's
# @page exercise), the set's title in the top one
EXERCISE_TOP, EXERCISE_BOTTOM = 16 * MM, 14 * MM
SETS = {  # a level-1 set, and level 3 with the diagram carrying every weight and without
    "level 1": ("--level", "1", "--seed", "2026", "--count", "3"),
    "level 3": ("--level", "3", "--seed", "2026", "--count", "2"),
    "level 3, 3-3-2": ("--level", "3", "--seed", "3", "--count", "2"),
}
NEAR_EMPTY = 0.8  # a part's last page: more of it blank than this is paper for nothing


def parts(pdf: bytes, starts: Callable[[str], bool]) -> list[list[float]]:
    """The blank shares of the pages, grouped by part (a variant): `starts` tells from a
    page's text that a new part begins on it."""
    pages = pypdf.PdfReader(io.BytesIO(pdf)).pages
    shares = blank_below(pdf, EXERCISE_TOP, EXERCISE_BOTTOM)
    grouped: list[list[float]] = []
    for page, share in zip(pages, shares, strict=True):
        if not grouped or starts(page.extract_text()):
            grouped.append([])
        grouped[-1].append(share)
    return grouped


@pytest.fixture(scope="module", params=list(SETS))
def exercise_pdfs(request, tmp_path_factory) -> tuple[str, dict[str, bytes]]:
    """One set's booklets and keys (a fixture per set), with the set's name."""
    from derive.commands.cli import main

    name, folder = request.param, tmp_path_factory.mktemp("set")
    arguments = [*SETS[name], "--lang", "en,ko", "--format", "pdf", "-o", str(folder)]
    assert main(["exercises", *arguments]) == 0
    return name, {p.name: p.read_bytes() for p in folder.glob("*.pdf")}


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_no_key_page_is_wasted(exercise_pdfs, lang):
    """Each part of the key (the grid, each variant) is numbered on its own: within a part no
    page before its last is a quarter blank, and no variant ends on a near-empty page."""
    name, made = exercise_pdfs
    grid, *variants = parts(
        made[f"answers.{lang}.pdf"],
        lambda text: re.search(r"\b1\s/\s\d+\s*$", text) is not None,
    )
    assert len(grid) == 1 and len(variants) == int(SETS[name][-1])
    for shares in variants:
        assert max(shares[:-1]) <= 0.25, [round(s, 2) for s in shares]
        assert shares[-1] <= NEAR_EMPTY, [round(s, 2) for s in shares]
        if name == "level 1":
            assert len(shares) <= 4  # the bound for a level-1 variant


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_no_booklet_page_is_wasted(exercise_pdfs, lang):
    """Per variant: no page before its last is a quarter blank (the page to work on is
    filled by its spaces), and none ends near-empty. A variant starts with its givens."""
    name, made = exercise_pdfs
    given = strings(lang)["givens"]["heading"]
    variants = parts(made[f"questions.{lang}.pdf"], lambda t: given in t)
    assert len(variants) == int(SETS[name][-1])
    for shares in variants:
        assert max(shares[:-1]) <= 0.25, [round(s, 2) for s in shares]
        assert shares[-1] <= NEAR_EMPTY, [round(s, 2) for s in shares]


TRAINING = {  # (spec, optimizers): all seven, XOR's four samples, one optimizer (XOR's Adam)
    "seed": (None, "all"),
    "xor": (EXAMPLES / "xor.toml", "all"),
    "xor-adam": (EXAMPLES / "xor.toml", None),
}


HEADINGS = ("Step ", ", 파라미터 ", "Every parameter", "스텝별 파라미터", "The loss after")


@pytest.fixture(scope="module", params=list(TRAINING))
def training_pdfs(request) -> dict[str, bytes]:
    """One kind's training sheets, by language (a fixture per kind)."""
    from derive.engine.optimizers import OPTIMIZERS
    from derive.sheets.training import TrainingSheet
    from derive.trainer import Training, rules, step_count
    from derive.typeset.html import HtmlRenderer
    from derive.typeset.publish import publish
    from derive.workers import PDF

    path, names = TRAINING[request.param]
    spec = load_spec(path)
    chosen = rules(spec, list(OPTIMIZERS) if names == "all" else None)
    training = Training(spec, chosen, step_count(spec))
    renderer = HtmlRenderer(training.workers)
    renderer.workers.start(PDF, 2)
    sheets = [TrainingSheet(training, lang).publication() for lang in ("en", "ko")]
    return {
        s.stem.name[-2:]: pdf
        for s, pdf in zip(sheets, publish(sheets, ("pdf",), renderer).values())
    }


def _last_lines(page: pypdf.PageObject) -> str:
    """The text of the page's lowest line (above the page number)."""
    found: list[tuple[float, str]] = []

    def visit(text: str, cm: list[float], tm: list[float], *_: object) -> None:
        y = cm[5] + cm[3] * tm[5]
        if text.strip() and cm[3] < 0 and y > BOTTOM - 2:
            found.append((y, text))

    page.extract_text(visitor_text=visit)
    low = min(y for y, _ in found)
    return " ".join(t for y, t in found if y < low + 2)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_training_sheets_fill_their_pages_and_number_them_n_of_n(training_pdfs, lang):
    pdf = training_pdfs[lang]
    shares = blank_below(pdf)
    assert len(shares) >= 2
    assert max(shares[:-1]) <= 0.25, [round(s, 2) for s in shares]
    pages = pypdf.PdfReader(io.BytesIO(pdf)).pages
    for n, page in enumerate(pages, 1):
        assert f"{n} / {len(pages)}" in page.extract_text().replace("\xa0", " ")
        # a worked step, a table or a section never ends a page with its heading alone
        last = _last_lines(page)
        assert not any(h in last for h in HEADINGS) or n == len(pages), (n, last)
