"""The deck (reports.md): the slides of committee mode as PPTX and PDF files.

The slides come as data from ``slcore.slides`` (already under the small-number rule); this
module only draws them, the same way in both formats:

- PPTX: 16:9 (13.333 × 7.5 in), a title slide and one slide per ``Slide``; every chart is a
  native, editable PowerPoint chart (its data sheet holds the values, kroner in millions), a
  table is a native table, and the notes page says the slide's figures in words, the chart's
  values as ``Kategori: værdi`` lines.
- PDF: 16:9 pages (338.67 × 190.5 mm), selectable text in DejaVu Sans (Danish letters), the
  charts drawn as vector graphics with fpdf2's primitives.

A value the rule hides (None in a chart) is never drawn as 0: a bar is left out and marked
``..``, a line has a gap, and the slide carries the footnote ``HIDDEN_NOTE``. Both formats
share one layout (``_layout``), computed in inches, so a slide looks the same in both.
"""

from __future__ import annotations

import functools
import io
import itertools
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pandas as pd
from fpdf import FPDF, FontFace
from fpdf.enums import XPos, YPos
from PIL import Image, UnidentifiedImageError
from pptx import Presentation
from pptx.chart.chart import Chart as PptxChart
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import (
    XL_CHART_TYPE,
    XL_LABEL_POSITION,
    XL_LEGEND_POSITION,
    XL_MARKER_STYLE,
    XL_TICK_LABEL_POSITION,
)
from pptx.enum.dml import MSO_LINE_DASH_STYLE
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.shapes.shapetree import SlideShapes
from pptx.slide import Slide as PptxSlide
from pptx.text.text import TextFrame
from pptx.util import Emu, Pt

from slcore import charts, fmt, labels, settings, slides
from slcore.periods import Period
from slcore.store import Store

TITLE = "Serviceniveau for udsatte børn og unge"
HIDDEN_NOTE = "Udeladt efter reglen om små tal"
HIDDEN_MARK = ".."  # a chart value the rule hides, in labels and notes
# The settings key of the logo (base64 PNG), once settings has it.
LOGO_KEY = "logo"
FORMATS = ("pdf", "pptx")

FONT_DIR = Path(os.environ.get("SLCORE_FONT_DIR", "/usr/share/fonts/truetype/dejavu"))
FONT_REGULAR = FONT_DIR / "DejaVuSans.ttf"
FONT_BOLD = FONT_DIR / "DejaVuSans-Bold.ttf"
FONT = "DejaVu"

# The page, in inches: PowerPoint's 16:9 (12,192,000 × 6,858,000 EMU).
SLIDE_W = 13.333
SLIDE_H = 7.5
EMU_W, EMU_H = 12_192_000, 6_858_000
MM_PER_IN = 25.4
PAGE_W_MM = 338.67
PAGE_H_MM = 190.5
MARGIN = 0.5
TITLE_BAR_H = 1.0
ACCENT_H = 0.08
FOOTER_Y = 6.95
BODY = (MARGIN, 1.3, SLIDE_W - 2 * MARGIN, 6.6 - 1.3)  # x, y, w, h
FOOTNOTE_Y = 6.6

# Type sizes in points: large enough to read projected at the back of a meeting room.
TITLE_PT = 30
HEADLINE_PT = 44
HEADLINE_LABEL_PT = 18
CHART_PT = 16
CHART_TITLE_PT = 18
LABEL_PT = 14
TEXT_PT = 20
MIN_PT = 14
FOOTER_PT = 14
GREY = "#555555"
LIGHT = "#f2f2f2"
WHITE = "#ffffff"

# --- shared: colours, values, layout ------------------------------------------------------

_STEP_COLORS = {name: charts.LADDER_COLORS[s] for s, name in labels.LADDER_STEPS.items()}
_STEP_COLORS[labels.NO_STEP] = charts.LADDER_COLORS[0]
_SERIES_COLORS = {
    "Forbrug indtil nu": charts.REALIZED_COLOR,
    "Budget": charts.BUDGET_COLOR,
    "I år": charts.REALIZED_COLOR,
    "Samme dage sidste år": charts.LAST_YEAR_COLOR,
    "Inden for rammen": charts.STATUS_COLORS["within_frame"],
    "Median varighed (dage)": charts.REALIZED_COLOR,
    **_STEP_COLORS,
}
# Projected spend is dashed in a line chart (as the app draws it).
DASHED = frozenset({"Forventet forbrug"})
_NUMBER_FORMAT = {"kr": "#,##0.0", "share": "0 %", "count": "#,##0", "days": "#,##0"}
_AXIS_TITLE = {"kr": "mio. kr.", "share": "", "count": "antal", "days": "dage"}
_MISSING_TEXT = frozenset({"nan", "NaN", "None", "NaT", "<NA>", ""})


def series_colors(chart: slides.Chart, primary: str, accent: str) -> list[str]:
    """Return one distinct colour per series: the app's colour for a known series."""
    fallback = [primary, accent, *charts.TYPE_COLORS.values()]
    used: list[str] = []
    for name in chart.series:
        color = accent if name == "Forventet forbrug" else _SERIES_COLORS.get(name, "")
        if not color or color.lower() in used:
            color = next(c for c in fallback if c.lower() not in used)
        used.append(color.lower())
    return used


def point_colors(chart: slides.Chart) -> list[str] | None:
    """Return a colour per bar of a single money series with both signs (red up, green down)."""
    if len(chart.series) != 1 or chart.unit != "kr" or chart.kind not in ("bar", "hbar"):
        return None
    values = next(iter(chart.series.values()))
    if not any(v is not None and v < 0 for v in values):
        return None
    return [charts.OVER_COLOR if (v or 0) >= 0 else charts.UNDER_COLOR for v in values]


def scaled(value: float | None, unit: slides.Unit) -> float | None:
    """Return a chart value as the chart shows it: kroner in millions."""
    if value is None:
        return None
    return value / 1e6 if unit == "kr" else value


def value_text(value: float | None, unit: slides.Unit) -> str:
    """Return a chart value in Danish for the notes (``..`` when hidden)."""
    if value is None:
        return HIDDEN_MARK
    if unit == "kr":
        return fmt.mio_kr(value)
    if unit == "share":
        return fmt.pct(value, 1)
    if unit == "days":
        return f"{fmt.number(value)} dage"
    return fmt.number(value)


def label_text(value: float | None, unit: slides.Unit) -> str:
    """Return a chart value as a short label on a bar (kroner in millions)."""
    if value is None:
        return HIDDEN_MARK
    if unit == "kr":
        return fmt.number(value / 1e6, 1)
    if unit == "share":
        return fmt.pct(value, 0)
    return fmt.number(value)


def has_hidden(chart: slides.Chart | None) -> bool:
    """Return whether a chart leaves out a value."""
    return chart is not None and any(v is None for s in chart.series.values() for v in s)


def cell_text(value: object) -> str:
    """Return a table cell as text; an empty cell as a dash."""
    text = str(value).strip()
    return "–" if text in _MISSING_TEXT else text


def notes_text(slide: slides.Slide) -> str:
    """Return the notes of a slide: its notes, headline figures and the chart's values."""
    parts = [slide.notes] if slide.notes else []
    if slide.headline:
        parts.append("\n".join(f"{label}: {value}" for label, value in slide.headline))
    chart = slide.chart
    if chart is not None:
        lines = [f"{chart.title}:"]
        many = len(chart.series) > 1
        for name, values in chart.series.items():
            if many:
                lines.append(f"{name}:")
            lines += [
                f"{cat}: {value_text(v, chart.unit)}"
                for cat, v in zip(chart.categories, values, strict=True)
            ]
        if has_hidden(chart):
            lines.append(f"{HIDDEN_MARK}: {HIDDEN_NOTE.lower()}.")
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def _is_numberlike(text: str) -> bool:
    core = text.replace("mio. kr.", "").replace("kr.", "").replace("dage", "").strip()
    return bool(core) and all(c in "0123456789.,-–+<% " for c in core)


