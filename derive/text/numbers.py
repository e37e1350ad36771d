"""How numbers read on a sheet: N decimals, enough significant digits for small values,
m × 10^e for tiny and huge ones; as LaTeX for formulas and as text for tables.

Every value derive computes can be shown, whatever its size: a saturated unit's derivative
of 10⁻⁴³⁴ prints as such, not as a string of zeros (or a crash).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from derive.engine.exact import (
    LARGE_EXPONENT,
    PRECISION,
    exact_context,
    round_fixed,
    round_places,
    settled,
    update_places,
)

SCIENTIFIC_BELOW = -5  # a value under 10⁻⁵ in size prints as m × 10^e
SCIENTIFIC_ABOVE = LARGE_EXPONENT - 1  # and one of 10⁷ or more
MINUS = "\u2212"
SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _parts(value: Decimal, places: int) -> tuple[str, str | None]:
    """(mantissa digits with sign, exponent or None) of the displayed number."""
    if not value:  # an exact 0 reads like its neighbours: 0.000 beside 1.000
        return f"{Decimal(0):.{places}f}", None
    with exact_context():
        exponent = value.adjusted()
        if not _ordinary(value):
            mantissa = round_places(value.scaleb(-exponent), places - 1)
            if abs(mantissa) >= 10:  # 9.9996 rounded up to 10.000
                mantissa, exponent = round_places(mantissa / 10, places - 1), exponent + 1
            return f"{mantissa:f}", str(exponent)
        return f"{round_places(value, places):f}", None


def text(value: Decimal, places: int) -> str:
    """For tables: '0.470', '−0.0998', '1.23×10⁻⁷' (a real minus sign)."""
    mantissa, exponent = _parts(value, places)
    out = mantissa if exponent is None else f"{mantissa}×10{exponent.translate(SUPERSCRIPT)}"
    return out.replace("-", MINUS)


def latex(value: Decimal, places: int) -> str:
    """For formulas: '0.470', '{-0.709}' (a unary minus), '1.23 \\times 10^{-7}'; an exact 0
    as 0, like the given zeros beside it (a dead ReLU's 0 × 0.4)."""
    if not value:
        return "0"
    mantissa, exponent = _parts(value, places)
    body = mantissa if exponent is None else rf"{mantissa} \times 10^{{{exponent}}}"
    return f"{{{body}}}" if body.startswith("-") else body


def shown(value: Decimal, places: int) -> Decimal:
    """The number as printed in a formula, with exactly its printed digits: what a calculator
    is given."""
    if not value:
        return Decimal(0)
    mantissa, exponent = _parts(value, places)
    if exponent is None:
        return Decimal(mantissa)
    with exact_context():  # 10^−3371076 is beyond the default context's exponents
        return Decimal(mantissa).scaleb(int(exponent))


def agrees(value: Decimal, printed: Decimal) -> bool:
    """`value` rounds, at the printed number's last digit, to the printed number: a line
    whose printed operands give `value` checks on a calculator."""
    if not value.is_finite():
        return False
    digits = max(value.adjusted(), printed.adjusted()) - printed.as_tuple().exponent + 3
    with exact_context(max(PRECISION, digits)):
        return settled(value).quantize(printed, rounding=ROUND_HALF_UP) == printed


def given_text(value: Decimal) -> str:
    """A number the author wrote, as written (0.55 stays 0.55)."""
    return f"{value:f}".replace("-", MINUS)


def given_latex(value: Decimal) -> str:
    body = f"{value:f}"
    return f"{{{body}}}" if body.startswith("-") else body


def _ordinary(value: Decimal) -> bool:
    """Printed with plain decimals (not m × 10^e)."""
    return not value or SCIENTIFIC_BELOW <= value.adjusted() <= SCIENTIFIC_ABOVE


def updated(value: Decimal, change: Decimal, places: int) -> Decimal:
    """A new parameter value as printed: enough decimals to show the step taken."""
    if not _ordinary(value):
        return shown(value, places)
    return round_fixed(value, update_places(change, places, value))


def updated_text(value: Decimal, change: Decimal, places: int) -> str:
    if not _ordinary(value):
        return text(value, places)
    return f"{updated(value, change, places):f}".replace("-", MINUS)


def updated_latex(value: Decimal, change: Decimal, places: int) -> str:
    if not _ordinary(value):
        return latex(value, places)
    body = f"{updated(value, change, places):f}"
    return f"{{{body}}}" if body.startswith("-") else body
