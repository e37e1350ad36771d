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
from decimal import Decimal, InvalidOperation
from pathlib import Path

from derive.engine.names import Name
from derive.engine.spec import Spec, load_spec, read_document
from derive.errors import InputError
from derive.grading.checker import Claim

_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


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
        if not spec_path.is_file():
            raise InputError(source, "spec", f"no spec file at {spec_path}")
    answers = data.get("answers")
    if not isinstance(answers, dict) or not answers:
        raise InputError(source, "answers", "missing: a table of name = value")
    claims = [_claim(source, name, value) for name, value in answers.items()]
    return load_spec(spec_path), claims


def _claim(source: str, name: str, value: object) -> Claim:
    key = f"answers.{name}"
    if isinstance(value, str) and _DECIMAL.fullmatch(value.strip()):
        value = Decimal(value.strip())
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise InputError(source, key, f"{value!r} is not a number")
    number = Decimal(value)
    if not number.is_finite():
        raise InputError(source, key, f"{value} is not a finite number")
    try:
        written = f"{number:f}"
    except (InvalidOperation, ValueError):
        raise InputError(source, key, f"{value!r} is not a number") from None
    try:
        parsed = Name.parse(name)
    except ValueError:
        raise InputError(source, key, "not a quantity name (e.g. z1, dC/dw5, w5')") from None
    return Claim(parsed, written, number)


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
