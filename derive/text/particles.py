"""Korean particles that fit the word before them, as that word is read aloud.

A Korean particle has two forms (은/는, 이/가, 을/를, 과/와, 으로/로, …), chosen by whether
the spoken word before it ends in a consonant. A sheet's words are often symbols and numbers:
w₅ reads 더블유 오 (와), z₁ 제트 일 (과), h 에이치 (는), 15,000 만 오천 (을), 0.2513 영 점
이오일삼 (으로), so the choice follows their Korean reading, never their spelling. A locale
string names the particle of a field as `{a:와}` (see locale.fill); this module picks the form.
The locale writes the copula 이다 in full after a vowel too (o − y이다), as formal prose does;
{x:이다} gives the short form (y다) where a string wants it.
"""

from __future__ import annotations

import re

# the form after a final consonant, the form after a vowel (the ㄹ rule of 으로 is apart)
PAIRS = (
    ("은", "는"),
    ("이", "가"),
    ("을", "를"),
    ("과", "와"),
    ("으로", "로"),
    ("이다", "다"),
)
_PAIR_OF = {form: pair for pair in PAIRS for form in pair}

_LETTER_NAMES = (
    "에이",
    "비",
    "씨",
    "디",
    "이",
    "에프",
    "지",
    "에이치",
    "아이",
    "제이",
    "케이",
    "엘",
    "엠",
    "엔",
    "오",
    "피",
    "큐",
    "알",
    "에스",
    "티",
    "유",
    "브이",
    "더블유",
    "엑스",
    "와이",
    "제트",
)
LETTERS = dict(zip("abcdefghijklmnopqrstuvwxyz", _LETTER_NAMES, strict=True))
# (LaTeX command, character, Korean reading)
GREEK = (
    ("alpha", "α", "알파"),
    ("beta", "β", "베타"),
    ("gamma", "γ", "감마"),
    ("Gamma", "Γ", "감마"),
    ("delta", "δ", "델타"),
    ("Delta", "Δ", "델타"),
    ("epsilon", "ε", "엡실론"),
    ("varepsilon", "ϵ", "엡실론"),
    ("zeta", "ζ", "제타"),
    ("eta", "η", "에타"),
    ("theta", "θ", "세타"),
    ("Theta", "Θ", "세타"),
    ("kappa", "κ", "카파"),
    ("lambda", "λ", "람다"),
    ("Lambda", "Λ", "람다"),
    ("mu", "μ", "뮤"),
    ("nu", "ν", "뉴"),
    ("xi", "ξ", "크사이"),
    ("pi", "π", "파이"),
    ("Pi", "Π", "파이"),
    ("rho", "ρ", "로"),
    ("sigma", "σ", "시그마"),
    ("Sigma", "Σ", "시그마"),
    ("tau", "τ", "타우"),
    ("phi", "φ", "파이"),
    ("varphi", "ϕ", "파이"),
    ("Phi", "Φ", "파이"),
    ("chi", "χ", "카이"),
    ("psi", "ψ", "프사이"),
    ("Psi", "Ψ", "프사이"),
    ("omega", "ω", "오메가"),
    ("Omega", "Ω", "오메가"),
)
SYMBOLS = {
    **{char: reading for _, char, reading in GREEK},
    "′": "프라임",
    "″": "더블 프라임",
    "ᵀ": "트랜스포즈",
    "∇": "나블라",
    "∂": "라운드",
    "∞": "무한대",
    "%": "퍼센트",
    "°": "도",
}
# words spelled in Latin letters that a Korean reader says as a word, not letter by letter
WORDS = {
    "sgd": "에스지디",
    "adam": "아담",
    "adamw": "아담더블유",
    "adagrad": "아다그라드",
    "rmsprop": "알엠에스프롭",
    "relu": "렐루",
    "softmax": "소프트맥스",
    "softplus": "소프트플러스",
    "sigmoid": "시그모이드",
    "tanh": "탄에이치",
    "momentum": "모멘텀",
    "nesterov": "네스테로프",
    "sympy": "심파이",
    "pytorch": "파이토치",
    "torch": "토치",
    "autograd": "오토그래드",
    "float": "플로트",
    "ln": "엘엔",
    "log": "로그",
    "exp": "익스포넨셜",
    "max": "맥스",
}
DIGITS = "영일이삼사오육칠팔구"
POWERS_OF_TEN = {1: "십", 2: "백", 3: "천"}  # then 만, 억, 조 and 경 per four zeros
MYRIADS = "만억조경"

_POWER = "\ue000"  # an exponent: 10⁻⁵ reads 십의 마이너스 오 제곱
_SUBSCRIPTS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")
_SUPERSCRIPT_MARK = re.compile(r"⁽([^⁾]*)⁾")  # a sample's mark: h₁⁽²⁾
_SUPERSCRIPT_POWER = re.compile(r"[⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+")
_SUPERSCRIPT_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹ⁿ", "0123456789n")
_LATEX_SYMBOLS = {
    **{rf"\{command}": char for command, char, _ in GREEK},
    r"\partial": "∂",
    r"\nabla": "∇",
    r"\prime": "′",
    r"\top": "ᵀ",
    r"\infty": "∞",
    r"\times": "×",
    r"\cdot": "·",
}
_LATEX_SILENT = {r"\frac", r"\left", r"\right", r"\displaystyle", r"\mathrm", r"\operatorname"}
_LATEX_COMMAND = re.compile(r"\\([a-zA-Z]+|.)")
_LATEX_SCRIPT = re.compile(r"([_^])\{([^{}]*)\}|([_^])(\\[a-zA-Z]+|[^{\s])")


