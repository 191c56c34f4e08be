"""The demo municipality (slcore.demo): determinism, realism, frames, budgets, safety."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb
import pytest

from slcore import demo
from slcore.figures import Filters, key_figures
from slcore.importer import import_file
from slcore.periods import Period
from slcore.store import open_store

TODAY = dt.date(2026, 11, 22)
SAMPLE = Path("/work/shared/samples/registrations_canonical.csv")
FOSTER = ("ANB_PLEJE", "ANB_NETV", "ANB_FORST", "ANB_SPEC")
PLACEMENTS = Filters(categories=("anbringelse",))
# One day in each half year from 2021 to the as-of date.
DAYS = [dt.date(y, m, 15) for y in range(2021, 2027) for m in (3, 9)] + [TODAY]


def _content_hash(path: Path) -> tuple[int, int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(
            "SELECT count(*), sum(hash(r)) FROM (SELECT * EXCLUDE (batch_id) FROM registrations) r"
        ).fetchone()
    finally:
        con.close()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Scale 1 (twice, same seed), another seed, and scale 5; closed stores."""
    base = tmp_path_factory.mktemp("demo")
    out: dict[str, object] = {"base": base}
    calls: list[tuple[float, str]] = []
    out["s1"] = demo.build_demo(
        base / "s1.duckdb",
        today=TODAY,
        progress=lambda f, t: calls.append((f, t)),
    )
    out["calls"] = calls
    out["s1b"] = demo.build_demo(base / "s1b.duckdb", today=TODAY)
    out["seed7"] = demo.build_demo(base / "seed7.duckdb", seed=7, today=TODAY)
    out["s5"] = demo.build_demo(base / "s5.duckdb", today=TODAY, scale=5)
    return out


@pytest.fixture
def store1(built):
    store = open_store(built["base"] / "s1.duckdb")
    yield store
    store.close()


@pytest.fixture
def store5(built):
    store = open_store(built["base"] / "s5.duckdb")
    yield store
    store.close()


# --- the build itself ----------------------------------------------------------------------


def test_summary_meta_and_progress(built, store1):
    s = built["s1"]
    assert isinstance(s, demo.DemoSummary)
    assert s.as_of == TODAY
    assert s.registrations == store1.registration_count()
    assert 8_000 < s.registrations < 25_000
    assert s.frames == store1.cursor().execute("SELECT count(*) FROM frames").fetchone()[0]
    assert s.budgets == store1.cursor().execute("SELECT count(*) FROM budgets").fetchone()[0]
    assert store1.is_demo()
    assert store1.meta("demo_seed") == "2026"
    batch = (
        store1.cursor()
        .execute(
            "SELECT kind, file_name, mode, imported_by, data_as_of, inserted FROM import_batches"
        )
        .fetchall()
    )
    assert batch == [("demo", "demodata", "upsert", "demo", TODAY, s.registrations)]
    fractions = [f for f, _ in built["calls"]]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(fractions) >= 3
    assert all(isinstance(t, str) and t for _, t in built["calls"])
    assert not list(built["base"].glob("*.tmp-build*"))


def test_same_seed_same_data_other_seed_other_data(built):
    base = built["base"]
    assert _content_hash(base / "s1.duckdb") == _content_hash(base / "s1b.duckdb")
    assert _content_hash(base / "s1.duckdb") != _content_hash(base / "seed7.duckdb")


def test_scale_multiplies_the_rows(built):
    ratio = built["s5"].registrations / built["s1"].registrations
    assert 4.6 < ratio < 5.4


def test_columns_look_like_a_real_extract(store1):
    cur = store1.cursor()
    ids = [r[0] for r in cur.execute("SELECT registration_id FROM registrations").fetchall()]
    assert all(re.fullmatch(r"DEMO-\d{7}", i) for i in ids)
    assert "DEMO-0000001" in ids and len(set(ids)) == len(ids)
    row = cur.execute(
        """SELECT
            count(*) FILTER (WHERE NOT regexp_full_match(citizen_id, 'D[0-9a-f]{10}')),
            count(*) FILTER (WHERE day(birth_date) <> 1),
            count(*) FILTER (WHERE age_at_start IS NOT NULL),
            count(*) FILTER (WHERE decision_date >= start_date OR decision_date IS NULL),
            count(*) FILTER (WHERE end_date < start_date),
            avg((team IS NULL)::INT),
            count(DISTINCT team), count(DISTINCT caseworker), count(DISTINCT provider),
            count(DISTINCT intervention_type),
            1 - count(DISTINCT citizen_id) / count(*)
        FROM registrations"""
    ).fetchone()
    assert row[:5] == (0, 0, 0, 0, 0)
    assert 0.03 < row[5] < 0.07
    assert 5 <= row[6] <= 6 and 30 <= row[7] <= 40 and row[8] >= 10
    assert row[9] == 24  # every type, in every category
    assert 0.25 < row[10] < 0.35  # about 30 % are a later allocation of a known child
    cats = cur.execute(
        """SELECT t.category, min(datediff('month', birth_date, start_date) // 12),
               max(datediff('month', birth_date, start_date) // 12)
           FROM registrations r JOIN intervention_types t ON t.code = r.intervention_type
           GROUP BY 1"""
    ).fetchall()
    ages = {c: (lo, hi) for c, lo, hi in cats}
    assert set(ages) == {"tidlig_forebyggende", "stottende", "anbringelse", "ungestotte"}
    assert ages["anbringelse"][0] >= 0 and ages["anbringelse"][1] <= 17
    assert ages["ungestotte"][0] >= 17 and ages["ungestotte"][1] <= 22
    basis = cur.execute(
        """SELECT count(*) FILTER (WHERE start_date >= DATE '2024-01-01'
                                   AND NOT legal_basis LIKE 'BL %'),
                  count(*) FILTER (WHERE start_date < DATE '2024-01-01'
                                   AND NOT legal_basis LIKE 'SEL %')
           FROM registrations"""
    ).fetchone()
    assert basis == (0, 0)


