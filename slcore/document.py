"""The service-level document (reports.md): the frames in force on a date, as PDF or DOCX.

``document_data`` gathers what the document says, as plain data: per category of the
reference list, each intervention type with a frame in force on the date, in the words of
``servicelevel.readable`` (target group, highest extent, longest duration, highest price,
description, valid from); with an earlier date, each type whose frame differs from the one
in force then is marked with its changed fields (old → new), and a type without a frame
then is marked new; the types without a frame; and the plan for roles and responsibilities
(``slcore.rolesplan``). The two renderers (``render_pdf``, ``render_docx``) draw only from
it, in the municipality's design (its name, logo, primary colour for the headings, accent
colour for the marks). ``service_level_document`` is the one call for the app and the
command line (``cli_document``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd
from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph
from fpdf import FPDF, Align, XPos, YPos
from fpdf.fonts import FontFace

from slcore import fmt as danish
from slcore import frames, labels, rolesplan, servicelevel, settings, values
from slcore.store import REFERENCE_CSV, Store, intervention_types

DocumentFormat = Literal["pdf", "docx"]
FORMATS: tuple[str, ...] = ("pdf", "docx")
Mark = Literal["changed", "new"]

# The document's own headings and sentences (every word for a code is in slcore.labels).
TITLE = "Serviceniveau for udsatte børn og unge"
IN_FORCE = "Gældende pr. {day}"
CHANGED = "Ændret siden {day}"
NEW = "Ny"
CHANGES_NOTE = (
    "Indsatser, hvis ramme er ændret siden {day}, er markeret »Ændret siden {day}« med de "
    "ændrede oplysninger (før → nu). Indsatser, der ikke havde en ramme den {day}, er markeret »Ny«."
)
NO_FRAMES = "Ingen indsatstyper har en ramme pr. {day}."
WITHOUT_FRAME = labels.STATUSES["no_frame"]
WITHOUT_FRAME_NOTE = "Disse indsatstyper har ingen ramme pr. {day}:"
ROLES_HEADING = "Plan for roller og ansvar"
PAGE = "Side {page} af {pages}"
FILE_NAMES = {"pdf": "PDF", "docx": "DOCX"}

# What the document says of a frame, in this order, with the frame's columns each depends on.
FIELDS: dict[str, tuple[str, ...]] = {
    "target_group": ("age_min", "age_max"),
    "max_extent": ("max_extent", "extent_unit"),
    "max_duration": ("max_duration_months",),
    "max_monthly_cost": ("max_monthly_cost",),
    "description": ("description",),
    "valid_from": (),
}
NONE = "–"  # a field without a limit, as the version comparison shows it

PDF_FONT = "DejaVu"
PDF_FONT_FILES = {
    "": Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    "B": Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
}
LOGO_HEIGHT_MM = 14
LOGO_MAX_WIDTH_MM = 50
ROLES_SPACE_MM = 110  # the roles plan starts on a new page unless this much is left


def change_text(change: Change) -> str:
    """Return a changed field as the document writes it: ``Længste varighed: 20 mdr. → 17 mdr.``."""
    return f"{change.label}: {change.old} → {change.new}"


def field_label(field: str) -> str:
    """Return a field's Danish label as the document writes it (no unit in parentheses)."""
    return labels.FRAME_DOCUMENT_COLUMNS[field].label.removesuffix(" (kr.)")


DESCRIPTION = field_label("description")


# --- the content ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One field of a type's frame that changed: its label and the old and new text."""

    field: str  # a FIELDS code
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class Entry:
    """One intervention type with its frame in force: what the document says of it."""

    code: str
    name: str
    category: str
    fields: tuple[tuple[str, str], ...]  # (label, text) in FIELDS order
    valid_from: dt.date
    mark: Mark | None = None
    mark_text: str = ""
    changes: tuple[Change, ...] = ()

    @property
    def limits(self) -> tuple[tuple[str, str], ...]:
        """Return the fields but the description: the short lines a table shows."""
        return tuple((label, text) for label, text in self.fields if label != DESCRIPTION)

    @property
    def description(self) -> str:
        """Return the frame's wording ('' for none): a paragraph of its own, of any length."""
        text = dict(self.fields).get(DESCRIPTION, NONE)
        return "" if text == NONE else text