def with_particle(word: str, particle: str) -> str:
    """The form of `particle` (either form of its pair) that follows `word` when read."""
    pair = _PAIR_OF.get(particle)
    if pair is None:
        raise ValueError(f"{particle!r} is not a particle with two forms ({', '.join(_PAIR_OF)})")
    end = final_sound(word)
    if end == "vowel" or (end == "ㄹ" and pair[0] == "으로"):
        return pair[1]
    return pair[0]


def final_sound(word: str) -> str:
    """'vowel', 'ㄹ' or 'consonant': how the Korean reading of `word` ends."""
    syllable = spoken_end(word)[-1]
    final = (ord(syllable) - 0xAC00) % 28
    return "vowel" if final == 0 else "ㄹ" if final == 8 else "consonant"


def spoken_end(word: str) -> str:
    """The Korean reading of what is said last in `word`: 'w₅' → '오', '0.25' → '오',
    'C' → '씨', '15,000' → '천', '$w_{5}$' → '오', '평균제곱오차(MSE)' → '차'."""
    text = _plain(word).rstrip(' ’”"」』')
    if not text:
        raise ValueError(f"{word!r}: nothing to read")
    last = text[-1]
    if last in ")]":
        return _bracketed_end(word, text)
    if last == _POWER:
        return "제곱"
    if _is_hangul(last):
        return last
    if last.isdigit():
        return _number_end(re.search(r"[\d,.]*$", text).group().strip(",."))
    if last.isascii() and last.isalpha():
        return _latin_end(re.search(r"[A-Za-z]+$", text).group(), word)
    reading = SYMBOLS.get(last)
    if reading is None:
        raise ValueError(f"{word!r}: no Korean reading of {last!r}")
    return reading


def _plain(word: str) -> str:
    """LaTeX and Unicode scripts as plain characters: exponents as _POWER, sample marks
    as their content, subscripts as digits."""
    text = re.sub(r"(?<=[\w)])'", "′", word.replace("$", ""))  # w5' is w₅′
    if "\\" in text or "{" in text or "_" in text or "^" in text:
        text = _from_latex(text)
    text = _SUPERSCRIPT_MARK.sub(lambda m: " " + m.group(1).translate(_SUPERSCRIPT_DIGITS), text)
    text = _SUPERSCRIPT_POWER.sub(_POWER, text)
    return re.sub(r"[₀-₉]+", lambda m: " " + m.group().translate(_SUBSCRIPTS), text)


def _from_latex(tex: str) -> str:
    def command(match: re.Match) -> str:
        name = match.group()
        if name in _LATEX_SYMBOLS:
            return _LATEX_SYMBOLS[name]
        if name in _LATEX_SILENT or not match.group(1).isalpha():
            return " "  # \frac, \left, spacing such as \, and \!
        return " " + name[1:]  # \ln, \tanh: read as the word

    def script(match: re.Match) -> str:
        kind = match.group(1) or match.group(3)
        body = match.group(2) if match.group(1) else match.group(4)
        if kind == "_":
            return " " + body
        if body.startswith("(") and body.endswith(")"):  # a sample's mark: ^{(2)}
            return " " + body[1:-1]
        if body in ("′", r"\prime", r"\top"):
            return body
        return _POWER

    text, previous = tex, None
    while previous != text:  # innermost scripts first: x_{1}^{(n)}, e^{-z_{1}}
        previous, text = text, _LATEX_SCRIPT.sub(script, text)
    text = _LATEX_COMMAND.sub(command, text)
    return text.replace("{", "").replace("}", "")


def _bracketed_end(word: str, text: str) -> str:
    """A gloss after a Korean word is not read for the particle (평균제곱오차(MSE)는);
    anything else in brackets is what is said last: σ(z), (0, 1)."""
    depth, close = 0, text[-1]
    opening = "(" if close == ")" else "["
    for i in range(len(text) - 1, -1, -1):
        depth += (text[i] == close) - (text[i] == opening)
        if depth == 0:
            before, inside = text[:i].rstrip(), text[i + 1 : -1]
            if before and _is_hangul(before[-1]):
                return spoken_end(before)
            return spoken_end(inside)
    raise ValueError(f"{word!r}: unbalanced brackets")


def _number_end(digits: str) -> str:
    """How a number's Korean reading ends: decimals digit by digit (0.25: 영 점 이오),
    whole numbers in Sino-Korean units (10 십, 1,000 천, 120,000 십이만)."""
    if "." in digits:
        return DIGITS[int(digits[-1])]
    whole = digits.replace(",", "").lstrip("0") or "0"
    zeros = len(whole) - len(whole.rstrip("0"))
    if whole == "0" or zeros == 0:
        return DIGITS[int(whole[-1])]
    if zeros < 4:
        return POWERS_OF_TEN[zeros]
    return MYRIADS[min(zeros // 4, len(MYRIADS)) - 1]


def _latin_end(run: str, word: str) -> str:
    """A letter by its Korean name; a known word as said; an acronym (SGD) or a word
    ending in a capital (AdamW) by its last letter."""
    if len(run) == 1 or run.isupper() or run[-1].isupper():
        return LETTERS[run[-1].lower()]
    reading = WORDS.get(run.lower())
    if reading is None:
        raise ValueError(f"{word!r}: no Korean reading of the word {run!r}")
    return reading


def _is_hangul(char: str) -> bool:
    return "가" <= char <= "힣"
