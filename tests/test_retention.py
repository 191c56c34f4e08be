"""Retention: a purge removes what ended before a date, with its history, and nothing else."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from slcore import access, audit, batches, periods, retention
from slcore.figures import key_figures
from slcore.importer import import_file
from slcore.periods import Period
from slcore.store import Store, open_store, scalar
from tests.conftest import CANONICAL_HEADER, SAMPLES, registration, write_csv
from tests.test_cli import slcore  # noqa: F401 - the in-process CLI fixture

CUT = dt.date(2024, 1, 1)
AS_OF = dt.date(2025, 6, 30)
LATER = Period(dt.date(2024, 1, 1), dt.date(2025, 12, 31), AS_OF)
EARLIER = Period(dt.date(2022, 1, 1), dt.date(2022, 12, 31), AS_OF)
PAID = {"cost_amount": "1000", "cost_period": "month"}


def _reg(rid: str, start: str, end: str = "", **values: object) -> dict[str, object]:
    return registration(rid, start_date=start, end_date=end, **PAID, **values)


@pytest.fixture
def store(tmp_path: Path):
    """Two imports: an old extract (opgjort 2023) and a replace in 2025 that closes and drops."""
    s = open_store(tmp_path / "r.duckdb")
    old = [
        _reg("A", "2021-01-01", "2022-12-31"),  # ended before the date
        _reg("B", "2022-01-01"),  # open now, closed by the next import
        _reg("C", "2023-01-01", "2024-03-31"),  # ended after the date: stays
        _reg("E", "2023-02-01", "2024-01-01"),  # ended on the date itself: stays
        _reg("D", "2020-06-01"),  # never ended: stays
        _reg("F", "2021-03-01", "2022-02-28"),  # ended, then dropped by the replace
        _reg("BAD", "2022-13-45"),  # rejected: a start date that is no date
    ]
    import_file(
        s, write_csv(tmp_path / "old.csv", CANONICAL_HEADER, old), today=dt.date(2023, 6, 30)
    )
    new = [
        _reg("A", "2021-01-01", "2022-12-31"),
        _reg("B", "2022-01-01", "2023-05-31"),
        _reg("C", "2023-01-01", "2024-03-31"),
        _reg("E", "2023-02-01", "2024-01-01"),
        _reg("D", "2020-06-01"),
        _reg("G", "2025-01-01"),
        _reg("WORSE", "not a date"),
    ]
    import_file(
        s,
        write_csv(tmp_path / "new.csv", CANONICAL_HEADER, new),
        mode="replace",
        today=AS_OF,
        allow_removal=True,
    )
    yield s
    s.close()


def _ids(s: Store, table: str) -> set[str]:
    rows = s.cursor().execute(f"SELECT DISTINCT registration_id FROM {table}").fetchall()
    return {r[0] for r in rows}


def _rejected(s: Store, batch_id: int) -> int:
    sql = "SELECT count(*) FROM rejected_rows WHERE batch_id = ?"
    return int(scalar(s.cursor(), sql, [batch_id]))


def test_the_preview_counts_what_goes_and_changes_nothing(store):
    versions = scalar(
        store.cursor(),
        "SELECT count(*) FROM registration_history WHERE registration_id IN ('A', 'B', 'F')",
    )
    assert _rejected(store, 1) == 1 and _rejected(store, 2) == 1
    before = store.data_version()
    plan = retention.preview(store, CUT)
    assert (plan.registrations, plan.former_registrations) == (2, 1)  # A, B; F
    assert plan.history_rows == versions >= 5  # A once, B open and closed, F and its removal
    assert plan.rejected_rows == 1  # the old extract's, not the 2025 one's
    assert plan.remaining == 4  # C, D, E, G
    assert plan.anything and "Afsluttet før 01-01-2024: 2 bevillinger" in plan.summary()
    assert store.data_version() == before and _ids(store, "registrations") == set("ABCDEG")


def test_a_purge_removes_history_and_rejects_and_keeps_later_figures(store):
    later = key_figures(store, LATER)
    earlier = key_figures(store, EARLIER)
    plan = retention.purge(store, CUT)
    assert (plan.registrations, plan.former_registrations, plan.rejected_rows) == (2, 1, 1)
    assert _ids(store, "registrations") == set("CDEG")
    assert _ids(store, "registration_history") == set("CDEG")
    assert _rejected(store, 1) == 0 and _rejected(store, 2) == 1
    # Every figure for a period from the date on is the same; the earlier period's changed.
    assert key_figures(store, LATER).equals(later)
    assert not key_figures(store, EARLIER).equals(earlier)
    # The imports stay in the history; the audit log records the purge and who did it.
    assert len(batches.import_history(store)) == 2
    log = audit.entries(store)
    assert log.iloc[0]["event"] == "purge" and "2 bevillinger" in log.iloc[0]["detail"]
    # Nothing is left to purge, and the current view is what a rebuild from history gives.
    assert not retention.preview(store, CUT).anything


def test_an_undo_after_a_purge_brings_nothing_back(store):
    retention.purge(store, CUT)
    batches.undo_batch(store, 2)  # the replace that closed B and dropped F
    assert _ids(store, "registrations") == set("CDE")
    retention.purge(store, CUT)
    batches.undo_batch(store, 1)
    assert _ids(store, "registrations") == set()


def test_a_purge_on_the_samples_keeps_the_published_figures(sample_copy):
    s = open_store(sample_copy)
    try:
        period = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31), dt.date(2025, 9, 30))
        before = key_figures(s, period, by=("intervention_type",))
        cut = dt.date(2025, 1, 1)
        ended = duckdb.sql(
            f"SELECT count(*) FROM read_csv('{SAMPLES / 'registrations_canonical.csv'}') "
            f"WHERE end_date < DATE '{cut}'"
        ).fetchall()[0][0]
        plan = retention.purge(s, cut)
        assert plan.registrations == ended > 0
        after = key_figures(s, period, by=("intervention_type",))
        assert after.equals(before)
    finally:
        s.close()


def test_only_an_administrator_purges_and_never_a_future_date(store):
    analyst = access.Access(who="a@k.dk", name="A", roles=frozenset({"analytiker"}))
    with pytest.raises(access.AccessDenied):
        retention.preview(store.as_person(analyst), CUT)
    with pytest.raises(access.AccessDenied):
        retention.purge(store.as_person(analyst), CUT)
    with pytest.raises(retention.PurgeRefused, match="fremtiden"):
        retention.purge(store, periods.today() + dt.timedelta(days=2))
    assert _ids(store, "registrations") == set("ABCDEG")


def test_the_purge_command_previews_then_purges(slcore, store):  # noqa: F811
    db = store.path
    store.close()
    shown = slcore("purge", "--ended-before", "2024-01-01", db=db, check=True)
    assert "2 bevillinger" in shown.stdout and "--yes" in shown.stdout
    done = slcore("purge", "--ended-before", "2024-01-01", "--yes", db=db, check=True)
    assert done.stdout.startswith("Slettet.")
    again = slcore("purge", "--ended-before", "2024-01-01", db=db, check=True)
    assert "0 bevillinger" in again.stdout and "--yes" not in again.stdout
    log = slcore("audit", "--format", "csv", db=db, check=True).stdout
    assert ",purge," in log
    future = slcore("purge", "--ended-before", "2999-01-01", db=db)
    assert future.returncode == 1 and "fremtiden" in future.stderr


def test_the_settings_page_previews_and_purges_after_a_confirmation(store, monkeypatch):
    monkeypatch.setenv("SLCORE_DB", str(store.path))
    store.close()
    app = str(Path(__file__).resolve().parent.parent / "app.py")
    at = AppTest.from_file(app, default_timeout=120).run()
    at.switch_page("views/indstillinger.py").run()
    assert not at.exception, [e.message for e in at.exception]
    at.date_input(key="purge_date").set_value(CUT).run()
    assert any("2 bevillinger" in i.value for i in at.info)
    go = at.button(key="purge_go")
    assert go.disabled  # not before the confirmation
    at.checkbox(key="purge_sure").check().run()
    at.button(key="purge_go").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert any(s.value.startswith("Slettet.") for s in at.success)
    assert any("0 bevillinger" in i.value for i in at.info)
    s = open_store(store.path)
    try:
        assert _ids(s, "registrations") == set("CDEG")
    finally:
        s.close()
