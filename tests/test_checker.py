"""The checker on real slips: each verdict and diagnosis reproduced, bad answers files, and the
feedback sheet a teacher hands back."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from derive.commands.cli import main
from derive.engine.names import Name
from derive.engine.spec import load_spec
from derive.grading.checker import Claim, check
from derive.grading.feedback_sheet import MARKS, FeedbackSheet
from derive.sheets.document import document_strings, formulas
from derive.sheets.summary import spec_digest
from derive.solution import solve
from derive.typeset.fonts import SYMBOL_RANGES
from derive.typeset.mathsvg import font_path
from derive.typeset.publish import Rendered


@pytest.fixture(scope="module")
def seed():
    return solve(load_spec(None))


def verdicts(solution, **claims: str) -> dict[str, tuple[str, str, tuple[str, ...]]]:
    names = {k: Name.parse(k.replace("__", "/").replace("_p", "'")) for k in claims}
    written = [Claim(names[k], v, Decimal(v)) for k, v in claims.items()]
    results = check(solution.batch, solution.update, written)
    return {str(r.name): (r.verdict, r.note[0], tuple(map(str, r.because_of))) for r in results}


def test_correct_at_the_digits_written(seed):
    got = verdicts(seed, z1="0.47", h1="0.615", o1="0.6457", dC__do1="-0.709", w5_p="0.560")
    assert {v[0] for v in got.values()} == {"correct"}


def test_carrying_three_decimals_and_answering_to_four_is_accepted(seed):
    """A student who rounds every intermediate to 3 decimals, as a booklet allows, and writes
    each asked value to 4 works each line from the rounded numbers before it (worked here by
    hand, floats): C from o₁ = 0.646, not from o₁ itself rounded (0.1253, not 0.1250); the
    exercise key's hand-carried answers are these same values."""
    from math import exp

    from derive.exercises.questions import KINDS, questions

    def sigma(z: float) -> float:
        return 1 / (1 + exp(-z))

    h1, h2 = round(sigma(0.5 * 0.7 + 0.3 * 0.4), 3), round(sigma(0.5 * 0.3 + 0.3 * 0.6), 3)
    z3 = round(h1 * 0.55 + h2 * 0.45, 3)
    o1 = sigma(z3)
    carried_o1 = round(o1, 3)
    loss = (1.0 - carried_o1) ** 2
    delta = round(round(-2 * (1.0 - carried_o1), 3) * round(carried_o1 * (1 - carried_o1), 3), 3)
    gradient = delta * h1
    written = {"o1": f"{o1:.4f}", "C": f"{loss:.4f}", "dC__dw5": f"{gradient:.4f}"}
    assert written == {"o1": "0.6457", "C": "0.1253", "dC__dw5": "-0.0996"}
    got = verdicts(seed, **written)
    assert got["C"][:2] == got["dC/dw5"][:2] == ("accepted", "rounded_carry")
    key = {str(q.name): q for q in questions(seed.derivation, 3, KINDS)}
    assert f"{key['C'].rounded:.4f}" == "0.1253" and f"{key['C'].answer:.4f}" == "0.1255"
    assert f"{key['dC/dw5'].rounded:.4f}" == "-0.0996"


def test_update_sign_slip(seed):
    # the seed notes' own slip: w5' = w5 + η·∂C/∂w5 = 0.55 + 0.1 × (−0.0998) = 0.540
    assert verdicts(seed, w5_p="0.540")["w5'"] == ("wrong", "update_sign", ())


def test_forgotten_sigma_prime(seed):
    # ∂C/∂w5 = ∂C/∂o1 · ∂z3/∂w5 = −0.709 × 0.615 = −0.436, no ∂o1/∂z3
    assert verdicts(seed, dC__dw5="-0.436")["dC/dw5"][:2] == ("wrong", "activation_derivative")


def test_half_factor_of_the_loss(seed):
    # −(y − o) = −0.354: the derivative of ½(y − o)², but this loss has no ½
    assert verdicts(seed, dC__do1="-0.354")["dC/do1"][:2] == ("wrong", "half_factor")


def test_decimal_shift(seed):
    assert verdicts(seed, dC__dw1="-0.106")["dC/dw1"][:2] == ("wrong", "decimal_shift")


