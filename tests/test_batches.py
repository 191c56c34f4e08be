"""Batches: upsert, replace and undo rebuilt from history; atomic writes; the demo's end."""

from __future__ import annotations

import datetime as dt

import pytest

from slcore.batches import undo_batch
from slcore.importer import ImportRefused, import_file
from slcore.store import open_store
from tests.conftest import CANONICAL_HEADER, SAMPLES, registration, write_csv


@pytest.fixture
def store(tmp_path):
    s = open_store(tmp_path / "imp.duckdb")
    yield s
    s.close()


def snapshot(store):
    return (
        store.cursor()
        .execute("SELECT * EXCLUDE (batch_id) FROM registrations ORDER BY registration_id")
        .fetchall()
    )


def test_upsert_replace_and_undo_rebuild_from_history(store, tmp_path):
    f1 = write_csv(
        tmp_path / "1.csv",
        CANONICAL_HEADER,
        [registration("A", cost_amount="1"), registration("B", cost_amount="1")],
    )
    f2 = write_csv(
        tmp_path / "2.csv",
        CANONICAL_HEADER,
        [registration("A", cost_amount="2"), registration("C", cost_amount="1")],
    )
    f3 = write_csv(tmp_path / "3.csv", CANONICAL_HEADER, [registration("C", cost_amount="1")])
    r1 = import_file(store, f1)
    state1 = snapshot(store)
    r2 = import_file(store, f2)
    assert (r2.inserted, r2.updated, r2.unchanged) == (1, 1, 0)
    assert [r[0] for r in snapshot(store)] == ["A", "B", "C"]  # upsert leaves B alone
    state2 = snapshot(store)
    r3 = import_file(store, f3, mode="replace", allow_removal=True)  # 2 of 3: confirmed
    assert (r3.unchanged, r3.removed) == (1, 2)
    assert [r[0] for r in snapshot(store)] == ["C"]
    undo_batch(store, r3.batch_id)
    assert snapshot(store) == state2
    undo_batch(store, r2.batch_id)  # an earlier batch: as if it had never been imported
    assert snapshot(store) == state1
    with pytest.raises(ImportRefused, match="allerede fortrudt"):
        undo_batch(store, r2.batch_id)
    hist = store.cursor().execute("SELECT count(*) FROM registration_history").fetchone()[0]
    assert hist == 2 + 2 + 1 + 2  # every version and the two removals are kept
    assert r1.batch_id < r2.batch_id < r3.batch_id


def test_same_file_twice_changes_nothing(store):
    first = import_file(store, SAMPLES / "registrations_canonical.csv")
    before = snapshot(store)
    again = import_file(store, SAMPLES / "registrations_canonical.csv")
    assert again.batch_id is None and again.already_imported_as == first.batch_id
    assert snapshot(store) == before
    assert store.cursor().execute("SELECT count(*) FROM import_batches").fetchone()[0] == 1


def test_data_as_of_is_latest_decision_up_to_today(store, tmp_path):
    f = write_csv(
        tmp_path / "d.csv",
        CANONICAL_HEADER,
        [
            registration("A", decision_date="2025-03-01", start_date="2025-03-10"),
            registration("B", decision_date="2025-04-02", start_date="2025-05-01"),
        ],
    )
    import_file(store, f, today=dt.date(2025, 4, 20))
    assert store.cursor().execute("SELECT data_as_of FROM import_batches").fetchone()[0] == (
        dt.date(2025, 3, 1)
    )  # B starts after today, so its decision is not counted


def test_first_real_import_ends_the_demo(tmp_path):
    from slcore.budgets import import_budgets
    from slcore.demo import build_demo
    from slcore.frames import import_frames

    db = tmp_path / "demo.duckdb"
    build_demo(db, scale=0.05, today=dt.date(2026, 11, 22))
    store = open_store(db)
    try:
        assert store.is_demo() and store.registration_count() > 0
        result = import_file(store, SAMPLES / "registrations_canonical.csv", mode="replace")
        assert (result.inserted, result.removed) == (600, 0)  # demo rows are not "removed"
        assert not store.is_demo()
        cur = store.cursor()
        assert store.registration_count() == 600
        assert cur.execute("SELECT count(*) FROM frames").fetchone()[0] == 0
        assert cur.execute("SELECT count(*) FROM budgets").fetchone()[0] == 0
        demo = cur.execute("SELECT undone_at FROM import_batches WHERE kind = 'demo'").fetchone()
        assert demo[0] is not None  # kept in history, undone
        import_frames(store, SAMPLES / "serviceniveau_frames.csv")
        import_budgets(store, SAMPLES / "budgetter.csv")
        assert cur.execute("SELECT count(*) FROM frames").fetchone()[0] == 18
    finally:
        store.close()


def test_frames_first_also_end_the_demo(tmp_path):
    from slcore.demo import build_demo
    from slcore.frames import import_frames

    db = tmp_path / "demo.duckdb"
    build_demo(db, scale=0.05, today=dt.date(2026, 11, 22))
    store = open_store(db)
    try:
        import_frames(store, SAMPLES / "serviceniveau_frames.csv")
        assert not store.is_demo() and store.registration_count() == 0
    finally:
        store.close()


