"""Typed values out of one table of a spec file, every complaint naming file and key."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from derive.errors import InputError, shown

MAX_MAGNITUDE = Decimal(10) ** 6
MAX_DECIMALS = 15  # keeps exact sums and products of given numbers short


class Reader:
    """Pulls typed values out of one table, naming file and key in every complaint."""

    def __init__(
        self,
        source: str,
        table: dict[str, Any],
        prefix: str,
        allowed: tuple[str, ...],
        hints: Mapping[str, str] | None = None,
    ):
        """`hints`: for a key this table does not take but a reader may well write (another
        table's spelling of the same thing), what to write instead, said in place of the list."""
        self.source, self.table, self.prefix = source, table, prefix
        for key in table:
            if key in allowed:
                continue
            if hints and key in hints:
                self.fail(key, f"unknown key; {hints[key]}")
            self.fail(key, f"unknown key (allowed: {', '.join(allowed)})")

    def key(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def fail(self, key: str, problem: str) -> None:
        raise InputError(self.source, self.key(key), problem)

    def has(self, key: str) -> bool:
        return key in self.table

    def require(self, key: str) -> Any:
        if key not in self.table:
            self.fail(key, "missing")
        return self.table[key]

    def choice(self, key: str, choices: tuple[str, ...] | dict[str, Any], default: str) -> str:
        value = self.table.get(key, default)
        return self._choice(key, value, choices)

    def _choice(self, key: str, value: Any, choices: tuple[str, ...] | dict[str, Any]) -> str:
        if not isinstance(value, str) or value not in choices:
            self.fail(key, f"unknown value {shown(value)} (choose one of: {', '.join(choices)})")
        return value

    def number(self, key: str, value: Any) -> Decimal:
        """A finite decimal of at most MAX_MAGNITUDE in size and MAX_DECIMALS decimals."""
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            self.fail(key, f"{shown(value)} is not a number")
        if isinstance(value, Decimal) and not value.is_finite():
            self.fail(key, f"{shown(value)} is not a finite number")
        size = abs(value) if isinstance(value, int) else value.copy_abs()  # never overflows
        if size > MAX_MAGNITUDE:
            self.fail(key, f"{shown(value)} is too large (at most {MAX_MAGNITUDE:,} in size)")
        number = Decimal(value)
        exponent = int(number.as_tuple().exponent)
        if exponent < -MAX_DECIMALS:
            self.fail(key, f"{shown(value)} has {-exponent:,} decimals (at most {MAX_DECIMALS})")
        return number if number or exponent <= 0 else Decimal(0)  # 0e9 is 0

    def numbers(self, key: str, count: int, what: str) -> tuple[Decimal, ...]:
        return self._numbers(key, self.table.get(key, []), count, what)

    def _numbers(self, key: str, value: Any, count: int, what: str) -> tuple[Decimal, ...]:
        if not isinstance(value, list):
            self.fail(key, f"must be a list of numbers, got {shown(value)}")
        if len(value) != count:
            numbers = "number" if count == 1 else "numbers"
            self.fail(key, f"expected {count} {numbers} ({what}), got {len(value)}")
        return tuple(self.number(f"{key}[{i}]", v) for i, v in enumerate(value))

    def rows(self, key: str, count: int, what: str, limit: int) -> tuple[tuple[Decimal, ...], ...]:
        """A list of numbers (one row), or a list of such lists (at most `limit` rows): rows
        when the first entry is a list."""
        value = self.table.get(key, [])
        if not isinstance(value, list) or not value or not isinstance(value[0], list):
            return (self.numbers(key, count, what),)
        if len(value) > limit:
            self.fail(key, f"{len(value)} samples is too many (at most {limit})")
        return tuple(self._numbers(f"{key}[{s}]", row, count, what) for s, row in enumerate(value))
