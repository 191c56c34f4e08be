"""Frames and budgets: validation, versions, replacement."""

from __future__ import annotations

import datetime as dt

import pytest

from slcore.frames import (
    FRAME_COLUMNS,
    FrameError,
    add_frames,
    frames_csv,
    import_budgets,
    import_frames,
)
from slcore.store import open_store
from tests.conftest import write_csv

COLS = FRAME_COLUMNS


@pytest.fixture
def store(tmp_path):
    s = open_store(tmp_path / "fr.duckdb")
    yield s
    s.close()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"age_min": 5, "age_max": 3}, "mindste alder"),
        ({"age_max": 31}, "mellem 0 og 30"),
        ({"max_extent": 0}, "positive"),
        ({"max_monthly_cost": -1}, "positive"),
        ({"extent_unit": "timer"}, "omfangsenhed"),
        ({"intervention_type": "NOPE"}, "ukendt indsatstype"),
        ({"valid_from": "01-01-2025"}, "kunne ikke forstås"),
        ({"max_duration_months": "1,5"}, "helt tal"),
    ],
)
def test_invalid_frames_are_refused_whole(store, tmp_path, values, message):
    good = {"intervention_type": "OEK", "valid_from": "2020-01-01"}
    bad = {"intervention_type": "OEK", "valid_from": "2021-01-01", **values}
    with pytest.raises(FrameError, match=message):
        import_frames(store, write_csv(tmp_path / "f.csv", COLS, [good, bad]))
    assert store.cursor().execute("SELECT count(*) FROM frames").fetchone()[0] == 0


def test_versions_are_added_never_overwritten(store):
    base = {c: None for c in COLS} | {
        "intervention_type": "OEK",
        "valid_from": dt.date(2020, 1, 1),
        "max_monthly_cost": 100.0,
    }
    add_frames(store, [base])
    add_frames(store, [base | {"valid_from": dt.date(2025, 1, 1), "max_monthly_cost": 200.0}])
    add_frames(store, [base | {"max_monthly_cost": 150.0}])
    assert store.cursor().execute("SELECT count(*) FROM frames").fetchone()[0] == 3
    lines = frames_csv(store).strip().splitlines()
    assert lines[1].startswith("OEK,2020-01-01") and "150.0" in lines[1]
    assert lines[2].startswith("OEK,2025-01-01") and "200.0" in lines[2]


def test_budgets_refuse_duplicates_and_bad_values(store, tmp_path):
    cols = ("year", "intervention_type", "budget_dkk")
    with pytest.raises(FrameError, match="to gange"):
        import_budgets(
            store,
            write_csv(
                tmp_path / "b.csv",
                cols,
                [
                    {"year": 2025, "intervention_type": "OEK", "budget_dkk": 1},
                    {"year": 2025, "intervention_type": "OEK", "budget_dkk": 2},
                ],
            ),
        )
    with pytest.raises(FrameError, match="budgettet"):
        import_budgets(
            store,
            write_csv(
                tmp_path / "n.csv",
                cols,
                [{"year": 2025, "intervention_type": "OEK", "budget_dkk": -5}],
            ),
        )
    with pytest.raises(FrameError, match="ikke et tal"):
        import_budgets(
            store,
            write_csv(
                tmp_path / "c.csv",
                cols,
                [{"year": 2025, "intervention_type": "OEK", "budget_dkk": "mange"}],
            ),
        )
    with pytest.raises(FrameError, match="mangler kolonnen"):
        import_budgets(store, write_csv(tmp_path / "d.csv", ("year",), [{"year": 2025}]))
    assert store.cursor().execute("SELECT count(*) FROM budgets").fetchone()[0] == 0


def test_danish_semicolon_budget_file(store, tmp_path):
    p = tmp_path / "da.csv"
    p.write_bytes("year;intervention_type;budget_dkk\n2025;OEK;1.234.567,50\n".encode("cp1252"))
    assert import_budgets(store, p) == 1
    assert store.cursor().execute("SELECT budget_dkk FROM budgets").fetchone()[0] == 1234567.5
