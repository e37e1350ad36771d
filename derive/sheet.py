"""Worked-solution sheets: spec → verified solution → document → HTML and PDF.

`Sheet(spec)` is also the notebook API: it shows itself in Jupyter.
"""

from __future__ import annotations

import functools
import html as html_escape
from pathlib import Path

from derive.derivation import derive
from derive.document import LANGUAGES, Document, build_document
from derive.files import output_dir, write_atomic
from derive.html import render_html
from derive.pdf import render_pdf
from derive.solution import Solution, solve
from derive.spec import Spec, load_spec

FORMATS = ("html", "pdf")
CARRIES = ("exact", "rounded")


class Sheet:
    """One worked solution in one language, at a given precision and carry mode."""

    def __init__(
        self,
        spec: Spec | str | Path | None = None,
        lang: str = "en",
        precision: int = 3,
        carry: str = "exact",
    ) -> None:
        if lang not in LANGUAGES:
            raise ValueError(f"lang must be one of {LANGUAGES}")
        if carry not in CARRIES:
            raise ValueError(f"carry must be one of {CARRIES}")
        if not 1 <= precision <= 12:
            raise ValueError("precision must be between 1 and 12 decimals")
        self.spec = spec if isinstance(spec, Spec) else load_spec(spec)
        self.lang, self.precision, self.carry = lang, precision, carry

    @functools.cached_property
    def solution(self) -> Solution:
        return solve(self.spec)

    @functools.cached_property
    def document(self) -> Document:
        exact = self.solution.derivation
        shown = exact if self.carry == "exact" else derive(exact.network, self.precision)
        return build_document(self.solution, shown, self.lang, self.precision, self.carry)

    @functools.cached_property
    def html(self) -> str:
        return render_html(self.document)

    @functools.cached_property
    def pdf(self) -> bytes:
        return render_pdf(self.html)

    def write(self, directory: str | Path, formats: tuple[str, ...] = FORMATS) -> list[Path]:
        """Write DIR/<name>.<lang>.<format> for each format; returns the paths."""
        directory = output_dir(Path(directory))
        stem = f"{self.spec.name}.{self.lang}"
        contents = {"html": lambda: self.html.encode("utf-8"), "pdf": lambda: self.pdf}
        rendered = {fmt: contents[fmt]() for fmt in formats}  # render all before writing any
        paths = []
        for fmt, data in rendered.items():
            path = directory / f"{stem}.{fmt}"
            write_atomic(path, data)
            paths.append(path)
        return paths

    def _repr_html_(self) -> str:
        # an iframe keeps the sheet's page styles out of the notebook's own
        return (
            f'<iframe srcdoc="{html_escape.escape(self.html, quote=True)}" '
            'style="width:100%;height:900px;border:1px solid #ccc"></iframe>'
        )