@dataclass(frozen=True)
class Section:
    """The types of one category (labels.CATEGORIES) that have a frame."""

    category: str
    name: str
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class DocumentData:
    """Everything the service-level document shows; the renderers draw only from this."""

    title: str
    municipality: str
    on: dt.date
    changes_since: dt.date | None
    in_force: str  # "Gældende pr. 01-07-2026"
    changes_note: str  # '' without changes_since
    sections: tuple[Section, ...]
    without_frame: tuple[tuple[str, str], ...]  # (code, name) of the types without a frame
    roles_header: tuple[str, ...]  # "Rolle" and the phases
    roles: tuple[tuple[str, ...], ...]  # a role and its text per phase
    primary_color: str
    accent_color: str

    @property
    def entries(self) -> list[Entry]:
        """Return every listed type, in the document's order."""
        return [e for s in self.sections for e in s.entries]

    def listed(self) -> list[str]:
        """Return the codes of the types listed with a frame, in the document's order."""
        return [e.code for e in self.entries]

    def marked(self) -> dict[str, Mark]:
        """Return the marked types: code -> "changed" or "new"."""
        return {e.code: e.mark for e in self.entries if e.mark is not None}

    def entry(self, code: str) -> Entry:
        """Return a listed type's entry; KeyError when it is not listed."""
        for e in self.entries:
            if e.code == code:
                return e
        raise KeyError(code)


def _reference_order() -> dict[str, int]:
    """Return each code's position in the reference list of intervention types."""
    with REFERENCE_CSV.open(encoding="utf-8") as fh:
        return {row["code"]: i for i, row in enumerate(csv.DictReader(fh))}


def _same(a: object, b: object) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return values.as_text(a) == values.as_text(b)
    if danish.is_missing(a) or danish.is_missing(b):
        return danish.is_missing(a) and danish.is_missing(b)
    return bool(a == b)


def _texts(table: pd.DataFrame, names: dict[str, str]) -> dict[str, dict[str, str]]:
    """Return each type's fields (FIELDS codes) as the document words them, by code."""
    words = servicelevel.readable(table, names)
    out: dict[str, dict[str, str]] = {}
    for i, code in enumerate(table["intervention_type"]):
        row = words.iloc[i]
        texts: dict[str, str] = {}
        for field in FIELDS:
            value = row[labels.FRAME_DOCUMENT_COLUMNS[field].label]
            if field == "max_monthly_cost":
                texts[field] = danish.kr(None if danish.is_missing(value) else float(value))
            else:
                texts[field] = str(value) if str(value).strip() else NONE
        out[str(code)] = texts
    return out


def _rows(table: pd.DataFrame) -> dict[str, dict[str, object]]:
    return {
        str(r["intervention_type"]): {str(k): v for k, v in r.items()} for _, r in table.iterrows()
    }


def _changes(
    now: dict[str, object], then: dict[str, object], new: dict[str, str], old: dict[str, str]
) -> tuple[Change, ...]:
    """Return the fields of a frame that differ from an earlier one (valid_from aside)."""
    return tuple(
        Change(field, field_label(field), old[field], new[field])
        for field, columns in FIELDS.items()
        if columns and not all(_same(now[c], then[c]) for c in columns)
    )


