"""The shared SQL pieces: each rule on a tiny real DuckDB, quoting, and the store's helpers."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from slcore import activity, compliance, sql
from slcore.periods import Period
from slcore.store import open_store
from tests.conftest import registration

D = dt.date
YEAR = Period(D(2025, 1, 1), D(2025, 12, 31), D(2025, 12, 31))


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB, closed after the test."""
    c = duckdb.connect()
    yield c
    c.close()


def one(con: duckdb.DuckDBPyConnection, expr: str, params: object = None) -> object:
    return con.execute(f"SELECT {expr}", params).fetchone()[0]


# --- Quoting -------------------------------------------------------------------------------


def test_quote_ident_keeps_the_name_exactly(con):
    names = ("Under 3 mdr.", 'a "quoted" name', "Æble")
    cols = ", ".join(f"1 AS {sql.quote_ident(n, names)}" for n in names)
    assert [d[0] for d in con.execute(f"SELECT {cols}").description] == list(names)
    assert sql.quote_ident('a "b"', ['a "b"']) == '"a ""b"""'


def test_quote_ident_refuses_a_name_not_in_the_whitelist():
    with pytest.raises(ValueError, match="not allowed"):
        sql.quote_ident('team"; DROP TABLE registrations; --', ("team", "provider"))
    with pytest.raises(ValueError, match="not allowed"):
        sql.quote_ident("Team", ("team",))  # case counts: the whitelist names it exactly


@pytest.mark.parametrize(
    "value",
    ["O'Hara", "it''s", "'; DROP TABLE x; --", 'a "b"', "", "æøå ½", "back\\slash"],
)
def test_a_text_with_quotes_survives_literal(con, value):
    assert one(con, sql.literal(value)) == value


def test_literal_of_numbers_dates_and_lists(con):
    assert one(con, sql.literal(731)) == 731
    assert one(con, sql.literal(1e-9)) == 1e-9
    assert one(con, sql.literal(365 / 12)) == 365 / 12
    assert one(con, sql.literal(True)) is True
    assert one(con, sql.literal(None)) is None
    assert one(con, sql.literal(D(2024, 2, 29))) == D(2024, 2, 29)
    assert one(con, sql.literal(["%d-%m-%Y", "it's"])) == ["%d-%m-%Y", "it's"]


def test_literal_refuses_what_is_no_constant():
    with pytest.raises(ValueError, match="Not a finite number"):
        sql.literal(float("nan"))
    with pytest.raises(TypeError):
        sql.literal(dt.datetime.fromisoformat("2025-01-01T12:00"))
    with pytest.raises(TypeError):
        sql.literal({"a": 1})  # type: ignore[arg-type]


# --- Parameters ----------------------------------------------------------------------------


def test_period_params_bind_the_three_period_parameters(con):
    period = Period(D(2025, 3, 1), D(2025, 5, 31), D(2025, 4, 15))
    params = sql.period_params(period)
    assert params == {"p_from": D(2025, 3, 1), "p_to": D(2025, 5, 31), "as_of": D(2025, 4, 15)}
    row = con.execute("SELECT $p_from, $p_to, $as_of", params).fetchone()
    assert row == (D(2025, 3, 1), D(2025, 5, 31), D(2025, 4, 15))


# --- Rules ---------------------------------------------------------------------------------


def test_days_counts_both_ends_and_never_below_zero(con):
    assert one(con, sql.days_sql("DATE '2025-01-01'", "DATE '2025-01-01'")) == 1
    assert one(con, sql.days_sql("DATE '2024-02-01'", "DATE '2024-02-29'")) == 29
    assert one(con, sql.days_sql("DATE '2025-02-01'", "DATE '2025-01-01'")) == 0


def test_monthly_cost_is_daily_cost_times_365_over_12(con):
    # Exactly the float Python computes in the same order, so no figure rounds differently.
    for daily in (100.0, 1000 * 12 / 365, 1 / 3):
        assert one(con, sql.monthly_cost_sql("$d"), {"d": daily}) == daily * 365 / 12
    assert one(con, sql.monthly_cost_sql("$d"), {"d": 1000 * 12 / 365}) == pytest.approx(1000)
    assert sql.DAYS_PER_MONTH == 365 / 12


