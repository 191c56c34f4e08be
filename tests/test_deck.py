"""The deck as PPTX and PDF (reports.md): read back, checked against the slides and the rule.

Two real stores: the canonical samples, and a small municipality (30 children over 8 types,
several types with 1 to 4 children) where the small-number rule has much to hide.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from pptx import Presentation
from pptx.util import Pt
from pypdf import PdfReader

from slcore import deck, figures, fmt, settings, slides
from slcore.periods import Period
from slcore.store import Store, intervention_types, open_store
from tests.conftest import build_store, registration

D = dt.date
PERIOD = Period(D(2025, 1, 1), D(2025, 12, 31), D(2025, 9, 30))
HIDDEN = {"..", "<5"}
KIND = {"hbar": "BAR_CLUSTERED", "bar": "COLUMN_CLUSTERED", "line": "LINE_MARKERS"}
KIND["stacked"] = "COLUMN_STACKED"

# The small municipality: children per type, each child one registration, and a daily cost
# per type chosen so that every type's spend is a distinctive number.
SMALL_TYPES = {
    "ANB_PLEJE": (7, 1_013.0),
    "SI_KONTAKT": (6, 317.0),
    "OEK": (5, 91.0),
    "TFI_KONS": (4, 143.0),
    "ANB_DOGNINST": (3, 4_271.0),
    "SI_AFLAST": (2, 733.0),
    "UNG_KONTAKT": (2, 389.0),
    "ANB_NETV": (1, 21_347.0),
}


def small_registrations() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for code, (children, daily) in SMALL_TYPES.items():
        for i in range(children):
            born = "2004-05-01" if code.startswith("UNG") else f"{2008 + i}-03-15"
            rows.append(
                registration(
                    f"{code}-{i}",
                    citizen_id=f"K-{code}-{i}",
                    birth_date=born,
                    intervention_type=code,
                    start_date=f"2024-{1 + i:02d}-10",
                    end_date="2025-06-30" if i == 1 else "",
                    cost_amount=str(daily + i),
                    cost_period="day",
                    team="Team A" if i % 2 else "Team B",
                )
            )
    return rows


def small_budgets() -> list[dict[str, object]]:
    return [
        {"year": 2025, "intervention_type": code, "budget_dkk": round(children * daily * 333)}
        for code, (children, daily) in SMALL_TYPES.items()
    ]


@pytest.fixture(scope="module")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = build_store(
        tmp_path_factory.mktemp("small"), small_registrations(), budgets=small_budgets()
    )
    yield store
    store.close()


@pytest.fixture(scope="module")
def samples(sample_db: Path) -> Iterator[Store]:
    store = open_store(sample_db)
    yield store
    store.close()


@pytest.fixture(scope="module", params=["samples", "small"])
def built(request: pytest.FixtureRequest) -> tuple[Store, slides.Deck, bytes, bytes]:
    """A store, its deck and the deck as PPTX and as PDF (built once per store)."""
    store = request.getfixturevalue("samples" if request.param == "samples" else "small_store")
    d = slides.deck(store, PERIOD)
    return store, d, deck.pptx_bytes(d), deck.pdf_bytes(d)


def png(width: int = 300, height: int = 100) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (20, 90, 160)).save(out, "PNG")
    return out.getvalue()


def shape_texts(slide) -> list[str]:
    return [s.text_frame.text for s in slide.shapes if s.has_text_frame]


def table_cells(slide) -> list[list[list[str]]]:
    return [
        [[c.text for c in row.cells] for row in s.table.rows] for s in slide.shapes if s.has_table
    ]


def charts_of(slide) -> list:
    return [s.chart for s in slide.shapes if s.has_chart]


def pdf_pages(data: bytes) -> list[str]:
    return [" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(data)).pages]


def small_types(store: Store, threshold: int) -> dict[str, str]:
    """Return the types (Danish name -> code) with 1 to T - 1 active children, unsuppressed."""
    raw = figures.key_figures(store, PERIOD, ("intervention_type",))
    names = {str(t["code"]): str(t["name_da"]) for t in intervention_types(store)}
    few = raw[(raw["active_citizens"] > 0) & (raw["active_citizens"] < threshold)]
    return {names[str(c)]: str(c) for c in few["intervention_type"]}


def hidden_raw_texts(store: Store, d: slides.Deck) -> set[str]:
    """Return the Danish texts of the small types' spend, as they would be shown.

    A text that the types table also shows for another type is left out: it is no leak.
    """
    types = next(s for s in d.slides if s.key == "indsatstyper")
    assert types.table is not None
    raw = figures.key_figures(store, PERIOD, ("intervention_type",)).set_index("intervention_type")
    few = small_types(store, d.threshold)
    others = types.table[~types.table["Indsatstype"].isin(list(few))]
    shown = {str(v) for v in others.to_numpy().ravel()}
    texts = {fmt.mio_kr(float(raw.loc[code, "projected_spend_dkk"])) for code in few.values()}
    return texts - shown


def chart_marks(chart: slides.Chart | None) -> int:
    """Return how many ".." a PDF chart draws: one a hidden bar, one a stack with a hidden part.

    A line has a gap instead.
    """
    if chart is None or chart.kind == "line":
        return 0
    columns = list(zip(*chart.series.values(), strict=True))
    if chart.kind == "stacked":
        return sum(None in c for c in columns)
    return sum(v is None for c in columns for v in c)


# --- the small-number rule ----------------------------------------------------------------


def test_the_small_municipality_has_small_groups_for_the_rule_to_hide(small_store):
    raw = figures.key_figures(small_store, PERIOD, ("intervention_type",))
    small = raw[(raw["active_citizens"] > 0) & (raw["active_citizens"] < 5)]
    assert len(small) >= 3  # so the checks below are not trivially true
    d = slides.deck(small_store, PERIOD)
    types = next(s for s in d.slides if s.key == "indsatstyper")
    assert types.chart is not None and types.table is not None
    assert None in types.chart.series["Forventet forbrug"]
    assert ".." in set(types.table["Forventet forbrug"])
    assert hidden_raw_texts(small_store, d)


def check_small_types_hidden(store: Store, d: slides.Deck, page) -> None:
    """The spend of a type with fewer than T children is ".." in the table, empty in the chart."""
    few = small_types(store, d.threshold)
    grid = table_cells(page)[0]
    header = grid[0]
    chart = charts_of(page)[0]
    categories = list(chart.plots[0].categories)
    for row in grid[1:]:
        if row[0] in few:
            for column in ("Forventet forbrug", "Afvigelse"):
                assert row[header.index(column)] == "..", (row[0], column)
            spend = chart.plots[0].series[0]
            assert spend.name == "Forventet forbrug"
            assert spend.values[categories.index(row[0])] is None, row[0]


def test_no_small_count_and_no_lone_hidden_cell_in_the_pptx(built):
    store, d, pptx, _ = built
    threshold = d.threshold
    prs = Presentation(io.BytesIO(pptx))
    pages = list(prs.slides)[1:]
    for slide, page in zip(d.slides, pages, strict=True):
        for grid in table_cells(page):
            body = grid[1:]
            for row in body:
                for cell in row:
                    assert not (cell.isdigit() and 1 <= int(cell) < threshold), (slide.key, cell)
            for j in range(len(grid[0])):
                column = [row[j] for row in grid[1:]]
                hidden = sum(c in (f"<{threshold}", "..") for c in column)
                assert hidden != 1, (slide.key, grid[0][j], column)
        if slide.key == "indsatstyper":
            check_small_types_hidden(store, d, page)
        if slide.chart is not None and slide.chart.unit == "count":
            for series in charts_of(page)[0].plots[0].series:
                for v in series.values:
                    assert v is None or v == 0 or v >= threshold, (slide.key, series.name, v)


def test_hidden_values_are_absent_and_marked_in_both_files(built):
    store, d, pptx, pdf = built
    prs = Presentation(io.BytesIO(pptx))
    pptx_text = " ".join(
        " ".join([*shape_texts(p), p.notes_slide.notes_text_frame.text])
        + " ".join(c for g in table_cells(p) for r in g for c in r)
        for p in prs.slides
    )
    pages = pdf_pages(pdf)
    for text in hidden_raw_texts(store, d):
        # The whole figure, not the end of another one ("1,2" in "11,2").
        figure = re.compile(r"(?<![\d,.+-])" + re.escape(text))
        assert not figure.search(pptx_text), text
        assert not figure.search(" ".join(pages)), text
    for slide, page in zip(d.slides, pages[1:], strict=True):
        marks = [v for _, v in slide.headline if v in HIDDEN]
        if slide.table is not None:
            marks += [str(v) for v in slide.table.to_numpy().ravel() if str(v) in HIDDEN]
        marks += [".."] * chart_marks(slide.chart)
        for mark in set(marks):
            assert page.count(mark) >= marks.count(mark), (slide.key, mark)
        if slide.chart is not None and deck.has_hidden(slide.chart):
            assert deck.HIDDEN_NOTE in page


def test_a_hidden_chart_value_is_an_empty_point_and_says_so(small_store):
    d = slides.deck(small_store, PERIOD)
    prs = Presentation(io.BytesIO(deck.pptx_bytes(d)))
    number = next(i for i, s in enumerate(d.slides) if s.key == "indsatstyper")
    slide, page = d.slides[number], list(prs.slides)[number + 1]
    assert slide.chart is not None
    values = charts_of(page)[0].plots[0].series[0].values
    expected = slide.chart.series["Forventet forbrug"]
    assert [v is None for v in values] == [v is None for v in expected]
    assert deck.HIDDEN_NOTE in " ".join(shape_texts(page))
    notes = page.notes_slide.notes_text_frame.text
    hidden = [c for c, v in zip(slide.chart.categories, expected, strict=True) if v is None]
    assert hidden and all(f"{c}: .." in notes for c in hidden)


# --- the figures are the key figures -------------------------------------------------------


def test_type_chart_and_budget_headline_equal_the_key_figures(built):
    store, d, pptx, pdf = built
    prs = Presentation(io.BytesIO(pptx))
    pages = list(prs.slides)[1:]
    raw = figures.key_figures(store, PERIOD, ("intervention_type",)).set_index("intervention_type")
    names = {str(t["name_da"]): str(t["code"]) for t in intervention_types(store)}
    number = next(i for i, s in enumerate(d.slides) if s.key == "indsatstyper")
    chart = charts_of(pages[number])[0]
    categories = list(chart.plots[0].categories)
    series = {s.name: s.values for s in chart.plots[0].series}
    compared = 0
    for cat, value in zip(categories, series["Forventet forbrug"], strict=True):
        if value is None or cat not in names:
            continue
        expected = float(raw.loc[names[cat], "projected_spend_dkk"]) / 1e6
        assert value == pytest.approx(expected, rel=1e-9), cat
        budget = float(raw.loc[names[cat], "budget_dkk"]) / 1e6
        assert series["Budget"][categories.index(cat)] == pytest.approx(budget, rel=1e-9)
        compared += 1
    assert compared >= 3

    total = figures.key_figures(store, PERIOD).iloc[0]
    number = next(i for i, s in enumerate(d.slides) if s.key == "budget")
    texts = shape_texts(pages[number])
    pdf_page = pdf_pages(pdf)[number + 1]
    for value in (total["projected_spend_dkk"], total["budget_dkk"]):
        assert fmt.mio_kr(float(value)) in texts
        assert fmt.mio_kr(float(value)) in pdf_page


# --- native charts, notes, sizes -----------------------------------------------------------


def test_every_chart_is_native_with_the_slides_categories_values_and_notes(built):
    _, d, pptx, _ = built
    prs = Presentation(io.BytesIO(pptx))
    assert (prs.slide_width, prs.slide_height) == (12_192_000, 6_858_000)
    pages = list(prs.slides)
    assert len(pages) == len(d.slides) + 1
    assert not any(s.has_chart for s in pages[0].shapes)
    for slide, page in zip(d.slides, pages[1:], strict=True):
        found = charts_of(page)
        notes = page.notes_slide.notes_text_frame.text
        assert slide.notes in notes, slide.key
        assert slide.title in shape_texts(page)
        if slide.chart is None:
            assert not found, slide.key
            continue
        assert len(found) == 1, slide.key
        chart = found[0]
        assert chart.chart_type.name == KIND[slide.chart.kind]
        assert list(chart.plots[0].categories) == slide.chart.categories
        read = {s.name: list(s.values) for s in chart.plots[0].series}
        scale = 1e6 if slide.chart.unit == "kr" else 1.0
        expected = {
            name: [None if v is None else pytest.approx(v / scale) for v in values]
            for name, values in slide.chart.series.items()
        }
        assert read == expected, slide.key
        assert chart.has_legend and chart.legend.position.name == "BOTTOM"
        if slide.chart.unit == "kr":
            assert chart.value_axis.axis_title.text_frame.text == "mio. kr."
        for cat, value in zip(
            slide.chart.categories, next(iter(slide.chart.series.values())), strict=True
        ):
            assert f"{cat}: {deck.value_text(value, slide.chart.unit)}" in notes
        sizes = [int(s) for s in re.findall(r'\bsz="(\d+)"', chart.part.blob.decode())]
        assert sizes and min(sizes) >= 1400, slide.key


def test_headline_figures_are_large_and_every_slide_has_name_caption_and_logo(samples):
    d = slides.deck(samples, PERIOD)
    prs = Presentation(io.BytesIO(deck.pptx_bytes(d, logo=png())))
    pages = list(prs.slides)
    title = " ".join(shape_texts(pages[0]))
    assert deck.TITLE in title and d.municipality in title
    assert slides.AUDIENCES["politisk"] in title and d.caption in title
    for slide, page in zip(d.slides, pages[1:], strict=True):
        assert sum(s.shape_type == 13 for s in page.shapes) == 1, slide.key  # 13: picture
        assert any(d.caption in t and d.municipality in t for t in shape_texts(page))
        runs = {
            r.text: r.font.size
            for s in page.shapes
            if s.has_text_frame
            for p in s.text_frame.paragraphs
            for r in p.runs
        }
        for _, value in slide.headline:
            assert runs[value] is not None and runs[value] >= Pt(40), (slide.key, value)


def test_a_logo_that_is_no_image_is_refused(samples):
    d = slides.deck(samples, PERIOD)
    with pytest.raises(ValueError, match="Logoet"):
        deck.pptx_bytes(d, logo=b"not a picture")


# --- PDF -----------------------------------------------------------------------------------


def test_pdf_pages_are_16_9_with_a_title_page_danish_text_and_each_title(built):
    _, d, _, pdf = built
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == len(d.slides) + 1
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert width == pytest.approx(338.67 / 25.4 * 72, abs=0.5)
        assert width / height == pytest.approx(16 / 9, rel=1e-3)
    pages = pdf_pages(pdf)
    assert "Serviceniveau for udsatte børn og unge" in pages[0]
    assert slides.AUDIENCES[d.audience] in pages[0] and d.caption in pages[0]
    for slide, page in zip(d.slides, pages[1:], strict=True):
        assert page.startswith(slide.title) or slide.title in page, slide.key
        assert d.caption in page
        for label, value in slide.headline:
            assert label in page and value in page, (slide.key, label)
    assert "Indsatstrappen" in " ".join(pages) and "Støtte i hjemmet" in " ".join(pages)


def test_pdf_charts_are_drawn_with_danish_values(built):
    _, d, _, pdf = built
    pages = pdf_pages(pdf)
    number = next(i for i, s in enumerate(d.slides) if s.key == "indsatstyper")
    chart = d.slides[number].chart
    assert chart is not None
    page = pages[number + 1]
    for value in chart.series["Forventet forbrug"]:
        if value is not None:
            assert deck.label_text(value, "kr") in page
    assert "mio. kr." in page and chart.title in page
    for category in chart.categories:
        assert category.split()[0] in page
    # Vector drawing: no picture on any page without a logo.
    assert all(not p.images for p in PdfReader(io.BytesIO(pdf)).pages)


def test_pdf_with_a_logo_has_it_on_every_page(samples):
    d = slides.deck(samples, PERIOD, audience="ledelse")
    reader = PdfReader(io.BytesIO(deck.pdf_bytes(d, logo=png(), primary="#006e52")))
    assert len(reader.pages) == len(d.slides) + 1
    assert all(len(p.images) == 1 for p in reader.pages)
    assert "Visitationsudvalget" in reader.pages[-1].extract_text()


# --- command line --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["pptx", "pdf"])
def test_cli_report_writes_a_file_that_opens(small_store, tmp_path, kind):
    out = tmp_path / f"rapport.{kind}"
    summary = deck.cli_report(small_store, PERIOD, "politisk", kind, out)
    assert str(out) in summary and "\n" not in summary
    d = slides.deck(small_store, PERIOD)
    if kind == "pptx":
        assert len(Presentation(str(out)).slides) == len(d.slides) + 1
        assert f"{len(d.slides) + 1} dias" in summary
    else:
        assert len(PdfReader(str(out)).pages) == len(d.slides) + 1
        assert f"{len(d.slides) + 1} sider" in summary
    assert not list(tmp_path.glob("*.part"))


def test_cli_report_refuses_an_unknown_format(small_store, tmp_path):
    with pytest.raises(ValueError, match="Ukendt format"):
        deck.cli_report(small_store, PERIOD, "politisk", "docx", tmp_path / "x.docx")
    assert not (tmp_path / "x.docx").exists()


def test_missing_fonts_are_named_in_danish(monkeypatch, tmp_path):
    monkeypatch.setattr(deck, "FONT_REGULAR", tmp_path / "DejaVuSans.ttf")
    with pytest.raises(FileNotFoundError, match=r"Skrifttypen DejaVuSans\.ttf mangler"):
        deck.check_fonts()


def test_cli_report_takes_the_logo_from_the_settings(tmp_path):
    store = build_store(tmp_path, small_registrations(), budgets=small_budgets())
    try:
        settings.set_logo(store, png())
        assert deck.stored_logo(store) == png()
        out = tmp_path / "r.pptx"
        deck.cli_report(store, PERIOD, "politisk", "pptx", out)
        pages = list(Presentation(str(out)).slides)
        assert all(any(s.shape_type == 13 for s in p.shapes) for p in pages[1:])
        # A broken PNG that passed the settings' check (its signature only) is left out.
        store.cursor().execute(
            "UPDATE settings SET value = ? WHERE key = 'logo'",
            ["data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\nbroken").decode()],
        )
        assert deck.stored_logo(store) is None
    finally:
        store.close()
