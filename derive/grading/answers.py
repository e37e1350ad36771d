"""Answers files: a student's claimed numbers, as written, and the spec they belong to.

```toml
spec = "examples/seed.toml"     # optional, relative to this file; default: the built-in seed
[answers]
z1 = 0.47
"dC/do1" = -0.709
"w6'" = 0.441
```
"""

from __future__ import annotations

import difflib
import re
from decimal import Decimal
from pathlib import Path

from derive.engine.names import Name
from derive.engine.source import read_document
from derive.engine.spec import Spec, load_spec
from derive.errors import InputError, shorten, shown
from derive.grading.checker import Claim

_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", re.ASCII)
# far beyond any hand calculation, and each claim stays cheap to check exactly: the checker
# reworks the solution at every precision from 1 to a claim's decimals
MAX_SIGNIFICANT = 20
MAX_DECIMALS = 20
MAX_SIZE = Decimal("1e30")


def load_answers(path: str | Path, spec_path: str | Path | None = None) -> tuple[Spec, list[Claim]]:
    """The spec (from --spec, the file's `spec` key, or the built-in seed) and the claims."""
    source = str(path)
    data = read_document(path)
    for key in data:
        if key not in ("spec", "answers"):
            raise InputError(source, key, "unknown key (allowed: spec, answers)")
    if spec_path is None and "spec" in data:
        if not isinstance(data["spec"], str):
            raise InputError(source, "spec", "must be a path to a spec file")
        spec_path = Path(path).parent / data["spec"]
        if not _is_file(spec_path):
            raise InputError(source, "spec", f"no spec file at {shorten(str(spec_path), 200)}")
    answers = data.get("answers")
    if not isinstance(answers, dict) or not answers:
        raise InputError(source, "answers", "missing: a table of name = value")
    claims = [read_claim(source, name, value) for name, value in answers.items()]
    seen: dict[Name, str] = {}
    for name, claim in zip(answers, claims):
        if claim.name in seen:  # "dC/dw1" and "∂C/∂w1" are one name
            raise InputError(
                source, f"answers.{name}", f"the same name as {shown(seen[claim.name])}"
            )
        seen[claim.name] = name
    return load_spec(spec_path), claims


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):  # a name too long for the system, a NUL byte
        return False


def read_claim(source: str, name: str, value: object) -> Claim:
    """A claimed number as written (a number, or its text), within MAX_SIGNIFICANT digits,
    MAX_DECIMALS decimals and MAX_SIZE; anything beyond is refused before any arithmetic
    sees it."""
    key = f"answers.{name}"
    written = shown(value)
    if isinstance(value, str) and _DECIMAL.fullmatch(value.strip()):
        written = shorten(value.strip())
        try:
            value = Decimal(value.strip())
        except ArithmeticError:  # an exponent of more digits than Decimal takes
            raise InputError(source, key, f"{written} is too large or too small") from None
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise InputError(source, key, f"{written} is not a number")
    if isinstance(value, Decimal) and not value.is_finite():
        raise InputError(source, key, f"{written} is not a finite number")
    size = abs(value) if isinstance(value, int) else value.copy_abs()  # never overflows
    if size >= MAX_SIZE:
        raise InputError(
            source, key, f"{written} is too large (at most 30 digits before the decimal point)"
        )
    number = Decimal(value)
    digits, exponent = len(number.as_tuple().digits), int(number.as_tuple().exponent)
    if -exponent > MAX_DECIMALS:
        raise InputError(
            source, key, f"{written} has {-exponent:,} decimals (at most {MAX_DECIMALS})"
        )
    if digits > MAX_SIGNIFICANT:
        raise InputError(
            source, key, f"{written} has {digits} significant digits (at most {MAX_SIGNIFICANT})"
        )
    try:
        parsed = Name.parse(name)
    except ValueError:
        raise InputError(source, key, "not a quantity name (e.g. z1, dC/dw5, w5')") from None
    return Claim(parsed, f"{number:f}", number)


def check_names(source: str, claims: list[Claim], valid: list[Name]) -> None:
    """Every claimed name must be one the worked solution has."""
    names = [str(n) for n in valid]
    for claim in claims:
        if claim.name not in valid:
            close = difflib.get_close_matches(str(claim.name), names, n=1, cutoff=0.5)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise InputError(
                source, f"answers.{claim.name}", f"unknown name; {hint}valid: {', '.join(names)}"
            )
