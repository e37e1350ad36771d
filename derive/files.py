"""Writing the output files of a run: all of them, or none.

A run that fails halfway (a full disk, a directory where a file should go, Ctrl-C) must not
leave one sheet written and its sibling missing or half-written: every output is rendered
first, written to a temporary file beside its target, and only when all are written are they
renamed into place. A reader never sees a half-written file, and a failure leaves no file of
the run behind.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from derive.errors import InputError

_REASONS = {  # plain words for what a user can do something about
    errno.ENOSPC: "no space left on the disk",
    errno.EDQUOT: "over the disk quota",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "the disk is read-only",
    errno.EFBIG: "the file is too large for this disk or limit",
}


def reason(exc: OSError) -> str:
    """Why an operating-system call failed, in plain words."""
    if exc.errno in _REASONS:
        return _REASONS[exc.errno]
    return (exc.strerror or str(exc)).lower()


def check_writable(paths: list[Path]) -> None:
    """Fail now, before minutes of rendering, if a run could not write `paths`: a directory in
    a file's place, or a parent that is a file or not writable. Creates nothing."""
    for path in paths:
        if path.is_dir():
            raise InputError(str(path), "", "is a directory; remove it or choose another -o DIR")
        existing = next(
            p for p in (path.parent, *path.parent.parents) if p.exists() or p == p.parent
        )
        if not existing.is_dir():
            problem = f"cannot create the output directory: {existing} is a file"
            raise InputError(str(path.parent), "", problem)
        if not os.access(existing, os.W_OK | os.X_OK):
            raise InputError(str(existing), "", "the output directory is not writable")


def write_all(outputs: Mapping[Path, bytes]) -> list[Path]:
    """Write every file of a run, or none: {path: contents} → the paths, in the given order.
    Temporaries, renamed files and directories this call created are removed on any failure,
    and a failure to write is one InputError naming the file."""
    paths = list(outputs)
    check_writable(paths)
    created: list[Path] = []
    temporaries: list[Path] = []
    placed: list[Path] = []
    current, doing = Path(), "cannot write"
    try:
        for directory in dict.fromkeys(p.parent for p in paths):
            current, doing = directory, "cannot create the output directory"
            created += _make_directory(directory)
        for path, data in outputs.items():
            current, doing = path, "cannot write"
            temporaries.append(_write_temporary(path, data))
        for path, temporary in zip(paths, temporaries):
            current = path
            os.replace(temporary, path)
            placed.append(path)
    except BaseException as exc:
        for leftover in (*temporaries, *placed):
            leftover.unlink(missing_ok=True)
        for directory in reversed(created):
            with contextlib.suppress(OSError):  # not empty: someone else's files are there
                directory.rmdir()
        if isinstance(exc, OSError):
            problem = "a directory is in the way" if exc.errno == errno.EISDIR else reason(exc)
            raise InputError(str(current), "", f"{doing}: {problem}") from None
        raise
    return paths


def _make_directory(directory: Path) -> list[Path]:
    """Create `directory` and its missing parents; returns those created, outermost first."""
    missing = [d for d in (directory, *directory.parents) if not d.exists()][::-1]
    for d in missing:
        d.mkdir()
    return missing


def _write_temporary(path: Path, data: bytes) -> Path:
    """`data` in a new hidden file beside `path`, on the disk (fsync) before it is renamed."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    temporary = Path(name)
    try:
        _write_fd(fd, data)
        os.fchmod(fd, 0o644)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        temporary.unlink(missing_ok=True)
        raise
    os.close(fd)
    return temporary


def _write_fd(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
