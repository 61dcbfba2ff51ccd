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


LABEL_SIZE = MIN_FONT_SIZE
VALUE_SIZE = 10.0
ROW_HEIGHT = 21.0  # a label over its value
COLUMN_GAP = 10.0


def _largest_size(text: str, *, font: str, width: float, size: float = VALUE_SIZE) -> float:
    """The largest size from ``size`` down to 8 pt at which ``text`` fits ``width``; 8 pt when
    none does (the layout gives every value the width it needs, so that does not happen)."""
    while size > MIN_FONT_SIZE and stringWidth(text, font, size) > width:
        size = max(MIN_FONT_SIZE, size - 0.5)
    return size


def _need(label: str, value: str) -> float:
    """The narrowest column that holds a label over its value, both at 8 pt."""
    return max(stringWidth(label, REGULAR, LABEL_SIZE), stringWidth(value, BOLD, MIN_FONT_SIZE))


def _stacked(
    side: str, x: float, top: float, label: str, value: str, *, width: float, shorten: bool = False
) -> list[CardText]:
    """A label in small type over its value in bold. A value is drawn whole: only a name
    (``shorten``) may be shortened with an ellipsis."""
    label_size = _largest_size(label, font=REGULAR, width=width, size=LABEL_SIZE)
    if shorten:
        value, size = _fit(value, font=BOLD, size=VALUE_SIZE, width=width)
    else:
        size = _largest_size(value, font=BOLD, width=width)
    return [
        CardText(side, x, top - 8, label, REGULAR, label_size),
        CardText(side, x, top - 18.5, value, BOLD, size),
    ]


def _row(
    side: str, top: float, left: tuple[str, str], right: tuple[str, str], *, inner: float
) -> tuple[list[CardText], float]:
    """Two fields side by side, each column as wide as its field needs (at least half the card
    when it can be), or one under the other when both cannot fit. Returns the texts and the
    height used."""
    need_left, need_right = _need(*left), _need(*right)
    if need_left + COLUMN_GAP + need_right > inner:
        texts = _stacked(side, MARGIN, top, *left, width=inner)
        texts += _stacked(side, MARGIN, top - ROW_HEIGHT, *right, width=inner)
        return texts, 2 * ROW_HEIGHT
    left_width = max(need_left, min((inner - COLUMN_GAP) / 2, inner - COLUMN_GAP - need_right))
    right_x = MARGIN + left_width + COLUMN_GAP
    texts = _stacked(side, MARGIN, top, *left, width=left_width)
    texts += _stacked(side, right_x, top, *right, width=inner - left_width - COLUMN_GAP)
    return texts, ROW_HEIGHT


def _line(side: str, x: float, y: float, label: str, value: str, *, width: float) -> list[CardText]:
    """A label, then its value in bold on the same baseline; the value whole (it shrinks to
    8 pt at most, and moves under its label when it still does not fit)."""
    label_text = CardText(side, x, y, label, REGULAR, LABEL_SIZE)
    value_x = x + label_text.width + 4
    size = _largest_size(value, font=BOLD, width=width - (value_x - x))
    if stringWidth(value, BOLD, size) > width - (value_x - x):
        return [label_text, CardText(side, x, y - 10, value, BOLD, MIN_FONT_SIZE)]
    return [label_text, CardText(side, value_x, y, value, BOLD, size)]


def _wrap(text: str, *, keep_with_label: tuple[str, ...], width: float) -> list[str]:
    """Lines of at most ``width`` at 8 pt, broken between words only, and never between a
    label and the value after it (each of ``keep_with_label`` stays with the word before)."""
    tokens: list[str] = []
    for word in text.split(" "):
        if tokens and word.rstrip(".,;:") in keep_with_label:
            tokens[-1] += " " + word
        else:
            tokens.append(word)
    lines: list[str] = []
    line = ""
    for token in tokens:
        candidate = f"{line} {token}" if line else token
        if line and stringWidth(candidate, REGULAR, MIN_FONT_SIZE) > width:
            lines.append(line)
            line = token
        else:
            line = candidate
    if line:
        lines.append(line)
    return lines


def layout_id_card(card: IdCard) -> list[CardText]:
    """Every piece of text on the card, front then back. The NCPDP abbreviations (ID, RxBIN,
    RxPCN, RxGrp) read the same in every language; "Name" and "Person code" are said in the
    card's language. Every number and the coverage date are drawn whole, never shortened or
    broken across lines, at 8 pt or more, however long the Spanish labels are."""
    inner = CARD_WIDTH - 2 * MARGIN
    top = CARD_HEIGHT
    texts: list[CardText] = []

    plan_name, plan_size = _fit(card.plan_name, font=BOLD, size=10, width=inner)
    texts.append(CardText(FRONT, MARGIN, top - 14, plan_name, BOLD, plan_size, on_band=True))
    issuer, issuer_size = _fit(
        _("Issued by %(issuer)s") % {"issuer": card.issuer}, font=REGULAR, size=8, width=inner
    )
    texts.append(CardText(FRONT, MARGIN, top - 27, issuer, REGULAR, issuer_size, on_band=True))

    row_top = top - BAND_HEIGHT - 2
    texts += _stacked(FRONT, MARGIN, row_top, _("Name"), card.name, width=inner, shorten=True)
    row_top -= ROW_HEIGHT
    covered = str(date_format(card.coverage_start, "SHORT_DATE_FORMAT"))
    for left, right in (
        (("ID", card.member_id), (_("Person code"), card.person_code)),
        (("RxBIN", card.rx_bin), ("RxPCN", card.rx_pcn)),
        (("RxGrp", card.rx_group), (_("Covered from"), covered)),
    ):
        row, height = _row(FRONT, row_top, left, right, inner=inner)
        texts += row
        row_top -= height
    benefit, benefit_size = _fit(_("Pharmacy benefit"), font=BOLD, size=8, width=inner)
    texts.append(CardText(FRONT, MARGIN, 20, benefit, BOLD, benefit_size))
    show, show_size = _fit(_("Show this card at the pharmacy."), font=REGULAR, size=8, width=inner)
    texts.append(CardText(FRONT, MARGIN, 8, show, REGULAR, show_size))

    back_lines = [
        (_("Member services (help desk)"), card.member_services_phone),
        (_("Pharmacist help desk"), card.pharmacist_phone),
        (_("TTY"), card.tty),
    ]
    y = top - 16
    for label, value in back_lines:
        line = _line(BACK, MARGIN, y, label, value, width=inner)
        texts += line
        y = min(text.y for text in line) - 14
    y -= 4
    notes = [
        (
            _("Pharmacists: bill RxBIN %(bin)s, RxPCN %(pcn)s, RxGrp %(group)s.")
            % {"bin": card.rx_bin, "pcn": card.rx_pcn, "group": card.rx_group}
        ),
        _("This card does not prove coverage. In an emergency, call 911."),
    ]
    values = (card.rx_bin, card.rx_pcn, card.rx_group)
    for note in notes:
        for line_text in _wrap(note, keep_with_label=values, width=inner):
            texts.append(CardText(BACK, MARGIN, y, line_text, REGULAR, MIN_FONT_SIZE))
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