def test_months_of_days(con):
    assert one(con, sql.months_sql("365")) == pytest.approx(12)
    assert one(con, sql.months_sql("$d"), {"d": 100}) == 100 / (365 / 12)


def test_unknown_group_for_an_empty_team_or_provider(con):
    con.execute(
        "CREATE TABLE r AS SELECT * FROM (VALUES (1, NULL), (2, ''), (3, '  '), (4, ' Nord '))"
        " t(id, team)"
    )
    rows = con.execute(f"SELECT {sql.unknown_group_sql('team')} FROM r ORDER BY id").fetchall()
    assert [r[0] for r in rows] == ["(ukendt)", "(ukendt)", "(ukendt)", "Nord"]


def test_touches_the_period_when_active_or_with_spend(con):
    con.execute(
        "CREATE TABLE m AS SELECT * FROM (VALUES (1, true, 0.0, 0.0), (2, false, 5.0, 0.0),"
        " (3, false, 0.0, 7.0), (4, false, 0.0, 0.0), (5, false, -2.0, 0.0))"
        " t(id, active, realized, committed)"
    )
    unaliased = con.execute(f"SELECT id FROM m WHERE {sql.touches_period_sql()} ORDER BY id")
    assert [r[0] for r in unaliased.fetchall()] == [1, 2, 3, 5]
    aliased = con.execute(f"SELECT x.id FROM m x WHERE {sql.touches_period_sql('x')} ORDER BY 1")
    assert [r[0] for r in aliased.fetchall()] == [1, 2, 3, 5]


def test_runs_in_an_interval(con):
    con.execute(
        "CREATE TABLE r AS SELECT * FROM (VALUES"
        " (1, DATE '2025-01-01', NULL), (2, DATE '2024-01-01', DATE '2024-12-31'),"
        " (3, DATE '2025-02-01', NULL), (4, DATE '2024-06-01', DATE '2025-01-01'),"
        " (5, DATE '2025-01-31', DATE '2025-03-01')) t(id, start_date, end_date)"
    )
    cond = sql.runs_in_sql("r", "DATE '2025-01-01'", "DATE '2025-01-31'")
    assert [r[0] for r in con.execute(f"SELECT id FROM r WHERE {cond} ORDER BY id").fetchall()] == [
        1,
        4,
        5,
    ]


def test_frame_last_day_in_calendar_months(con):
    assert one(con, sql.frame_last_day_sql("DATE '2025-01-01'", "6")) == D(2025, 6, 30)
    # A month added to the 31st lands on the month's last day (metrics.md), then one day back.
    assert one(con, sql.frame_last_day_sql("DATE '2025-01-31'", "1")) == D(2025, 2, 27)
    assert one(con, sql.frame_last_day_sql("DATE '2025-01-31'", "NULL")) is None