def _entries(
    store: Store, on: dt.date, changes_since: dt.date | None, types: dict[str, tuple[str, str]]
) -> list[Entry]:
    """Return an entry per type with a frame on ``on``, marked against ``changes_since``."""
    names = {code: name for code, (name, _) in types.items()}
    table = frames.frames_on(store, on)
    rows, texts = _rows(table), _texts(table, names)
    before = frames.frames_on(store, changes_since) if changes_since else table.iloc[:0]
    rows_before, texts_before = _rows(before), _texts(before, names)
    entries = []
    for code, row in rows.items():
        mark: Mark | None = None
        mark_text = ""
        changes: tuple[Change, ...] = ()
        if changes_since is not None and code not in rows_before:
            mark, mark_text = "new", NEW
        elif changes_since is not None:
            changes = _changes(row, rows_before[code], texts[code], texts_before[code])
            if changes:
                mark, mark_text = "changed", CHANGED.format(day=danish.date(changes_since))
        entries.append(
            Entry(
                code=code,
                name=names.get(code, code),
                category=types.get(code, ("", ""))[1],
                fields=tuple((field_label(f), texts[code][f]) for f in FIELDS),
                valid_from=pd.Timestamp(row["valid_from"]).date(),  # type: ignore[arg-type]
                mark=mark,
                mark_text=mark_text,
                changes=changes,
            )
        )
    return entries


def document_data(store: Store, on: dt.date, changes_since: dt.date | None) -> DocumentData:
    """Return the service-level document's content for the frames in force on ``on``.

    Types are grouped by category (``labels.CATEGORIES`` order) and ordered as in the
    reference list. With ``changes_since`` (a day before ``on``), each type whose frame in
    force on ``on`` says something else than the one in force on ``changes_since`` is marked
    "changed" with the fields that differ (a new version that repeats the old limits is no
    change), and each type without a frame on ``changes_since`` is marked "new". ValueError
    (Danish) when ``changes_since`` is not before ``on``.
    """
    if changes_since is not None and changes_since >= on:
        raise ValueError(
            f"Datoen for ændringer ({danish.date(changes_since)}) skal ligge før datoen, "
            f"dokumentet gælder pr. ({danish.date(on)})."
        )
    types = {
        str(t["code"]): (str(t["name_da"]), str(t["category"])) for t in intervention_types(store)
    }
    position = _reference_order()
    categories = list(labels.CATEGORIES)

    def order(code: str) -> tuple[int, int, str]:
        cat = types.get(code, ("", ""))[1]
        rank = categories.index(cat) if cat in categories else len(categories)
        return rank, position.get(code, len(position)), code

    entries = sorted(_entries(store, on, changes_since, types), key=lambda e: order(e.code))
    grouped: dict[str, list[Entry]] = {}
    for entry in entries:
        grouped.setdefault(entry.category, []).append(entry)
    plan = rolesplan.plan(store)
    listed = {e.code for e in entries}
    return DocumentData(
        title=TITLE,
        municipality=settings.municipality_name(store),
        on=on,
        changes_since=changes_since,
        in_force=IN_FORCE.format(day=danish.date(on)),
        changes_note=CHANGES_NOTE.format(day=danish.date(changes_since)) if changes_since else "",
        sections=tuple(
            Section(cat, labels.CATEGORIES.get(cat, cat), tuple(group))
            for cat, group in grouped.items()
        ),
        without_frame=tuple(
            (code, types[code][0]) for code in sorted(types, key=order) if code not in listed
        ),
        roles_header=tuple(rolesplan.COLUMNS[c].label for c in plan.columns),
        roles=tuple(tuple(str(v) for v in row) for row in plan.itertuples(index=False)),
        primary_color=settings.get(store, settings.PRIMARY_COLOR),
        accent_color=settings.get(store, settings.ACCENT_COLOR),
    )


# --- rendering -----------------------------------------------------------------------------


def _rgb(color: str) -> tuple[int, int, int]:
    digits = color.removeprefix("#")
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def _logo_kind(logo: bytes | None) -> str | None:
    """Return a logo's kind (``png`` or ``svg``) after settings' check; None for no logo."""
    if not logo:
        return None
    uri = settings.logo_uri(logo)  # ValueError (Danish) for anything but a PNG or SVG
    return "svg" if uri.startswith("data:image/svg") else "png"


