"""Typesetting: documents to HTML (Jinja2, math as SVG, fonts) and PDF (WeasyPrint)."""
