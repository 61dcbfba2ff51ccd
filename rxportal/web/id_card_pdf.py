"""The printable pharmacy ID card: a CR80-size PDF (85.6 × 54 mm, the size of a bank card),
front and back, with the NCPDP card fields a pharmacy bills with.

`layout_id_card` places every piece of text (pure: testable without reading a PDF);
`render_id_card_pdf` draws that layout with reportlab. All text is 8 pt or larger, in the
PDF base fonts (Helvetica), so it prints crisply and the file stays small.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from reportlab.lib.colors import HexColor, white
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from rxportal.web.selectors import IdCard

CARD_WIDTH = 85.6 * mm
CARD_HEIGHT = 54 * mm
MARGIN = 8.0
MIN_FONT_SIZE = 8.0
REGULAR = "Helvetica"
BOLD = "Helvetica-Bold"
BAND_HEIGHT = 34.0
BRAND = HexColor("#0f3b4a")
INK = HexColor("#1b1f23")
MUTED = HexColor("#4a5560")

FRONT = "front"
BACK = "back"


@dataclass(frozen=True)
class CardText:
    side: str  # FRONT or BACK
    x: float  # points from the card's left edge
    y: float  # baseline, points from the card's bottom edge
    text: str
    font: str = REGULAR
    size: float = MIN_FONT_SIZE
    on_band: bool = False  # white text on the brand band

    @property
    def width(self) -> float:
        return stringWidth(self.text, self.font, self.size)


def _fit(text: str, *, font: str, size: float, width: float) -> tuple[str, float]:
    """Shrink to fit `width`, never below 8 pt; past that, cut the text with an ellipsis."""
    while size > MIN_FONT_SIZE and stringWidth(text, font, size) > width:
        size = max(MIN_FONT_SIZE, size - 0.5)
    if stringWidth(text, font, size) <= width:
        return text, size
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…", size


def _field(
    side: str, x: float, y: float, label: str, value: str, *, width: float
) -> list[CardText]:
    """A label in small muted type, then its value in bold, on one baseline."""
    label_text = CardText(side, x, y, label, REGULAR, MIN_FONT_SIZE)
    value_x = x + label_text.width + 4
    value, size = _fit(value, font=BOLD, size=10, width=width - (value_x - x))
    return [label_text, CardText(side, value_x, y, value, BOLD, size)]


def layout_id_card(card: IdCard) -> list[CardText]:
    """Every piece of text on the card, front then back. NCPDP labels (Name, ID, Person code,
    RxBIN, RxPCN, RxGrp) stay in English on every card: pharmacies look for them."""
    inner = CARD_WIDTH - 2 * MARGIN
    top = CARD_HEIGHT
    texts: list[CardText] = []

    plan_name, plan_size = _fit(card.plan_name, font=BOLD, size=10, width=inner)
    texts.append(CardText(FRONT, MARGIN, top - 14, plan_name, BOLD, plan_size, on_band=True))
    issuer, issuer_size = _fit(
        _("Issued by %(issuer)s") % {"issuer": card.issuer}, font=REGULAR, size=8, width=inner
    )
    texts.append(CardText(FRONT, MARGIN, top - 27, issuer, REGULAR, issuer_size, on_band=True))

    texts += _field(FRONT, MARGIN, top - 50, "Name", card.name, width=inner)
    half = inner / 2
    texts += _field(FRONT, MARGIN, top - 65, "ID", card.member_id, width=half + 14)
    texts += _field(
        FRONT, MARGIN + half + 18, top - 65, "Person code", card.person_code, width=half - 18
    )
    texts += _field(FRONT, MARGIN, top - 84, "RxBIN", card.rx_bin, width=half)
    texts += _field(FRONT, MARGIN, top - 98, "RxPCN", card.rx_pcn, width=half)
    texts += _field(FRONT, MARGIN, top - 112, "RxGrp", card.rx_group, width=half)
    texts.append(
        CardText(
            FRONT,
            MARGIN + half + 18,
            top - 84,
            _("Pharmacy benefit"),
            BOLD,
            MIN_FONT_SIZE,
        )
    )
    coverage = _("Covered from %(date)s") % {
        "date": date_format(card.coverage_start, "SHORT_DATE_FORMAT")
    }
    coverage, coverage_size = _fit(coverage, font=REGULAR, size=8, width=half - 18)
    texts.append(CardText(FRONT, MARGIN + half + 18, top - 98, coverage, REGULAR, coverage_size))
    texts.append(CardText(FRONT, MARGIN, 8, _("Show this card at the pharmacy."), REGULAR, 8))

    back_lines = [
        (_("Member services (help desk)"), card.member_services_phone),
        (_("Pharmacist help desk"), card.pharmacist_phone),
        (_("TTY"), card.tty),
    ]
    y = top - 16
    for label, value in back_lines:
        texts += _field(BACK, MARGIN, y, label, value, width=inner)
        y -= 14
    y -= 4
    notes = [
        _("Pharmacists: bill RxBIN %(bin)s, RxPCN %(pcn)s, RxGrp %(group)s.")
        % {"bin": card.rx_bin, "pcn": card.rx_pcn, "group": card.rx_group},
        _("This card does not prove coverage. In an emergency, call 911."),
    ]
    for note in notes:
        for line in simpleSplit(note, REGULAR, MIN_FONT_SIZE, inner):
            texts.append(CardText(BACK, MARGIN, y, line, REGULAR, MIN_FONT_SIZE))
            y -= 10
    footer, footer_size = _fit(card.plan_name, font=REGULAR, size=8, width=inner)
    texts.append(CardText(BACK, MARGIN, 8, footer, REGULAR, footer_size))
    return texts


def render_id_card_pdf(card: IdCard, *, page_compression: int = 1) -> bytes:
    """The card as a two-page PDF, each page exactly card-sized (print at actual size)."""
    buffer = io.BytesIO()
    canvas = Canvas(
        buffer,
        pagesize=(CARD_WIDTH, CARD_HEIGHT),
        pageCompression=page_compression,
        invariant=1,
    )
    canvas.setTitle(_("Pharmacy ID card"))
    canvas.setAuthor("rxportal")
    layout = layout_id_card(card)
    for side in (FRONT, BACK):
        _draw_card_outline(canvas, with_band=side == FRONT)
        for text in layout:
            if text.side != side:
                continue
            canvas.setFillColor(white if text.on_band else INK)
            canvas.setFont(text.font, text.size)
            canvas.drawString(text.x, text.y, text.text)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _draw_card_outline(canvas: Canvas, *, with_band: bool) -> None:
    canvas.setStrokeColor(MUTED)
    canvas.setLineWidth(0.5)
    canvas.roundRect(0.5, 0.5, CARD_WIDTH - 1, CARD_HEIGHT - 1, radius=3 * mm, stroke=1, fill=0)
    if with_band:
        canvas.setFillColor(BRAND)
        canvas.rect(
            0.5, CARD_HEIGHT - BAND_HEIGHT, CARD_WIDTH - 1, BAND_HEIGHT - 0.5, stroke=0, fill=1
        )