def test_ongoing_planned_once_and_hourly(store1):
    row = (
        store1.cursor()
        .execute(
            """SELECT
            count(*) FILTER (WHERE end_date IS NULL AND start_date <= ?),
            count(*) FILTER (WHERE start_date > ? AND decision_date <= ?),
            count(*) FILTER (WHERE decision_date > ?),
            count(*) FILTER (WHERE cost_period = 'once'),
            count(*) FILTER (WHERE cost_period = 'once' AND end_date IS DISTINCT FROM start_date),
            count(*) FILTER (WHERE cost_period = 'hour'),
            count(*) FILTER (WHERE cost_period = 'hour' AND NOT (extent > 0
                AND extent_unit = 'hours_per_week')),
            count(*) FILTER (WHERE extent_unit = 'days_per_month'),
            count(*) FILTER (WHERE intervention_type LIKE 'ANB%' AND cost_period = 'day'),
            count(*) FILTER (WHERE intervention_type LIKE 'ANB%' AND cost_period = 'month'),
            count(*) FILTER (WHERE start_date <= ? AND coalesce(end_date, ?) >= ?)
        FROM registrations""",
            [TODAY] * 4 + [TODAY] * 3,
        )
        .fetchone()
    )
    ongoing, planned, late_decisions, once, bad_once, hour, bad_hour = row[:7]
    assert ongoing > 100 and planned > 20 and late_decisions == 0
    assert once > 1000 and bad_once == 0
    assert hour > 1000 and bad_hour == 0
    assert row[7] > 0 and row[8] > 0 and row[9] > 0
    assert 0.2 < ongoing / row[10] < 0.6  # some running allocations have no end date yet


# --- realism -------------------------------------------------------------------------------


def test_active_per_day_like_a_municipality_of_100000(store1):
    for day in DAYS:
        kf = key_figures(store1, Period(day, day, TODAY))
        active = int(kf["active_registrations"][0])
        assert 1000 <= active <= 1300, (day, active)
        assert int(kf["active_citizens"][0]) < active


def test_placement_mix_and_ages(store5):
    counts: dict[str, int] = {}
    bands: dict[str, int] = {}
    for day in DAYS:
        period = Period(day, day, TODAY)
        kf = key_figures(store5, period, by=["intervention_type"], filters=PLACEMENTS)
        for code, n in zip(kf["intervention_type"], kf["active_registrations"], strict=True):
            counts[code] = counts.get(code, 0) + int(n)
        kf = key_figures(store5, period, by=["age_band"], filters=PLACEMENTS)
        for band, n in zip(kf["age_band"], kf["active_registrations"], strict=True):
            bands[band] = bands.get(band, 0) + int(n)
    total = sum(counts.values())
    assert 180 * 5 < total / len(DAYS) < 260 * 5
    assert sum(counts[c] for c in FOSTER) / total == pytest.approx(0.63, abs=0.03)
    assert counts["ANB_DOGNINST"] / total == pytest.approx(0.17, abs=0.03)
    assert counts["ANB_OPHOLD"] / total == pytest.approx(0.14, abs=0.03)
    assert 0.4 <= bands["12-17"] / sum(bands.values()) <= 0.6
    assert set(bands) <= {"0-5", "6-11", "12-17"}


def test_prices_close_to_published_figures(store5):
    rows = (
        store5.cursor()
        .execute(
            """SELECT intervention_type,
               avg(CASE cost_period WHEN 'day' THEN cost_amount * 365
                   WHEN 'month' THEN cost_amount * 12 WHEN 'year' THEN cost_amount END
                   / pow(1.03, year(start_date) - 2019))
           FROM registrations
           WHERE intervention_type IN ('ANB_PLEJE', 'ANB_DOGNINST', 'ANB_OPHOLD')
           GROUP BY 1"""
        )
        .fetchall()
    )
    yearly = dict(rows)  # at 2019 prices
    assert 420_000 < yearly["ANB_PLEJE"] < 530_000
    assert 1_000_000 < yearly["ANB_DOGNINST"] < 1_330_000
    assert 1_000_000 < yearly["ANB_OPHOLD"] < 1_330_000
    # Foster families: KL's fee (4,694 kr. a month per vederlag in 2023) x 4-10 + expenses.
    low, high = (
        store5.cursor()
        .execute(
            """SELECT min(cost_amount), max(cost_amount) FROM registrations
           WHERE intervention_type = 'ANB_PLEJE' AND year(start_date) = 2023"""
        )
        .fetchone()
    )
    assert low > 4 * 4694 and high < 12 * 4694 + 30_000


