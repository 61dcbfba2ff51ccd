"""The portal's PDF documents (US Letter, reportlab): one page set-up and page footer for the
members' claims statement and the sponsors' drug-trend report, so both carry the same metadata
(title, author, language) and the same repeatable output for tests."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from django.utils import translation
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import SimpleDocTemplate

AUTHOR = "rxportal"
FOOTER_SIZE = 8  # points: nothing in a portal PDF is smaller


def render_letter_pdf(
    story: list[Any],
    *,
    title: str,
    subject: str,
    margin: float,
    footer: Callable[[int], str],
    compress: bool = True,
) -> bytes:
    """``story`` laid out on US Letter with ``footer(page number)`` at the foot of every page.
    ``compress=False`` (tests) leaves the text streams readable and the bytes repeatable."""
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=LETTER,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=margin + 0.2 * inch,
        title=title,
        author=AUTHOR,
        creator=AUTHOR,
        subject=subject,
        lang=translation.get_language() or "en",
        pageCompression=1 if compress else 0,
        invariant=0 if compress else 1,
    )

    def draw_footer(canvas: Canvas, document: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", FOOTER_SIZE)
        canvas.drawString(margin, margin, footer(document.page))
        canvas.restoreState()

    document.build(story, onFirstPage=draw_footer, onLaterPages=draw_footer)
    return buffer.getvalue()