def test_wrong_sign(seed):
    # ∂C/∂w5 = +0.0998: the size right, a minus lost; the update's own sign slip stays named
    assert verdicts(seed, dC__dw5="0.0998")["dC/dw5"][:2] == ("wrong", "sign")
    assert verdicts(seed, w5_p="0.540")["w5'"][:2] == ("wrong", "update_sign")


def test_z_used_for_the_activation(seed):
    # ∂z3/∂w5 = h1, written as z1
    assert verdicts(seed, dz3__dw5="0.47")["dz3/dw5"][:2] == ("wrong", "z_for_a")


def test_z_used_for_the_activation_in_a_gradient(seed):
    # ∂C/∂w5 = δ3·z1 = −0.162 × 0.47 = −0.0762 (δ3·h1 = −0.0998): the forward pass and δ3 right
    assert verdicts(seed, dC__dw5="-0.0762")["dC/dw5"] == ("wrong", "z_for_a", ())
    assert verdicts(seed, dC__dw6="-0.0535")["dC/dw6"][:2] == ("wrong", "z_for_a")
    # from the student's own rounded δ3: −0.162 × 0.47 = −0.07614
    got = verdicts(seed, dC__dz3="-0.162", dC__dw5="-0.0761")
    assert got["dC/dz3"][0] == "correct" and got["dC/dw5"][:2] == ("wrong", "z_for_a")
    # and the update it leads to: 0.55 − 0.1 × (−0.0762) = 0.558
    assert verdicts(seed, w5_p="0.558")["w5'"][:2] == ("wrong", "z_for_a")


def test_learning_rate_left_out(seed):
    assert verdicts(seed, w5_p="0.650")["w5'"][:2] == ("wrong", "learning_rate")


def test_weights_read_in_the_other_numbering(seed):
    # z1 = x1·w1 + x2·w2 (by target) = 0.5 × 0.7 + 0.3 × 0.3 = 0.44, not x1·w1 + x2·w3
    assert verdicts(seed, z1="0.44")["z1"][:2] == ("wrong", "numbering")


def test_carried_error_names_its_cause(seed):
    # h1 wrong; z3 and o1 right from it: 0.625 × 0.55 + 0.582 × 0.45 = 0.606, σ(0.606) = 0.647
    got = verdicts(seed, h1="0.625", h2="0.582", z3="0.606", o1="0.647")
    assert got["h1"][0] == "wrong"
    assert got["z3"] == ("carried", "carried", ("h1",))
    assert got["o1"] == ("carried", "carried", ("z3",))


def test_rounding_drift_is_accepted(seed):
    # from the rounded o1 = 0.646, C = (1 − 0.646)² = 0.125316 → 0.125 (exact: 0.1255 → 0.126)
    got = verdicts(seed, o1="0.646", C="0.125")
    assert got["C"][:2] == ("accepted", "own_rounding")
    assert verdicts(seed, C="0.125")["C"][:2] == ("accepted", "rounded_carry")
    assert verdicts(seed, h1="0.616")["h1"][:2] == ("accepted", "last_digit")


def test_zero_is_never_right_for_a_small_gradient(seed):
    # ∂C/∂w4 = −0.0053: "0" and "0.00" round alike, but are not accepted
    assert verdicts(seed, dC__dw4="0")["dC/dw4"][0] == "wrong"
    assert verdicts(seed, dC__dw4="0.00")["dC/dw4"][0] == "wrong"
    assert verdicts(seed, dC__dw4="-0.005")["dC/dw4"][0] == "correct"


def _answers(tmp_path, body: str, spec: str | None = None):
    path = tmp_path / "answers.toml"
    path.write_text((f'spec = "{spec}"\n' if spec else "") + "[answers]\n" + body)
    return path


