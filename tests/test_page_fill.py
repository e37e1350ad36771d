"""Rendered sheets waste no paper: no page before the last is more than a quarter blank, for
the kinds of network an instructor writes (the example specs), in both languages."""

from __future__ import annotations

import io
from pathlib import Path

import pypdf
import pytest

from derive.engine.spec import load_spec
from derive.sheet import sheets

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
KINDS = (
    "seed",
    "tanh_2-3-2",
    "classifier_3-4-3",
    "bce_2-3-3-1",
    "linear_by_target",
    "layer_bias_2-2-2",
)
MM = 72 / 25.4
TOP, BOTTOM = 18 * MM, 20 * MM  # the page margins of templates/sheet.css


def lowest_text(page: pypdf.PageObject) -> float:
    """The y of the page's lowest line of text, in points from the bottom edge."""
    lows: list[float] = []

    def visit(text: str, cm: list[float], tm: list[float], *_: object) -> None:
        # text in the page's own coordinates (WeasyPrint flips y); the page number sits in
        # the bottom margin and does not count
        y = cm[5] + cm[3] * tm[5]
        if text.strip() and cm[3] < 0 and y > BOTTOM - 2:
            lows.append(y)

    page.extract_text(visitor_text=visit)
    return min(lows)


def blank_below(pdf: bytes) -> list[float]:
    """Per page, the share of the text area left blank under its lowest line of text."""
    pages = pypdf.PdfReader(io.BytesIO(pdf)).pages
    return [
        (lowest_text(page) - BOTTOM) / (float(page.mediabox.height) - TOP - BOTTOM)
        for page in pages
    ]


@pytest.fixture(scope="module")
def pdfs() -> dict[tuple[str, str], bytes]:
    specs = [load_spec(EXAMPLES / f"{kind}.toml") for kind in KINDS]
    return {(sheet.spec.name, sheet.lang): sheet.pdf for sheet in sheets(specs, ("en", "ko"))}


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("kind", KINDS)
def test_no_page_before_the_last_is_a_quarter_blank(pdfs, kind, lang):
    shares = blank_below(pdfs[(kind, lang)])
    assert len(shares) >= 2
    assert max(shares[:-1]) <= 0.25, [round(s, 2) for s in shares]


TRAINING = {  # (spec, optimizers): all seven, XOR's four samples, one optimizer (XOR's Adam)
    "seed": (None, "all"),
    "xor": (EXAMPLES / "xor.toml", "all"),
    "xor-adam": (EXAMPLES / "xor.toml", None),
}


HEADINGS = ("Step ", "단계, 파라미터", "Every parameter", "단계별 전체", "The loss after")


@pytest.fixture(scope="module")
def training_pdfs() -> dict[tuple[str, str], bytes]:
    from derive.engine.optimizers import OPTIMIZERS
    from derive.sheets.training import TrainingSheet
    from derive.trainer import Training, rules, step_count
    from derive.typeset.html import HtmlRenderer

    renderer = HtmlRenderer(pdf_workers=2)
    out = {}
    for kind, (path, names) in TRAINING.items():
        spec = load_spec(path)
        chosen = rules(spec, list(OPTIMIZERS) if names == "all" else None)
        training = Training(spec, chosen, step_count(spec))
        sheets = [TrainingSheet(training, lang, renderer) for lang in ("en", "ko")]
        out.update({(kind, sheet.lang): sheet.pdf for sheet in sheets})
    return out


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
@pytest.mark.parametrize("kind", TRAINING)
def test_training_sheets_fill_their_pages_and_number_them_n_of_n(training_pdfs, kind, lang):
    pdf = training_pdfs[(kind, lang)]
    shares = blank_below(pdf)
    assert len(shares) >= 2
    assert max(shares[:-1]) <= 0.25, [round(s, 2) for s in shares]
    pages = pypdf.PdfReader(io.BytesIO(pdf)).pages
    for n, page in enumerate(pages, 1):
        assert f"{n} / {len(pages)}" in page.extract_text().replace("\xa0", " ")
        # a worked step, a table or a section never ends a page with its heading alone
        last = _last_lines(page)
        assert not any(h in last for h in HEADINGS) or n == len(pages), (n, last)
