"""Login with a real OIDC provider, the real app and Debian's Chromium (access.md).

One provider (``oidc-provider-mock``) and one app server with an ``[auth]`` section serve the
module; every person logs in in a browser context of their own. The people and roles are in
a private copy of the sample store, written before the server opens it (DuckDB allows one
process per file). What the app wrote (the audit log, the import's author) is read from the
store after the server has stopped.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import CANONICAL_HEADER, ROOT, registration, write_csv
from tests.test_browser import CHROMIUM, _free_port, expect, playwright, wait_for_script

pytestmark = pytest.mark.browser

# The provider's predefined users: the app knows a person by the e-mail claim (lower-cased).
ANA = {"sub": "ana", "email": "Ana.Analytiker@Kommune.DK", "name": "Ana Analytiker"}
TOM = {"sub": "tom", "email": "tom@kommune.dk", "name": "Tom Teamleder"}
NINA = {"sub": "nina", "email": "nina@kommune.dk", "name": "Nina Nyansat"}  # no role
ANA_EMAIL = ANA["email"].lower()
TOM_TEAM = "Team Nord"


def _wait_until_up(proc: subprocess.Popen, url: str, log: Path, ok) -> None:
    """Poll ``url`` until ``ok(body)``; fail with the log if the process dies or takes long."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if ok(r.read().decode()):
                    return
        except OSError:
            pass
        time.sleep(0.3)
    proc.kill()
    proc.wait(timeout=30)
    raise RuntimeError(f"{url} did not answer:\n{log.read_text()}")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Run the OIDC provider with the three people as predefined users; return its URL."""
    tmp = tmp_path_factory.mktemp("oidc")
    port = _free_port()
    log = tmp / "provider.log"
    args = [sys.executable, "-m", "oidc_provider_mock", "--port", str(port)]
    for user in (ANA, TOM, NINA):
        args += ["--user-claims", json.dumps(user)]
    with log.open("w") as fh:
        proc = subprocess.Popen(
            args, cwd=tmp, stdout=fh, stderr=subprocess.STDOUT, env={**os.environ, "NO_COLOR": "1"}
        )
    url = f"http://127.0.0.1:{port}"
    _wait_until_up(
        proc, f"{url}/.well-known/openid-configuration", log, lambda b: "authorization" in b
    )
    yield url
    _stop(proc)


@dataclass
class Expected:
    """What the app should show, computed with slcore from the store before the server opens it."""

    municipality: str
    team_active: str  # Tom's "Aktive bevillinger" for the default period
    team_children: str  # Tom's "Aktive børn og unge"
    all_active: str  # the same for every team
    all_children: str


def _expected(db: Path) -> Expected:
    from slcore import access, figures, fmt, settings
    from slcore.figures import Filters
    from slcore.periods import PRESETS, preset_period
    from slcore.store import open_store

    store = open_store(db)
    try:
        # The page's default: the sidebar's first preset, as of the newest import's data date.
        period = preset_period(next(iter(PRESETS)), figures.default_as_of(store))
        tom = access.Access(
            who=TOM["email"], name=TOM["name"], roles=frozenset({"teamleder"}), teams=(TOM_TEAM,)
        )

        def tiles(s):
            row = figures.key_figures(s, period, (), Filters(), missing_budget_empty=True).iloc[0]
            return fmt.number(row["active_registrations"]), fmt.number(row["active_citizens"])

        team_active, team_children = tiles(store.as_person(tom.on(access.OVERVIEW)))
        everyone = access.everything("test", "Test")
        all_active, all_children = tiles(store.as_person(everyone.on(access.OVERVIEW)))
        return Expected(
            settings.municipality_name(store), team_active, team_children, all_active, all_children
        )
    finally:
        store.close()


class LoginApp:
    """The app with login on, on its own copy of the sample store; restartable.

    ``url`` starts the server when it is not running (a test that stopped it to read the
    store leaves it stopped; the next test that needs it starts it again).
    """

    def __init__(self, db: Path, tmp: Path, provider: str) -> None:
        self.db, self.tmp, self.provider = db, tmp, provider
        self.proc: subprocess.Popen | None = None
        self._url = ""
        self.expected: Expected | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        if self.proc is None:
            self.start()
        return self._url

    def start(self) -> None:
        self.expected = _expected(self.db)
        self.starts += 1
        port = _free_port()
        self._url = f"http://127.0.0.1:{port}"
        secrets_file = self.tmp / f"secrets-{self.starts}.toml"
        secrets_file.write_text(
            "[auth]\n"
            f'redirect_uri = "{self._url}/oauth2callback"\n'
            f'cookie_secret = "{secrets.token_hex(32)}"\n'
            'client_id = "serviceniveau-test"\n'
            'client_secret = "hemmelig"\n'
            f'server_metadata_url = "{self.provider}/.well-known/openid-configuration"\n'
        )
        log = self.tmp / f"streamlit-{self.starts}.log"
        with log.open("w") as fh:
            self.proc = subprocess.Popen(
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
                    "--secrets.files",
                    str(secrets_file),
                ],
                cwd=ROOT,
                env={**os.environ, "SLCORE_DB": str(self.db)},
                stdout=fh,
                stderr=subprocess.STDOUT,
            )
        try:
            _wait_until_up(self.proc, f"{self._url}/_stcore/health", log, lambda b: b == "ok")
        except RuntimeError:
            self.proc = None
            raise

    def stop(self) -> None:
        """Stop the server, so that the store file can be opened here."""
        if self.proc is not None:
            _stop(self.proc)
            self.proc = None


@pytest.fixture(scope="module")
def app(
    sample_db: Path, provider: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LoginApp]:
    from slcore import people
    from slcore.store import open_store

    tmp = tmp_path_factory.mktemp("browser-login")
    db = tmp / "login.duckdb"
    shutil.copy(sample_db, db)
    key = sample_db.with_name(sample_db.name + ".key")
    if key.exists():
        shutil.copy(key, db.with_name(db.name + ".key"))
    store = open_store(db)
    people.save(store, ANA_EMAIL, ["analytiker"], name="Ana fra personlisten")
    people.save(store, TOM["email"], ["teamleder"], [TOM_TEAM], name="Tom fra personlisten")
    store.close()
    server = LoginApp(db, tmp, provider)
    server.start()
    yield server
    server.stop()


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
    """A page in a browser context of its own: its own cookies, so its own login."""
    context = browser.new_context(viewport={"width": 1500, "height": 2000})
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    yield pg
    context.close()


def expect_login_page(page, app: LoginApp) -> None:
    """Wait for the logged-out page: the municipality's title and the login button, no data."""
    assert app.expected is not None
    title = f"Serviceniveau · {app.expected.municipality}"
    expect(page.locator("h1", has_text=title)).to_be_visible()
    expect(page.get_by_role("button", name="Log ind")).to_be_visible()
    wait_for_script(page)
    expect(page.locator('[data-testid="stMetric"]')).to_have_count(0)
    expect(page.locator('[data-testid="stFileUploader"]')).to_have_count(0)
    expect(page.locator('[data-testid="stSidebarNav"]')).to_have_count(0)


