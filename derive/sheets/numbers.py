"""How numbers read on a sheet: N decimals, enough significant digits for small values,
scientific notation for tiny ones; as LaTeX for formulas and as text for tables."""

from __future__ import annotations

from decimal import Decimal

from derive.engine.exact import round_fixed, round_places, update_places

SCIENTIFIC_BELOW = -5  # a value under 10⁻⁵ in size prints as m × 10^e
MINUS = "\u2212"
SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _parts(value: Decimal, places: int) -> tuple[str, str | None]:
    """(mantissa digits with sign, exponent or None) of the displayed number."""
    if not value:
        return "0", None
    if value.adjusted() < SCIENTIFIC_BELOW:
        exponent = value.adjusted()
        mantissa = round_places(value.scaleb(-exponent), places - 1)
        return f"{mantissa:f}", str(exponent)
    return f"{round_places(value, places):f}", None


def text(value: Decimal, places: int) -> str:
    """For tables: '0.470', '−0.0998', '1.23×10⁻⁷' (a real minus sign)."""
    mantissa, exponent = _parts(value, places)
    out = mantissa if exponent is None else f"{mantissa}×10{exponent.translate(SUPERSCRIPT)}"
    return out.replace("-", MINUS)


def latex(value: Decimal, places: int) -> str:
    """For formulas: '0.470', '{-0.709}' (a unary minus), '1.23 \\times 10^{-7}'."""
    mantissa, exponent = _parts(value, places)
    body = mantissa if exponent is None else rf"{mantissa} \times 10^{{{exponent}}}"
    return f"{{{body}}}" if body.startswith("-") else body


def given_text(value: Decimal) -> str:
    """A number the author wrote, as written (0.55 stays 0.55)."""
    return f"{value:f}".replace("-", MINUS)


def given_latex(value: Decimal) -> str:
    body = f"{value:f}"
    return f"{{{body}}}" if body.startswith("-") else body


def updated_text(value: Decimal, step: Decimal, places: int) -> str:
    """A new parameter value with enough decimals to show the step taken."""
    return f"{round_fixed(value, update_places(step, places)):f}".replace("-", MINUS)


def updated_latex(value: Decimal, step: Decimal, places: int) -> str:
    body = f"{round_fixed(value, update_places(step, places)):f}"
    return f"{{{body}}}" if body.startswith("-") else body
