"""Document → one self-contained HTML file (inline CSS, fonts and SVG; no network fetches)."""

from __future__ import annotations

import functools
from pathlib import Path

import jinja2
from markupsafe import Markup

from derive.sheets.document import Document
from derive.typeset import mathsvg


def templates_dir() -> Path:
    """templates/ inside the package when installed from a wheel (pyproject's force-include
    packs the repository's templates/ there), or beside it in a checkout."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "templates", package.parent / "templates"):
        if (candidate / "sheet.html.j2").is_file():
            return candidate
    raise FileNotFoundError("derive's templates are missing from this installation")


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["math"] = lambda tex, display=True: Markup(mathsvg.svg(tex, display))
    return env


def render_html(document: Document, fonts: str) -> str:
    """The finished page; `fonts` is its @font-face CSS (derive.typeset.fonts.font_css)."""
    css = (templates_dir() / "sheet.css").read_text("utf-8")
    template = _environment().get_template("sheet.html.j2")
    return template.render(doc=document, css=Markup(css), fonts=Markup(fonts))


def typeset(document: Document) -> None:
    """Typeset every formula ahead (they are cached), e.g. while something else runs."""
    render_html(document, "")
