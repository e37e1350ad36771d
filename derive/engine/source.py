"""Reading spec and answers files: bytes on disk → a table of plain values, or one clear line.

Apart from spec.py because a hostile or broken file needs care before any key is validated:
its size, its encoding, how deeply it nests, how long its numbers are and, in JSON, repeated
keys. Each limit is checked in one linear pass without recursion, so any file is refused in
well under a second instead of ending in a RecursionError, Python's int-string limit or
gigabytes of digits.
"""

from __future__ import annotations

import json
import os
import re
import stat
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any, NoReturn

from derive.errors import InputError, shorten

MAX_FILE_BYTES = 250_000  # a spec at the 4,096-parameter limit is about 100 kB
MAX_DEPTH = 32  # tables and lists inside each other; a spec needs 3
MAX_NUMBER_CHARS = 100  # characters of one number as written

_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")

# where the scan stops: a string or comment opens, a bracket, or a run of digits too long to
# be a sane number (TOML: also hex, octal and binary digits, which escape Python's int limit)
_LONG = f"{{{MAX_NUMBER_CHARS + 1},}}"
_TOML_SPECIAL = re.compile(r"""[,=\n]+|["'#\[\]{}.]|(?<![0-9A-Za-z_])[0-9A-Za-z_]""" + _LONG)
_JSON_SPECIAL = re.compile(r"""["\[\]{}]|(?<![0-9])[0-9]""" + _LONG)
_TOML_STRINGS = (  # (opening, the whole string from there); checked in this order
    ('"""', re.compile(r'"""(?:[^\\]|\\.)*?"""', re.S)),
    ("'''", re.compile(r"'''.*?'''", re.S)),
    ('"', re.compile(r'"(?:[^"\\\n]|\\.)*"')),
    ("'", re.compile(r"'[^'\n]*'")),
)
_JSON_STRING = (('"', re.compile(r'"(?:[^"\\]|\\.)*"', re.S)),)
_NO_WAIT = getattr(os, "O_NONBLOCK", 0)  # Windows has no FIFO to wait on
_SURROGATE = re.compile("[\ud800-\udfff]")  # JSON's \\ud800 alone: no character


class _NumberError(ValueError):
    """A number the parsers hand over that is too long or unreadable."""


class _Duplicated(dict[str, Any]):
    """A JSON object in which `duplicate` was given twice; found with its path afterwards."""

    duplicate = ""


def read_document(path: str | Path) -> dict[str, Any]:
    """A TOML file (JSON by its .json suffix) as a table, numbers as exact decimals."""
    source = str(path)
    text = decode(read_bytes(path), source)
    return (
        parse_json(text, source)
        if Path(path).suffix.lower() == ".json"
        else parse_toml(text, source)
    )