class _Pdf(FPDF):
    """A4 pages with the municipality's name and logo above and the page number below."""

    def __init__(self, data: DocumentData, logo: bytes | None) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.data = data
        self.logo = logo
        for style, path in PDF_FONT_FILES.items():
            if not path.is_file():
                raise FileNotFoundError(
                    f"Skrifttypen til PDF mangler: {path}. Installér Debians pakke "
                    "fonts-dejavu-core, og prøv igen."
                )
            self.add_font(PDF_FONT, style, str(path))
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(auto=True, margin=18)
        self.set_title(data.title)
        self.set_author(data.municipality)
        self.set_subject(data.in_force)
        self.set_creator("Serviceniveau")
        self.set_lang("da-DK")

    def header(self) -> None:
        self.set_font(PDF_FONT, "", 8)
        self.set_text_color(110, 110, 110)
        self.set_xy(self.l_margin, 8)
        self.cell(0, 4, f"{self.data.municipality} · {self.data.in_force}")
        if self.logo:
            self.image(
                io.BytesIO(self.logo),
                x=Align.R,
                y=6,
                w=LOGO_MAX_WIDTH_MM,
                h=LOGO_HEIGHT_MM,
                keep_aspect_ratio=True,
            )
        self.set_y(6 + LOGO_HEIGHT_MM + 4 if self.logo else 16)
        self.set_text_color(0, 0, 0)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(PDF_FONT, "", 8)
        self.set_text_color(110, 110, 110)
        text = PAGE.format(page=self.page_no(), pages=self.str_alias_nb_pages)
        self.cell(0, 5, text, align="C")

    def line_of(self, text: str, size: float, bold: bool = False, color: str | None = None) -> None:
        self.set_font(PDF_FONT, "B" if bold else "", size)
        self.set_text_color(*(_rgb(color) if color else (0, 0, 0)))
        self.multi_cell(0, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(0, 0, 0)

    def heading(self, text: str, size: float) -> None:
        if self.will_page_break(size * 2 + 30):
            self.add_page()
        self.ln(size * 0.35)
        self.line_of(text, size, bold=True, color=self.data.primary_color)
        self.ln(1)

    def entry(self, entry: Entry) -> None:
        if self.will_page_break(55):
            self.add_page()
        self.line_of(entry.name, 12, bold=True)
        if entry.mark_text:
            self.line_of(entry.mark_text, 9.5, bold=True, color=self.data.accent_color)
        for change in entry.changes:
            self.line_of(f"• {change_text(change)}", 9.5)
        if entry.mark_text:
            self.ln(1)
        self.set_font(PDF_FONT, "", 9.5)
        label_style = FontFace(emphasis="BOLD", color=(70, 70, 70))
        with self.table(
            col_widths=(32, 68),
            first_row_as_headings=False,
            borders_layout="HORIZONTAL_LINES",
            text_align="LEFT",
            line_height=4.8,
            padding=(0.8, 1.5),
        ) as table:
            for label, text in entry.limits:
                row = table.row()
                row.cell(label, style=label_style)
                row.cell(text)
        if entry.description:
            self.ln(1.5)
            self.line_of(entry.description, 9.5)
        self.ln(4)

    def names(self, names: Iterable[str]) -> None:
        self.set_font(PDF_FONT, "", 10)
        for name in names:
            self.multi_cell(0, 5, f"• {name}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def roles_table(self, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        self.set_font(PDF_FONT, "", 9)
        heading = FontFace(
            emphasis="BOLD", color=(255, 255, 255), fill_color=_rgb(self.data.primary_color)
        )
        with self.table(
            col_widths=(22, 26, 26, 26),
            headings_style=heading,
            text_align="LEFT",
            line_height=4.6,
            padding=1.5,
        ) as table:
            for cells in (header, *rows):
                row = table.row()
                for cell in cells:
                    row.cell(cell)


def render_pdf(data: DocumentData, logo: bytes | None = None) -> bytes:
    """Return the document as an A4 PDF with selectable text (DejaVu Sans) and page numbers."""
    _logo_kind(logo)
    pdf = _Pdf(data, logo)
    pdf.add_page()
    pdf.line_of(data.title, 20, bold=True, color=data.primary_color)
    pdf.ln(1)
    pdf.line_of(data.municipality, 13)
    pdf.line_of(data.in_force, 11)
    if data.changes_note:
        pdf.ln(2)
        pdf.line_of(data.changes_note, 9.5)
    if not data.sections:
        pdf.ln(3)
        pdf.line_of(NO_FRAMES.format(day=danish.date(data.on)), 11)
    for section in data.sections:
        pdf.heading(section.name, 15)
        for entry in section.entries:
            pdf.entry(entry)
    if data.without_frame:
        pdf.heading(WITHOUT_FRAME, 15)
        pdf.line_of(WITHOUT_FRAME_NOTE.format(day=danish.date(data.on)), 10)
        pdf.ln(1)
        pdf.names(name for _, name in data.without_frame)
    if pdf.will_page_break(ROLES_SPACE_MM):
        pdf.add_page()
    pdf.heading(ROLES_HEADING, 15)
    pdf.roles_table(data.roles_header, data.roles)
    return bytes(pdf.output())


def _field(paragraph: Paragraph, code: str) -> None:
    """Append a Word field (PAGE, NUMPAGES) to a paragraph, each part in its own run."""
    for kind, text in (("begin", ""), ("", code), ("separate", ""), ("", "1"), ("end", "")):
        run = paragraph.add_run()
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
            run._r.append(element)
        elif text == code:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = f" {text} "
            run._r.append(element)
        else:
            run.text = text  # shown until Word updates the field


def _shade(table: DocxTable, row: int, color: str) -> None:
    for cell in table.rows[row].cells:
        shading = OxmlElement("w:shd")
        shading.set(qn("w:val"), "clear")
        shading.set(qn("w:color"), "auto")
        shading.set(qn("w:fill"), color.removeprefix("#"))
        cell._tc.get_or_add_tcPr().append(shading)


def _docx_table(
    document: DocxDocument, rows: Sequence[Sequence[str]], widths: Sequence[float]
) -> DocxTable:
    table: DocxTable = document.add_table(rows=len(rows), cols=len(widths))
    table.style = "Table Grid"
    for r, cells in enumerate(rows):
        for c, text in enumerate(cells):
            cell = table.cell(r, c)
            cell.width = Mm(widths[c])
            cell.text = text
    return table


def _bold_column(table: DocxTable, column: int) -> None:
    for row in table.rows:
        for run in row.cells[column].paragraphs[0].runs:
            run.bold = True


def _docx_design(doc: DocxDocument, data: DocumentData, logo: bytes | None) -> None:
    """Set A4, Danish, the primary colour of the headings, the header with the logo, the footer."""
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(20)
    section.top_margin = section.bottom_margin = Mm(20)
    normal = doc.styles["Normal"]
    normal.font.size = Pt(10.5)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "da-DK")
    normal.element.get_or_add_rPr().append(lang)
    for name in ("Title", "Heading 1", "Heading 2"):
        doc.styles[name].font.color.rgb = RGBColor(*_rgb(data.primary_color))
    props = doc.core_properties
    props.title, props.author, props.subject = data.title, data.municipality, data.in_force
    props.language = "da-DK"
    section.header.paragraphs[0].text = f"{data.municipality} · {data.in_force}"
    if logo and _logo_kind(logo) == "png":
        picture = section.header.add_paragraph()
        picture.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        picture.add_run().add_picture(io.BytesIO(logo), height=Mm(LOGO_HEIGHT_MM))
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    before, _, rest = PAGE.partition("{page}")
    middle, _, after = rest.partition("{pages}")
    footer.add_run(before)
    _field(footer, "PAGE")
    footer.add_run(middle)
    _field(footer, "NUMPAGES")
    footer.add_run(after)


def _docx_entry(doc: DocxDocument, entry: Entry, accent: str) -> None:
    doc.add_heading(entry.name, level=2)
    if entry.mark_text:
        run = doc.add_paragraph().add_run(entry.mark_text)
        run.bold = True
        run.font.color.rgb = RGBColor(*_rgb(accent))
    for change in entry.changes:
        doc.add_paragraph(change_text(change), style="List Bullet")
    _bold_column(_docx_table(doc, entry.limits, (45, 125)), 0)
    doc.add_paragraph(entry.description)


def _docx_roles(doc: DocxDocument, data: DocumentData) -> None:
    doc.add_heading(ROLES_HEADING, level=1)
    roles = _docx_table(doc, (data.roles_header, *data.roles), (32, 46, 46, 46))
    _shade(roles, 0, data.primary_color)
    for cell in roles.rows[0].cells:
        for run in cell.paragraphs[0].runs:
            run.bold = True
            run.font.color.rgb = RGBColor(255, 255, 255)
    _bold_column(roles, 0)


def render_docx(data: DocumentData, logo: bytes | None = None) -> bytes:
    """Return the document as A4 DOCX: headings, tables, page numbers, the logo in the header.

    Word shows no SVG without a PNG beside it, so an SVG logo is left out of the DOCX.
    """
    _logo_kind(logo)
    doc = Document()
    _docx_design(doc, data, logo)
    doc.add_heading(data.title, level=0)
    doc.add_paragraph(data.municipality).runs[0].font.size = Pt(14)
    doc.add_paragraph(data.in_force)
    if data.changes_note:
        doc.add_paragraph(data.changes_note)
    if not data.sections:
        doc.add_paragraph(NO_FRAMES.format(day=danish.date(data.on)))
    for sec in data.sections:
        doc.add_heading(sec.name, level=1)
        for entry in sec.entries:
            _docx_entry(doc, entry, data.accent_color)
    if data.without_frame:
        doc.add_heading(WITHOUT_FRAME, level=1)
        doc.add_paragraph(WITHOUT_FRAME_NOTE.format(day=danish.date(data.on)))
        for _, name in data.without_frame:
            doc.add_paragraph(name, style="List Bullet")
    _docx_roles(doc, data)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def service_level_document(
    store: Store,
    on: dt.date,
    changes_since: dt.date | None,
    fmt: DocumentFormat,
    logo: bytes | None = None,
) -> bytes:
    """Return the service-level document for ``on`` as PDF or DOCX bytes (``fmt``).

    ``logo`` (PNG, or SVG for the PDF) is drawn at the top of every page when given.
    ValueError (Danish) for another format, a bad logo or ``changes_since`` not before ``on``.
    """
    if fmt not in FORMATS:
        raise ValueError(f"Ukendt format: {fmt}. Vælg pdf eller docx.")
    data = document_data(store, on, changes_since)
    return render_pdf(data, logo) if fmt == "pdf" else render_docx(data, logo)


def stored_logo(store: Store) -> bytes | None:
    """Return the municipality's logo from the settings (PNG or SVG), None without one."""
    found = settings.logo_bytes(store)
    return found[0] if found else None


def _count(n: int, one: str, more: str) -> str:
    return f"{danish.number(n)} {one if n == 1 else more}"


def cli_document(
    store: Store, on: dt.date, changes_since: dt.date | None, fmt: DocumentFormat, out: Path
) -> str:
    """Write the document (with the stored logo) to ``out``; return the Danish line to print."""
    if fmt not in FORMATS:
        raise ValueError(f"Ukendt format: {fmt}. Vælg pdf eller docx.")
    data = document_data(store, on, changes_since)
    logo = stored_logo(store)
    content = render_pdf(data, logo) if fmt == "pdf" else render_docx(data, logo)
    out.write_bytes(content)
    listed = len(data.entries)
    summary = (
        f"Serviceniveauet pr. {danish.date(on)} er skrevet til {out} ({FILE_NAMES[fmt]}): "
        f"{_count(listed, 'indsatstype', 'indsatstyper')} med ramme, "
        f"{len(data.without_frame)} uden ramme"
    )
    if changes_since is not None:
        marks = list(data.marked().values())
        changed, new = marks.count("changed"), marks.count("new")
        summary += (
            f"; siden {danish.date(changes_since)}: {_count(changed, 'ændret', 'ændrede')}"
            f" og {_count(new, 'ny', 'nye')}"
        )
    return summary + "."
