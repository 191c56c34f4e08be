"""Who did something: one name for every import, undo, frame and budget; one flag for demo data."""

from __future__ import annotations

import datetime as dt
import getpass

import pandas as pd
import pytest

from slcore import actors
from slcore.batches import DemoNotEnded, undo_batch
from slcore.budgets import copy_budgets, import_budgets, save_budgets_for_year, set_budgets
from slcore.frames import FRAME_COLUMNS, add_frames, import_frames, save_frame_version
from slcore.importer import import_file
from slcore.store import open_store
from tests.conftest import CANONICAL_HEADER, SAMPLES, registration, write_csv


@pytest.fixture
def store(tmp_path):
    s = open_store(tmp_path / "who.duckdb")
    yield s
    s.close()


def frame(**values: object) -> dict[str, object]:
    base: dict[str, object] = dict.fromkeys(FRAME_COLUMNS)
    base |= {"intervention_type": "OEK", "valid_from": dt.date(2020, 1, 1), "max_monthly_cost": 9}
    return base | values


def who(store, sql: str) -> list[object]:
    return [r[0] for r in store.cursor().execute(sql).fetchall()]


def test_the_app_is_a_local_user_and_the_command_line_the_os_user(monkeypatch):
    assert actors.current_actor(app=True) == "lokal bruger"
    assert actors.current_actor(app=False) == getpass.getuser()

    def no_user() -> str:
        raise OSError("no login name")

    monkeypatch.setattr(getpass, "getuser", no_user)
    assert actors.current_actor(app=False) == "ukendt"


def test_every_write_records_who_named_or_the_os_user(store, tmp_path):
    me = actors.current_actor(app=False)
    regs = write_csv(tmp_path / "r.csv", CANONICAL_HEADER, [registration("A")])
    batch = import_file(store, regs, user="lokal bruger").batch_id
    import_file(store, SAMPLES / "registrations_canonical.csv")
    undo_batch(store, batch, user="lokal bruger")
    assert who(store, "SELECT imported_by FROM import_batches ORDER BY 1") == ["lokal bruger", me]
    assert who(store, "SELECT undone_by FROM import_batches WHERE undone_at IS NOT NULL") == [
        "lokal bruger"
    ]
    save_frame_version(store, frame(), user="lokal bruger")
    import_frames(store, SAMPLES / "serviceniveau_frames.csv")
    add_frames(store, [frame(valid_from=dt.date(2021, 1, 1))])
    created = who(store, "SELECT DISTINCT created_by FROM frames ORDER BY 1")
    assert created == sorted(["lokal bruger", me])
    import_budgets(store, SAMPLES / "budgetter.csv")
    table = pd.DataFrame({"intervention_type": ["OEK"], "budget_dkk": [5.0]})
    save_budgets_for_year(store, 2030, table, user="lokal bruger")
    copy_budgets(store, 2030, 2031, user="anna")
    by_year = dict(
        store.cursor()
        .execute("SELECT year, any_value(updated_by) FROM budgets GROUP BY year")
        .fetchall()
    )
    assert by_year == {2024: me, 2025: me, 2026: me, 2030: "lokal bruger", 2031: "anna"}


def test_demo_data_are_marked_by_one_flag_and_end_at_the_first_real_write(store):
    store.cursor().execute("INSERT OR REPLACE INTO meta VALUES ('is_demo', 'true')")
    add_frames(store, [frame()], demo=True, user="someone")  # demo data are always 'demo'
    set_budgets(store, [[2025, "OEK", 1.0, None]], demo=True)
    assert store.is_demo()
    assert who(store, "SELECT created_by FROM frames") == ["demo"]
    assert who(store, "SELECT updated_by FROM budgets") == ["demo"]
    with pytest.raises(DemoNotEnded):
        set_budgets(store, [[2026, "OEK", 2.0, None]], end_demo=False)
    assert store.is_demo()
    # A user named "demo" is no demo: the flag tells, not the name (before issue 13 it did).
    add_frames(store, [frame(valid_from=dt.date(2025, 1, 1))], user="demo")
    assert not store.is_demo()
    assert who(store, "SELECT valid_from FROM frames") == [dt.date(2025, 1, 1)]
    assert who(store, "SELECT count(*) FROM budgets") == [0]


def test_the_budgets_table_records_who_from_schema_3(store):
    columns = who(store, "SELECT column_name FROM (DESCRIBE budgets)")
    assert "updated_by" in columns
