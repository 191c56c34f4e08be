"""The real app with login (``[auth]`` in the secrets, ``at.user``) for each role (access.md)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from slcore import access, audit, cli, figures, fmt, people, settings
from slcore.periods import preset_period
from slcore.store import open_store
from tests.conftest import registration
from tests.test_app import open_tab

APP = str(Path(__file__).resolve().parent.parent / "app.py")
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "test-cookie-secret",
    "client_id": "serviceniveau",
    "client_secret": "secret",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}
FILES = {
    "overblik": "views/overblik.py",
    "aktivitet": "views/aktivitet.py",
    "oekonomi": "views/oekonomi.py",
    "rammeoverholdelse": "views/rammeoverholdelse.py",
    "serviceniveau": "views/serviceniveau.py",
    "udvalg": "views/udvalg.py",
    "indlaes": "views/indlaes.py",
    "personer": "views/personer.py",
    "indstillinger": "views/indstillinger.py",
    "log": "views/log.py",
}
REFUSAL = "Du har ikke adgang til denne side"
ANALYSIS = {"overblik", "aktivitet", "oekonomi", "rammeoverholdelse", "serviceniveau"}
ROLE_PAGES = {
    "politiker": {"overblik", "aktivitet", "oekonomi", "udvalg"},
    "direktion": {*ANALYSIS, "udvalg"},
    "leder": {*ANALYSIS, "udvalg"},
    "teamleder": ANALYSIS,
    "sagsbehandler": {"rammeoverholdelse", "serviceniveau"},
    "analytiker": {*ANALYSIS, "udvalg", "indlaes"},
    "administrator": set(FILES),
}


@pytest.fixture
def app_db(sample_copy, monkeypatch):
    monkeypatch.setenv("SLCORE_DB", str(sample_copy))
    store = open_store(sample_copy)
    for role in access.ROLES:
        teams = ["Team Nord"] if role in access.SCOPED_ROLES else []
        people.save(store, f"{role}@kommune.dk", [role], teams, name=f"{role.title()} Test")
    store.close()
    audit.forget_views()
    return sample_copy


def logged_in(email: str | None, name: str = "Test Person") -> AppTest:
    """Return the app with login on, as a person (None: logged out), after its first run."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["auth"] = AUTH
    at.user = (
        {"is_logged_in": True, "email": email, "name": name} if email else {"is_logged_in": False}
    )
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def offered(at: AppTest) -> set[str]:
    """Return the pages the navigation offers: those that run their own file."""
    files = {str(Path(f).resolve()): code for code, f in FILES.items()}
    root = Path(APP).parent
    return {
        files[str((root / info["script_path"]).resolve())]
        for info in at._registered_pages.values()  # AppTest's record of st.navigation
        if info.get("script_path")
    }


def open_url_path(at: AppTest, url_path: str) -> AppTest:
    """Open a page by its URL path, as a deep link does (a refused page has no file)."""
    for page_hash, info in at._registered_pages.items():
        if info.get("url_pathname") == url_path or (
            info.get("script_path") and Path(info["script_path"]).stem == url_path
        ):
            at._page_hash = page_hash
            at.run()
            assert not at.exception, [e.message for e in at.exception]
            return at
    raise AssertionError(f"{url_path} is not registered")


def texts(at: AppTest) -> str:
    return " ".join(
        [e.value for e in at.error]
        + [e.value for e in at.info]
        + [e.value for e in at.markdown]
        + [t.value for t in at.title]
    )


def test_logged_out_shows_the_login_page_with_the_municipalitys_name_and_no_data(app_db):
    store = open_store(app_db)
    settings.set_value(store, "municipality_name", "Testrup Kommune")
    store.close()
    at = logged_in(None)
    assert [t.value for t in at.title] == ["Serviceniveau · Testrup Kommune"]
    assert [b.label for b in at.button] == ["Log ind"]
    assert not at.metric and not at.dataframe and not at.sidebar.multiselect


def test_a_person_without_a_role_sees_only_that_they_have_no_access(app_db):
    at = logged_in("ny@kommune.dk", "Ny Medarbejder")
    assert [t.value for t in at.title] == ["Ingen adgang endnu"]
    assert "ny@kommune.dk" in texts(at) and "administrator" in texts(at)
    assert not at.metric and not at.dataframe
    assert [b.label for b in at.button] == ["Log ud"]
    store = open_store(app_db)
    log = audit.entries(store)
    store.close()
    assert ("ny@kommune.dk", "login", "Ingen rolle") in set(
        zip(log["who"], log["event"], log["detail"], strict=True)
    )


@pytest.mark.parametrize("role", list(access.ROLES))
def test_each_role_is_offered_its_pages_and_a_deep_link_elsewhere_is_refused(app_db, role):
    at = logged_in(f"{role}@kommune.dk")
    assert offered(at) == ROLE_PAGES[role]
    names = " ".join(c.value for c in at.sidebar.caption)
    assert access.ROLES[role] in names and "Test" in names
    assert "Log ud" in [b.label for b in at.sidebar.button]
    for code in FILES:
        open_url_path(at, code)
        if code in ROLE_PAGES[role]:
            assert REFUSAL not in texts(at), code
        else:
            assert REFUSAL in texts(at), code
            assert not at.metric and not at.dataframe and not at.get("plotly_chart"), code


def test_local_mode_is_the_administrator_on_this_machine(app_db):
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    assert offered(at) == set(FILES)
    assert "Lokal tilstand" in " ".join(c.value for c in at.sidebar.caption)