def read_bytes(path: str | Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The file's bytes, at most `limit`: a 10 GB file is refused, not read. So is what could
    keep derive waiting for ever: a named pipe that no program writes to, a device (a
    terminal, /dev/zero). The file is opened without waiting, then looked at; a pipe with a
    writer (`derive solve <(make_spec)`) is read to its end."""
    source = str(path)
    try:
        descriptor = os.open(path, os.O_RDONLY | _NO_WAIT)
        with open(descriptor, "rb") as file:
            kind = os.fstat(descriptor).st_mode
            if stat.S_ISDIR(kind):
                raise IsADirectoryError
            head = _pipe_head(descriptor, limit, source) if stat.S_ISFIFO(kind) else b""
            if not (stat.S_ISREG(kind) or stat.S_ISFIFO(kind)):
                what = "a socket" if stat.S_ISSOCK(kind) else "a device"
                raise InputError(source, "", f"is {what}, not a file")
            data = head + file.read(limit + 1 - len(head))
    except FileNotFoundError:
        raise InputError(source, "", "no such file") from None
    except IsADirectoryError:
        raise InputError(source, "", "is a directory, not a file") from None
    except PermissionError:
        raise InputError(source, "", "cannot read: permission denied") from None
    except OSError as exc:
        raise InputError(source, "", f"cannot read: {(exc.strerror or str(exc)).lower()}") from None
    except ValueError:  # a NUL byte in the name
        raise InputError(source, "", "not a valid file name") from None
    if len(data) > limit:
        raise InputError(source, "", f"too large (at most {limit:,} bytes)")
    return data


def _pipe_head(descriptor: int, limit: int, source: str) -> bytes:
    """What a pipe holds already; refused when no program has it open for writing (it would
    never end). The descriptor then waits for the rest, as `cat` does."""
    try:
        head = os.read(descriptor, limit + 1)
    except BlockingIOError:  # a writer, nothing written yet
        head = None
    if head == b"":
        raise InputError(source, "", "is a named pipe (FIFO) that no program writes to")
    os.set_blocking(descriptor, True)
    return head or b""


def decode(data: bytes, source: str) -> str:
    """UTF-8 text; a UTF-8 byte-order mark (Windows Notepad writes one) is skipped."""
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    elif data.startswith(_UTF16_BOMS):
        raise InputError(source, "", "is UTF-16 text; save it as UTF-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(
            source,
            "",
            f"is not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}); save it as UTF-8",
        ) from None


def parse_toml(text: str, source: str) -> dict[str, Any]:
    """TOML with floats as exact decimals, after the depth and number-length scan."""
    _scan(text, source, toml=True)
    try:
        data = tomllib.loads(text, parse_float=_decimal)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(source, "", f"not valid TOML: {exc}") from None
    except _NumberError as exc:
        raise InputError(source, "", str(exc)) from None
    except ValueError:  # Python's int-string limit, should a long number slip past the scan
        raise InputError(source, "", "a number has too many digits") from None
    except RecursionError:
        raise InputError(source, "", f"nested too deeply (at most {MAX_DEPTH} levels)") from None
    _check_shape(data, source)
    return data


def parse_json(text: str, source: str) -> dict[str, Any]:
    """A JSON object with floats as exact decimals; NaN, Infinity and repeated keys refused."""

    def reject_constant(name: str) -> None:
        raise _NumberError(f"not valid JSON: {name} is not a finite number")

    _scan(text, source, toml=False)
    try:
        data = json.loads(
            text,
            parse_float=_decimal,
            parse_int=_integer,
            parse_constant=reject_constant,
            object_pairs_hook=_object,
        )
    except json.JSONDecodeError as exc:
        raise InputError(source, "", f"not valid JSON: {exc}") from None
    except _NumberError as exc:
        raise InputError(source, "", str(exc)) from None
    except RecursionError:
        raise InputError(source, "", f"nested too deeply (at most {MAX_DEPTH} levels)") from None
    if not isinstance(data, dict):
        raise InputError(source, "", "must be a JSON object { ... }")
    _check_shape(data, source)
    return data


def _decimal(text: str) -> Decimal:
    if len(text) > MAX_NUMBER_CHARS:
        raise _NumberError(
            f"a number of {len(text):,} characters is too long (at most {MAX_NUMBER_CHARS})"
        )
    try:
        return Decimal(text)
    except ArithmeticError:  # an exponent beyond what Decimal can hold
        raise _NumberError(f"{shorten(text)} is not a number derive can read") from None


def _integer(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise _NumberError(
            f"a number of {len(text):,} digits is too long (at most {MAX_NUMBER_CHARS})"
        )
    return int(text)


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    table = dict(pairs)
    if len(table) == len(pairs):
        return table
    marked = _Duplicated(table)
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            marked.duplicate = key
            break
        seen.add(key)
    return marked


def _scan(text: str, source: str, toml: bool) -> None:
    """Refuse what would make a parser recurse too deeply or work too long, before it starts:
    nesting deeper than MAX_DEPTH, over-long numbers and (TOML) dotted keys of more than
    MAX_DEPTH parts, which tomllib handles in quadratic time and memory. Strings and comments
    are skipped; each character is looked at once."""
    special, strings = (_TOML_SPECIAL, _TOML_STRINGS) if toml else (_JSON_SPECIAL, _JSON_STRING)
    depth = 1 if toml else 0  # a TOML document is a table without brackets
    dots = 0  # dots since a bracket, comma, = or line break: the parts of a dotted key
    position = 0
    while match := special.search(text, position):
        token, position = match.group(), match.end()
        first = token[0]
        if first in ",=\n":
            dots = 0
        elif first in "[{":
            depth, dots = depth + 1, 0
            if depth > MAX_DEPTH:
                _refuse(text, source, match.start(), f"nested deeper than {MAX_DEPTH} levels")
        elif first in "]}":
            depth, dots = depth - 1, 0
        elif first == ".":
            dots += 1
            if dots >= MAX_DEPTH:
                _refuse(text, source, match.start(), f"a dotted key of more than {MAX_DEPTH} parts")
        elif first == "#":
            end = text.find("\n", position)
            position = len(text) if end < 0 else end
        elif first in "\"'":
            string = next(p for opening, p in strings if text.startswith(opening, match.start()))
            whole = string.match(text, match.start())
            if whole is None:  # unterminated: the parser says where
                return
            position = whole.end()
        else:
            _refuse(text, source, match.start(), _too_long(len(token)))


def _too_long(length: int) -> str:
    return f"a number or bare key of {length:,} characters is too long (at most {MAX_NUMBER_CHARS})"


def _refuse(text: str, source: str, offset: int, problem: str) -> NoReturn:
    line = text.count("\n", 0, offset) + 1
    raise InputError(source, f"line {line}", problem)


def _check_shape(data: dict[str, Any], source: str) -> None:
    """Depth (TOML's dotted keys nest without brackets), JSON's repeated keys and its lone
    surrogates (\\ud800: half of a UTF-16 pair, no character, which no file or terminal can
    take), naming the key; iterative, so no depth overflows it."""
    stack: list[tuple[Any, str, int]] = [(data, "", 1)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise InputError(source, path, f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, _Duplicated):
            key = _join(path, value.duplicate)
            raise InputError(source, key, "given twice; give each key once")
        if isinstance(value, str):
            _check_text(value, source, path)
        if isinstance(value, dict):
            for key in value:
                _check_text(key, source, _join(path, key))
            items = [(v, _join(path, k), depth + 1) for k, v in value.items()]
        elif isinstance(value, list):
            items = [(v, f"{path}[{i}]", depth + 1) for i, v in enumerate(value)]
        else:
            continue
        stack.extend(reversed(items))  # first key first


def _check_text(text: str, source: str, path: str) -> None:
    found = _SURROGATE.search(text)
    if found:
        problem = (
            f"\\u{ord(found.group()):04x} is half of a UTF-16 surrogate pair, not a character; "
            "write the character itself"
        )
        raise InputError(source, path, problem)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