def _big_extract(path, rows: int) -> None:
    """Write a large canonical extract, vectorised (no Python loop per row)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(1)
    start = pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 1000, rows), unit="D")
    pd.DataFrame(
        {
            "registration_id": "BIG-" + pd.Series(np.arange(rows)).astype(str),
            "citizen_id": "C" + pd.Series(rng.integers(0, rows // 2, rows)).astype(str),
            "birth_date": "2012-05-01",
            "intervention_type": "SI_KONTAKT",
            "start_date": start.strftime("%Y-%m-%d"),
            "cost_amount": rng.integers(100, 5000, rows),
            "cost_period": "month",
        }
    ).to_csv(path, index=False)


@pytest.mark.slow
def test_import_killed_midway_leaves_store_as_before(tmp_path):
    import signal
    import subprocess
    import sys
    import textwrap
    import time

    from tests.conftest import ROOT

    db = tmp_path / "kill.duckdb"
    store = open_store(db)
    import_file(store, SAMPLES / "registrations_canonical.csv")
    before = snapshot(store)
    batches = store.cursor().execute("SELECT count(*) FROM import_batches").fetchone()[0]
    store.close()
    big = tmp_path / "big.csv"
    _big_extract(big, 400_000)
    script = textwrap.dedent(f"""
        from slcore.store import open_store
        from slcore.importer import import_file
        store = open_store({str(db)!r})
        import_file(store, {str(big)!r}, progress=lambda f, t: print(t, flush=True))
        print("FINISHED", flush=True)
    """)
    proc = subprocess.Popen(
        [sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    for line in proc.stdout:
        if line.startswith("Gemmer"):
            time.sleep(0.2)  # well inside the write transaction
            proc.send_signal(signal.SIGKILL)
            break
    rest = proc.stdout.read()
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert "FINISHED" not in rest, "the import ended before the kill; make the file larger"
    store = open_store(db)
    try:
        assert snapshot(store) == before
        cur = store.cursor()
        assert cur.execute("SELECT count(*) FROM import_batches").fetchone()[0] == batches
        assert (
            cur.execute(
                "SELECT count(*) FROM registration_history WHERE registration_id LIKE 'BIG-%'"
            ).fetchone()[0]
            == 0
        )
        # And the store still works: the same file imports completely now.
        assert import_file(store, big).inserted == 400_000
    finally:
        store.close()


def test_readers_see_before_or_after_never_half(tmp_path):
    import threading

    store = open_store(tmp_path / "mvcc.duckdb")
    try:
        import_file(store, SAMPLES / "registrations_canonical.csv")
        big = tmp_path / "mid.csv"
        _big_extract(big, 100_000)
        seen: set[int] = set()
        done = threading.Event()

        def reader() -> None:
            while not done.is_set():
                seen.add(store.registration_count())

        t = threading.Thread(target=reader)
        t.start()
        try:
            import_file(store, big)
        finally:
            done.set()
            t.join()
        seen.add(store.registration_count())
        assert seen <= {600, 100_600} and 100_600 in seen
    finally:
        store.close()


def test_replace_that_removes_more_than_a_tenth_is_refused_unless_confirmed(store, tmp_path):
    from slcore.batches import RemovalRefused, import_history

    full = [registration(f"R{i:02d}", cost_amount="1") for i in range(20)]
    import_file(store, write_csv(tmp_path / "full.csv", CANONICAL_HEADER, full))
    before = snapshot(store)
    half = write_csv(tmp_path / "half.csv", CANONICAL_HEADER, full[:10])
    with pytest.raises(RemovalRefused) as refused:
        import_file(store, half, mode="replace")
    assert refused.value.removal.removed == 10 and refused.value.removal.current == 20
    assert str(refused.value).startswith("Erstat fjerner 10 af 20 bevillinger (50,0 %)")
    assert snapshot(store) == before  # nothing written
    assert len(import_history(store)) == 1

    # Two removed of twenty is within the share: no question.
    most = write_csv(tmp_path / "most.csv", CANONICAL_HEADER, full[:18])
    assert import_file(store, most, mode="replace").removed == 2
    # Confirmed, the half file removes the rest, and the history says it was confirmed.
    result = import_file(store, half, mode="replace", allow_removal=True)
    assert result.removed == 8 and len(snapshot(store)) == 10
    history = import_history(store)
    assert history["Fjernelse bekræftet"].tolist() == ["Ja", "", ""]


def test_replace_keeps_the_last_good_version_of_a_rejected_row(store, tmp_path):
    rows = [registration(f"R{i:02d}", cost_amount="5") for i in range(20)]
    import_file(store, write_csv(tmp_path / "a.csv", CANONICAL_HEADER, rows))
    # R03 is in the new file but with a bad price: it stays as it was, not removed.
    again = [dict(r) for r in rows]
    again[3]["cost_amount"] = "fem"
    again[4]["cost_amount"] = "6"
    result = import_file(
        store, write_csv(tmp_path / "b.csv", CANONICAL_HEADER, again), mode="replace"
    )
    assert (result.removed, result.rejected, result.updated) == (0, 1, 1)
    prices = dict(
        store.cursor().execute("SELECT registration_id, cost_amount FROM registrations").fetchall()
    )
    assert len(prices) == 20 and prices["R03"] == 5 and prices["R04"] == 6


def test_undoable_are_the_imports_not_undone():
    import pandas as pd

    from slcore.batches import undoable

    history = pd.DataFrame(
        {
            "Import nr.": [3, 2, 1],
            "Fil": ["c.csv", "b.csv", "a.csv"],
            "Status": ["", "Fortrudt 01-02-2026", ""],
        }
    )
    assert undoable(history) == {3: "c.csv", 1: "a.csv"}
