"""Committee mode in real Chromium (reports.md): legible on a wall, arrow keys, the downloads."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import build_store, registration
from tests.test_browser import (
    CHROMIUM,
    download,
    expect,
    playwright,
    start_app,
    wait_for_script,
)

pytestmark = pytest.mark.browser
SIZES = {"1920x1080": (1920, 1080), "1280x720": (1280, 720)}


@pytest.fixture(scope="module")
def app_url(sample_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("committee")
    db = tmp / "committee.duckdb"
    shutil.copy(sample_db, db)
    key = sample_db.with_name(sample_db.name + ".key")
    if key.exists():
        shutil.copy(key, db.with_name(db.name + ".key"))
    proc, url = start_app(db, tmp / "streamlit.log")
    yield url
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator:
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM)
        yield b
        b.close()


def open_slides(browser, url: str, size: tuple[int, int], query: str = ""):
    context = browser.new_context(
        viewport={"width": size[0], "height": size[1]}, accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(90_000)
    page.goto(f"{url}/udvalg{query}")
    page.wait_for_selector(".sn-title")
    wait_for_script(page)
    return context, page


def px(page, selector: str, prop: str = "font-size") -> float:
    value = page.locator(selector).first.evaluate(
        f"e => getComputedStyle(e).getPropertyValue('{prop}')"
    )
    return float(value.removesuffix("px"))


@pytest.mark.parametrize("size", list(SIZES), ids=list(SIZES))
def test_slides_are_legible_and_nothing_is_cut(browser, app_url, size):
    width, height = SIZES[size]
    context, page = open_slides(browser, app_url, (width, height), "?dias=budget")
    try:
        expect(page.locator(".sn-title")).to_have_text("Budgetstatus")
        expect(page.locator('[data-testid="stSidebar"]')).to_be_hidden()
        if width == 1920:
            assert px(page, ".sn-fig-v") >= 48
            assert px(page, ".sn-slide") >= 24
        # No headline figure is wider than its box (cut or running off the slide).
        for box in page.locator(".sn-fig").all():
            assert box.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
            right = box.evaluate("e => e.getBoundingClientRect().right")
            assert right <= width
        # A chart's labels at least 20 px.
        page.goto(f"{app_url}/udvalg?dias=indsatstyper")
        page.wait_for_selector('[data-testid="stPlotlyChart"] .main-svg .ytick text')
        size_px = page.locator(".ytick text").first.evaluate(
            "e => parseFloat(getComputedStyle(e).fontSize)"
        )
        assert size_px >= 20
    finally:
        context.close()


def press(page, key: str, title: str) -> None:
    """Press a key until the slide with this title shows.

    On a busy machine the first key can come before the page listens for shortcuts; it is
    pressed again only while the slide has not changed at all, so no slide is skipped.
    """
    before = page.locator(".sn-title").inner_text()
    for _ in range(3):
        wait_for_script(page)
        page.locator(".sn-title").click()  # the page has the keyboard's focus
        page.keyboard.press(key)
        try:
            expect(page.locator(".sn-title")).not_to_have_text(before, timeout=20_000)
            break
        except AssertionError:
            continue
    expect(page.locator(".sn-title")).to_have_text(title)


def test_the_arrow_keys_move_between_slides_with_a_url_each(browser, app_url):
    context, page = open_slides(browser, app_url, SIZES["1920x1080"])
    try:
        expect(page.locator(".sn-title")).to_have_text("Resumé")
        press(page, "ArrowRight", "Budgetstatus")
        page.wait_for_function("() => location.search.includes('dias=budget')")
        press(page, "ArrowRight", "Forbrug mod budget")
        press(page, "ArrowLeft", "Budgetstatus")
    finally:
        context.close()


def test_the_deck_downloads_arrive_and_open(browser, app_url):
    from pptx import Presentation
    from pypdf import PdfReader

    context, page = open_slides(browser, app_url, SIZES["1920x1080"], "?dias=definitioner")
    try:
        pptx = download(page, page.get_by_role("button", name="PPTX"))
        assert pptx.suffix == ".pptx"
        slides = list(Presentation(str(pptx)).slides)
        assert any(shape.has_chart for s in slides for shape in s.shapes)
        pdf = download(page, page.get_by_role("button", name="PDF"))
        reader = PdfReader(io.BytesIO(pdf.read_bytes()))
        assert len(reader.pages) == len(slides)
        assert "Budgetstatus" in " ".join(p.extract_text() for p in reader.pages)
    finally:
        context.close()


@pytest.fixture(scope="module")
def big_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An app on a store whose spend runs to thousands of millions: the longest tile values."""
    tmp = tmp_path_factory.mktemp("big")
    regs = [
        registration(
            f"R{i}",
            intervention_type=code,
            cost_amount="2900000",
            cost_period="month",
            start_date="2029-01-01",
            team="Team Nord",
        )
        for i, code in enumerate(["ANB_DOGNINST", "ANB_OPHOLD", "SI_KONTAKT"] * 30)
    ]
    store = build_store(tmp, regs)
    db = store.path
    store.close()
    proc, url = start_app(db, tmp / "streamlit.log")
    yield url
    proc.terminate()
    proc.wait(timeout=30)


def test_the_economy_tiles_show_their_whole_value_at_1280(browser, big_url):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.set_default_timeout(90_000)
    try:
        page.goto(f"{big_url}/oekonomi")
        page.wait_for_selector('[data-testid="stMetricValue"]')
        wait_for_script(page)
        values = page.locator('[data-testid="stMetricValue"]')
        expect(values.first).to_contain_text("mio. kr.")
        assert values.count() >= 4
        for value in values.all():
            text = value.inner_text()
            assert value.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), text
            assert value.evaluate(
                "e => [...e.querySelectorAll('*')].filter(c => c.clientWidth > 0)"
                ".every(c => c.scrollWidth <= c.clientWidth + 1)"
            ), text
    finally:
        context.close()
