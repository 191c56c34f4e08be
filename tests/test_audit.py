"""The audit log (access.md): append-only, written with every write, never a CPR number."""

from __future__ import annotations

import datetime as dt

import pytest

from slcore import access, activity, audit, budgets, compliance, importer, settings
from slcore.figures import Filters
from slcore.importer import ImportRefused
from slcore.periods import Period
from slcore.store import open_store
from tests.conftest import CANONICAL_HEADER, registration, write_csv

PERIOD = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31), dt.date(2025, 9, 30))


@pytest.fixture
def store(sample_copy):
    s = open_store(sample_copy)
    audit.forget_views()
    yield s
    s.close()


def test_every_write_records_the_person_in_its_own_transaction(store, tmp_path):
    ana = store.as_person(
        access.Access(who="ana@k.dk", name="Ana", roles=frozenset({"analytiker"})).on("indlaes")
    )
    extract = write_csv(tmp_path / "ny.csv", CANONICAL_HEADER, [registration("NY-1")])
    result = importer.import_file(ana, extract, today=dt.date(2026, 1, 1))
    log = audit.entries(store)
    assert (log["who"].iloc[0], log["event"].iloc[0]) == ("ana@k.dk", "import")
    assert f"Import nr. {result.batch_id}: ny.csv" in log["detail"].iloc[0]
    assert (
        store.scalar("SELECT imported_by FROM import_batches WHERE batch_id = ?", [result.batch_id])
        == "ana@k.dk"
    )


def test_a_write_that_fails_leaves_no_entry(store):
    before = len(audit.entries(store))
    with pytest.raises(budgets.FrameError):
        budgets.copy_budgets(store, 1990, 2031)  # no budgets for 1990: refused, rolled back
    with pytest.raises(ImportRefused):
        importer.add_alias(store, "x", "UKENDT_KODE")
    assert len(audit.entries(store)) == before


def test_a_view_of_an_allocation_list_is_logged_once_per_while(store):
    who = store.as_person(
        access.Access(who="dir@k.dk", name="D", roles=frozenset({"direktion"})).on("aktivitet")
    )
    for _ in range(3):  # three reruns of the page, the second and third from the cache
        activity.allocations(who, PERIOD, Filters(age_bands=("12-17",)))
    compliance.committee_deviations(who, PERIOD)
    log = audit.entries(store, who="dir@k.dk")
    assert list(log["event"]) == ["view", "view"]
    assert log["detail"].iloc[1].startswith("Bevillingsliste: 01-01-2025 – 31-12-2025")
    assert "age_bands=12-17" in log["detail"].iloc[1]
    assert log["detail"].iloc[0].startswith("Visitationsudvalget")


def test_a_view_does_not_throw_the_cached_figures_away(store):
    version = store.data_version()
    audit.log(store, "view", "Bevillingsliste: test")
    audit.log(store, "login")
    assert store.data_version() == version
    settings.set_value(store, "small_number_threshold", "4")  # a setting changes figures
    assert store.data_version() != version


def test_no_cpr_number_reaches_the_log(store):
    importer.add_alias(store, "Kontakt 010203-1234", "SI_KONTAKT")
    audit.log(store, "download", "bevillinger 0102031234.csv")
    details = " ".join(audit.entries(store)["detail"])
    assert "010203-1234" not in details and "0102031234" not in details
    assert "Kontakt" in details


def test_the_log_is_for_administrators_and_filters_by_day_person_and_event(store):
    audit.log(store, "login")
    today = dt.datetime.now(dt.UTC).date()
    assert audit.entries(store, since=today - dt.timedelta(days=1))["event"].iloc[0] == "login"
    assert audit.entries(store, since=today + dt.timedelta(days=2)).empty
    assert set(audit.entries(store, events=("login",))["event"]) == {"login"}
    leader = store.as_person(
        access.Access(
            who="t@k.dk", name="T", roles=frozenset({"teamleder"}), teams=("Team Nord",)
        ).on("overblik")
    )
    with pytest.raises(access.AccessDenied):
        audit.entries(leader)
    with pytest.raises(ValueError, match="Ukendt hændelse"):
        audit.log(store, "delete")
