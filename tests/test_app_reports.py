"""AppTest of issue 16's pages: the settings, the roles plan and the document downloads."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest

from slcore import rolesplan, settings
from slcore.store import open_store
from tests.test_app import open_tab

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.fixture
def app_db(sample_copy, monkeypatch):
    monkeypatch.setenv("SLCORE_DB", str(sample_copy))
    return sample_copy


def page(path: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page(path).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_the_settings_page_saves_name_threshold_and_refuses_a_bad_role_map(app_db):
    at = page("views/indstillinger.py")
    at.text_input[0].input("Testrup Kommune")
    at.number_input[0].set_value(3)
    next(b for b in at.button if b.label == "Gem indstillingerne").click().run()
    assert "Indstillingerne er gemt." in " ".join(s.value for s in at.success)
    store = open_store(app_db)
    assert settings.municipality_name(store) == "Testrup Kommune"
    assert settings.threshold(store) == 3
    store.close()
    assert "Testrup Kommune" in " ".join(c.value for c in at.caption)  # the header shows it
    at.text_input[1].input("Chefer=chef")
    next(b for b in at.button if b.label == "Gem indstillingerne").click().run()
    assert "Ukendt rolle: chef" in " ".join(e.value for e in at.error)


def test_the_roles_plan_is_shown_and_saved_from_the_service_level_page(app_db):
    at = open_tab(page("views/serviceniveau.py"), "Roller og ansvar")
    next(b for b in at.button if b.label == "Gem planen").click().run()
    assert "Planen med 6 roller er gemt." in " ".join(s.value for s in at.success)
    store = open_store(app_db)
    saved = rolesplan.plan(store)
    assert not rolesplan.is_default(store) and list(saved["role"]) == list(rolesplan.DEFAULT_ROLES)
    store.close()


def test_the_document_downloads_are_offered_and_open(app_db):
    at = open_tab(page("views/serviceniveau.py"), "Dokument")
    buttons = {b.proto.label: b for b in at.get("download_button")}
    assert set(buttons) == {"Hent PDF", "Hent DOCX"}
    store = open_store(app_db)
    from slcore import document

    pdf = document.service_level_document(store, store_day(store), None, "pdf")
    store.close()
    assert (
        "Serviceniveau for udsatte børn og unge"
        in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    )


def store_day(store):
    from slcore import figures

    return figures.default_as_of(store)
