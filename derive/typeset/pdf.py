"""HTML → PDF with WeasyPrint, byte-identical for the same HTML."""

from __future__ import annotations

import os


def prepare_pdf() -> None:
    """Import WeasyPrint (half a second) ahead, e.g. while waiting for something else."""
    import weasyprint  # noqa: F401


def render_pdf(html: str) -> bytes:
    # Without Debian's libharfbuzz-subset0 WeasyPrint subsets fonts with fontTools, which stamps
    # the current time into them unless SOURCE_DATE_EPOCH is set. No metadata date, no
    # attachments, no pdf/x-4 (each adds a timestamp or a random id).
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = "0"
    try:
        from weasyprint import HTML

        return HTML(string=html).write_pdf()
    finally:
        if previous is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous
