"""The prepared facts (slcore.facts) always equal a rebuild from history, whatever was done.

A property test over random sequences of the writes that change them: imports (upsert and
replace), undoing any live batch (not only the newest), new frame versions, budget edits and
the demo's hand-over to real data. After every step the current view, facts included, must be
exactly what a full rebuild from the history and the frames gives.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slcore import batches, facts
from slcore.budgets import set_budgets
from slcore.demo import build_demo
from slcore.frames import FRAME_COLUMNS, import_frames
from slcore.importer import import_file
from slcore.store import Store, open_store

from .conftest import CANONICAL_HEADER, registration, write_csv

TYPES = ("SI_KONTAKT", "SI_HJEM", "ANB_PLEJE")
UNITS = ("hours_per_week", "days_per_month", "")
PERIODS = ("day", "week", "month", "year", "hour", "once")
TODAY = dt.date(2026, 6, 30)


def _random_registration(rng: random.Random, rid: str) -> dict[str, object]:
    period = rng.choice(PERIODS)
    start = dt.date(2023, 1, 1) + dt.timedelta(days=rng.randrange(1200))
    end = "" if rng.random() < 0.3 else (start + dt.timedelta(days=rng.randrange(900))).isoformat()
    return registration(
        rid,
        citizen_id=f"C{rng.randrange(8)}",
        birth_date=(dt.date(2004, 1, 1) + dt.timedelta(days=rng.randrange(7000))).isoformat(),
        intervention_type=rng.choice(TYPES),
        start_date=start.isoformat(),
        end_date=end,
        # An hourly price needs an extent in hours per week (else the row is rejected, and a
        # file of only such rows is refused as a whole).
        extent=str(rng.randrange(1, 40)) if period == "hour" or rng.random() < 0.7 else "",
        extent_unit="hours_per_week" if period == "hour" else rng.choice(UNITS),
        cost_amount=str(rng.randrange(0, 900 if period == "hour" else 40000)),
        cost_period=period,
        committee_approved=rng.choice(("true", "false")),
        team=rng.choice(("Team A", "Team B", "")),
    )


def _import(store: Store, tmp: Path, rng: random.Random, step: int, mode: str) -> None:
    ids = rng.sample(range(30), rng.randrange(1, 20))
    rows = [_random_registration(rng, f"R{i}") for i in ids]
    path = write_csv(tmp / f"regs{step}.csv", CANONICAL_HEADER, rows)
    import_file(store, path, mode=mode, today=TODAY, allow_removal=True)


def _undo(store: Store, rng: random.Random) -> None:
    live = sorted(batches.undoable(batches.import_history(store)))
    if live:
        batches.undo_batch(store, rng.choice(live))


def _frame(store: Store, tmp: Path, rng: random.Random, step: int) -> None:
    frame = {
        "intervention_type": rng.choice(TYPES),
        "valid_from": (dt.date(2022, 1, 1) + dt.timedelta(days=rng.randrange(1500))).isoformat(),
        "age_min": rng.randrange(0, 10),
        "age_max": rng.randrange(10, 23),
        "max_extent": rng.randrange(5, 30),
        "extent_unit": "hours_per_week",
        "max_duration_months": rng.randrange(1, 30),
        "max_monthly_cost": rng.randrange(1000, 60000),
        "description": "",
    }
    import_frames(store, write_csv(tmp / f"frames{step}.csv", FRAME_COLUMNS, [frame]))


def _budget(store: Store, rng: random.Random) -> None:
    set_budgets(store, [[rng.choice((2025, 2026)), rng.choice(TYPES), rng.randrange(10**6), None]])


def _assert_facts_true(store: Store) -> None:
    cur = store.cursor()
    columns = [d[0] for d in cur.execute("SELECT * FROM registrations LIMIT 0").description]
    rebuilt = f"SELECT {', '.join(columns)} FROM ({facts.rebuilt_view_sql()})"
    extra = cur.execute(f"SELECT * FROM registrations EXCEPT ALL ({rebuilt})").fetchall()
    missing = cur.execute(f"({rebuilt}) EXCEPT ALL SELECT * FROM registrations").fetchall()
    assert (extra, missing) == ([], [])


OPERATIONS = ("upsert", "replace", "undo", "frame", "budget")


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    demo_first=st.booleans(),
    ops=st.lists(st.sampled_from(OPERATIONS), min_size=1, max_size=7),
    seed=st.integers(0, 10**6),
)
def test_facts_equal_a_rebuild_after_any_sequence_of_writes(
    tmp_path_factory, demo_first, ops, seed
):
    tmp = tmp_path_factory.mktemp("facts")
    path = tmp / "s.duckdb"
    if demo_first:  # the first real write hands the demo over (and removes its frames)
        build_demo(path, scale=0.01, today=TODAY, force=True)
    store = open_store(path)
    rng = random.Random(seed)
    try:
        _assert_facts_true(store)
        for step, op in enumerate(ops):
            if op in ("upsert", "replace"):
                _import(store, tmp, rng, step, op)
            elif op == "undo":
                _undo(store, rng)
            elif op == "frame":
                _frame(store, tmp, rng, step)
            else:
                _budget(store, rng)
            _assert_facts_true(store)
        assert not store.is_demo() or set(ops) <= {"undo"}
    finally:
        store.close()


def test_an_older_store_gets_its_facts_on_open(tmp_path):
    """A store whose facts were made by an older definition recomputes them when opened."""
    path = tmp_path / "s.duckdb"
    store = open_store(path)
    rows = [registration("R1", cost_amount="3650", cost_period="year")]
    import_file(store, write_csv(tmp_path / "r.csv", CANONICAL_HEADER, rows), today=TODAY)
    with store.write() as cur:
        cur.execute("UPDATE registrations SET daily_cost = NULL")
        cur.execute("UPDATE meta SET value = 'old' WHERE key = 'facts_version'")
    store.close()
    store = open_store(path)
    try:
        assert store.scalar("SELECT daily_cost FROM registrations") == 10.0
        assert store.meta("facts_version") == facts.FACTS_VERSION
    finally:
        store.close()


def test_every_write_gives_a_new_data_version_and_a_refused_one_none(tmp_path):
    store = open_store(tmp_path / "s.duckdb")
    try:
        before = store.data_version()
        rows = [registration("R1")]
        import_file(store, write_csv(tmp_path / "r.csv", CANONICAL_HEADER, rows), today=TODAY)
        after_import = store.data_version()
        assert after_import != before
        _budget(store, random.Random(1))
        assert store.data_version() != after_import
        version = store.data_version()
        try:
            with store.write() as cur:
                cur.execute("DELETE FROM budgets")
                raise RuntimeError("refused")
        except RuntimeError:
            pass
        assert store.data_version() == version
    finally:
        store.close()
