"""The 客户资料卡 as a PDF: one A6 card (105 × 148 mm, a quarter of A4) per page, in the plan's
order, so a rep takes just the day's cards and hands them back after.

reportlab is imported here only, when ``kehu visits cards`` runs (tests/test_startup.py keeps
it out of every other command). Chinese text is set in reportlab's built-in CID font
STSong-Light (Adobe's Song, rendered by every PDF reader; no font file to ship or find), with
CJK line breaking. A card that would run past its page is shrunk to fit, so the page count is
always the number of visits.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from ..i18n import _

if TYPE_CHECKING:
    from .cards import Card

FONT = "STSong-Light"


def render(cards: list[Card], *, title: str | None = None) -> bytes:
    """The PDF of ``cards`` (an empty plan gives one page saying so)."""
    title = title or _("Customer cards")
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A6
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import HRFlowable, KeepInFrame, PageBreak, Paragraph, SimpleDocTemplate, Spacer

    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    base = ParagraphStyle("card", fontName=FONT, fontSize=7.5, leading=9.5, wordWrap="CJK")
    small = ParagraphStyle("small", parent=base, fontSize=6.5, leading=8, textColor=colors.grey)
    name = ParagraphStyle("name", parent=base, fontSize=15, leading=18)
    heading = ParagraphStyle("heading", parent=base, fontSize=8, leading=10, spaceBefore=3,
                             textColor=colors.HexColor("#8B0000"))
    reason = ParagraphStyle("reason", parent=base, textColor=colors.HexColor("#1F4E79"))
    line = ParagraphStyle("line", parent=base, leftIndent=6)

    margin = 6 * mm
    width, height = A6[0] - 2 * margin, A6[1] - 2 * margin
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A6, leftMargin=margin, rightMargin=margin, topMargin=margin,
                            bottomMargin=margin, title=title, author="kehu", subject=_("Customer cards"))
    story: list[object] = []
    for n, card in enumerate(cards):
        flow: list[object] = [
            Paragraph(escape(_("Customer card  No. {number}  {day}  {id}").format(
                number=card.number, day=card.day, id=card.customer_id)), small),
            Paragraph(escape(card.name), name),
        ]
        if card.subtitle:
            flow.append(Paragraph(escape(card.subtitle), small))
        flow.append(HRFlowable(width="100%", thickness=0.5, color=colors.grey, spaceBefore=2, spaceAfter=2))
        flow += [Paragraph(escape(r), reason) for r in card.reasons]
        for title_text, lines in card.sections:
            flow.append(Paragraph(escape(title_text), heading))
            flow += [Paragraph(escape(text), line) for text in lines]
        flow.append(Spacer(1, 2 * mm))
        flow.append(Paragraph(escape(_("Outcome:")) + " ______________________________", base))
        story.append(KeepInFrame(width, height, flow, mode="shrink"))
        if n < len(cards) - 1:
            story.append(PageBreak())
    if not cards:
        story.append(Paragraph(escape(_("{title}: no visits today").format(title=title)), base))
    doc.build(story)
    return buffer.getvalue()
