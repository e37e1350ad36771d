"""Writing output files atomically: a reader never sees a half-written sheet."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from derive.errors import InputError


def output_dir(directory: Path) -> Path:
    """Create the directory if needed; an unusable one is bad input (one line, exit 2)."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            str(directory), "", f"cannot create the output directory ({exc.strerror})"
        ) from None
    if not os.access(directory, os.W_OK | os.X_OK):
        raise InputError(str(directory), "", "the output directory is not writable")
    return directory


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename it over `path`."""
    try:
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    except OSError as exc:
        raise InputError(str(path.parent), "", f"cannot write here ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_documents(
    directory: Path, stem: str, formats: tuple[str, ...], render: dict[str, Callable[[], bytes]]
) -> list[Path]:
    """Render every format (in `render`'s order) before writing any, then write
    DIR/<stem>.<format> for each; returns the paths in the order of `formats`."""
    directory = output_dir(directory)
    rendered = {fmt: render[fmt]() for fmt in sorted(formats, key=list(render).index)}
    paths = []
    for fmt in formats:
        path = directory / f"{stem}.{fmt}"
        write_atomic(path, rendered[fmt])
        paths.append(path)
    return paths
