"""Committee mode (reports.md): the slides in the app, under the small-number rule."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from slcore import figures, fmt, people, slides
from slcore.periods import preset_period
from slcore.store import open_store
from tests.conftest import registration

APP = str(Path(__file__).resolve().parent.parent / "app.py")
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "test-cookie-secret",
    "client_id": "serviceniveau",
    "client_secret": "secret",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}


@pytest.fixture
def app_db(sample_copy, monkeypatch):
    monkeypatch.setenv("SLCORE_DB", str(sample_copy))
    return sample_copy


def committee(**query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update(query)
    at.run()
    at.switch_page("views/udvalg.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def slide_html(at: AppTest) -> str:
    return " ".join(h.proto.body for h in at.get("html"))


def test_the_slides_run_in_order_with_a_url_each_and_no_sidebar_widgets_shown(app_db):
    at = committee()
    store = open_store(app_db)
    period = preset_period("this_year", figures.default_as_of(store))
    keys = slides.slide_keys(slides.deck(store, period))
    store.close()
    seen = []
    for _ in keys:
        html = slide_html(at)
        assert "display: none" in html  # the sidebar and header are hidden on slides
        assert fmt.date(period.as_of) in html  # the as-of date on every slide
        seen.append(at.query_params.get("dias") or keys[0])
        nxt = next(b for b in at.button if b.key == "slide_next")
        if nxt.disabled:
            break
        nxt.click().run()
        assert not at.exception
    assert seen == keys


def test_a_link_opens_its_slide_with_the_filters_of_the_url(app_db):
    at = committee(dias="indsatstyper", periode="Sidste år")
    html = slide_html(at)
    assert "Forbrug pr. indsatstype" in html
    store = open_store(app_db)
    period = preset_period("last_year", figures.default_as_of(store))
    store.close()
    assert f"{fmt.date(period.start)} – {fmt.date(period.end)}" in html
    assert at.get("plotly_chart")


def test_a_small_municipality_shows_no_count_below_the_threshold(make_store, monkeypatch):
    regs = [
        registration(
            f"A{i}", intervention_type="SI_KONTAKT", cost_amount="100", start_date="2029-01-01"
        )
        for i in range(12)
    ] + [
        registration(
            f"B{i}", intervention_type="SI_BEHANDL", cost_amount="900", start_date="2029-02-01"
        )
        for i in range(3)
    ]
    store = make_store(regs)
    monkeypatch.setenv("SLCORE_DB", str(store.path))
    store.close()
    at = committee()
    for _ in range(12):
        html = slide_html(at)
        for value in re.findall(r'sn-fig-v">([^<]*)<', html):
            assert not re.fullmatch(r"[1-4]", value.strip()), value
        nxt = next(b for b in at.button if b.key == "slide_next")
        if nxt.disabled:
            break
        nxt.click().run()
        assert not at.exception


def test_a_politician_may_open_committee_mode(app_db):
    store = open_store(app_db)
    people.save(store, "pol@kommune.dk", ["politiker"])
    store.close()
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email": "pol@kommune.dk", "name": "Pol"}
    at.run()
    at.switch_page("views/udvalg.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert "Resumé" in slide_html(at)


def test_the_durations_slide_leaves_out_a_type_with_few_children(make_store):
    regs = [
        registration(
            f"A{i}",
            intervention_type="SI_KONTAKT",
            start_date="2028-01-01",
            end_date=f"2028-0{1 + i % 9}-28",
        )
        for i in range(12)
    ] + [  # six allocations, but two children: their durations would tell about them
        registration(
            f"B{i}",
            citizen_id=f"C-B{i % 2}",
            intervention_type="SI_BEHANDL",
            start_date="2028-01-01",
            end_date=f"2028-0{2 + i}-15",
        )
        for i in range(6)
    ]
    store = make_store(regs)
    period = preset_period("last_year", figures.default_as_of(store))
    durations = next(s for s in slides.deck(store, period).slides if s.key == "varighed")
    assert durations.chart is not None
    assert durations.chart.categories == ["Fast kontaktperson"]
    assert "Familiebehandling" not in durations.notes
