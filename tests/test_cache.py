"""The figure cache: per store and data version, bounded, and every caller gets a copy."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from slcore import cache, figures
from slcore.importer import import_file
from slcore.periods import Period
from slcore.store import open_store

from .conftest import CANONICAL_HEADER, registration, write_csv

PERIOD = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31), dt.date(2025, 12, 31))


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def test_a_second_call_is_served_and_a_write_is_not(make_store, tmp_path):
    store = make_store([registration("R1", cost_amount="100")])
    first = figures.key_figures(store, PERIOD)
    assert cache.stats().misses == 1
    again = figures.key_figures(store, PERIOD)
    assert cache.stats().hits == 1
    pd.testing.assert_frame_equal(first, again)
    rows = [registration("R1", cost_amount="100"), registration("R2", cost_amount="100")]
    import_file(store, write_csv(tmp_path / "more.csv", CANONICAL_HEADER, rows))
    after = figures.key_figures(store, PERIOD)
    assert int(after["active_registrations"].iloc[0]) == 2
    assert cache.stats().misses == 2


def test_every_caller_gets_its_own_copy(make_store):
    store = make_store([registration("R1")])
    table = figures.key_figures(store, PERIOD)
    table.loc[0, "active_registrations"] = 999
    assert int(figures.key_figures(store, PERIOD)["active_registrations"].iloc[0]) == 1


def test_arguments_are_part_of_the_key(make_store):
    store = make_store([registration("R1", team="Team A"), registration("R2", team="Team B")])
    a = figures.key_figures(store, PERIOD, (), figures.Filters(teams=("Team A",)))
    b = figures.key_figures(store, PERIOD, (), figures.Filters(teams=("Team B",)))
    both = figures.key_figures(store, PERIOD, ["team"])  # a list is keyed like a tuple
    assert int(a["active_registrations"].iloc[0]) == 1
    assert int(b["active_registrations"].iloc[0]) == 1
    assert list(both["team"]) == ["Team A", "Team B"]
    assert cache.stats().misses == 3


def test_two_stores_never_share_an_entry(tmp_path):
    stores = []
    for name, n in (("a.duckdb", 1), ("b.duckdb", 2)):
        store = open_store(tmp_path / name)
        rows = [registration(f"R{i}") for i in range(n)]
        import_file(store, write_csv(tmp_path / f"{name}.csv", CANONICAL_HEADER, rows))
        stores.append(store)
    try:
        counts = [
            int(figures.key_figures(s, PERIOD)["active_registrations"].iloc[0]) for s in stores
        ]
        assert counts == [1, 2]
    finally:
        for s in stores:
            s.close()


def test_the_cache_stays_within_its_bound(make_store, monkeypatch):
    store = make_store([registration("R1")])
    monkeypatch.setenv("SLCORE_CACHE_MB", "0.01")  # about 10 kB: a few tables
    for year in range(2000, 2030):
        period = Period(dt.date(year, 1, 1), dt.date(year, 12, 31), dt.date(year, 12, 31))
        figures.key_figures(store, period)
        assert cache.stats().size_bytes <= cache.max_bytes()
    assert 0 < cache.stats().entries < 30
    # The newest entry is kept, the oldest went first.
    hits = cache.stats().hits
    figures.key_figures(
        store, Period(dt.date(2029, 1, 1), dt.date(2029, 12, 31), dt.date(2029, 12, 31))
    )
    assert cache.stats().hits == hits + 1