def test_a_team_leaders_tiles_equal_figures_by_team_for_their_team(app_db, capsys):
    at = logged_in("teamleder@kommune.dk")
    tiles = {m.label: m.value for m in at.metric}
    store = open_store(app_db)
    period = preset_period("this_year", figures.default_as_of(store))
    store.close()
    assert (
        cli.main(
            [
                "figures",
                "--db",
                str(app_db),
                "--from",
                period.start.isoformat(),
                "--to",
                period.end.isoformat(),
                "--as-of",
                period.as_of.isoformat(),
                "--by",
                "team",
            ]
        )
        == 0
    )
    rows = {r["team"]: r for r in csv.DictReader(io.StringIO(capsys.readouterr().out))}
    nord = rows["Team Nord"]
    assert tiles["Aktive bevillinger"] == fmt.number(int(nord["active_registrations"]))
    assert tiles["Aktive børn og unge"] == fmt.number(int(nord["active_citizens"]))
    assert tiles["Ikke-godkendte afvigelser"] == fmt.number(int(nord["unapproved_deviations"]))
    everyone = sum(int(r["active_registrations"]) for r in rows.values())
    assert tiles["Aktive bevillinger"] != fmt.number(everyone)
    # Budgets exist per type: a team has none, and the page says so.
    assert tiles["Budget for perioden"] == "–"
    assert at.sidebar.multiselect(key="team").options == ["Team Nord"]


def test_a_caseworker_sees_their_teams_committee_list_without_downloads(app_db):
    at = logged_in("sagsbehandler@kommune.dk")
    assert [t.value for t in at.title] == ["Rammeoverholdelse"]
    open_tab(at, "Visitationsudvalget")
    lists = [d.value for d in at.dataframe]
    assert lists and all(set(df["Team"]) == {"Team Nord"} for df in lists)
    assert not list(at.get("download_button"))
    # The same list for a director covers every team, with its downloads.
    boss = open_url_path(logged_in("direktion@kommune.dk"), "rammeoverholdelse")
    open_tab(boss, "Visitationsudvalget")
    assert len({t for d in boss.dataframe for t in d.value["Team"]}) > 1
    assert list(boss.get("download_button"))


def test_readers_see_the_service_level_without_editing_it(app_db):
    at = logged_in("direktion@kommune.dk")
    open_url_path(at, "serviceniveau")
    labels = [b.label for b in at.button]
    assert "Gem budgetterne" not in labels
    assert "Ret en ramme" not in str(at.get("tabs"))
    assert "uden at kunne ændre" in " ".join(c.value for c in at.caption)


def test_an_analyst_may_open_the_import_page_and_not_the_people(app_db):
    at = logged_in("analytiker@kommune.dk")
    open_url_path(at, "indlaes")
    assert at.get("file_uploader")
    open_url_path(at, "personer")
    assert REFUSAL in texts(at)


def test_the_administrator_adds_a_person_and_reads_the_log(app_db):
    at = logged_in("administrator@kommune.dk")
    open_url_path(at, "personer")
    at.text_input(key="pe_new").input("Ny.Leder@Kommune.dk")
    at.text_input(key="pn_new").input("Ny Leder")
    at.multiselect(key="pr_new").select("teamleder")
    at.multiselect(key="pt_new").select("Team Syd")
    next(b for b in at.button if b.label == "Gem personen").click().run()
    assert not at.exception
    assert "ny.leder@kommune.dk er gemt." in " ".join(s.value for s in at.success)
    store = open_store(app_db)
    p = people.find(store, "ny.leder@kommune.dk")
    store.close()
    assert p is not None and p.roles == ("teamleder",) and p.teams == ("Team Syd",)
    open_url_path(at, "log")
    shown = at.dataframe[0].value
    assert "ny.leder@kommune.dk tilføjet: Teamleder; teams: Team Syd" in set(shown["Detaljer"])
    assert "administrator@kommune.dk" in set(shown["Hvem"])


def test_a_politician_sees_types_under_the_small_number_rule(make_store, monkeypatch):
    regs = [
        registration(
            f"A{i}",
            intervention_type="SI_KONTAKT",
            cost_amount="100",
            team=("Team Nord" if i % 2 else "Team Syd"),
            start_date="2029-01-01",
        )
        for i in range(12)
    ]
    regs += [
        registration(
            f"B{i}", intervention_type="SI_BEHANDL", cost_amount="900", start_date="2029-02-01"
        )
        for i in range(3)
    ]
    store = make_store(regs)
    people.save(store, "pol@kommune.dk", ["politiker"])
    monkeypatch.setenv("SLCORE_DB", str(store.path))
    store.close()
    at = logged_in("pol@kommune.dk")
    assert [t.value for t in at.title] == ["Overblik"]
    table = at.dataframe[0].value
    few = table[table["Indsatstype"].str.contains("Familiebehandling")]
    assert list(few["Aktive bevillinger"]) == ["<5"]
    assert list(few["Forventet forbrug (kr.)"]) == [".."]
    # The lone hidden money of the column is protected by hiding the smallest other one too.
    assert (table["Forventet forbrug (kr.)"] == "..").sum() >= 2
    assert "team" not in [m.key for m in at.sidebar.multiselect]
    assert "reglen om små tal" in " ".join(i.value for i in at.info)
    for code in ("aktivitet", "oekonomi"):
        open_url_path(at, code)
        assert "<5" in at.dataframe[0].value.to_string()


def test_a_role_claim_from_the_provider_gives_the_mapped_role(app_db):
    store = open_store(app_db)
    settings.set_value(store, "role_map", "Serviceniveau.Analytiker=analytiker")
    store.close()
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["auth"] = AUTH
    at.user = {
        "is_logged_in": True,
        "email": "claim@kommune.dk",
        "name": "Claim",
        "roles": ["Serviceniveau.Analytiker"],
    }
    at.run()
    assert not at.exception
    assert offered(at) == ROLE_PAGES["analytiker"]
