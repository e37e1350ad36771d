"""The words of sheets, feedback, exercises and reports, per language, from
derive/locales/<lang>.toml."""

from __future__ import annotations

import functools
import re
import tomllib
from importlib import resources

from derive import LANGUAGES
from derive.text.particles import with_particle

# {name}, or {name:particle}: the value, then the form of the particle that fits how the value
# is read in Korean ({a:와}: w₅와, z₁과). In math, ${name:particle}$ puts the particle after
# the closing $.
_FIELD = re.compile(r"\{(\w+)(?::(\w+))?\}(\$?)")


@functools.lru_cache(maxsize=len(LANGUAGES))
def strings(lang: str) -> dict:
    """The locale's table (read once per language; callers must not change it)."""
    text = resources.files("derive").joinpath(f"locales/{lang}.toml").read_text("utf-8")
    return tomllib.loads(text)


def fill(template: str, **fields: object) -> str:
    """Put fields into a locale string, leaving LaTeX braces such as w_{1} alone."""

    def put(match: re.Match) -> str:
        name, particle, dollar = match.groups()
        if name not in fields:
            return match.group()
        value = str(fields[name])
        return value + dollar + (with_particle(value, particle) if particle else "")

    return _FIELD.sub(put, template)


def text_and_math(template: str, **fields: object) -> tuple[tuple[str, str], ...]:
    """A filled locale string split at its $…$ into ("text", words) and ("math", LaTeX) parts
    (sheets/document.py's paragraph() makes a Paragraph of them)."""
    pieces = fill(template, **fields).split("$")
    return tuple(("math" if i % 2 else "text", p) for i, p in enumerate(pieces) if p)


def optimizer_name(lang: str, optimizer: str) -> str:
    """How a sheet names an optimizer (Momentum SGD, RMSprop), never the spec's key (momentum,
    rmsprop): the name its guide entry gives in the language."""
    return strings(lang)["guide"][optimizer]["name"]
