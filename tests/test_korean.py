"""Korean as a Korean lecturer writes it: every particle after a field fits how the field's
value is read aloud (w₅와, z₁과, h₁은, 0.2513으로), and no string derive prints in Korean
hedges with both forms (와(과), 이(가), 을(를))."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from derive.engine.losses import LOSSES
from derive.engine.names import Name, node_label
from derive.engine.operations import ACTIVATIONS
from derive.engine.optimizers import OPTIMIZERS
from derive.engine.spec import load_spec
from derive.grading.answers import Claim
from derive.grading.checker import check
from derive.grading.feedback import note
from derive.grading.feedback_sheet import FeedbackSheet
from derive.sheet import Sheet
from derive.sheets.document import Document, Paragraph, blocks, document_strings
from derive.solution import solve
from derive.text.locale import fill, strings
from derive.text.particles import spoken_end, with_particle
from tests.conftest import make_spec

# both forms of a particle written out, as a translation does when it cannot choose
HEDGED = re.compile(r"\((?:은|는|이|가|을|를|과|와|으|으로|로)\)")
# a field followed by a particle of two forms, not written {field:particle}
BARE_FIELD = re.compile(
    r"(?<![_^])\{\w+\}\$?(?:은|는|가|을|를|과|와|으로|로|이(?![다고며면나라었]))"
)


@pytest.mark.parametrize(
    ("word", "particle", "expected"),
    [
        ("w₅", "과", "w₅와"),  # 더블유 오
        ("z₁", "와", "z₁과"),  # 제트 일
        ("w₆", "이", "w₆이"),  # 더블유 육
        ("w₅", "가", "w₅가"),
        ("h", "은", "h는"),  # 에이치
        ("o", "은", "o는"),  # 오
        ("h₁", "는", "h₁은"),  # 에이치 일
        ("h₂", "는", "h₂는"),  # 에이치 이
        ("δ₃", "는", "δ₃은"),  # 델타 삼
        ("C", "을", "C를"),  # 씨
        ("∂C/∂w₅", "은", "∂C/∂w₅는"),  # … 오
        ("dC/dw5", "은", "dC/dw5는"),  # as the terminal writes it
        ("1", "으로", "1로"),  # 일: ㄹ takes 로
        ("2", "으로", "2로"),  # 이
        ("3", "로", "3으로"),  # 삼
        ("6", "로", "6으로"),  # 육
        ("7", "으로", "7로"),  # 칠
        ("10", "로", "10으로"),  # 십
        ("100", "를", "100을"),  # 백
        ("15,000", "를", "15,000을"),  # 만 오천
        ("0.2513", "로", "0.2513으로"),  # 영 점 이오일삼
        ("−0.0998", "로", "−0.0998로"),  # … 구팔
        ("0.560", "로", "0.560으로"),  # … 육영
        ("1.23×10⁻⁷", "는", "1.23×10⁻⁷은"),  # … 제곱
        ("$w_{5}$", "이", "$w_{5}$가"),  # LaTeX: its last symbol
        ("w_{12}", "은", "w_{12}는"),  # 더블유 십이
        (r"\frac{\partial C}{\partial w_{5}}", "을", r"\frac{\partial C}{\partial w_{5}}를"),
        (r"\delta = o_{1} - y_{1}", "로", r"\delta = o_{1} - y_{1}로"),  # … 와이 일
        (r"\delta = o - y", "으로", r"\delta = o - y로"),  # … 와이
        (r"x_{1}^{(n)}", "는", r"x_{1}^{(n)}은"),  # … 엔
        ("h₁⁽²⁾", "은", "h₁⁽²⁾는"),  # sample 2's h₁: … 이
        ("w₅′", "는", "w₅′은"),  # 프라임
        ("w5'", "는", "w5'은"),
        ("o₁, h₃", "로", "o₁, h₃으로"),  # a list: its last name
        ("o₁", "으로", "o₁로"),  # 오 일
        ("η", "을", "η를"),  # 에타
        ("평균제곱오차(MSE)", "은", "평균제곱오차(MSE)는"),  # a gloss is not read
        ("(0, 1)", "와", "(0, 1)과"),
        ("시그모이드", "으로", "시그모이드로"),
        ("모멘텀 SGD", "으로", "모멘텀 SGD로"),  # 에스지디
        ("Adam", "로", "Adam으로"),  # 아담
        ("AdamW", "으로", "AdamW로"),  # 아담더블유
        ("RMSprop", "로", "RMSprop으로"),  # 알엠에스프롭
        ("ReLU", "은", "ReLU는"),  # 렐루
        ("l", "으로", "l로"),  # 엘
        ("m", "로", "m으로"),  # 엠
    ],
)
def test_the_particle_follows_the_korean_reading(word, particle, expected):
    assert word + with_particle(word, particle) == expected


def test_readings_of_symbols():
    assert spoken_end("w₅") == "오" and spoken_end("z₁") == "일" and spoken_end("h") == "에이치"
    assert spoken_end("δ₃") == "삼" and spoken_end("C") == "씨" and spoken_end("∂C/∂w₅") == "오"
    assert [spoken_end(n) for n in ("1", "2", "3", "6", "10", "20", "1000", "120000")] == [
        "일", "이", "삼", "육", "십", "십", "천", "만",
    ]  # fmt: skip


@pytest.mark.parametrize("word", ["", "xyzzy", "…", "w₅ ="])
def test_a_word_without_a_reading_is_refused(word):
    with pytest.raises(ValueError):
        with_particle(word, "은")


def test_a_particle_without_two_forms_is_refused():
    with pytest.raises(ValueError, match="two forms"):
        with_particle("w₅", "의")


def test_fill_puts_the_particle_after_the_value_and_after_closing_math():
    text = fill(
        "{a:와} {b:이} 지나간 경로, ${f:로}$ 간단해진다", a="w₅", b="w₆", f=r"\delta = o - y"
    )
    assert text == r"w₅와 w₆이 지나간 경로, $\delta = o - y$로 간단해진다"
    assert fill("$w_{1}$, {missing:는}") == "$w_{1}$, {missing:는}"  # LaTeX braces stay


def _strings(table: dict, prefix: str = "") -> list[tuple[str, str]]:
    out = []
    for key, value in table.items():
        if isinstance(value, dict):
            out += _strings(value, f"{prefix}{key}.")
        else:
            out += [(prefix + key, v) for v in (value if isinstance(value, list) else [value])]
    return out


def test_every_field_before_a_particle_names_its_particle():
    bare = [(k, s) for k, s in _strings(strings("ko")) if BARE_FIELD.search(s)]
    assert not bare, bare


# a particle of two forms written after inline math ($θ_0$은); 이 before 다, 고, 며 … is the
# copula, written in full after a vowel too
PARTICLE_AFTER_MATH = re.compile(r"\$([^$]+)\$(으로|은|는|가|을|를|과|와|로|이(?![다고며면]))")


def test_every_particle_written_after_math_fits_the_formulas_reading():
    found = [
        (key, formula, particle)
        for key, template in _strings(strings("ko"))
        for formula, particle in PARTICLE_AFTER_MATH.findall(template)
    ]
    assert len(found) > 20  # the scan sees them: θ₀을, √…을, v_t − (gᵃᵛᵉ)²이, μ를, …
    wrong = [f for f in found if with_particle(f[1], f[2]) != f[2]]
    assert not wrong, wrong


# values as the code puts them into fields: names, lists of names, LaTeX, numbers as tables
# and footers print them, the names of activations, losses and optimizers
VALUES = (
    "w₅",
    "z₁",
    "h₁⁽²⁾",
    "o₁, h₁",
    "dC/dw5",
    "0.2513",
    "−0.0998",
    "15,000",
    "1.23×10⁻⁷",
    r"\delta = o_{1} - y_{1}",
    *(a.names["ko"] for a in ACTIVATIONS.values()),
    *(loss.names["ko"] for loss in LOSSES.values()),
    *OPTIMIZERS,
    *(entry["name"] for entry in strings("ko")["guide"].values()),
)


def test_no_korean_string_filled_with_any_value_hedges_a_particle():
    python_words = [a.names["ko"] for a in (*ACTIVATIONS.values(), *LOSSES.values())]
    for word in python_words:
        assert not HEDGED.search(word), word
    for key, template in _strings(strings("ko")):
        fields = set(re.findall(r"\{(\w+)(?::\w+)?\}", template))
        for value in VALUES:
            filled = fill(template, **dict.fromkeys(fields, value))
            assert not HEDGED.search(filled), (key, filled)
            assert not re.search(r"\{\w+:\w+\}", filled), (key, filled)


def _text(document: Document) -> str:
    """The document's words, a paragraph's math between $ signs as its template wrote it."""
    paragraphs = [
        "".join(f"${p}$" if kind == "math" else p for kind, p in block.parts)
        for block in blocks(document)
        if isinstance(block, Paragraph)
    ]
    return " ".join([*document_strings(document), *paragraphs])


def test_korean_documents_carry_the_right_particles():
    # a ReLU unit inactive for the input: h₁ reads 에이치 일, so 은
    spec = make_spec(activation="relu", weights=[-0.7, 0.3, -0.4, 0.6, 0.55, 0.45])
    text = _text(Sheet(spec, "ko").document)
    assert "h₁은 이 입력에서 비활성이다" in text and not HEDGED.search(text)
    classifier = _text(Sheet(load_spec("examples/classifier_3-4-3.toml"), "ko").document)
    assert "$\\delta = o - y$로 간단해진다" in classifier  # … 와이
    assert not HEDGED.search(classifier)


def test_feedback_names_the_students_own_numbers_with_their_particle():
    solution = solve(load_spec(None))
    claims = [
        Claim(Name.parse("o1"), "0.65", Decimal("0.65")),
        Claim(Name.parse("C"), "0.1225", Decimal("0.1225")),  # (1 − 0.65)²: from their o₁
    ]
    results = check(solution.batch, solution.update, claims)
    own = next(r for r in results if str(r.name) == "C")
    assert note(own, "ko", printed=True).startswith("본인이 반올림한 o₁로 계산하면")  # 오 일
    text = _text(FeedbackSheet(solution, results, "ko", "kim").document)
    assert "o₁로" in text and not HEDGED.search(text)
    assert node_label("o1") == "o₁"


def test_the_built_in_seed_is_named_in_the_readers_language():
    sheets = {lang: Sheet(None, lang).document.footer[1] for lang in ("en", "ko")}
    assert sheets["en"].startswith("spec <built-in seed>, sha256 ")
    assert sheets["ko"].startswith("명세: 내장 예제(seed), sha256 ")
    solution = solve(load_spec(None))
    feedback = FeedbackSheet(solution, [], "ko", "kim").document.footer
    assert "명세: 내장 예제(seed), sha256 " in feedback[2]