def login(page, app: LoginApp, provider: str, user: dict[str, str], path: str = "") -> None:
    """Log in as ``user`` at the provider, from the app's login page at ``path``."""
    url = app.url
    page.goto(f"{url}/{path}")
    expect_login_page(page, app)
    page.get_by_role("button", name="Log ind").click()
    # The provider's authorization page: one button per predefined user, named by subject.
    page.wait_for_url(f"{provider}/oauth2/authorize**")
    page.get_by_role("button", name=user["sub"], exact=True).click()
    page.wait_for_url(f"{url}/**")
    expect(page.get_by_role("button", name="Log ind")).to_have_count(0)


def sidebar(page):
    return page.locator('[data-testid="stSidebar"]')


def tile_value(page, label: str):
    tile = page.locator('[data-testid="stMetric"]').filter(has=page.get_by_text(label, exact=True))
    return tile.locator('[data-testid="stMetricValue"]')


def logout(page) -> None:
    """Click "Log ud"; confirm the end of the session at the provider if it asks."""
    page.get_by_role("button", name="Log ud").click()
    end = page.get_by_role("button", name="End session")
    back = page.get_by_role("button", name="Log ind")
    expect(end.or_(back)).to_be_visible()
    if end.is_visible():
        end.click()


def test_a_team_leader_sees_only_their_teams(page, app, provider):
    login(page, app, provider, TOM)
    exp = app.expected
    assert exp is not None
    # The figures differ between Tom's team and everyone, or the test would prove nothing.
    assert exp.team_active != exp.all_active
    expect(page.locator("h1", has_text="Overblik")).to_be_visible()
    expect(tile_value(page, "Aktive bevillinger")).to_have_text(exp.team_active)
    expect(tile_value(page, "Aktive børn og unge")).to_have_text(exp.team_children)
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    # The sidebar: who is logged in (the name the provider sends), the role and team.
    box = sidebar(page)
    expect(box).to_contain_text(TOM["name"])
    expect(box).to_contain_text(f"Teamleder · {TOM_TEAM}")
    expect(box.get_by_role("button", name="Log ud")).to_be_visible()
    nav = page.locator('[data-testid="stSidebarNav"]')
    expect(nav).to_contain_text("Rammeoverholdelse")
    expect(nav).not_to_contain_text("Indlæs data")
    # The team filter offers Tom's team only (opening the list reruns nothing: no wait for
    # the rest of the page, which a busy machine takes long to compute the first time).
    team = box.get_by_role("combobox", name="Team", exact=True)
    expect(team).to_have_attribute("placeholder", "Alle dine teams")
    team.click()
    expect(page.get_by_role("option")).to_have_text([TOM_TEAM])
    page.keyboard.press("Escape")
    # A deep link to a page outside the role is refused, without the uploader.
    page.goto(f"{app.url}/indlaes")
    expect(page.get_by_text("Du har ikke adgang til denne side")).to_be_visible()
    wait_for_script(page)
    expect(page.locator('[data-testid="stFileUploader"]')).to_have_count(0)
    expect(page.locator('[data-testid="stMetric"]')).to_have_count(0)
    expect(page.get_by_role("button", name="Log ind")).to_have_count(0)  # still logged in


