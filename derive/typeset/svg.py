"""A network diagram as an SVG file of its own: the image an LMS question shows (Moodle's HTML
cleaning drops inline SVG, so the sheet's inline diagram cannot go there as it is).

Drawn by the sheet's own macro (derive/templates/diagram.svg.j2), so a file and a sheet show the
same diagram; the file adds the SVG namespace and a generic font after the sheet's fonts.
"""

from __future__ import annotations

from derive.sheets.diagram import Diagram
from derive.typeset.html import environment

DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


class DiagramFiles:
    """Renders diagrams to SVG files; holds its Jinja2 environment (a cache of pure
    functions: a file depends on its diagram and label alone)."""

    def __init__(self) -> None:
        templates = environment()
        self._draw = templates.get_template("diagram.svg.j2").module.diagram

    def svg(self, diagram: Diagram, label: str) -> bytes:
        """The standalone SVG file: `<svg xmlns=…>`, `label` its accessible name."""
        drawn = self._draw(diagram, label, standalone=True)
        return (DECLARATION + str(drawn) + "\n").encode("utf-8")
