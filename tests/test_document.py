"""The service-level document: which frames it lists and marks, and the PDF and DOCX."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import docx
import pandas as pd
import pypdf
import pytest

from slcore import document, frames, labels, rolesplan, servicelevel, settings
from slcore.store import REFERENCE_CSV, Store, intervention_types, open_store

from .conftest import SAMPLES

D = dt.date
ON, SINCE = D(2026, 2, 1), D(2025, 12, 31)


def png(width: int = 6, height: int = 2) -> bytes:
    """Return a small valid PNG (one colour), without an image library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\x1f\x5f\xa8" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def copy_store(src: Path, dst: Path) -> Path:
    """Copy a store file with its pseudonym key (a copy goes with its key, as a backup must)."""
    shutil.copy(src, dst)
    key = src.with_name(src.name + ".key")
    if key.exists():
        shutil.copy(key, dst.with_name(dst.name + ".key"))
    return dst


@pytest.fixture(scope="module")
def changed_db(sample_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample with a new version for one type and a first frame for another (made once)."""
    s = open_store(copy_store(sample_db, tmp_path_factory.mktemp("document") / "doc.duckdb"))
    # SI_BEHANDL: from 2026 a shorter duration and a higher price; age and extent as before.
    frames.save_frame_version(
        s,
        {
            "intervention_type": "SI_BEHANDL",
            "valid_from": D(2026, 1, 1),
            "age_min": 0,
            "age_max": 17,
            "max_extent": 4.8,
            "extent_unit": "hours_per_week",
            "max_duration_months": 8,
            "max_monthly_cost": 39000,
            "description": "Serviceniveau for Familiebehandling",
        },
    )
    # ANB_SPEC had no frame: its first.
    frames.save_frame_version(
        s,
        {
            "intervention_type": "ANB_SPEC",
            "valid_from": D(2026, 1, 15),
            "age_min": 0,
            "age_max": 17,
            "max_monthly_cost": 80000,
        },
    )
    # ANB_KOST: a new version that repeats every limit is no change to the reader.
    frames.save_frame_version(
        s,
        {
            "intervention_type": "ANB_KOST",
            "valid_from": D(2026, 1, 1),
            "age_min": 14,
            "age_max": 17,
            "max_duration_months": 11,
            "max_monthly_cost": 19375.0,
            "description": "Serviceniveau for Efterskole / kostskole",
        },
    )
    settings.set_value(s, settings.MUNICIPALITY_NAME, "Ærø Kommune")
    path = s.path
    s.close()
    return path


@pytest.fixture
def store(changed_db: Path, tmp_path: Path) -> Iterator[Store]:
    """A private copy of ``changed_db`` that a test may change."""
    s = open_store(copy_store(changed_db, tmp_path / "doc.duckdb"))
    yield s
    s.close()


def sample_versions() -> dict[str, list[D]]:
    """Return each type's valid_from dates as the sample file has them (an independent oracle)."""
    out: dict[str, list[D]] = {}
    with (SAMPLES / "serviceniveau_frames.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            out.setdefault(row["intervention_type"], []).append(D.fromisoformat(row["valid_from"]))
    return out


def flat(text: str) -> str:
    return " ".join(text.split())


def pdf_pages(content: bytes) -> list[str]:
    return [flat(p.extract_text()) for p in pypdf.PdfReader(io.BytesIO(content)).pages]


# --- what the document says -------------------------------------------------------------------


@pytest.mark.parametrize("day", [D(2019, 12, 31), D(2020, 1, 1), D(2024, 12, 31), D(2025, 1, 1)])
def test_it_lists_exactly_the_frames_in_force_on_the_day(sample_store, day):
    data = document.document_data(sample_store, day, None)
    in_force = frames.frames_on(sample_store, day)
    assert sorted(data.listed()) == sorted(in_force["intervention_type"])
    assert len(data.listed()) == len(set(data.listed()))
    expected_from = {
        code: max(d for d in dates if d <= day)
        for code, dates in sample_versions().items()
        if min(dates) <= day
    }
    assert {e.code: e.valid_from for e in data.entries} == expected_from
    names = {str(t["code"]): str(t["name_da"]) for t in intervention_types(sample_store)}
    assert [c for c, _ in data.without_frame] == [
        c for c in document_data_order(sample_store) if c not in expected_from
    ]
    shown = {n for _, n in data.without_frame} | {e.name for e in data.entries}
    assert shown == set(names.values())
    assert data.marked() == {}
    assert all(e.mark_text == "" and e.changes == () for e in data.entries)


def document_data_order(store: Store) -> list[str]:
    """The reference list's codes grouped by category (labels.CATEGORIES), in file order."""
    with REFERENCE_CSV.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    cats = list(labels.CATEGORIES)
    return [r["code"] for r in sorted(rows, key=lambda r: cats.index(r["category"]))]


def test_types_are_grouped_by_category_in_the_reference_lists_order(sample_store):
    data = document.document_data(sample_store, D(2025, 6, 1), None)
    assert [s.name for s in data.sections] == list(labels.CATEGORIES.values())
    order = document_data_order(sample_store)
    assert data.listed() == [c for c in order if c in set(data.listed())]
    for section in data.sections:
        assert {e.category for e in section.entries} == {section.category}
    assert data.listed()[:3] == ["TFI_KONS", "SI_HJEM", "SI_KONTAKT"]


def test_an_entry_says_what_the_readable_frame_says(sample_store):
    day = D(2025, 6, 1)
    data = document.document_data(sample_store, day, None)
    entry = data.entry("SI_KONTAKT")
    assert entry.name == "Fast kontaktperson"
    assert entry.fields == (
        ("Målgruppe", "8–17 år"),
        ("Højeste omfang", "3,8 timer/uge"),
        ("Længste varighed", "17 mdr."),
        ("Højeste pris pr. måned", "10.123 kr."),
        ("Beskrivelse", "Serviceniveau for Fast kontaktperson"),
        ("Gælder fra", "01-01-2025"),
    )
    assert data.entry("ANB_NETV").fields[1:3] == (
        ("Højeste omfang", "–"),
        ("Længste varighed", "–"),
    )
    table = frames.frames_on(sample_store, day)
    names = {str(t["code"]): str(t["name_da"]) for t in intervention_types(sample_store)}
    words = servicelevel.readable(table, names).set_index("Indsats")
    for e in data.entries:
        row = words.loc[e.name]
        assert dict(e.fields)["Målgruppe"] == (row["Målgruppe"] or "–")
        assert dict(e.fields)["Længste varighed"] == (row["Længste varighed"] or "–")
    assert data.in_force == "Gældende pr. 01-06-2025"
    assert data.title == "Serviceniveau for udsatte børn og unge"


def test_on_the_sample_exactly_the_types_with_a_new_version_are_marked(sample_store):
    on, since = D(2025, 6, 1), D(2024, 6, 1)
    data = document.document_data(sample_store, on, since)
    versioned = {c for c, dates in sample_versions().items() if any(since < d <= on for d in dates)}
    assert versioned == {"SI_HJEM", "SI_KONTAKT", "ANB_DOGNINST", "UNG_KONTAKT"}
    assert data.marked() == dict.fromkeys(versioned, "changed")
    assert data.changes_note.startswith("Indsatser, hvis ramme er ændret siden 01-06-2024")
    # From the day the new versions apply, nothing has changed.
    assert document.document_data(sample_store, on, D(2025, 1, 1)).marked() == {}


def test_only_the_changed_type_is_marked_with_its_old_and_new_values(store):
    data = document.document_data(store, ON, SINCE)
    assert data.marked() == {"SI_BEHANDL": "changed", "ANB_SPEC": "new"}
    changed = data.entry("SI_BEHANDL")
    assert changed.mark_text == "Ændret siden 31-12-2025"
    assert [(c.label, c.old, c.new) for c in changed.changes] == [
        ("Længste varighed", "10 mdr.", "8 mdr."),
        ("Højeste pris pr. måned", "37.500 kr.", "39.000 kr."),
    ]
    assert dict(changed.fields)["Gælder fra"] == "01-01-2026"
    new = data.entry("ANB_SPEC")
    assert (new.mark_text, new.changes) == ("Ny", ())
    assert "ANB_SPEC" not in {c for c, _ in data.without_frame}
    # A version repeating the old limits is listed with its date, unmarked.
    same = data.entry("ANB_KOST")
    assert (same.mark, dict(same.fields)["Gælder fra"]) == (None, "01-01-2026")
    # The document before the new versions does not know them.
    before = document.document_data(store, SINCE, None)
    assert "ANB_SPEC" not in before.listed()
    assert dict(before.entry("SI_BEHANDL").fields)["Længste varighed"] == "10 mdr."
    # A later first frame is not in force yet: ANB_SPEC applies from 15-01-2026.
    early = document.document_data(store, D(2026, 1, 10), SINCE)
    assert early.marked() == {"SI_BEHANDL": "changed"}


def test_the_compared_fields_cover_every_limit_of_a_frame():
    compared = {c for cols in document.FIELDS.values() for c in cols}
    assert compared == set(frames.FRAME_COLUMNS[2:])


def test_the_earlier_date_must_lie_before_the_document_date(sample_store):
    with pytest.raises(ValueError, match="skal ligge før datoen"):
        document.document_data(sample_store, D(2025, 1, 1), D(2025, 1, 1))
    with pytest.raises(ValueError, match="Ukendt format"):
        document.service_level_document(sample_store, D(2025, 1, 1), None, "odt")  # type: ignore[arg-type]


def test_the_roles_plan_is_the_saved_one(store):
    default = document.document_data(store, ON, None)
    assert default.roles_header == (
        "Rolle",
        "Udvikling",
        "Implementering og forankring",
        "Opfølgning",
    )
    assert [r[0] for r in default.roles] == list(rolesplan.DEFAULT_ROLES)
    plan = pd.DataFrame(
        [["Børne- og ungeudvalget", "Vedtager", "Følger med", "Årlig status"]],
        columns=["role", *rolesplan.PHASES],
    )
    rolesplan.save_plan(store, plan)
    assert document.document_data(store, ON, None).roles == (
        ("Børne- og ungeudvalget", "Vedtager", "Følger med", "Årlig status"),
    )


# --- the files ----------------------------------------------------------------------------


def test_the_pdf_has_the_types_the_marks_and_danish_letters(store):
    data = document.document_data(store, ON, SINCE)
    content = document.service_level_document(store, ON, SINCE, "pdf")
    assert content.startswith(b"%PDF")
    reader = pypdf.PdfReader(io.BytesIO(content))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    pages = pdf_pages(content)
    text = " ".join(pages)
    for phrase in (
        "Serviceniveau for udsatte børn og unge",
        "Ærø Kommune",
        "Gældende pr. 01-02-2026",
        "Længste varighed: 10 mdr. → 8 mdr.",
        "Højeste pris pr. måned: 37.500 kr. → 39.000 kr.",
        "Uden ramme",
        "Plan for roller og ansvar",
        "Implementering og forankring",
        "Økonomi og analyse",
        "Vedtager serviceniveauet og budgettet",
    ):
        assert phrase in text, phrase
    for entry in data.entries:
        assert entry.name in text, entry.name
    for _, name in data.without_frame:
        assert f"• {name}" in text, name
    # One mark per changed type (and the note that explains the marks).
    assert text.count("Ændret siden 31-12-2025") == 1 + 1
    assert "Ændret siden 31-12-2025 • Længste varighed" in text
    assert "Specialiseret plejefamilie Ny Målgruppe" in text
    assert "Efterskole / kostskole Målgruppe" in text  # unmarked
    n = len(pages)
    assert [p.rsplit("Side ", 1)[-1] for p in pages] == [f"{i} af {n}" for i in range(1, n + 1)]
    assert reader.metadata is not None and reader.metadata.title == data.title
    assert all(len(p.images) == 0 for p in reader.pages)  # no logo given, none drawn


def test_a_long_description_flows_over_pages_in_the_pdf(store):
    wording = " ".join(
        f"Afsnit {i}: indsatsen gives, når barnets behov kræver det." for i in range(400)
    )
    frames.save_frame_version(
        store,
        {
            "intervention_type": "SI_KONTAKT",
            "valid_from": D(2026, 1, 1),
            "age_min": 8,
            "age_max": 17,
            "description": wording,
        },
    )
    assert document.document_data(store, ON, None).entry("SI_KONTAKT").description == wording
    text = " ".join(pdf_pages(document.service_level_document(store, ON, None, "pdf")))
    assert "Afsnit 0: indsatsen" in text and "Afsnit 399: indsatsen" in text


def test_a_logo_that_is_no_png_or_svg_is_refused(store):
    for fmt in document.FORMATS:
        with pytest.raises(ValueError, match="PNG- eller SVG-fil"):
            document.service_level_document(store, ON, None, fmt, logo=b"GIF89a....")  # type: ignore[arg-type]


def test_the_docx_has_headings_marks_tables_and_page_numbers(store):
    rolesplan.save_plan(
        store,
        pd.DataFrame(
            [["Politikere", "Vedtager", "", "Følger op"], ["Sagsbehandlere", "", "Træffer", ""]],
            columns=["role", *rolesplan.PHASES],
        ),
    )
    data = document.document_data(store, ON, SINCE)
    content = document.service_level_document(store, ON, SINCE, "docx", logo=png())
    doc = docx.Document(io.BytesIO(content))
    paragraphs = [(p.style.name if p.style else "", p.text) for p in doc.paragraphs]
    headings = [t for s, t in paragraphs if s == "Heading 2"]
    assert headings == [e.name for e in data.entries]
    assert [t for s, t in paragraphs if s == "Heading 1"] == [
        *labels.CATEGORIES.values(),
        "Uden ramme",
        "Plan for roller og ansvar",
    ]
    assert ("Title", "Serviceniveau for udsatte børn og unge") in paragraphs
    assert ("Normal", "Ærø Kommune") in paragraphs
    texts = [t for _, t in paragraphs]
    marked = texts.index("Familiebehandling") + 1
    assert texts[marked : marked + 3] == [
        "Ændret siden 31-12-2025",
        "Længste varighed: 10 mdr. → 8 mdr.",
        "Højeste pris pr. måned: 37.500 kr. → 39.000 kr.",
    ]
    assert texts[texts.index("Specialiseret plejefamilie") + 1] == "Ny"
    assert texts.count("Ny") == 1
    assert sum(t.startswith("Ændret siden") for t in texts) == 1
    tables = doc.tables
    assert len(tables) == len(data.entries) + 1
    first = [[c.text for c in row.cells] for row in tables[0].rows]
    assert first == [list(f) for f in data.entries[0].limits]
    assert [label for label, _ in data.entries[0].limits] == [
        "Målgruppe",
        "Højeste omfang",
        "Længste varighed",
        "Højeste pris pr. måned",
        "Gælder fra",
    ]
    assert data.entries[0].description in texts  # the frame's wording below its table
    roles = [[c.text for c in row.cells] for row in tables[-1].rows]
    assert roles == [
        ["Rolle", "Udvikling", "Implementering og forankring", "Opfølgning"],
        ["Politikere", "Vedtager", "", "Følger op"],
        ["Sagsbehandlere", "", "Træffer", ""],
    ]
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    footer = section.footer.paragraphs[0]
    assert footer.text.startswith("Side ") and " af " in footer.text
    assert "PAGE" in footer._p.xml and "NUMPAGES" in footer._p.xml
    assert any(r.reltype.endswith("/image") for r in section.header.part.rels.values())
    assert doc.core_properties.title == data.title


def test_cli_document_writes_the_file_and_says_what_is_in_it(store, tmp_path):
    out = tmp_path / "serviceniveau.docx"
    line = document.cli_document(store, ON, SINCE, "docx", out)
    assert out.read_bytes().startswith(b"PK")
    listed = len(document.document_data(store, ON, None).listed())
    assert line == (
        f"Serviceniveauet pr. 01-02-2026 er skrevet til {out} (DOCX): {listed} indsatstyper "
        f"med ramme, {24 - listed} uden ramme; siden 31-12-2025: 1 ændret og 1 ny."
    )
    # The stored logo on every page of the PDF.
    settings.set_logo(store, png())
    pdf = tmp_path / "serviceniveau.pdf"
    assert "(PDF)" in document.cli_document(store, ON, None, "pdf", pdf)
    pages = pypdf.PdfReader(pdf).pages
    assert len(pages) > 1
    assert [len(p.images) for p in pages] == [1] * len(pages)
