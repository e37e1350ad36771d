"""Errors a user can act on: each prints as one line and maps to an exit code."""

from __future__ import annotations

import re
from decimal import Decimal

# control characters, line and paragraph separators and bidirectional overrides: echoed from
# user input they would break the one-line message or reorder it on the terminal; surrogates
# (a file name's undecodable byte, a JSON \\ud800) no terminal can be sent
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_BYTES_ESCAPED = range(0xDC80, 0xDD00)  # how Python keeps an undecodable byte of a file name
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
MAX_KEY_SHOWN = 80


def one_line(text: str) -> str:
    """`text` with every control character escaped (a newline prints as \\n)."""

    def escape(match: re.Match[str]) -> str:
        char = match.group()
        if char in _ESCAPES:
            return _ESCAPES[char]
        if ord(char) in _BYTES_ESCAPED:
            return f"\\x{ord(char) - 0xDC00:02x}"  # the byte itself
        return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"

    return _UNPRINTABLE.sub(escape, text)


def shorten(text: str, limit: int = 40) -> str:
    """At most `limit` characters of `text`: a 10 MB value is not echoed whole."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shown(value: object) -> str:
    """A value from a spec or answers file in the user's terms, not Python's: a string quoted,
    a number as written, a list or table by what it is."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(shorten(value))
    if isinstance(value, int) and value.bit_length() > 256:  # str() of it may be refused
        return f"a number of about {int(value.bit_length() * 0.30103) + 1:,} digits"
    if isinstance(value, Decimal):
        return shorten(str(value).replace("E", "e"))
    if isinstance(value, int):
        return shorten(str(value))
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__}"  # TOML dates and times


class DeriveError(Exception):
    """Base of errors shown to the user as one line, without a traceback."""

    exit_code = 2


class InputError(DeriveError):
    """Bad input: names the file, the key and the problem."""

    def __init__(self, source: str, key: str, problem: str) -> None:
        super().__init__(source, key, problem)  # args as given: it survives pickling
        self.source, self.key, self.problem = source, key, problem

    def __str__(self) -> str:
        key = shorten(self.key, MAX_KEY_SHOWN)
        where = f"{self.source}: {key}" if key else self.source
        return one_line(f"{where}: {self.problem}")


class VerificationError(DeriveError):
    """The four gradient computations disagree: a bug, never a sheet."""

    exit_code = 1


class BackgroundError(DeriveError):
    """A helper process ended without an answer (killed, or out of memory)."""

    exit_code = 1