@pytest.fixture
def frames(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """``frames_current`` with two versions of A (the newer without a price), one of B."""
    con.execute(
        "CREATE TABLE frames_current AS SELECT * FROM (VALUES"
        " ('A', DATE '2024-01-01', 1000.0), ('A', DATE '2025-01-01', NULL),"
        " ('B', DATE '2026-01-01', 500.0)) t(intervention_type, valid_from, max_monthly_cost)"
    )
    return con


def test_frame_in_force_on_a_day(frames):
    def on(day: dt.date) -> list[tuple[object, ...]]:
        q = f"SELECT intervention_type, valid_from, max_monthly_cost FROM ({sql.frame_in_force_sql('$day')}) ORDER BY 1"
        return frames.execute(q, {"day": day}).fetchall()

    assert on(D(2023, 12, 31)) == []
    assert on(D(2024, 6, 30)) == [("A", D(2024, 1, 1), 1000.0)]
    # The version in force has no price limit: none, not the price of an older version.
    assert on(D(2025, 1, 1)) == [("A", D(2025, 1, 1), None)]
    assert on(D(2026, 1, 1)) == [("A", D(2025, 1, 1), None), ("B", D(2026, 1, 1), 500.0)]


def test_frame_in_force_join_is_the_same_rule_per_row(frames):
    frames.execute(
        "CREATE TABLE r AS SELECT * FROM (VALUES (1, 'A', DATE '2023-06-01'),"
        " (2, 'A', DATE '2024-01-01'), (3, 'A', DATE '2025-03-01'), (4, 'B', DATE '2025-12-31'),"
        " (5, 'B', DATE '2026-01-01'), (6, 'C', DATE '2025-01-01')) t(id, intervention_type, start_date)"
    )
    joined = frames.execute(
        f"SELECT r.id, r.intervention_type, r.start_date, f.valid_from FROM r "
        f"{sql.frame_in_force_join_sql('r', 'r.start_date', 'f')} ORDER BY r.id"
    ).fetchall()
    assert [row[3] for row in joined] == [
        None,
        D(2024, 1, 1),
        D(2025, 1, 1),
        None,
        D(2026, 1, 1),
        None,
    ]
    for _, itype, day, valid_from in joined:
        in_force = frames.execute(
            f"SELECT valid_from FROM ({sql.frame_in_force_sql('$day')}) WHERE intervention_type = $t",
            {"day": day, "t": itype},
        ).fetchone()
        assert (in_force[0] if in_force else None) == valid_from


# --- The store's helpers -------------------------------------------------------------------


def test_store_df_and_scalar(tmp_path):
    store = open_store(tmp_path / "s.duckdb")
    try:
        assert store.scalar("SELECT count(*) FROM registrations") == 0
        assert store.scalar("SELECT data_as_of FROM import_batches") is None  # no row
        assert store.scalar("SELECT ?::INTEGER + 1", [41]) == 42
        df = store.df("SELECT $a AS a, $b AS b", {"a": "O'Hara", "b": D(2025, 1, 1)})
        assert list(df.columns) == ["a", "b"]
        assert df["a"].iloc[0] == "O'Hara"
        assert len(store.df("SELECT * FROM registrations")) == 0
    finally:
        store.close()


# --- Constants through literal: labels with quote characters survive -----------------------


def test_a_reason_label_with_a_quote_survives(make_store, monkeypatch):
    store = make_store(
        [
            registration("price", cost_amount="2000", cost_period="month"),
            registration("both", birth_date="2000-01-01", cost_amount="2000", cost_period="month"),
        ],
        frames=[
            {
                "intervention_type": "SI_KONTAKT",
                "valid_from": "2020-01-01",
                "age_min": 0,
                "age_max": 17,
                "max_monthly_cost": 1500,
            }
        ],
    )
    labels = {**compliance.REASON_LABELS, "price": "pris (O'Hara's)", "age": 'alder "x"'}
    monkeypatch.setattr(compliance, "REASON_LABELS", labels)
    counts = compliance.reason_counts(store, YEAR).set_index("reason")
    assert counts.loc["pris (O'Hara's)", "unapproved_deviations"] == 2
    assert counts.loc['alder "x"', "unapproved_deviations"] == 1
    reasons = compliance.committee_deviations(store, YEAR).set_index("registration_id")["reasons"]
    assert reasons["both"] == "alder \"x\", pris (O'Hara's)"


def test_a_duration_band_label_with_quotes_survives(make_store, monkeypatch):
    store = make_store(
        [
            registration("short", start_date="2025-01-01", end_date="2025-01-10"),
            registration("long", start_date="2025-01-01", end_date="2025-12-31"),
        ]
    )
    bands = (('Under "3" mdr.\'s', 1, 91), ("Resten", 92, None))
    monkeypatch.setattr(activity, "DURATION_BANDS", bands)
    df = activity.durations(store, YEAR).set_index("state")
    assert df.loc["ended", 'Under "3" mdr.\'s'] == 1
    assert df.loc["ended", "Resten"] == 1