def table_rows(table: pd.DataFrame) -> tuple[list[str], list[list[str]], list[bool]]:
    """Return a table's header, its cells as text and which columns are right-aligned."""
    header = [str(c) for c in table.columns]
    rows = [[cell_text(v) for v in row] for row in table.itertuples(index=False)]
    right = [
        j > 0 and bool(rows) and all(_is_numberlike(r[j]) or r[j] == "–" for r in rows)
        for j in range(len(header))
    ]
    return header, rows, right


@dataclass(frozen=True)
class Box:
    """A rectangle on the slide, in inches from the top left corner."""

    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True)
class Layout:
    """Where a slide's parts go, and their type sizes."""

    headline: Box | None
    # "row": the figures side by side; "stack": one a line, the label left of the figure.
    headline_mode: str
    headline_pt: int
    chart: Box | None
    table: Box | None
    table_pt: int
    table_widths: list[float]
    text: Box | None
    text_pt: int
    footnote: Box | None


def check_fonts() -> None:
    """Raise FileNotFoundError (Danish) when DejaVu Sans, which both formats measure, is missing."""
    for font in (FONT_REGULAR, FONT_BOLD):
        if not font.is_file():
            raise FileNotFoundError(
                f"Skrifttypen {font.name} mangler i {FONT_DIR} (Debian: fonts-dejavu-core); "
                "sæt SLCORE_FONT_DIR til en mappe med DejaVu Sans."
            )


@functools.cache
def _measurer() -> FPDF:
    check_fonts()
    m = FPDF(unit="in")
    m.add_font(FONT, "", str(FONT_REGULAR))
    m.add_font(FONT, "B", str(FONT_BOLD))
    return m


@functools.lru_cache(maxsize=4096)
def text_w(text: str, pt: float, bold: bool = False) -> float:
    """Return the width of a line of text in DejaVu Sans, in inches.

    DejaVu Sans is wider than PowerPoint's Calibri, so what fits in the PDF fits in the PPTX.
    """
    m = _measurer()
    m.set_font(FONT, "B" if bold else "", pt)
    return float(m.get_string_width(text))


def _line_h(pt: float) -> float:
    return 1.25 * pt / 72


def wrap_lines(text: str, width: float, pt: float, bold: bool = False) -> int:
    """Return the number of lines a text wraps to in a width (inches), word by word."""
    lines, line = 0, ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if line and text_w(candidate, pt, bold) > width:
            lines, line = lines + 1, word
        else:
            line = candidate
    return lines + 1


def _text_h(paragraphs: Sequence[str], width: float, pt: float) -> float:
    return sum(wrap_lines(p, width, pt) * _line_h(pt) + pt / 72 * 0.5 for p in paragraphs)


CELL_PAD = 0.16  # a table cell's left and right padding together, in inches


def _words_w(text: str, pt: float, bold: bool) -> float:
    return max((text_w(w, pt, bold) for w in text.split()), default=0.0)


def col_widths(
    header: list[str],
    rows: list[list[str]],
    right: list[bool],
    width: float,
    pt: float,
    whole_header_words: bool = True,
) -> list[float] | None:
    """Return column widths (inches) that fit a width at a type size, or None.

    A column gets its longest cell unwrapped if the width allows; otherwise the text columns
    wrap (never inside a word, nor a heading's word unless ``whole_header_words`` is off),
    and numbers never wrap.
    """
    need = _natural_widths(header, rows, pt)
    least = []
    for j, head in enumerate(header):
        head_w = _words_w(head, pt, True) if whole_header_words else 0.0
        words = max([head_w, *(_words_w(r[j], pt, is_total(r)) for r in rows)])
        numbers = max((text_w(r[j], pt, is_total(r)) for r in rows), default=0.0)
        least.append(max(words, numbers if right[j] else 0.0) + CELL_PAD)
    spare = width - sum(need)
    if spare >= 0:
        return [n + spare * n / sum(need) for n in need]
    room = sum(n - m for n, m in zip(need, least, strict=True))
    if room < -spare:
        return None
    return [n - (n - m) * -spare / room for n, m in zip(need, least, strict=True)]


def table_h(header: list[str], rows: list[list[str]], widths: list[float], pt: float) -> float:
    """Return the estimated height (inches) of a table at a type size."""
    height = 0.0
    for i, row in enumerate([header, *rows]):
        lines = max(
            wrap_lines(c, w - CELL_PAD, pt, bold=i == 0 or is_total(row))
            for c, w in zip(row, widths, strict=True)
        )
        height += lines * _line_h(pt) + 0.1
    return height


# Down to 11 pt only for management's long lists (the visitation committee's 15 rows).
TABLE_PTS = (18, 16, 14, 13, 12, 11)


def table_fit(table: pd.DataFrame, box: Box) -> tuple[int, list[float]]:
    """Return the largest type size (and column widths) at which a table fits a box."""
    header, rows, right = table_rows(table)
    for whole in (True, False):
        for pt in TABLE_PTS:
            widths = col_widths(header, rows, right, box.w, pt, whole)
            if widths is not None and table_h(header, rows, widths, pt) <= box.h:
                return pt, widths
    pt = TABLE_PTS[-1]
    widths = col_widths(header, rows, right, box.w, pt) or [box.w / len(header)] * len(header)
    return pt, widths


def is_total(row: list[str]) -> bool:
    """Return whether a table row is the total row (drawn bold)."""
    return bool(row) and row[0] == labels.TOTAL


def _natural_widths(header: list[str], rows: list[list[str]], pt: float) -> list[float]:
    """Return each column's width with no cell wrapped."""
    return [
        max([text_w(h, pt, True), *(text_w(r[j], pt, is_total(r)) for r in rows)]) + CELL_PAD
        for j, h in enumerate(header)
    ]


def _natural_table_w(table: pd.DataFrame, pt: float) -> float:
    header, rows, _ = table_rows(table)
    return sum(_natural_widths(header, rows, pt))


def _text_pt(paragraphs: Sequence[str], box: Box) -> int:
    for pt in (TEXT_PT, 18, 16, MIN_PT):
        if _text_h(paragraphs, box.w, pt) <= box.h:
            return pt
    return MIN_PT


HEADLINE_PTS = (HEADLINE_PT, 40)
HEADLINE_GAP = 0.3  # between figures side by side; the accent bar and padding on the left


def _headline_fit(slide: slides.Slide, width: float) -> tuple[str, int, float]:
    """Return how the headline figures are laid out, their type size and the height."""
    values = [v for _, v in slide.headline]
    label_h = _line_h(HEADLINE_LABEL_PT)
    for pt in HEADLINE_PTS:
        each = width / len(values) - HEADLINE_GAP
        if all(text_w(v, pt, True) <= each for v in values):
            return "row", pt, label_h + _line_h(pt) + 0.1
    label_w = _headline_label_w(slide)
    for pt in HEADLINE_PTS:
        if all(text_w(v, pt, True) <= width - label_w - HEADLINE_GAP for v in values):
            return "stack", pt, len(values) * (_line_h(pt) + 0.05)
    pt = HEADLINE_PTS[-1]
    lines = sum(wrap_lines(v, width - label_w - HEADLINE_GAP, pt, True) for v in values)
    return "stack", pt, lines * _line_h(pt) + len(values) * 0.05