def test_cli_json_and_exit_codes(tmp_path, capsys):
    ok = _answers(tmp_path, 'z1 = 0.47\n"w5\'" = 0.560\n')
    assert main(["check", str(ok), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data[0] == {
        "name": "z1",
        "claimed": "0.47",
        "expected": "0.47",
        "verdict": "correct",
        "note": "rounds to the true value at the digits you wrote",
        "because_of": [],
    }
    bad = _answers(tmp_path, "h1 = 0.625\nh2 = 0.582\nz3 = 0.606\n")
    assert main(["check", str(bad), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data[2]["verdict"] == "carried" and data[2]["because_of"] == ["h1"]


def test_cli_report_and_feedback_sheet(tmp_path, capsys):
    path = _answers(tmp_path, '"w5\'" = 0.540\n')
    assert (
        main(["check", str(path), "--lang", "ko", "--format", "html,pdf", "-o", str(tmp_path)]) == 1
    )
    out = capsys.readouterr().out
    assert "갱신 부호" in out and "오답" in out
    html = (tmp_path / "answers.feedback.ko.html").read_text()
    assert "손 계산 피드백" in html and "0.55 - 0.1 \\times" in html  # the correct worked step
    assert (tmp_path / "answers.feedback.ko.pdf").read_bytes().startswith(b"%PDF")


def test_spec_relative_to_the_answers_file(tmp_path, capsys):
    (tmp_path / "net.toml").write_text(Path("examples/seed_section3.toml").read_text())
    path = _answers(tmp_path, 'z1 = 0.35\n"dC/db3" = -0.0541\n', spec="net.toml")
    assert main(["check", str(path)]) == 0


@pytest.mark.parametrize(
    ("body", "key", "problem"),
    [
        ('z1 = "lots"\n', "answers.z1", "is not a number"),
        ("z1 = true\n", "answers.z1", "is not a number"),
        ("z9 = 0.1\n", "answers.z9", "unknown name; did you mean 'z3'?"),
        ('"dC/dw7" = 0.1\n', "answers.dC/dw7", "valid: x1, x2, z1, h1"),
        ("z1 = nan\n", "answers.z1", "not a finite number"),
    ],
)
def test_malformed_answers(tmp_path, capsys, body, key, problem):
    path = _answers(tmp_path, body)
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"derive: {path}: {key}: ") and problem in err


def test_missing_spec_and_missing_answers(tmp_path, capsys):
    path = _answers(tmp_path, "z1 = 0.47\n", spec="nowhere.toml")
    assert main(["check", str(path)]) == 2
    assert f"derive: {path}: spec: no spec file at" in capsys.readouterr().err
    empty = tmp_path / "empty.toml"
    empty.write_text('spec = "x.toml"\ncolour = 1\n')
    assert main(["check", str(empty)]) == 2
    assert "colour: unknown key" in capsys.readouterr().err
    assert main(["check", str(tmp_path / "none.toml")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_shipped_example_answers(capsys):
    assert main(["check", "examples/answers_seed.toml", "--json"]) == 1
    data = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert data["C"]["verdict"] == "accepted"  # (1 − 0.646)² = 0.1253 from the rounded o1
    assert data["dC/dw5"]["verdict"] == "accepted"  # −0.162 × 0.615 with δ3 rounded
    assert data["w5'"]["verdict"] == "wrong" and "update sign" in data["w5'"]["note"]


MIXED = {  # h1 wrong, z3 and o1 carried from it, δ3·z1 for ∂C/∂w5 and w5' carried from that
    "h1": "0.625",
    "z3": "0.606",
    "o1": "0.647",
    "dC/do1": "-0.708",
    "dC/dz3": "-0.162",
    "dC/dw5": "-0.0761",
    "w5'": "0.558",
}


@pytest.fixture(scope="module")
def feedback_pages(tmp_path_factory):
    """The feedback sheet of MIXED in both languages, its spec and answers outside the working
    directory, given by absolute paths."""
    folder = tmp_path_factory.mktemp("class")
    (folder / "net.toml").write_text(Path("examples/seed.toml").read_text())
    solution = solve(load_spec(folder / "net.toml"))
    claims = [Claim(Name.parse(k), v, Decimal(v)) for k, v in MIXED.items()]
    results = check(solution.batch, solution.update, claims)
    answers = folder / "kim.toml"
    return folder, {
        lang: Rendered(
            FeedbackSheet(solution, results, lang, "kim", answers=answers).publication()
        ).html
        for lang in ("en", "ko")
    }


def _visible(html: str) -> str:
    """The text a reader sees outside formulas: no styles, fonts or SVG."""
    body = re.sub(r"<style>.*?</style>|<svg.*?</svg>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", body)


def _words(html: str) -> str:
    """The HTML without the no-wrap spans that keep Korean words whole."""
    return re.sub(r'<span class="w">(.*?)</span>', r"\1", html)


def _rows(html: str) -> dict[str, tuple[str, list[str]]]:
    """The verdict table: the quantity's label → (the row's class, its cells)."""
    table = re.search(r'<table class="feedback">.*?</table>', _words(html), re.S).group()
    rows = re.findall(r'<tr class="([\w-]+)">(.*?)</tr>', table, re.S)
    return {
        cells[0]: (cls, cells)
        for cls, row in rows
        for cells in [re.findall(r"<td>(.*?)</td>", row)]
    }


def test_feedback_sheet_prints_real_minus_signs_and_names_as_written(feedback_pages):
    _, pages = feedback_pages
    text = _visible(pages["en"])
    assert not re.search(r"-\d", text)  # every negative number with U+2212
    rows = _rows(pages["en"])
    assert rows["∂C/∂w₅"][1][1:3] == ["−0.0761", "−0.0998"]
    assert "(true value −0.0997525)" in rows["∂C/∂w₅"][1][4]
    assert "you wrote: −0.708 · true value: −0.709" in text
    assert "w₅′" in rows and "∂C/∂o₁" in rows and "dC/d" not in text and "w5'" not in text
    assert "your earlier h₁" in rows["z₃"][1][4]  # the note's names too
    assert not re.search(r"-\d", _visible(pages["ko"]))


def test_feedback_sheet_marks_verdicts_for_black_and_white(feedback_pages):
    _, pages = feedback_pages
    rows = _rows(pages["en"])
    assert rows["h₁"][0] == "verdict-wrong" and rows["h₁"][1][3] == "✖ wrong"
    assert rows["z₃"][0] == "verdict-carried" and rows["z₃"][1][3] == "⇒ carried"
    assert rows["∂C/∂w₅"][0] == "verdict-wrong"  # z for a: δ3·z1
    assert rows["∂C/∂z₃"][0] == "verdict-correct" and rows["∂C/∂z₃"][1][3] == "✓ correct"
    assert rows["∂C/∂o₁"][1][3].startswith("≈ ")
    assert '<div class="group verdict-wrong"><h3>✖ h₁ · wrong</h3>' in pages["en"]
    assert '<div class="group verdict-carried"><h3>⇒ w₅′ · carried</h3>' in pages["en"]
    ko = _rows(pages["ko"])
    assert ko["z₃"] == ("verdict-carried", ko["z₃"][1]) and ko["z₃"][1][3] == "⇒ 연쇄 오류"


def test_every_verdict_mark_has_a_glyph_in_the_font_that_sets_it():
    """A glyph missing from the font the sheet picks for it prints as a box."""
    stix = TTFont(str(font_path())).getBestCmap()
    nanum = [
        TTFont(str(resources.files("derive") / f"fonts/NanumGothic{w}.ttf")).getBestCmap()
        for w in ("", "Bold")
    ]
    for mark in MARKS.values():
        if any(lo <= ord(mark) <= hi for lo, hi in SYMBOL_RANGES):
            assert ord(mark) in stix, mark
        else:
            assert all(ord(mark) in cmap for cmap in nanum), mark


def test_feedback_footer_names_check_and_no_absolute_path(feedback_pages):
    folder, pages = feedback_pages
    digest = spec_digest(load_spec(folder / "net.toml"))[:16]
    footer = {
        lang: re.search(r"<footer>(.*?)</footer>", _words(html), re.S).group(1)
        for lang, html in pages.items()
    }
    for html in pages.values():
        assert str(folder) not in _visible(html)
    assert footer["en"] == (
        "<span>Checked by derive 0.1.0</span> · <span>answers kim.toml</span> · "
        f"<span>spec net.toml, sha256 {digest}</span> · <span>options: --lang\u00a0en</span>"
    )
    assert "derive sheet" not in footer["en"] and "--precision" not in footer["en"]
    assert footer["ko"] == (
        "<span>채점 도구: derive 0.1.0</span> · <span>답안 파일: kim.toml</span> · "
        f"<span>명세: net.toml, sha256 {digest}</span> · <span>옵션: --lang\u00a0ko</span>"
    )


def test_feedback_footer_paths_relative_to_the_working_directory(seed):
    results = check(seed.batch, seed.update, [Claim(Name("z1"), "0.47", Decimal("0.47"))])
    answers = Path.cwd() / "examples" / "answers_seed.toml"
    sheet = FeedbackSheet(seed, results, "en", "answers_seed", answers=answers)
    assert sheet.document.footer[1:] == (
        "answers examples/answers_seed.toml",
        f"spec <built-in seed>, sha256 {spec_digest(load_spec(None))[:16]}",
        "options: --lang\u00a0en",
    )
    # without the file (as `name` alone), the footer names the answers by that name
    assert FeedbackSheet(seed, results, "en", "kim").document.footer[1] == "answers kim"


def _feedback(solution, lang: str = "en", **claims: str):
    written = [
        Claim(Name.parse(k.replace("__", "/").replace("_p", "'")), v, Decimal(v))
        for k, v in claims.items()
    ]
    results = check(solution.batch, solution.update, written)
    return FeedbackSheet(solution, results, lang, "kim").document


def _group(document, label: str):
    lines = next(s for s in document.sections if s.key == "lines")
    return next(g for g in lines.blocks if f" {label} · " in g.title)


def test_an_accepted_claim_is_shown_with_the_students_own_line_and_the_exact_one(seed):
    """C = 0.125 from the student's o1 = 0.646: their line gives 0.125 (never the exact 0.126
    beside their own arithmetic); the exact line follows, and the words say why."""
    group = _group(_feedback(seed, o1="0.646", C="0.125", dC__do1="-0.708"), "C")
    tex = [b.latex for b in group.blocks if b.kind == "formula"]
    assert tex[0].endswith(r"= \left(1.0 - 0.646\right)^{2} = 0.125")
    assert tex[1].endswith(r"= \left(1.0 - 0.6457\right)^{2} = 0.126")
    words = "".join(document_strings(group.blocks))
    assert "your own rounded o₁" in words and "Worked exactly" in words
    slope = _group(_feedback(seed, o1="0.646", dC__do1="-0.708"), "∂C/∂o₁")
    assert r"= {-}2\left(1.0 - 0.646\right) = {-0.708}" in slope.blocks[2].latex


def test_a_carried_claim_is_shown_with_the_students_earlier_numbers(seed):
    # h1 wrong; z3 right from it: 0.625 × 0.55 + 0.582 × 0.45 = 0.6057 → 0.606
    group = _group(_feedback(seed, h1="0.625", h2="0.582", z3="0.606"), "z₃")
    assert group.blocks[2].latex.endswith(r"= 0.625 \times 0.55 + 0.582 \times 0.45 = 0.606")
    assert group.blocks[-1].latex.endswith("= 0.600")
    assert "your earlier h₁" in "".join(document_strings(group.blocks))


def test_hand_rounding_is_shown_as_carried_by_hand(seed):
    group = _group(_feedback(seed, dC__dw5="-0.0996"), "∂C/∂w₅")
    assert r"= \left({-0.162}\right) \times 0.615 = {-0.0996}" in group.blocks[2].latex


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_every_line_of_a_feedback_sheet_checks_on_a_calculator(seed, lang):
    from calculator import check as recompute

    sheets = [
        _feedback(
            seed, lang, **{k.replace("/", "__").replace("'", "_p"): v for k, v in MIXED.items()}
        ),
        _feedback(seed, lang, o1="0.646", C="0.125", dC__do1="-0.708", dC__dw5="-0.0996"),
        _feedback(seed, lang, h1="0.625", h2="0.582", z3="0.606", o1="0.647", C="0.1246"),
        _feedback(solve(load_spec("examples/xor.toml")), lang, **{"C": "0.253", "h1^(1)": "0.45"}),
    ]
    checked = 0
    for document in sheets:
        for tex, _ in formulas(document):
            count, wrong = recompute(tex)
            assert wrong == [], tex
            checked += count
    assert checked > 25


def test_an_output_directory_alone_writes_the_feedback_sheet(tmp_path, capsys):
    """-o DIR is asked for the sheet: both formats, as --format's default elsewhere."""
    answers = str(Path(__file__).resolve().parent.parent / "examples" / "answers_seed.toml")
    assert main(["check", answers, "-o", str(tmp_path)]) == 1  # one wrong claim
    capsys.readouterr()
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == ["answers_seed.feedback.en.html", "answers_seed.feedback.en.pdf"]
    assert main(["check", answers]) == 1 and "feedback" not in capsys.readouterr().out
