"""Document → one self-contained HTML file (inline CSS, fonts and SVG; no network fetches)."""

from __future__ import annotations

import re
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import jinja2
from markupsafe import Markup, escape

from derive.sheets.document import (
    Chart,
    Document,
    Publication,
    charts,
    document_strings,
    formulas,
)
from derive.typeset.charts import ChartDrawer
from derive.typeset.fonts import linked_css, math_css, words_css
from derive.typeset.mathsvg import MathTypesetter, Typeset, characters
from derive.workers import FONTS, Answer, Workers

Formulas = dict[tuple[str, bool], Typeset]


def templates_dir() -> Path:
    """derive/templates, beside the fonts and the locales (in a checkout and installed)."""
    return Path(str(resources.files("derive").joinpath("templates")))


KEEP_WORDS = ("ko",)  # languages whose lines break only between words, as a reader expects
# where a line may break inside a word of a KEEP_WORDS language: between Hangul or CJK
# syllables, after a hyphen or a dash (a number, a symbol or a Latin word breaks nowhere)
BREAKS_INSIDE = re.compile("[-\u2010-\u2014\u1100-\u11ff\u3130-\u318f\u4e00-\u9fff\uac00-\ud7af]")


def keep_words(text: str, lang: str) -> Markup:
    """Text whose words never break inside: each in a no-wrap span. Without it a Korean line
    breaks between any two syllables (손실/이), and WeasyPrint has no word-break: keep-all;
    a word that cannot break (a number in a table, a symbol) stays bare, its span would only
    cost WeasyPrint a box (twice the time of a long Korean table).
    In every language a name with a slash (∂C/∂w₅) and an option with its value (--carry exact,
    joined by a no-break space) are one word, not broken after the slash or a hyphen."""
    keep = lang in KEEP_WORDS

    def word(w: str) -> Markup:
        whole = "/" in w or w.startswith("--") or (keep and BREAKS_INSIDE.search(w) is not None)
        return Markup('<span class="w">{}</span>').format(w) if whole else escape(w)

    return Markup(" ").join(word(w) for w in text.split(" "))


def environment() -> jinja2.Environment:
    """derive's templates, autoescaped: every text from a spec is text, never markup."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


class HtmlRenderer:
    """Renders documents to HTML. Its state (the Jinja2 environment, the formula cache) is a
    cache of pure functions: a page depends on its document alone, never on what this renderer
    rendered before, so one renderer can serve every sheet of a run."""

    def __init__(self, workers: Workers | None = None) -> None:
        self.workers = workers or Workers()
        self.math = MathTypesetter(self.workers)
        self.charts = ChartDrawer(self.workers)
        self.environment = environment()
        self.environment.filters["words"] = keep_words
        self.css = Markup((templates_dir() / "sheet.css").read_text("utf-8"))

    def formulas(self, document: Document) -> Formulas:
        """Every formula of the document, typeset: the slow part, done once per document."""
        return self.math.document(formulas(document))

    def complete(self, typeset: Formulas, document: Document) -> Formulas:
        """`typeset`, with the document's formulas it lacks typeset and added."""
        typeset.update(self.math.document([f for f in formulas(document) if f not in typeset]))
        return typeset

    def render(
        self,
        document: Document,
        fonts: str,
        typeset: Formulas,
        css: str | None = None,
        images: bool = False,
    ) -> str:
        """The finished page; `fonts` is its @font-face CSS, `typeset` its formulas (inline
        SVG, or with `images` <img> elements, as WeasyPrint draws them faster), `css` the rest
        of its stylesheet (the sheet's own by default)."""

        def formula(tex: str, display: bool) -> Markup:
            found = typeset[(tex, display)]
            return Markup(found.image if images else found.svg)

        def chart(block: Chart) -> Markup:
            return Markup(self.charts.svg(block))

        self.charts.start(charts(document))

        template = self.environment.get_template("sheet.html.j2")
        return template.render(
            doc=document,
            css=self.css if css is None else Markup(css),
            fonts=Markup(fonts),
            formula=formula,
            chart=chart,
        )

    def word_fonts(self, text: str) -> Answer[str]:
        """Start cutting the words' fonts down to `text` (words_css) on the fonts' worker, at
        low priority; the Answer is the @font-face CSS. The worker is sent the characters
        alone (all the cut depends on): an exercise set's text is megabytes."""
        return self.workers.submit(FONTS, words_css, "".join(sorted(set(text))))

    def html(self, document: Document, typeset: Formulas, words_css: str) -> str:
        """The HTML file: fonts inlined and cut down to what the page uses (`words_css` for its
        words, derive.typeset.fonts.words_css, may be cut in another process)."""
        fonts = words_css + "\n" + math_css(characters(typeset))
        return self.render(document, fonts, typeset)

    def pdf_request(self, document: Document, typeset: Formulas) -> tuple[str, str]:
        """What a PDF helper renders: the same page for WeasyPrint, its stylesheet apart (each
        helper parses it once) with fonts linked by file (it embeds what is used)."""
        html = self.render(document, "", typeset, css="", images=True)
        return html, linked_css() + "\n" + str(self.css)


class HtmlFile:
    """The HTML format: one self-contained file, its fonts cut down to what it prints (on the
    fonts' worker, started as soon as the characters are known)."""

    starts = 1  # after the PDF, whose worker takes longer

    def __init__(self, renderer: HtmlRenderer, publication: Publication) -> None:
        self.renderer = renderer
        known = publication.characters
        self._fonts = None if known is None else renderer.word_fonts(known)

    def start(self, document: Document, typeset: Formulas) -> Callable[[], bytes]:
        fonts = self._fonts
        if fonts is None:
            fonts = self.renderer.word_fonts("".join(document_strings(document)))
        self.renderer.complete(typeset, document)
        return lambda: self.renderer.html(document, typeset, fonts()).encode("utf-8")