def _headline_label_w(slide: slides.Slide) -> float:
    return max(text_w(label, HEADLINE_LABEL_PT + 2) for label, _ in slide.headline) + 0.5


def _layout(slide: slides.Slide) -> Layout:
    """Return where a slide's headline, chart, table, text and footnote go."""
    x, y, w, h = BODY
    # Without a footnote the body reaches down to the footer.
    bottom = y + h + (0 if has_hidden(slide.chart) else 0.3)
    headline, mode, headline_pt = None, "row", HEADLINE_PT
    if slide.headline:
        mode, headline_pt, hh = _headline_fit(slide, w)
        headline = Box(x, y, w, hh)
        y += hh + 0.2
    text, text_pt = None, TEXT_PT
    has_main = slide.chart is not None or slide.table is not None
    if slide.text:
        if has_main:
            share = min(_text_h(slide.text, w, 18), 0.4 * (bottom - y))
            text = Box(x, bottom - share, w, share)
            bottom = text.y - 0.15
        else:
            text = Box(x, y, w, bottom - y)
        text_pt = _text_pt(slide.text, text)
    chart = table = None
    if slide.chart is not None and slide.table is not None:
        tw = min(0.54 * w, _natural_table_w(slide.table, 16))
        chart = Box(x, y, w - tw - 0.3, bottom - y)
        table = Box(x + w - tw, y, tw, bottom - y)
    elif slide.chart is not None:
        chart = Box(x, y, w, bottom - y)
    elif slide.table is not None:
        table = Box(x, y, w, bottom - y)
    table_pt, widths = (
        table_fit(slide.table, table) if slide.table is not None and table else (14, [])
    )
    footnote = Box(x, FOOTNOTE_Y, w, 0.3) if has_hidden(slide.chart) else None
    return Layout(
        headline, mode, headline_pt, chart, table, table_pt, widths, text, text_pt, footnote
    )


@dataclass(frozen=True)
class Figure:
    """Where one headline figure goes: its accent bar, label and value, and the label's size."""

    bar: Box
    label: Box
    value: Box
    label_pt: int
    centred: bool


def headline_figures(slide: slides.Slide, lay: Layout) -> list[Figure]:
    """Return the places of a slide's headline figures, side by side or one a line."""
    box = lay.headline
    if box is None:
        return []
    n = len(slide.headline)
    label_h = _line_h(HEADLINE_LABEL_PT)
    if lay.headline_mode == "row":
        each = box.w / n
        return [
            Figure(
                Box(box.x + i * each, box.y + 0.05, 0.08, box.h - 0.1),
                Box(box.x + i * each + 0.2, box.y, each - HEADLINE_GAP, label_h),
                Box(box.x + i * each + 0.2, box.y + label_h, each - HEADLINE_GAP, box.h - label_h),
                HEADLINE_LABEL_PT,
                False,
            )
            for i in range(n)
        ]
    label_w, row_h = _headline_label_w(slide), box.h / n
    return [
        Figure(
            Box(box.x, box.y + i * row_h + 0.05, 0.08, row_h - 0.1),
            Box(box.x + 0.2, box.y + i * row_h, label_w - 0.2, row_h),
            Box(box.x + label_w, box.y + i * row_h, box.w - label_w, row_h),
            HEADLINE_LABEL_PT + 2,
            True,
        )
        for i in range(n)
    ]


def title_width(logo: bytes | None) -> float:
    """Return the width (inches) of the title in the title bar, left of the logo's panel."""
    return SLIDE_W - 2 * MARGIN - (LOGO_PANEL_W if logo else 0)


def title_pt(title: str, width: float) -> int:
    """Return the largest type size (30 down to 22) at which a slide title fits one line."""
    return next((pt for pt in range(TITLE_PT, 21, -2) if text_w(title, pt, True) <= width), 22)