# --- frames and budgets --------------------------------------------------------------------


def test_frames_for_most_types_with_revisions(store1):
    cur = store1.cursor()
    framed = dict(
        cur.execute("SELECT intervention_type, count(*) FROM frames GROUP BY 1").fetchall()
    )
    assert 18 <= len(framed) < 24
    assert "OEK" not in framed and "UNG_ANDEN" not in framed
    assert max(framed.values()) >= 2
    first = cur.execute("SELECT min(valid_from) FROM frames").fetchone()[0]
    assert first == dt.date(2020, 1, 1)
    texts = [r[0] for r in cur.execute("SELECT description FROM frames").fetchall()]
    assert all(t and len(t) > 30 for t in texts)


def test_some_allocations_outside_the_frame(store1):
    kf = key_figures(store1, Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31), TODAY))
    row = kf.iloc[0]
    assert row["approved_exceptions"] > 0 and row["unapproved_deviations"] > 0
    assert row["no_frame"] > 0
    outside = (row["approved_exceptions"] + row["unapproved_deviations"]) / (
        row["active_registrations"] - row["no_frame"]
    )
    assert 0.12 < outside < 0.28
    # Half of those outside are approved by the committee, few of those within.
    approved = (
        store1.cursor()
        .execute("SELECT avg(committee_approved::INT) FROM registrations")
        .fetchone()[0]
    )
    assert 0.05 < approved < 0.2


def test_budgets_near_projected_spend(store1):
    years = {r[0] for r in store1.cursor().execute("SELECT DISTINCT year FROM budgets").fetchall()}
    assert years == set(range(2021, TODAY.year + 2))
    kf = key_figures(
        store1, Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31), TODAY), by=["intervention_type"]
    )
    assert len(kf) == 24
    over = under = 0
    for _, r in kf.iterrows():
        assert r["budget_dkk"] > 0
        deviation = r["budget_deviation_dkk"] / r["projected_spend_dkk"]
        assert abs(deviation) <= 0.15, r["intervention_type"]
        assert r["budget_dkk"] % 10_000 == 0
        over += deviation > 0
        under += deviation < 0
    assert over > 0 and under > 0
    planned = dict(
        store1.cursor()
        .execute("SELECT intervention_type, planned_cases FROM budgets WHERE year = 2025")
        .fetchall()
    )
    assert (
        0
        < planned["SI_KONTAKT"]
        < int(kf.set_index("intervention_type").loc["SI_KONTAKT", "active_registrations"])
    )


# --- safety --------------------------------------------------------------------------------


def test_refuses_to_replace_real_imports_unless_forced(tmp_path):
    path = tmp_path / "real.duckdb"
    store = open_store(path)
    import_file(store, SAMPLE, user="analytiker", today=TODAY)
    store.close()
    with pytest.raises(demo.DemoRefused, match="--force"):
        demo.build_demo(path, today=TODAY, scale=0.2)
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("SELECT count(*) FROM registrations").fetchone()[0] == 600
    con.close()
    # Open in this process: refused too, and the open store stays usable.
    store = open_store(path)
    with pytest.raises(demo.DemoRefused):
        demo.build_demo(path, today=TODAY, scale=0.2)
    assert store.registration_count() == 600
    summary = demo.build_demo(path, today=TODAY, scale=0.2, force=True)
    store = open_store(path)
    try:
        assert store.is_demo()
        assert store.registration_count() == summary.registrations
        kinds = store.cursor().execute("SELECT kind FROM import_batches").fetchall()
        assert kinds == [("demo",)]
    finally:
        store.close()
    # A demo store may be rebuilt without --force.
    demo.build_demo(path, today=TODAY, scale=0.2, seed=3)
    assert not Path(str(path) + ".wal").exists()


def test_a_failed_build_leaves_the_old_store(tmp_path, monkeypatch):
    path = tmp_path / "old.duckdb"
    first = demo.build_demo(path, today=TODAY, scale=0.2)
    before = _content_hash(path)

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(demo, "add_frames", boom)
    with pytest.raises(RuntimeError):
        demo.build_demo(path, today=TODAY, scale=0.3, seed=99)
    assert _content_hash(path) == before == (first.registrations, before[1])
    # Beside the store only its turnstile (slcore.store.lock_path), which stays.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.duckdb", "old.duckdb.lock"]