def test_a_person_without_a_role_sees_no_data_and_may_log_out(page, app, provider):
    login(page, app, provider, NINA)
    expect(page.locator("h1", has_text="Ingen adgang endnu")).to_be_visible()
    expect(
        page.get_by_text(f"Du er logget ind som {NINA['name']} ({NINA['email']})")
    ).to_be_visible()
    wait_for_script(page)
    expect(page.locator('[data-testid="stMetric"]')).to_have_count(0)
    expect(page.locator('[data-testid="stSidebarNav"]')).to_have_count(0)
    logout(page)
    expect_login_page(page, app)


def test_a_deep_link_without_a_role_shows_no_data(page, app, provider):
    login(page, app, provider, NINA)
    expect(page.locator("h1", has_text="Ingen adgang endnu")).to_be_visible()
    wait_for_script(page)
    page.goto(f"{app.url}/indlaes")
    expect(page.locator("h1", has_text="Ingen adgang endnu")).to_be_visible()
    wait_for_script(page)
    expect(page.locator('[data-testid="stFileUploader"]')).to_have_count(0)
    expect(page.locator('[data-testid="stMetric"]')).to_have_count(0)


def test_a_deep_link_while_logged_out_shows_the_login_page_without_page_not_found(page, app):
    page.goto(f"{app.url}/oekonomi")
    expect_login_page(page, app)
    expect(page.get_by_text("Page not found")).to_have_count(0, timeout=5_000)
    page.get_by_role("button", name="Log ind").click(trial=True, timeout=5_000)


def test_log_out_returns_to_the_login_page_and_stays_logged_out(page, app, provider):
    login(page, app, provider, TOM)
    expect(tile_value(page, "Aktive bevillinger")).to_be_visible()
    logout(page)  # while the overview may still be computing its charts
    expect_login_page(page, app)
    # The login cookie is gone: a new visit, and a deep link, show the login page again.
    page.goto(app.url)
    expect_login_page(page, app)
    page.goto(f"{app.url}/oekonomi")
    expect_login_page(page, app)


def test_an_analyst_imports_an_extract_and_the_store_records_who(page, app, provider, tmp_path):
    from slcore import audit
    from slcore.store import open_store

    login(page, app, provider, ANA)
    box = sidebar(page)
    expect(box).to_contain_text(ANA["name"])
    expect(box).to_contain_text("Analytiker")
    # A click in the navigation stops the run of the overview that the login opened.
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Indlæs data", exact=True).click()
    expect(page.locator("h1", has_text="Indlæs data")).to_be_visible()
    wait_for_script(page)

    rows = [
        registration(
            f"LOGIN-{i}",
            team="Team Syd",
            start_date="2026-01-10",
            decision_date="2026-01-05",
            cost_amount="1000",
            cost_period="month",
        )
        for i in (1, 2, 3)
    ]
    extract = write_csv(tmp_path / "udtraek_login.csv", CANONICAL_HEADER, rows)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(extract))
    expect(page.get_by_text("Alle rækker kan indlæses.")).to_be_visible()
    wait_for_script(page)
    page.get_by_role("button", name="Indlæs 3 rækker").click()
    saved = page.locator('[data-testid="stAlert"]', has_text="er gemt.")
    expect(saved).to_be_visible()
    expect(saved).to_contain_text("indsat 3")
    batch_id = int(saved.inner_text().split("Import nr. ")[1].split(" ")[0])
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)

    app.stop()  # the server holds the store file
    store = open_store(app.db)
    try:
        log = audit.entries(store)
        mine = log[log["who"] == ANA_EMAIL]
        assert "login" in set(mine["event"]), log.head(10)
        imports = mine[mine["event"] == "import"]
        assert len(imports) == 1, log.head(10)
        assert "udtraek_login.csv" in imports.iloc[0]["detail"], imports.iloc[0]["detail"]
        by = store.scalar("SELECT imported_by FROM import_batches WHERE batch_id = ?", [batch_id])
        assert by == ANA_EMAIL
        n = store.scalar("SELECT count(*) FROM registrations WHERE registration_id LIKE 'LOGIN-%'")
        assert n == 3
    finally:
        store.close()
