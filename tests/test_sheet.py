"""Worked-solution sheets: content, languages, escaping, rounding, determinism, files."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pypdf
import pytest

from derive.commands.cli import main
from derive.engine.batch import Batch
from derive.engine.derivation import derive
from derive.engine.exact import round_places, update_places
from derive.engine.names import Name
from derive.engine.network import build_network
from derive.engine.spec import load_spec
from derive.engine.training import descend
from derive.sheet import Sheet, sheets
from derive.sheets.builder import DocumentBuilder
from derive.sheets.document import Formula, document_strings
from derive.text import numbers
from derive.typeset.html import HtmlRenderer, keep_words
from derive.typeset.publish import publish
from derive.workers import Workers
from tests.conftest import make_spec


@pytest.fixture(scope="module")
def seed_en() -> Sheet:
    return Sheet(None, "en")


@pytest.fixture(scope="module")
def seed_ko() -> Sheet:
    return Sheet(None, "ko")


def _formulas(sheet: Sheet) -> list[str]:
    found = []

    def walk(block: object) -> None:
        if isinstance(block, Formula):
            found.append(block.latex)
        for inner in getattr(block, "blocks", ()):
            walk(inner)

    for section in sheet.document.sections:
        for block in section.blocks:
            walk(block)
    return found


def test_sections_in_order(seed_en):
    ids = re.findall(r'<section id="(\w+)">', seed_en.html)
    assert ids == ["givens", "forward", "loss", "backward", "summary", "verification"]


def test_every_gradient_and_update_appears_at_the_chosen_precision(seed_en):
    html = seed_en.html
    for p, step in descend(Batch((seed_en.derivation,))).params.items():
        assert numbers.text(step.gradient, 3) in html, p  # summary table
        update = numbers.updated_latex(step.after, step.change, 3)
        formula = f"{p[0]}_{{{p[1:]}}}' = {p[0]}_{{{p[1:]}}} - "
        assert any(f.startswith(formula) and f.endswith(f"= {update}") for f in _formulas(seed_en))
    assert "−0.0998" in html and "0.560" in html  # ∂C/∂w5 and w5' of the seed notes
    assert seed_en.document.title == "Backpropagation, one step"


def test_seed_chain_for_w5_is_worked(seed_en):
    lines = _formulas(seed_en)
    assert r"\frac{\partial C}{\partial o_{1}} = {-}2 \left(y_{1} - o_{1}\right) = " in " ".join(
        lines
    )
    # the operands carry the digits that make the line check on a calculator
    assert any(
        r"= \delta_{3} h_{1} = \left({-0.1621}\right) \times 0.6154 = {-0.0998}" in f for f in lines
    )
    assert any(r"= {-}2\left(1.0 - 0.6457\right) = {-0.709}" in f for f in lines)
    assert any(
        r"o_{1} \left(1 - o_{1}\right) = 0.646\left(1 - 0.646\right) = 0.229" in f for f in lines
    )


def test_korean_sheet(seed_ko):
    html = seed_ko.html
    assert '<html lang="ko">' in html
    for heading in ("주어진 값", "1단계 · 순전파", "2단계 · 손실 계산", "3단계 · 역전파", "검증"):
        assert heading in html
    assert seed_ko.document.title == "역전파: 경사하강법 한 스텝"
    english = "".join(document_strings(Sheet(None, "en").document))
    korean = "".join(document_strings(seed_ko.document))
    assert "Forward pass" in english and "Forward pass" not in korean


def test_pdf_pages_and_embedded_fonts(seed_en, seed_ko):
    for sheet in (seed_en, seed_ko):
        reader = pypdf.PdfReader(io.BytesIO(sheet.pdf))
        assert len(reader.pages) >= 2
        fonts = set()
        for page in reader.pages:
            for font in page["/Resources"]["/Font"].values():
                descriptor = font.get_object()["/DescendantFonts"][0].get_object()[
                    "/FontDescriptor"
                ]
                assert "/FontFile2" in descriptor  # embedded
                fonts.add(font.get_object()["/BaseFont"].split("+")[1])
        assert {"NanumGothic", "STIXTwoMathFormulas"} <= fonts
        ours = {"NanumGothic", "NanumGothic-Bold", "STIXTwoMathFormulas", "STIXTwoMathSymbols"}
        assert fonts <= ours | {"STIXTwoMathSymbols-Bold"}, "a system font was used"
    text = pypdf.PdfReader(io.BytesIO(seed_ko.pdf)).pages[0].extract_text()
    assert "주어진 값" in text  # Hangul set in the embedded NanumGothic


def test_title_is_escaped(tmp_path):
    spec = make_spec()
    spec = type(spec)(**{**spec.__dict__, "title": "<script>alert(1)</script>"})
    html = Sheet(spec).html
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def _evaluate(tex: str) -> Decimal:
    """A numeric side of a sheet line (our own LaTeX), evaluated as a calculator would."""
    expr = tex.replace(r"\left(", "(").replace(r"\right)", ")").replace("{-}", "-")
    expr = expr.replace(r"\times", "*").replace(r"\sigma", "sig").replace("^{2}", "**2")
    expr = re.sub(r"\{(-?[\d.]+)\}", r"(\1)", expr)
    expr = re.sub(r"(\d|\))\s*\(", r"\1*(", expr)  # 2(1 − 0.6) is a product
    expr = re.sub(r"(\d+\.\d+|\d+)", r"D('\1')", expr)
    sig = lambda z: 1 / (1 + (-z).exp())  # noqa: E731
    return eval(expr, {"D": Decimal, "sig": sig})  # test-only, our own generated text


def test_rounded_mode_every_line_checks_with_a_calculator():
    sheet = Sheet(None, "en", precision=3, carry="rounded")
    checked = 0
    for line in _formulas(sheet):
        sides = [s.strip() for s in line.replace(r"\end{aligned}", "").split(" = ")]
        value, work = sides[-1], sides[-2]
        if re.search(
            r"[a-zA-Z]",
            work.replace(r"\left", "")
            .replace(r"\right", "")
            .replace(r"\times", "")
            .replace(r"\sigma", ""),
        ):
            continue  # a line of names, not of numbers
        shown = Decimal(value.strip("{}"))
        exact = _evaluate(work)
        expected = round_places(exact, 3)
        if line.split(" = ")[0].endswith("'"):  # an update keeps the step's digits
            step = exact - Decimal(work.split(" - ")[0])
            expected = exact.quantize(Decimal(1).scaleb(-update_places(step, 3, exact)))
        assert shown == expected, line
        checked += 1
    assert checked >= 20
    assert "rounded to 3 decimals" in sheet.html


@pytest.mark.slow  # whole PDFs, several times
def test_same_inputs_same_bytes(tmp_path):
    runs = []
    for name in ("a", "b"):
        out = tmp_path / name
        subprocess.run(
            [sys.executable, "-m", "derive", "sheet", "-o", str(out), "--lang", "ko"],
            check=True,
            capture_output=True,
        )
        runs.append({p.name: p.read_bytes() for p in out.iterdir()})
    assert runs[0].keys() == {"seed.ko.html", "seed.ko.pdf"}
    assert runs[0] == runs[1]


def test_cli_writes_the_requested_formats(tmp_path, capsys):
    assert (
        main(["sheet", "examples/seed_section3.toml", "-o", str(tmp_path), "--format", "html"]) == 0
    )
    assert capsys.readouterr().out == f"{tmp_path / 'seed_section3.en.html'}\n"
    assert [p.name for p in tmp_path.iterdir()] == ["seed_section3.en.html"]


def test_unwritable_directory_is_one_line(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["sheet", "-o", str(blocker / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot create the output directory" in err


def test_a_failure_leaves_no_file(tmp_path, monkeypatch):
    sheet = Sheet(load_spec(None))

    def broken(writer: object, request: tuple[str, str]) -> bytes:
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr("derive.typeset.pdf.PdfWriter.write", broken)
    with pytest.raises(RuntimeError):
        sheet.write(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_notebook_display(seed_en):
    shown = seed_en._repr_html_()
    assert shown.startswith("<iframe srcdoc=") and "&lt;section id=&quot;givens&quot;&gt;" in shown


def test_every_language_has_every_string():
    from derive.text.locale import LANGUAGES, strings

    def keys(table: dict, prefix: str = "") -> set[str]:
        out = set()
        for key, value in table.items():
            out |= keys(value, f"{prefix}{key}.") if isinstance(value, dict) else {prefix + key}
        return out

    english = keys(strings("en"))
    for lang in LANGUAGES:
        assert keys(strings(lang)) == english, lang


def test_inline_math_in_the_locales_uses_only_what_the_math_font_has():
    # a Korean word inside $…$ would print as empty boxes (the math font has no Hangul)
    from fontTools.ttLib import TTFont

    from derive.text.locale import LANGUAGES, strings
    from derive.typeset.mathsvg import font_path

    cmap = TTFont(font_path()).getBestCmap()

    def texts(table: dict) -> list[str]:
        return [t for v in table.values() for t in (texts(v) if isinstance(v, dict) else [v])]

    for lang in LANGUAGES:
        for text in texts(strings(lang)):
            for math in str(text).split("$")[1::2]:
                bare = re.sub(r"\{\w+(?::\w+)?\}|\\[a-zA-Z]+|[{}_^\s]", "", math)  # fields first
                missing = [c for c in bare if ord(c) not in cmap]
                assert not missing, (lang, math)


@pytest.mark.slow  # whole PDFs, twice
def test_workers_in_process_make_the_same_files(tmp_path):
    # Workers(inline=True) runs every task here: the same bytes as forked workers give
    spec = load_spec("examples/tanh_2-3-2.toml")
    files = {}
    for inline in (False, True):
        with Workers(inline=inline) as workers:
            sheet = Sheet(spec, "ko", renderer=HtmlRenderer(workers))
            files[inline] = publish([sheet.publication(tmp_path)], ("html", "pdf"), sheet.renderer)
    assert files[True] == files[False]
    assert len(files[True]) == 2


@pytest.mark.slow  # whole PDFs, several times
def test_a_run_of_sheets_renders_each_as_if_alone(tmp_path):
    # one process: sheets rendered alone first, then again in a run that shares one renderer
    # (its formula cache) and one derivation and verification per spec, in another order
    seed, section3 = load_spec(None), load_spec("examples/seed_section3.toml")
    alone = {}
    for spec, lang in ((seed, "ko"), (section3, "en"), (seed, "en")):
        sheet = Sheet(spec, lang)
        alone.update(publish([sheet.publication(tmp_path)], ("html", "pdf"), sheet.renderer))
    run = list(sheets([section3, seed], ("en", "ko")))
    together = publish([s.publication(tmp_path) for s in run], ("html", "pdf"), run[0].renderer)
    assert len(together) == 8
    assert {path: together[path] for path in alone} == alone


def test_cli_writes_every_spec_in_every_language(tmp_path, capsys):
    spec = tmp_path / "net.json"
    spec.write_text(
        '{"network": {"layers": [1, 1]}, "values": {"inputs": [1], "targets": [0.5], '
        '"weights": [0.3]}}'
    )
    out = tmp_path / "out"
    assert main(["sheet", str(spec), "--lang", "en,ko", "--format", "html", "-o", str(out)]) == 0
    assert capsys.readouterr().out.split() == [str(out / "net.en.html"), str(out / "net.ko.html")]


def test_two_specs_of_one_name_are_refused(tmp_path, capsys):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for folder in ("a", "b"):
        (tmp_path / folder / "net.toml").write_text(Path("examples/seed.toml").read_text())
    specs = [str(tmp_path / folder / "net.toml") for folder in ("a", "b")]
    assert main(["sheet", *specs, "-o", str(tmp_path / "out")]) == 2
    assert "two specs named 'net'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_vanishing_step_renders_with_its_tiny_gradient():
    # σ(70): the gradient is 7.95×10⁻³¹, the step too small to show (this used to crash)
    sheet = Sheet(make_spec(layers=[1, 1], inputs=[1.0], targets=[0.0], weights=[70]))
    lines = " ".join(_formulas(sheet))
    assert r"= 70 - 0.1 \times 7.95 \times 10^{-31} = 70.000" in lines
    assert "7.95×10⁻³¹" in sheet.html  # the summary table
    assert sheet.document.sections[-1].blocks  # the note on float64's rounding of 1 − σ(z)
    assert "float64's rounding explains" in "".join(document_strings(sheet.document))


def test_kinked_derivatives_print_as_cases():
    derivation = derive(
        build_network(
            make_spec(
                layers=[1, 1],
                activation="leaky_relu",
                negative_slope=0.2,
                inputs=[1.0],
                targets=[0.0],
                weights=[-0.5],
            )
        )
    )
    builder = DocumentBuilder(Batch((derivation,)), descend(Batch((derivation,))), "en", 3, "exact")
    local = builder.worked(Name("o1", "z1"))[0].latex
    assert r"\begin{cases} 1, & \quad z_{1} > 0 \\ 0.2, & \quad z_{1} \le 0 \end{cases}" in local
    assert local.endswith("= 0.2")  # the slope itself, exact: not 0.200
    relu = derive(build_network(make_spec(activation="relu")))
    lines = DocumentBuilder(Batch((relu,)), descend(Batch((relu,))), "en", 3, "exact").worked(
        Name("h1", "z1")
    )
    assert lines[0].latex.endswith("= 1")  # ReLU's derivative, exactly 1


def test_korean_lines_break_between_words(seed_ko, seed_en):
    assert '<span class="w">기울기를</span>' in seed_ko.html  # never 기울기/를 across two lines
    # in English only a name with a slash is kept whole: never ∂C/ at a line's end, ∂w₅ after
    spans = re.findall(r'<span class="w">([^<]*)</span>', seed_en.html)
    assert all("/" in span or span.startswith("--") for span in spans)
    assert keep_words("uses ∂C/∂w₅ <here>", "en") == (
        'uses <span class="w">∂C/∂w₅</span> &lt;here&gt;'
    )
    # in Korean a word that could break inside (Hangul, a hyphen) is kept whole; a number or
    # a Latin symbol cannot break and stays bare (a span per table cell doubled a PDF's time)
    assert keep_words("값 0.615 2-2-1 ReLU를 z₁", "ko") == (
        '<span class="w">값</span> 0.615 <span class="w">2-2-1</span> '
        '<span class="w">ReLU를</span> z₁'
    )
    footer = " ".join(seed_ko.document.footer)
    assert "작성 도구: derive" in footer and "로 만듦" not in footer


def test_titles_per_language(tmp_path):
    spec = tmp_path / "net.toml"
    seed = Path("examples/seed.toml").read_text()
    spec.write_text('title = { en = "XOR by hand", ko = "손으로 푸는 XOR" }\n' + seed)
    assert Sheet(spec, "ko").document.title == "손으로 푸는 XOR"
    assert Sheet(spec, "en").document.title == "XOR by hand"
    spec.write_text('title = { en = "Only English" }\n' + seed)
    default_ko = "역전파: 경사하강법 한 스텝"
    assert Sheet(spec, "ko").document.title == default_ko  # the default for Korean
    spec.write_text('title = { fr = "Rétropropagation" }\n' + seed)
    assert main(["solve", str(spec)]) == 2


def test_footer_never_shows_an_absolute_path(tmp_path, monkeypatch):
    spec = tmp_path / "deep" / "net.toml"
    spec.parent.mkdir()
    spec.write_text(Path("examples/seed.toml").read_text())
    footer = " ".join(Sheet(spec.resolve()).document.footer)
    assert "net.toml" in footer and str(tmp_path) not in footer
    monkeypatch.chdir(tmp_path)
    assert "deep/net.toml" in " ".join(Sheet(spec.resolve()).document.footer)