def _rgb(color: str) -> tuple[int, int, int]:
    h = color.removeprefix("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def _logo_size(logo: bytes, max_w: float, max_h: float) -> tuple[float, float]:
    """Return the logo's size (inches) fitted into a box, its proportions kept."""
    try:
        with Image.open(io.BytesIO(logo)) as img:
            pw, ph = img.size
    except (UnidentifiedImageError, OSError) as exc:
        raise ValueError("Logoet kan ikke læses som et billede (PNG eller JPEG).") from exc
    scale = min(max_w / pw, max_h / ph)
    return pw * scale, ph * scale


# The logo sits on a white panel at the right of the title bar (a logo in the municipality's
# own colour would vanish on the bar).
LOGO_PANEL_W = 2.2
LOGO_MAX = (1.9, 0.75)


# --- PPTX ---------------------------------------------------------------------------------


def _emu(inches: float) -> Emu:
    return Emu(round(inches * 914400))


def _color(color: str) -> RGBColor:
    r, g, b = _rgb(color)
    return RGBColor(r, g, b)  # type: ignore[no-untyped-call, unused-ignore]


def _rect(shapes: SlideShapes, box: Box, color: str) -> None:
    shape = shapes.add_shape(
        MSO_SHAPE.RECTANGLE, _emu(box.x), _emu(box.y), _emu(box.w), _emu(box.h)
    )
    shape.fill.solid()
    shape.fill.fore_color.rgb = _color(color)
    shape.line.fill.background()
    shape.shadow.inherit = False


def _textbox(
    shapes: SlideShapes,
    box: Box,
    paragraphs: Sequence[str],
    pt: float,
    *,
    bold: bool = False,
    color: str = "#000000",
    align: PP_ALIGN = PP_ALIGN.LEFT,
    anchor: MSO_ANCHOR = MSO_ANCHOR.TOP,
    italic: bool = False,
) -> TextFrame:
    frame = shapes.add_textbox(_emu(box.x), _emu(box.y), _emu(box.w), _emu(box.h)).text_frame
    frame.word_wrap = True
    frame.vertical_anchor = anchor
    for m in ("margin_left", "margin_right"):
        setattr(frame, m, _emu(0.05))
    for i, text in enumerate(paragraphs):
        p = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        p.alignment = align
        if i < len(paragraphs) - 1:
            p.space_after = Pt(pt * 0.5)
        run = p.add_run()
        run.text = text
        run.font.size = Pt(pt)
        run.font.bold = bold
        run.font.italic = italic
        run.font.color.rgb = _color(color)
    return cast(TextFrame, frame)


def _pptx_logo(shapes: SlideShapes, logo: bytes | None, right: float, top: float) -> None:
    if logo is None:
        return
    w, h = _logo_size(logo, *LOGO_MAX)
    shapes.add_picture(
        io.BytesIO(logo), _emu(right - w), _emu(top + (LOGO_MAX[1] - h) / 2), _emu(w), _emu(h)
    )


def _pptx_frame(
    page: PptxSlide, title: str, deck: slides.Deck, logo: bytes | None, colors: tuple[str, str]
) -> None:
    """Draw what every slide has: the title bar, the logo, the name, period and as-of date."""
    primary, accent = colors
    shapes = page.shapes
    _rect(shapes, Box(0, 0, SLIDE_W, TITLE_BAR_H), primary)
    _rect(shapes, Box(0, TITLE_BAR_H, SLIDE_W, ACCENT_H), accent)
    width = title_width(logo)
    _textbox(
        shapes,
        Box(MARGIN, 0.1, width, TITLE_BAR_H - 0.2),
        [title],
        title_pt(title, width - 0.1),
        bold=True,
        color=WHITE,
        anchor=MSO_ANCHOR.MIDDLE,
    )
    if logo:
        _rect(shapes, Box(SLIDE_W - LOGO_PANEL_W, 0, LOGO_PANEL_W, TITLE_BAR_H), WHITE)
        _pptx_logo(shapes, logo, SLIDE_W - 0.15, (TITLE_BAR_H - LOGO_MAX[1]) / 2)
    _rect(shapes, Box(MARGIN, FOOTER_Y, SLIDE_W - 2 * MARGIN, 0.02), accent)
    _textbox(
        shapes,
        Box(MARGIN, FOOTER_Y + 0.05, SLIDE_W - 2 * MARGIN - 1.5, 0.45),
        [f"{deck.municipality} · {deck.caption}"],
        FOOTER_PT,
        color=GREY,
    )


def _pptx_page_number(page: PptxSlide, number: int, total: int) -> None:
    _textbox(
        page.shapes,
        Box(SLIDE_W - MARGIN - 1.5, FOOTER_Y + 0.05, 1.5, 0.45),
        [f"{number} / {total}"],
        FOOTER_PT,
        color=GREY,
        align=PP_ALIGN.RIGHT,
    )


def _pptx_title_slide(page: PptxSlide, deck: slides.Deck, logo: bytes | None, primary: str) -> None:
    shapes = page.shapes
    _rect(shapes, Box(0, 0, SLIDE_W, SLIDE_H), primary)
    if logo:
        _rect(shapes, Box(SLIDE_W - MARGIN - 2.3, MARGIN, 2.3, 1.05), WHITE)
        _pptx_logo(shapes, logo, SLIDE_W - MARGIN - 0.2, MARGIN + 0.15)
    _textbox(shapes, Box(1.0, 1.9, 11.3, 0.7), [deck.municipality], 28, color=WHITE)
    _textbox(shapes, Box(1.0, 2.6, 11.3, 1.9), [TITLE], 48, bold=True, color=WHITE)
    _textbox(shapes, Box(1.0, 4.6, 11.3, 0.6), [slides.AUDIENCES[deck.audience]], 26, color=WHITE)
    _textbox(shapes, Box(1.0, 5.3, 11.3, 0.6), [deck.caption], 22, color=WHITE)
    _set_notes(
        page, f"{deck.municipality}: {TITLE}. {slides.AUDIENCES[deck.audience]}, {deck.caption}."
    )


def _set_notes(page: PptxSlide, text: str) -> None:
    frame = page.notes_slide.notes_text_frame
    if frame is None:  # the default template's notes master has a body placeholder
        raise RuntimeError("the notes page has no text frame")
    frame.text = text


def _pptx_headline(shapes: SlideShapes, slide: slides.Slide, lay: Layout, accent: str) -> None:
    for place, (label, value) in zip(headline_figures(slide, lay), slide.headline, strict=True):
        anchor = MSO_ANCHOR.MIDDLE if place.centred else MSO_ANCHOR.TOP
        _rect(shapes, place.bar, accent)
        _textbox(shapes, place.label, [label], place.label_pt, anchor=anchor)
        _textbox(shapes, place.value, [value], lay.headline_pt, bold=True, anchor=anchor)


_PPTX_KIND = {
    "hbar": XL_CHART_TYPE.BAR_CLUSTERED,
    "bar": XL_CHART_TYPE.COLUMN_CLUSTERED,
    "line": XL_CHART_TYPE.LINE_MARKERS,
    "stacked": XL_CHART_TYPE.COLUMN_STACKED,
}


def _pptx_chart(
    shapes: SlideShapes, chart: slides.Chart, box: Box, colors: tuple[str, str]
) -> PptxChart:
    """Add a native chart: the values in its data sheet, kroner in millions."""
    number_format = _NUMBER_FORMAT[chart.unit]
    data: Any = CategoryChartData(number_format=number_format)  # type: ignore[no-untyped-call, unused-ignore]
    data.categories = chart.categories
    for name, values in chart.series.items():
        data.add_series(name, [scaled(v, chart.unit) for v in values], number_format)
    # python-pptx types add_chart as returning the chart; it returns the graphic frame.
    frame: Any = shapes.add_chart(
        _PPTX_KIND[chart.kind], _emu(box.x), _emu(box.y), _emu(box.w), _emu(box.h), data
    )
    ch: PptxChart = frame.chart
    ch.font.size = Pt(CHART_PT)
    ch.has_title = True
    ch.chart_title.text_frame.text = chart.title
    ch.chart_title.text_frame.paragraphs[0].runs[0].font.size = Pt(CHART_TITLE_PT)
    ch.chart_title.text_frame.paragraphs[0].runs[0].font.bold = True
    ch.has_legend = True
    legend = ch.legend
    legend.position = XL_LEGEND_POSITION.BOTTOM
    legend.include_in_layout = False
    legend.font.size = Pt(CHART_PT)
    _pptx_axes(ch, chart)
    _pptx_series(ch, chart, colors)
    return ch


def _axis_format(chart: slides.Chart) -> str:
    """Return the value axis's number format: whole millions once the axis passes 10."""
    largest = max((abs(v or 0) for s in chart.series.values() for v in s), default=0.0)
    if chart.unit == "kr" and largest >= 10e6:
        return "#,##0"
    return _NUMBER_FORMAT[chart.unit]


def _pptx_axes(ch: PptxChart, chart: slides.Chart) -> None:
    values = ch.value_axis
    values.has_major_gridlines = True
    values.major_gridlines.format.line.color.rgb = _color("#d9d9d9")
    values.tick_labels.font.size = Pt(CHART_PT)
    values.tick_labels.number_format = _axis_format(chart)
    values.tick_labels.number_format_is_linked = False
    if chart.unit == "share":
        values.minimum_scale = 0
    if title := _AXIS_TITLE[chart.unit]:
        values.has_title = True
        values.axis_title.text_frame.text = title
        values.axis_title.text_frame.paragraphs[0].runs[0].font.size = Pt(LABEL_PT)
    categories = ch.category_axis
    many = len(chart.categories) > (6 if chart.kind == "hbar" else 9)
    categories.tick_labels.font.size = Pt(LABEL_PT if many else CHART_PT)
    categories.format.line.color.rgb = _color("#888888")
    # Category names beside the lowest value, not across bars below zero.
    categories.tick_label_position = XL_TICK_LABEL_POSITION.LOW
    if chart.kind in ("hbar", "bar"):
        _label_every_category(categories._element)
    if chart.kind == "hbar":
        # The first category on top, as it is read, with the value axis kept at the bottom.
        categories.reverse_order = True
        # The value axis crosses at the last category (python-pptx has no setter for it).
        crosses = values._element.find(qn("c:crosses"))
        if crosses is not None:
            crosses.set("val", "max")


def _label_every_category(axis: Any) -> None:
    """Name every category (``c:tickLblSkip`` 1): a viewer may otherwise skip some."""
    skip = axis.makeelement(qn("c:tickLblSkip"), {"val": "1"})
    later = [axis.find(qn(t)) for t in ("c:tickMarkSkip", "c:noMultiLvlLbl", "c:extLst")]
    anchor = next((e for e in later if e is not None), None)
    if anchor is None:
        axis.append(skip)
    else:
        anchor.addprevious(skip)


def _pptx_series(ch: PptxChart, chart: slides.Chart, colors: tuple[str, str]) -> None:
    plot = ch.plots[0]
    palette = series_colors(chart, *colors)
    if chart.kind != "line":
        plot.gap_width = 60
        plot.overlap = 100 if chart.kind == "stacked" else -10
        plot.has_data_labels = True
        labels_ = plot.data_labels
        labels_.font.size = Pt(LABEL_PT)
        labels_.number_format = _NUMBER_FORMAT[chart.unit]
        labels_.number_format_is_linked = False
        labels_.position = (
            XL_LABEL_POSITION.CENTER if chart.kind == "stacked" else XL_LABEL_POSITION.OUTSIDE_END
        )
    for series, color in zip(plot.series, palette, strict=True):
        if chart.kind == "line":
            series.smooth = False
            series.format.line.color.rgb = _color(color)
            series.format.line.width = Pt(3.5)
            if series.name in DASHED:
                series.format.line.dash_style = MSO_LINE_DASH_STYLE.DASH
            series.marker.style = XL_MARKER_STYLE.CIRCLE
            series.marker.size = 8
            series.marker.format.fill.solid()
            series.marker.format.fill.fore_color.rgb = _color(color)
            series.marker.format.line.color.rgb = _color(color)
        else:
            series.format.fill.solid()
            series.format.fill.fore_color.rgb = _color(color)
    points = point_colors(chart)
    if points is not None:
        series = plot.series[0]
        for i, color in enumerate(points):
            point = series.points[i]
            point.format.fill.solid()
            point.format.fill.fore_color.rgb = _color(color)


def _pptx_table(shapes: SlideShapes, table: pd.DataFrame, lay: Layout, primary: str) -> None:
    header, rows, right = table_rows(table)
    box, pt, widths = lay.table, lay.table_pt, lay.table_widths
    assert box is not None
    height = min(box.h, table_h(header, rows, widths, pt))
    shape = shapes.add_table(
        len(rows) + 1, len(header), _emu(box.x), _emu(box.y), _emu(box.w), _emu(height)
    )
    grid = shape.table
    for j, w in enumerate(widths):
        grid.columns[j].width = _emu(w)
    for i in range(len(rows) + 1):
        grid.rows[i].height = _emu(height / (len(rows) + 1))
    for i, row in enumerate([header, *rows]):
        total = i > 0 and is_total(row)
        for j, text in enumerate(row):
            cell = grid.cell(i, j)
            cell.margin_left = cell.margin_right = _emu(0.06)
            cell.margin_top = cell.margin_bottom = _emu(0.03)
            cell.fill.solid()  # type: ignore[no-untyped-call, unused-ignore]
            cell.fill.fore_color.rgb = _color(primary if i == 0 else (LIGHT if i % 2 else WHITE))
            p = cell.text_frame.paragraphs[0]
            p.alignment = PP_ALIGN.RIGHT if right[j] else PP_ALIGN.LEFT
            run = p.add_run()
            run.text = text
            run.font.size = Pt(pt)
            run.font.bold = i == 0 or total
            run.font.color.rgb = _color(WHITE if i == 0 else "#000000")


def _pptx_slide(
    page: PptxSlide,
    slide: slides.Slide,
    deck: slides.Deck,
    logo: bytes | None,
    colors: tuple[str, str],
) -> None:
    _pptx_frame(page, slide.title, deck, logo, colors)
    shapes = page.shapes
    lay = _layout(slide)
    if lay.headline is not None:
        _pptx_headline(shapes, slide, lay, colors[1])
    if slide.chart is not None and lay.chart is not None:
        _pptx_chart(shapes, slide.chart, lay.chart, colors)
    if slide.table is not None and lay.table is not None:
        _pptx_table(shapes, slide.table, lay, colors[0])
    if slide.text and lay.text is not None:
        _textbox(shapes, lay.text, slide.text, lay.text_pt)
    if lay.footnote is not None:
        _textbox(shapes, lay.footnote, [HIDDEN_NOTE], MIN_PT, italic=True, color=GREY)
    _set_notes(page, notes_text(slide))


def pptx_bytes(
    deck: slides.Deck,
    logo: bytes | None = None,
    primary: str = settings.DEFAULTS[settings.PRIMARY_COLOR],
    accent: str = settings.DEFAULTS[settings.ACCENT_COLOR],
) -> bytes:
    """Return the deck as a PowerPoint file: a title slide, then one slide per slide.

    ``logo`` is a PNG or JPEG image (ValueError when it cannot be read).
    """
    prs = Presentation()
    prs.slide_width = Emu(EMU_W)
    prs.slide_height = Emu(EMU_H)
    blank = prs.slide_layouts[6]
    total = len(deck.slides) + 1
    _pptx_title_slide(prs.slides.add_slide(blank), deck, logo, primary)
    for number, slide in enumerate(deck.slides, start=2):
        page = prs.slides.add_slide(blank)
        _pptx_slide(page, slide, deck, logo, (primary, accent))
        _pptx_page_number(page, number, total)
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


# --- PDF ----------------------------------------------------------------------------------

PT_MM = MM_PER_IN / 72


def _mm(inches: float) -> float:
    return inches * MM_PER_IN


def _in(mm: float) -> float:
    return mm / MM_PER_IN


def _nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Return round tick values (1, 2, 2.5, 5 × 10^k apart) that cover [lo, hi]."""
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw * 0.999)
    start = math.floor(lo / step + 1e-9) * step
    n = math.ceil((hi - start) / step - 1e-9)
    return [round(start + i * step, 10) for i in range(n + 1)]


def _tick_text(value: float, step: float, unit: slides.Unit) -> str:
    if unit == "share":
        decimals = max(0, -math.floor(math.log10(step * 100) + 1e-9)) if step else 0
        return fmt.pct(value, decimals)
    decimals = 0 if step >= 1 else -math.floor(math.log10(step) + 1e-9)
    if step * 10**decimals % 1 > 1e-6:
        decimals += 1
    return fmt.number(value, decimals)


class _Pdf(FPDF):
    """An fpdf2 document with the deck's fonts and a few drawing helpers (in mm)."""

    def __init__(self) -> None:
        check_fonts()
        super().__init__(orientation="L", unit="mm", format=(PAGE_H_MM, PAGE_W_MM))
        self.set_auto_page_break(False)
        self.set_margins(_mm(MARGIN), _mm(MARGIN), _mm(MARGIN))
        self.add_font(FONT, "", str(FONT_REGULAR))
        self.add_font(FONT, "B", str(FONT_BOLD))
        self.set_font(FONT, size=TEXT_PT)
        self.c_margin = 0.5

    def font(self, pt: float, bold: bool = False, color: str = "#000000") -> None:
        self.set_font(FONT, "B" if bold else "", pt)
        self.set_text_color(*_rgb(color))

    def fill(self, x: float, y: float, w: float, h: float, color: str) -> None:
        self.set_fill_color(*_rgb(color))
        self.rect(x, y, w, h, style="F")

    def stroke(self, color: str, width: float) -> None:
        self.set_draw_color(*_rgb(color))
        self.set_line_width(width)

    def put(self, x: float, y: float, w: float, text: str, align: str = "L") -> None:
        """Write one line of text with its top at y, within a width."""
        self.set_xy(x, y)
        self.cell(w, self.font_size * 1.25, text, align=align)

    def paragraph(self, x: float, y: float, w: float, text: str, align: str = "L") -> float:
        """Write a wrapped paragraph with its top at y; return the y below it."""
        self.set_xy(x, y)
        self.multi_cell(
            w, self.font_size * 1.25, text, align=align, new_x=XPos.LEFT, new_y=YPos.NEXT
        )
        return self.get_y()

    def wrap(self, text: str, width: float, most: int = 2) -> list[str]:
        """Return a text cut into at most ``most`` lines that fit a width (the last may not)."""
        lines: list[str] = []
        for word in text.split():
            if lines and self.get_string_width(f"{lines[-1]} {word}") <= width:
                lines[-1] += f" {word}"
            elif len(lines) < most:
                lines.append(word)
            else:
                lines[-1] += f" {word}"
        return lines or [""]


def _pdf_box(box: Box) -> tuple[float, float, float, float]:
    return _mm(box.x), _mm(box.y), _mm(box.w), _mm(box.h)


@dataclass
class _Plot:
    """The plot area of a chart (mm) and its value scale."""

    x: float
    y: float
    w: float
    h: float
    lo: float
    hi: float

    def vx(self, value: float) -> float:
        """Return the x of a value on a horizontal value axis."""
        return self.x + (value - self.lo) / (self.hi - self.lo) * self.w

    def vy(self, value: float) -> float:
        """Return the y of a value on a vertical value axis."""
        return self.y + self.h - (value - self.lo) / (self.hi - self.lo) * self.h


class _PdfChart:
    """One chart drawn with rectangles, lines and text: title, axes, values, legend."""

    def __init__(self, pdf: _Pdf, chart: slides.Chart, box: Box, colors: tuple[str, str]) -> None:
        self.pdf, self.chart = pdf, chart
        self.x, self.y, self.w, self.h = _pdf_box(box)
        self.colors = series_colors(chart, *colors)
        self.points = point_colors(chart)
        self.values = {n: [scaled(v, chart.unit) for v in s] for n, s in chart.series.items()}

    def draw(self) -> None:
        top = self._title()
        bottom = self.y + self.h - self._legend()
        if self.chart.kind == "hbar":
            self._hbar(top, bottom)
        else:
            self._columns(top, bottom)

    def _title(self) -> float:
        """Draw the chart's title (smaller, then on two lines if it must); return the y below."""
        pdf = self.pdf
        pt = next(
            (
                p
                for p in (CHART_TITLE_PT, 16, MIN_PT)
                if text_w(self.chart.title, p, True) <= _in(self.w)
            ),
            MIN_PT,
        )
        pdf.font(pt, bold=True)
        y = self.y
        for line in pdf.wrap(self.chart.title, self.w):
            pdf.put(self.x, y, self.w, line)
            y += pdf.font_size * 1.25
        return y + 3

    def _range(self) -> tuple[list[float], float]:
        if self.chart.kind == "stacked":
            sums = [
                sum(v for v in col if v is not None and v > 0)
                for col in zip(*self.values.values(), strict=True)
            ]
            shown = [*sums, 0.0]
        else:
            shown = [v for s in self.values.values() for v in s if v is not None] + [0.0]
        lo, hi = min(shown), max(shown)
        if self.chart.unit == "share":
            hi = max(hi, 0.01)
        if self.chart.kind in ("bar", "stacked"):
            # Room above the tallest column for its value label (and below the lowest).
            hi += 0.08 * (hi - lo)
            lo -= 0.08 * (hi - lo) if lo < 0 else 0.0
        ticks = _nice_ticks(lo, hi)
        return ticks, ticks[1] - ticks[0]

    def _legend(self) -> float:
        """Draw the legend at the bottom, centred in lines; return the height it takes."""
        pdf = self.pdf
        pdf.font(CHART_PT)
        swatch, gap = 5.0, 8.0
        items = [
            (n, c, pdf.get_string_width(n) + swatch + 2)
            for n, c in zip(self.chart.series, self.colors, strict=True)
        ]
        lines: list[list[tuple[str, str, float]]] = [[]]
        for item in items:
            width = sum(i[2] + gap for i in lines[-1]) + item[2]
            if lines[-1] and width > self.w:
                lines.append([])
            lines[-1].append(item)
        line_h = CHART_PT * PT_MM * 1.5
        y = self.y + self.h - line_h * len(lines)
        for line in lines:
            x = self.x + (self.w - sum(i[2] + gap for i in line) + gap) / 2
            for name, color, width in line:
                self._swatch(x, y + (line_h - swatch) / 2 - 0.5, swatch, name, color)
                pdf.put(x + swatch + 2, y, width, name)
                x += width + gap
            y += line_h
        return line_h * len(lines) + 2

    def _swatch(self, x: float, y: float, size: float, name: str, color: str) -> None:
        if self.chart.kind == "line":
            self.pdf.stroke(color, 1.2)
            self._line(x, y + size / 2, x + size, y + size / 2, dashed=name in DASHED)
        else:
            self.pdf.fill(x, y, size, size, color)

    def _line(self, x1: float, y1: float, x2: float, y2: float, dashed: bool = False) -> None:
        if dashed:
            self.pdf.set_dash_pattern(dash=2.5, gap=1.5)
        self.pdf.line(x1, y1, x2, y2)
        if dashed:
            self.pdf.set_dash_pattern()

    def _color(self, series: int, point: int) -> str:
        return self.points[point] if self.points is not None else self.colors[series]

    # horizontal bars: categories down the left, values along the bottom

    def _hbar(self, top: float, bottom: float) -> None:
        pdf, chart = self.pdf, self.chart
        ticks, step = self._range()
        pdf.font(CHART_PT)
        label_w = min(0.4 * self.w, max(pdf.get_string_width(c) for c in chart.categories) + 3)
        axis_h = CHART_PT * PT_MM * 1.6
        plot = _Plot(
            self.x + label_w, top, self.w - label_w - 20, bottom - top - axis_h, ticks[0], ticks[-1]
        )
        self._vertical_grid(plot, ticks, step)
        band = plot.h / len(chart.categories)
        bar = 0.72 * band / len(self.values)
        for i, cat in enumerate(chart.categories):
            self._category_left(cat, self.x, plot.y + i * band, label_w - 3, band)
            for k, values in enumerate(self.values.values()):
                self._hbar_one(
                    plot,
                    values[i],
                    plot.y + i * band + 0.14 * band + k * bar,
                    bar,
                    self._color(k, i),
                )
        self._zero_vertical(plot)

    def _hbar_one(self, plot: _Plot, value: float | None, y: float, h: float, color: str) -> None:
        pdf = self.pdf
        zero = plot.vx(max(plot.lo, 0.0))
        pdf.font(LABEL_PT, color=GREY if value is None else "#000000")
        text_h = pdf.font_size * 1.25
        if value is None:
            pdf.put(zero + 1, y + (h - text_h) / 2, 15, HIDDEN_MARK)
            return
        end = plot.vx(value)
        pdf.fill(min(zero, end), y, abs(end - zero), h, color)
        text = label_text(value * 1e6 if self.chart.unit == "kr" else value, self.chart.unit)
        width = pdf.get_string_width(text) + 2
        x = end + 1 if value >= 0 else max(plot.x, end - width - 1)
        pdf.put(x, y + (h - text_h) / 2, width, text)

    def _category_left(self, text: str, x: float, y: float, w: float, h: float) -> None:
        pdf = self.pdf
        pdf.font(CHART_PT)
        lines = pdf.wrap(text, w)
        line_h = pdf.font_size * 1.2
        while len(lines) * line_h > h and pdf.font_size_pt > 10:
            pdf.font(pdf.font_size_pt - 1)
            lines, line_h = pdf.wrap(text, w), pdf.font_size * 1.2
        y0 = y + (h - len(lines) * line_h) / 2
        for n, line in enumerate(lines):
            pdf.set_xy(x, y0 + n * line_h)
            pdf.cell(w, line_h, line, align="R")

    def _vertical_grid(self, plot: _Plot, ticks: list[float], step: float) -> None:
        pdf = self.pdf
        pdf.font(CHART_PT, color=GREY)
        pdf.stroke("#d9d9d9", 0.3)
        for t in ticks:
            x = plot.vx(t)
            pdf.line(x, plot.y, x, plot.y + plot.h)
            pdf.put(x - 15, plot.y + plot.h + 1, 30, _tick_text(t, step, self.chart.unit), "C")
        if title := _AXIS_TITLE[self.chart.unit]:
            pdf.font(LABEL_PT, color=GREY)
            pdf.put(
                plot.x + plot.w - 40,
                plot.y + plot.h + 1 + CHART_PT * PT_MM * 1.25,
                40 + 20,
                title,
                "R",
            )

    def _zero_vertical(self, plot: _Plot) -> None:
        self.pdf.stroke("#888888", 0.5)
        x = plot.vx(max(plot.lo, 0.0))
        self.pdf.line(x, plot.y, x, plot.y + plot.h)

    # columns and lines: categories along the bottom, values up the left

    def _columns(self, top: float, bottom: float) -> None:
        pdf, chart = self.pdf, self.chart
        ticks, step = self._range()
        pdf.font(CHART_PT)
        tick_w = max(pdf.get_string_width(_tick_text(t, step, chart.unit)) for t in ticks) + 3
        title = _AXIS_TITLE[chart.unit]
        # The axis title, then half a tick label's height, above the plot.
        title_h = LABEL_PT * PT_MM * 1.4 + CHART_PT * PT_MM * 0.7 if title else 0
        cat_h = CHART_PT * PT_MM * 1.2 * 2 + 2
        plot = _Plot(
            self.x + tick_w,
            top + title_h,
            self.w - tick_w,
            bottom - top - title_h - cat_h,
            ticks[0],
            ticks[-1],
        )
        if title:
            pdf.font(LABEL_PT, color=GREY)
            pdf.put(self.x, top, 60, title)
        self._horizontal_grid(plot, ticks, step)
        self._category_labels(plot)
        if chart.kind == "line":
            self._lines(plot)
        elif chart.kind == "stacked":
            self._stacks(plot)
        else:
            self._clusters(plot)
        pdf.stroke("#888888", 0.5)
        pdf.line(plot.x, plot.vy(max(plot.lo, 0.0)), plot.x + plot.w, plot.vy(max(plot.lo, 0.0)))

    def _horizontal_grid(self, plot: _Plot, ticks: list[float], step: float) -> None:
        pdf = self.pdf
        pdf.stroke("#d9d9d9", 0.3)
        for t in ticks:
            y = plot.vy(t)
            pdf.line(plot.x, y, plot.x + plot.w, y)
            pdf.font(CHART_PT, color=GREY)
            pdf.put(
                self.x,
                y - pdf.font_size * 0.625,
                plot.x - self.x - 2,
                _tick_text(t, step, self.chart.unit),
                "R",
            )

    def _category_labels(self, plot: _Plot) -> None:
        pdf = self.pdf
        cats = self.chart.categories
        band = plot.w / len(cats)
        pdf.font(CHART_PT)
        widest = max(pdf.get_string_width(c) for c in cats)
        every = (
            max(1, math.ceil((widest + 3) / band)) if self.chart.kind in ("line", "stacked") else 1
        )
        line_h = pdf.font_size * 1.2
        for i, cat in enumerate(cats):
            if i % every:
                continue
            for n, line in enumerate(pdf.wrap(cat, band * every - 2)):
                pdf.set_xy(
                    plot.x + i * band - band * (every - 1) / 2, plot.y + plot.h + 1.5 + n * line_h
                )
                pdf.cell(band * every, line_h, line, align="C")

    def _clusters(self, plot: _Plot) -> None:
        band = plot.w / len(self.chart.categories)
        bar = 0.72 * band / len(self.values)
        for i in range(len(self.chart.categories)):
            for k, values in enumerate(self.values.values()):
                self._column(
                    plot,
                    values[i],
                    plot.x + i * band + 0.14 * band + k * bar,
                    bar,
                    self._color(k, i),
                )

    def _column(self, plot: _Plot, value: float | None, x: float, w: float, color: str) -> None:
        pdf = self.pdf
        zero = plot.vy(max(plot.lo, 0.0))
        pdf.font(LABEL_PT, color=GREY if value is None else "#000000")
        text_h = pdf.font_size * 1.25
        if value is None:
            pdf.put(x - 5, zero - text_h - 0.5, w + 10, HIDDEN_MARK, "C")
            return
        end = plot.vy(value)
        pdf.fill(x, min(zero, end), w, abs(end - zero), color)
        text = label_text(value * 1e6 if self.chart.unit == "kr" else value, self.chart.unit)
        y = end - text_h - 0.5 if value >= 0 else end + 0.5
        pdf.put(x - 10, y, w + 20, text, "C")

    def _stacks(self, plot: _Plot) -> None:
        pdf = self.pdf
        band = plot.w / len(self.chart.categories)
        w = 0.6 * band
        for i in range(len(self.chart.categories)):
            x = plot.x + i * band + 0.2 * band
            base = 0.0
            hidden = False
            for k, values in enumerate(self.values.values()):
                value = values[i]
                if value is None:
                    hidden = True
                    continue
                pdf.fill(
                    x,
                    plot.vy(base + value),
                    w,
                    plot.vy(base) - plot.vy(base + value),
                    self.colors[k],
                )
                base += value
            if hidden:
                pdf.font(LABEL_PT, color=GREY)
                pdf.put(x - 5, plot.vy(base) - pdf.font_size * 1.25 - 0.5, w + 10, HIDDEN_MARK, "C")

    def _lines(self, plot: _Plot) -> None:
        pdf = self.pdf
        band = plot.w / len(self.chart.categories)
        for k, (name, values) in enumerate(self.values.items()):
            color = self.colors[k]
            pdf.stroke(color, 1.0)
            pdf.set_fill_color(*_rgb(color))
            points = [
                None if v is None else (plot.x + (i + 0.5) * band, plot.vy(v))
                for i, v in enumerate(values)
            ]
            for a, b in itertools.pairwise(points):
                if a is not None and b is not None:
                    self._line(*a, *b, dashed=name in DASHED)
            for p in points:
                if p is not None:
                    pdf.circle(p[0], p[1], 1.1, style="F")


def _pdf_frame(
    pdf: _Pdf,
    title: str,
    deck: slides.Deck,
    logo: bytes | None,
    colors: tuple[str, str],
    page: tuple[int, int],
) -> None:
    primary, accent = colors
    pdf.fill(0, 0, PAGE_W_MM, _mm(TITLE_BAR_H), primary)
    pdf.fill(0, _mm(TITLE_BAR_H), PAGE_W_MM, _mm(ACCENT_H), accent)
    width = title_width(logo)
    pdf.font(title_pt(title, width - 0.1), bold=True, color=WHITE)
    pdf.set_xy(_mm(MARGIN), 0)
    pdf.cell(_mm(width), _mm(TITLE_BAR_H), title)
    if logo:
        pdf.fill(_mm(SLIDE_W - LOGO_PANEL_W), 0, _mm(LOGO_PANEL_W), _mm(TITLE_BAR_H), WHITE)
        _pdf_logo(pdf, logo, SLIDE_W - 0.15, (TITLE_BAR_H - LOGO_MAX[1]) / 2)
    pdf.fill(_mm(MARGIN), _mm(FOOTER_Y), _mm(SLIDE_W - 2 * MARGIN), 0.5, accent)
    pdf.font(FOOTER_PT, color=GREY)
    pdf.put(
        _mm(MARGIN), _mm(FOOTER_Y + 0.1), _mm(SLIDE_W - 3), f"{deck.municipality} · {deck.caption}"
    )
    pdf.put(
        _mm(SLIDE_W - MARGIN - 1.5), _mm(FOOTER_Y + 0.1), _mm(1.5), f"{page[0]} / {page[1]}", "R"
    )


def _pdf_logo(pdf: _Pdf, logo: bytes, right: float, top: float) -> None:
    w, h = _logo_size(logo, *LOGO_MAX)
    pdf.image(io.BytesIO(logo), _mm(right - w), _mm(top + (LOGO_MAX[1] - h) / 2), _mm(w), _mm(h))


def _pdf_title_page(pdf: _Pdf, deck: slides.Deck, logo: bytes | None, primary: str) -> None:
    pdf.add_page()
    pdf.fill(0, 0, PAGE_W_MM, PAGE_H_MM, primary)
    if logo:
        pdf.fill(_mm(SLIDE_W - MARGIN - 2.3), _mm(MARGIN), _mm(2.3), _mm(1.05), WHITE)
        _pdf_logo(pdf, logo, SLIDE_W - MARGIN - 0.2, MARGIN + 0.15)
    x, w = _mm(1.0), _mm(11.3)
    pdf.font(28, color=WHITE)
    pdf.put(x, _mm(1.9), w, deck.municipality)
    pdf.font(48, bold=True, color=WHITE)
    pdf.paragraph(x, _mm(2.6), w, TITLE)
    pdf.font(26, color=WHITE)
    pdf.put(x, _mm(4.6), w, slides.AUDIENCES[deck.audience])
    pdf.font(22, color=WHITE)
    pdf.put(x, _mm(5.3), w, deck.caption)


def _pdf_headline(pdf: _Pdf, slide: slides.Slide, lay: Layout, accent: str) -> None:
    for place, (label, value) in zip(headline_figures(slide, lay), slide.headline, strict=True):
        pdf.fill(*_pdf_box(place.bar), accent)
        x, y, w, h = _pdf_box(place.label)
        pdf.font(place.label_pt)
        if place.centred:
            y += (h - pdf.font_size * 1.25) / 2
        pdf.put(x, y, w, label)
        x, y, w, h = _pdf_box(place.value)
        pdf.font(lay.headline_pt, bold=True)
        if place.centred:
            lines = wrap_lines(value, place.value.w, lay.headline_pt, bold=True)
            y += (h - lines * pdf.font_size * 1.25) / 2
        pdf.paragraph(x, y, w, value)


def _pdf_table(pdf: _Pdf, table: pd.DataFrame, lay: Layout, primary: str) -> None:
    header, rows, right = table_rows(table)
    assert lay.table is not None
    x, y, w, _ = _pdf_box(lay.table)
    widths = lay.table_widths
    pdf.font(lay.table_pt)
    pdf.set_fill_color(*_rgb(WHITE))  # fpdf2 fills the unstriped rows with the current colour
    pdf.set_xy(x, y)
    with pdf.table(
        width=w,
        col_widths=tuple(widths),
        text_align=tuple("RIGHT" if r else "LEFT" for r in right),
        align="LEFT",
        line_height=pdf.font_size * 1.25,
        padding=(0.9, 1.5),
        headings_style=FontFace(emphasis="BOLD", color=_rgb(WHITE), fill_color=_rgb(primary)),
        cell_fill_color=_rgb(LIGHT),
        cell_fill_mode="ROWS",
        borders_layout="HORIZONTAL_LINES",
        first_row_as_headings=True,
    ) as grid:
        for i, row in enumerate([header, *rows]):
            bold = i > 0 and is_total(row)
            cells = grid.row(style=FontFace(emphasis="BOLD") if bold else None)
            for text in row:
                cells.cell(text)


def _pdf_text(pdf: _Pdf, paragraphs: Sequence[str], box: Box, pt: int) -> None:
    x, y, w, _ = _pdf_box(box)
    pdf.font(pt)
    for text in paragraphs:
        y = pdf.paragraph(x, y, w, text) + pt * PT_MM * 0.5


def _pdf_slide(
    pdf: _Pdf,
    slide: slides.Slide,
    deck: slides.Deck,
    logo: bytes | None,
    colors: tuple[str, str],
    page: tuple[int, int],
) -> None:
    pdf.add_page()
    _pdf_frame(pdf, slide.title, deck, logo, colors, page)
    lay = _layout(slide)
    if lay.headline is not None:
        _pdf_headline(pdf, slide, lay, colors[1])
    if slide.chart is not None and lay.chart is not None:
        _PdfChart(pdf, slide.chart, lay.chart, colors).draw()
    if slide.table is not None and lay.table is not None:
        _pdf_table(pdf, slide.table, lay, colors[0])
    if slide.text and lay.text is not None:
        _pdf_text(pdf, slide.text, lay.text, lay.text_pt)
    if lay.footnote is not None:
        pdf.font(MIN_PT, color=GREY)
        x, y, w, _ = _pdf_box(lay.footnote)
        pdf.put(x, y, w, HIDDEN_NOTE)


def pdf_bytes(
    deck: slides.Deck,
    logo: bytes | None = None,
    primary: str = settings.DEFAULTS[settings.PRIMARY_COLOR],
    accent: str = settings.DEFAULTS[settings.ACCENT_COLOR],
) -> bytes:
    """Return the deck as a PDF of 16:9 pages: a title page, then one page per slide."""
    pdf = _Pdf()
    pdf.set_title(f"{deck.municipality}: {TITLE}")
    pdf.set_author(deck.municipality)
    pdf.set_lang("da")
    total = len(deck.slides) + 1
    _pdf_title_page(pdf, deck, logo, primary)
    for number, slide in enumerate(deck.slides, start=2):
        _pdf_slide(pdf, slide, deck, logo, (primary, accent), (number, total))
    return bytes(pdf.output())


# --- command line -------------------------------------------------------------------------


def stored_logo(store: Store) -> bytes | None:
    """Return the settings' logo as PNG bytes; None when unset, an SVG, or unreadable.

    A scheduled report must run whatever the logo: one the slides cannot draw is left out.
    """
    found = settings.logo_bytes(store)
    if found is None or found[1] != "png":
        return None
    try:
        _logo_size(found[0], 1, 1)
    except ValueError:
        return None
    return found[0]


def _pages(kind: str, count: int) -> str:
    if kind == "pptx":
        return f"{count} dias"
    return f"{count} {'side' if count == 1 else 'sider'}"


def cli_report(store: Store, period: Period, audience: str, fmt: str, out: Path) -> str:
    """Write the deck as ``fmt`` (pdf or pptx) to ``out``; return a one-line Danish summary."""
    if fmt not in FORMATS:
        raise ValueError(f"Ukendt format: {fmt}. Brug {' eller '.join(FORMATS)}.")
    deck = slides.deck(store, period, audience=audience)
    colors = settings.get(store, settings.PRIMARY_COLOR), settings.get(store, settings.ACCENT_COLOR)
    logo = stored_logo(store)
    write = pdf_bytes if fmt == "pdf" else pptx_bytes
    data = write(deck, logo, *colors)
    out = Path(out)
    partial = out.with_name(out.name + ".part")
    partial.write_bytes(data)
    partial.replace(out)
    return (
        f"Rapport skrevet til {out} ({fmt.upper()}, {_pages(fmt, len(deck.slides) + 1)}, "
        f"{slides.AUDIENCES[audience].lower()}, {deck.caption})."
    )
