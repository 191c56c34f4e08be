"""The real app in a real browser: Debian's Chromium driven by Playwright."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect
# Every check waits for its condition (a busy 2-core machine may take long to rerun a page);
# none reads the page once and none sleeps a fixed time.
expect.set_options(timeout=60_000)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(db: Path, log: Path) -> tuple[subprocess.Popen, str]:
    """Start ``streamlit run app.py`` on a free port with SLCORE_DB; wait until healthy."""
    port = _free_port()
    env = {**os.environ, "SLCORE_DB": str(db)}
    fh = log.open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        env=env,
        stdout=fh,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.read().decode().strip() == "ok":
                    return proc, url
        except OSError:
            time.sleep(0.3)
        if proc.poll() is not None:
            break
    proc.kill()
    raise RuntimeError(f"Streamlit did not start:\n{log.read_text()}")


@pytest.fixture(scope="module")
def app_url(sample_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("browser")
    db = tmp / "browser.duckdb"
    shutil.copy(sample_db, db)
    proc, url = start_app(db, tmp / "streamlit.log")
    yield url
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: apt-get install chromium (see README)")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1500, "height": 2000}, accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(90_000)
    yield pg
    context.close()


def download(page, button) -> Path:
    """Click a download button until its file arrives; return the file's path and name.

    A click that lands while the page reruns (a busy machine) fetches a file the rerun has
    just replaced, and no download starts: the script is awaited and the click repeated.
    """
    for _ in range(4):
        button.wait_for(state="visible")
        wait_for_script(page)
        try:
            with page.expect_download(timeout=30_000) as info:
                button.click()
        except playwright.TimeoutError:
            continue
        saved = Path(info.value.path())
        return saved.rename(saved.with_name(info.value.suggested_filename))
    raise AssertionError("No download started after four clicks")


def wait_for_script(page) -> None:
    """Wait until Streamlit has finished running the script."""
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=60_000)


def test_overview_renders_charts_without_exception(page, app_url, tmp_path):
    page.goto(app_url)
    page.wait_for_selector('[data-testid="stPlotlyChart"] .main-svg', timeout=60_000)
    wait_for_script(page)
    expect(page.locator('[data-testid="stPlotlyChart"]')).to_have_count(2)
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    expect(page.get_by_text("Overblik", exact=True).first).to_be_visible()
    expect(page.get_by_text("Akkumuleret forbrug mod budget").first).to_be_visible()
    # Danish numbers on the tiles.
    expect(page.get_by_text("16,9 mio. kr.").first).to_be_visible()
    page.screenshot(path=str(tmp_path / "overview.png"))


def test_filter_goes_to_url_and_survives_reload(page, app_url):
    page.goto(app_url)
    page.wait_for_selector('[data-testid="stPlotlyChart"] .main-svg', timeout=60_000)
    wait_for_script(page)
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.locator('[data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name="Sidste år").click()
    page.wait_for_function("() => window.location.search.includes('periode=')", timeout=30_000)
    wait_for_script(page)
    query = parse_qs(urlparse(page.url).query)
    assert query["periode"] == ["Sidste år"]
    expect(page.get_by_text("Forventet forbrug for perioden til 31-12-2025").first).to_be_visible()

    page.reload()
    page.wait_for_selector('[data-testid="stPlotlyChart"] .main-svg', timeout=60_000)
    wait_for_script(page)
    assert "periode=" in page.url
    expect(page.get_by_text("Forventet forbrug for perioden til 31-12-2025").first).to_be_visible()
    # The selectbox shows its value in its input (the 1.67 select is a combobox).
    assert sidebar.locator('[data-testid="stSelectbox"] input').first.input_value() == "Sidste år"
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)


def test_key_figures_download(page, app_url):
    page.goto(app_url)
    page.wait_for_selector('[data-testid="stPlotlyChart"] .main-svg', timeout=60_000)
    wait_for_script(page)
    text = download(page, page.get_by_role("button", name="Hent CSV")).read_bytes()
    text = text.decode("utf-8-sig")
    header = text.splitlines()[0].split(";")
    assert header[:3] == ["Indsatstype", "Indsats", "Aktive bevillinger"]
    assert len(text.splitlines()) == 17  # header + 16 types in 2026


@pytest.fixture(scope="module")
def empty_app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from slcore.store import open_store

    tmp = tmp_path_factory.mktemp("browser-upload")
    db = tmp / "empty.duckdb"
    open_store(db).close()
    proc, url = start_app(db, tmp / "streamlit.log")
    yield url
    proc.terminate()
    proc.wait(timeout=30)


def test_upload_report_import_and_overview_changes(page, empty_app_url):
    from tests.conftest import SAMPLES

    page.goto(empty_app_url)
    page.wait_for_selector("text=Der er ingen bevillinger i databasen endnu", timeout=60_000)

    page.goto(f"{empty_app_url}/indlaes")
    page.wait_for_selector('[data-testid="stFileUploader"]', timeout=60_000)
    wait_for_script(page)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        str(SAMPLES / "udtraek_dubu_cp1252.csv")
    )
    page.wait_for_selector("text=Afviste rækker efter årsag", timeout=60_000)
    wait_for_script(page)
    expect(page.get_by_text("Tegnsæt: Windows-1252").first).to_be_visible()
    expect(page.get_by_text("Overskrift i linje: 2").first).to_be_visible()
    expect(page.get_by_text("Svømmeundervisning (1 rækker)").first).to_be_visible()
    rejected_tile = page.locator('[data-testid="stMetric"]', has_text="Afvises")
    rejected_tile.wait_for(timeout=60_000)
    # The rejected rows download: line, column, value (CPR masked), reason.
    # The first pair of downloads is the counts by reason; the second the rejected rows.
    got = download(page, page.get_by_role("button", name="Hent CSV").nth(1))
    assert got.name == "afviste_raekker.csv"
    lines = got.read_bytes().decode("utf-8-sig").splitlines()
    expect(rejected_tile.locator('[data-testid="stMetricValue"]')).to_have_text("8")
    assert lines[0] == "Linje;Bevillings-id;Kolonne i filen;Værdi;Årsag" and len(lines) == 9
    assert any(x.startswith("576;BAD-6;CPR-nr;***;Ugyldigt CPR-nummer") for x in lines)
    assert "0606204678" not in "".join(lines) and "060620-4678" not in "".join(lines)

    page.get_by_role("button", name="Indlæs 600 rækker").click()
    page.wait_for_selector("text=er gemt", timeout=60_000)
    wait_for_script(page)
    expect(page.get_by_text("afvist 8").first).to_be_visible()

    page.goto(empty_app_url)
    page.wait_for_selector('[data-testid="stPlotlyChart"] .main-svg', timeout=60_000)
    wait_for_script(page)
    active_tile = page.locator('[data-testid="stMetric"]', has_text="Aktive bevillinger")
    active_tile.wait_for(timeout=60_000)
    # The same registrations as the canonical sample: 233 active in 2026 as of 18-03-2026.
    expect(active_tile.locator('[data-testid="stMetricValue"]')).to_have_text("233")
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)


def test_deep_link_on_a_fresh_server_uses_the_app_navigation(page, sample_db, tmp_path):
    db = tmp_path / "fresh.duckdb"
    shutil.copy(sample_db, db)
    proc, url = start_app(db, tmp_path / "streamlit.log")
    try:
        page.goto(f"{url}/rammeoverholdelse?opgjort=2025-09-30")
        page.wait_for_selector('[data-testid="stPlotlyChart"] .main-svg', timeout=60_000)
        wait_for_script(page)
        nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
        assert "Rammeoverholdelse" in nav and "Indlæs data" in nav
        assert "rammeoverholdelse" not in nav  # not the legacy file-name list
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_compliance_committee_list_renders_and_downloads(page, app_url):
    page.goto(f"{app_url}/rammeoverholdelse?opgjort=2025-09-30")
    page.wait_for_selector('[data-testid="stPlotlyChart"] .main-svg', timeout=60_000)
    wait_for_script(page)
    page.get_by_role("tab", name="Visitationsudvalget").click()
    expect(page.get_by_role("heading", name="Ikke-godkendte afvigelser")).to_be_visible()
    assert parse_qs(urlparse(page.url).query)["ram_fane"] == ["Visitationsudvalget"]
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    # Only the open tab is drawn: the first download is the committee's first list.
    got = download(page, page.get_by_role("button", name="Hent CSV").first)
    name = "ikke_godkendte_afvigelser_2025-01-01_til_2025-12-31_opgjort_2025-09-30.csv"
    assert got.name == name
    lines = got.read_bytes().decode("utf-8-sig").splitlines()
    # A title line for the meeting's papers, an empty line, then the table.
    assert lines[0] == "Ikke-godkendte afvigelser · 01-01-2025 – 31-12-2025, opgjort pr. 30-09-2025"
    assert lines[1] == ""
    assert lines[2].startswith("Bevillings-id;Borger (pseudonym);Indsats;Team")
    assert len(lines) == 3 + 127  # the unapproved deviations of 2025 as of 30-09-2025


def _open(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector('[data-testid="stPlotlyChart"] .main-svg', timeout=60_000)
    wait_for_script(page)


@pytest.mark.parametrize(
    ("path", "title", "count"),
    [
        # The months, the children against last year; the first tab's age bars and heat map.
        ("aktivitet", "Aktive bevillinger pr. måned efter indsatstype", 4),
        # The months, the cumulative spend; the first tab's deviation per type.
        ("oekonomi", "Forbrug pr. måned efter indsatstype (mio. kr.)", 3),
    ],
)
def test_activity_and_economy_pages_render_their_charts(page, app_url, path, title, count):
    _open(page, f"{app_url}/{path}")
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    charts = page.locator('[data-testid="stPlotlyChart"]')
    expect(charts).to_have_count(count)
    # The visible charts are drawn: bars in the first, and its title with the as-of date.
    expect(charts.first.locator(".bars .point path").first).to_be_attached()
    expect(page.get_by_text(title).first).to_be_visible()
    expect(page.get_by_text("opgjort pr. 18-03-2026").first).to_be_visible()


def test_a_tab_is_drawn_when_clicked_and_the_url_keeps_it(page, app_url):
    _open(page, f"{app_url}/aktivitet")
    age = page.get_by_text("Børn og unge pr. aldersgruppe")
    durations = page.get_by_text("Varighed pr. indsatstype: afsluttede og løbende")
    expect(age.first).to_be_visible()
    expect(durations).to_have_count(0)  # a hidden tab is not drawn at all
    assert "akt_fane" not in page.url  # the first tab is the page's own address
    page.get_by_role("tab", name="Varighed").click()
    expect(durations.first).to_be_visible()
    expect(age).to_have_count(0)
    page.wait_for_function("() => window.location.search.includes('akt_fane=')")
    assert parse_qs(urlparse(page.url).query)["akt_fane"] == ["Varighed"]
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    # A reload, and a round trip through another page, open the same tab.
    page.reload()
    expect(durations.first).to_be_visible()
    expect(page.get_by_role("tab", selected=True)).to_have_text("Varighed")
    wait_for_script(page)
    nav = page.locator('[data-testid="stSidebarNav"]')
    nav.get_by_text("Økonomi", exact=True).click()
    expect(page.locator("h1", has_text="Økonomi")).to_be_visible()
    wait_for_script(page)
    assert "akt_fane" not in page.url
    nav.get_by_text("Aktivitet", exact=True).click()
    expect(durations.first).to_be_visible()
    expect(page.get_by_role("tab", selected=True)).to_have_text("Varighed")
    assert parse_qs(urlparse(page.url).query)["akt_fane"] == ["Varighed"]
    # Back on the first tab, the URL is the page's own again.
    wait_for_script(page)
    page.get_by_role("tab", name="Alder").click()
    expect(age.first).to_be_visible()
    page.wait_for_function("() => !window.location.search.includes('akt_fane=')")
    expect(durations).to_have_count(0)


def test_a_link_to_a_tab_opens_it(page, app_url):
    _open(page, f"{app_url}/oekonomi?{urlencode({'oek_fane': 'Leverandører'})}")
    expect(page.get_by_role("tab", selected=True)).to_have_text("Leverandører")
    expect(page.get_by_text("største leverandører efter forventet forbrug").first).to_be_visible()
    expect(page.get_by_text("Forventet forbrug mod budget pr. indsatstype")).to_have_count(0)
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)


def test_a_click_on_a_bar_filters_the_page(page, app_url, sample_db):
    from slcore import fmt
    from slcore.figures import Filters, key_figures
    from slcore.periods import preset_period
    from slcore.store import intervention_types, open_store

    _open(page, f"{app_url}/oekonomi")
    tile = page.locator('[data-testid="stMetricValue"]').first
    before = tile.inner_text()
    # The last segment of the last month: one intervention type in one month.
    page.locator('[data-testid="stPlotlyChart"]').first.locator(".bars .point path").last.click(
        force=True
    )
    crumb = page.get_by_text("Filtreret ved klik")
    crumb.wait_for(timeout=30_000)
    wait_for_script(page)
    name = crumb.inner_text().split("Indsatstype:")[1].strip()
    store = open_store(sample_db)
    code = next(t["code"] for t in intervention_types(store) if t["name_da"] == name)
    period = preset_period("this_year", dt.date(2026, 3, 18))
    row = key_figures(store, period, (), Filters(intervention_types=(code,))).iloc[0]
    page.wait_for_function(
        "v => document.querySelector('[data-testid=\"stMetricValue\"]').innerText !== v",
        arg=before,
        timeout=30_000,
    )
    # A busy machine may take longer than expect's 5 s default for the filtered rerun.
    expect(tile).to_have_text(fmt.mio_kr(row["realized_spend_dkk"]), timeout=60_000)
    # The way back: the whole municipality again.
    page.get_by_role("button", name="Tilbage").click()
    page.get_by_text("Filtreret ved klik").wait_for(state="detached", timeout=30_000)
    wait_for_script(page)
    expect(tile).to_have_text(before, timeout=60_000)


def test_activity_month_table_downloads(page, app_url):
    _open(page, f"{app_url}/aktivitet")
    page.get_by_text("Tal pr. måned").first.click()
    button = page.get_by_role("button", name="Hent CSV").filter(visible=True).first
    got = download(page, button)
    name = "aktivitet_pr_maaned_2026-01-01_til_2026-12-31_opgjort_2026-03-18.csv"
    assert got.name == name, got.name
    lines = got.read_bytes().decode("utf-8-sig").splitlines()
    assert lines[0] == (
        "Måned;Aktive bevillinger;Aktive børn og unge;Nye bevillinger;Afsluttede bevillinger;"
        "Barnedage"
    )
    assert lines[1].startswith("jan 2026;")
    assert lines[-1].startswith("Hele perioden;")
    assert len(lines) == 1 + 3 + 1  # January to March 2026 (as of 18-03-2026) and the period


# A deep link that sets every sidebar filter (a bound widget's URL value is the label it
# shows), and what each widget then shows.
DEEP_LINK = urlencode(
    [
        ("periode", "Valgfri periode"),
        ("fra", "01-02-2025"),  # not the defaults (01-01 and the as-of date), which the
        ("til", "31-05-2025"),  # URL leaves out
        ("opgjort", "30-06-2025"),
        ("kategori", "Støttende indsats"),
        ("indsats", "Aflastningsophold (SI_AFLAST)"),
        ("indsats", "Fast kontaktperson (SI_KONTAKT)"),
        ("alder", "12-17"),
        ("team", "Team Nord"),
    ]
)
NAV_ORDER = [
    "Aktivitet",
    "Økonomi",
    "Rammeoverholdelse",
    "Serviceniveau",
    "Indlæs data",
    "Overblik",
]


def expect_sidebar_filters(page) -> None:
    """Wait until the sidebar shows every filter of ``DEEP_LINK``."""
    sidebar = page.locator('[data-testid="stSidebar"]')
    expect(sidebar.locator('[data-testid="stSelectbox"] input').first).to_have_value(
        "Valgfri periode", timeout=60_000
    )
    expect(sidebar.get_by_role("textbox", name="Opgjort pr.")).to_have_value("30-06-2025")
    expect(sidebar.get_by_role("textbox", name="Fra")).to_have_value("01-02-2025")
    expect(sidebar.get_by_role("textbox", name="Til")).to_have_value("31-05-2025")
    chips = sidebar.locator('[data-testid="stMultiSelect"]')
    expect(chips.nth(0)).to_contain_text("Støttende indsats")
    expect(chips.nth(1)).to_contain_text("Aflastningsophold (SI_AFLAST)")
    expect(chips.nth(1)).to_contain_text("Fast kontaktperson (SI_KONTAKT)")
    expect(chips.nth(2)).to_contain_text("12-17")
    expect(chips.nth(3)).to_contain_text("Team Nord")


def test_a_deep_link_keeps_every_filter_on_every_page(page, app_url, sample_store):
    from slcore import figures
    from slcore.figures import Filters
    from slcore.periods import preset_period

    store = sample_store
    period = preset_period(
        "custom", dt.date(2025, 6, 30), (dt.date(2025, 1, 1), dt.date(2025, 6, 30))
    )
    chosen = Filters(
        categories=("stottende",),
        intervention_types=("SI_AFLAST", "SI_KONTAKT"),
        age_bands=("12-17",),
        teams=("Team Nord",),
    )
    active = int(figures.key_figures(store, period, (), chosen).iloc[0]["active_registrations"])
    everyone = int(
        figures.key_figures(store, period, (), Filters()).iloc[0]["active_registrations"]
    )
    assert active != everyone
    wanted = parse_qs(DEEP_LINK)

    page.goto(f"{app_url}/?{DEEP_LINK}")
    expect_sidebar_filters(page)
    tile = page.locator('[data-testid="stMetric"]', has_text="Aktive bevillinger")
    expect(tile).to_contain_text(str(active), timeout=60_000)
    nav = page.locator('[data-testid="stSidebarNav"]')
    for name in NAV_ORDER:
        nav.get_by_text(name, exact=True).click()
        expect(page.locator("h1", has_text=name)).to_be_visible(timeout=60_000)
        wait_for_script(page)
        expect_sidebar_filters(page)
        assert parse_qs(urlparse(page.url).query) == wanted, (name, page.url)
        expect(page.get_by_text("Opgjort pr. 30-06-2025").first).to_be_visible()
        if name in ("Aktivitet", "Overblik"):
            tile = page.locator('[data-testid="stMetric"]', has_text="Aktive bevillinger").first
            expect(tile).to_contain_text(str(active))
        expect(page.locator('[data-testid="stException"]')).to_have_count(0), name


@pytest.mark.parametrize("key", ["Enter", "Tab"])
def test_a_typed_date_applies_on_enter_and_tab(page, app_url, key):
    page.goto(f"{app_url}/?periode=Valgfri+periode")
    sidebar = page.locator('[data-testid="stSidebar"]')
    as_of = sidebar.get_by_role("textbox", name="Opgjort pr.")
    expect(as_of).to_have_value("18-03-2026", timeout=60_000)
    wait_for_script(page)
    as_of.fill("30-09-2025")
    as_of.press(key)
    expect(page.get_by_text("Opgjort pr. 30-09-2025").first).to_be_visible(timeout=60_000)
    start = sidebar.get_by_role("textbox", name="Fra")
    expect(start).to_have_value("01-01-2025")
    start.fill("01-04-2025")
    start.press(key)
    expect(sidebar.get_by_text("01-04-2025 – 30-09-2025")).to_be_visible(timeout=60_000)
    assert "fra=01-04-2025" in page.url and "opgjort=30-09-2025" in page.url


def test_the_upload_page_speaks_danish(page, app_url):
    page.goto(f"{app_url}/indlaes")
    zone = page.locator('[data-testid="stFileUploaderDropzone"]')
    expect(zone).to_be_visible(timeout=60_000)
    # Streamlit's own English words are hidden and Danish ones drawn in their place.
    expect(zone.get_by_text("per file", exact=False)).to_be_hidden()
    expect(zone.locator("button p")).to_be_hidden()
    after = zone.locator("button [data-testid='stMarkdownContainer']").evaluate(
        "e => getComputedStyle(e, '::after').content"
    )
    assert after == '"Vælg fil"'
    history = page.locator('[data-testid="stDataFrame"]').last
    expect(history).to_contain_text("Opdatér", timeout=60_000)
    expect(history).not_to_contain_text("upsert")
