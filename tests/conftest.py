"""Shared fixtures: real DuckDB files filled through the real import path."""

from __future__ import annotations

import csv
import datetime as dt
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from slcore.budgets import import_budgets
from slcore.frames import FRAME_COLUMNS, import_frames
from slcore.importer import import_file
from slcore.store import Store, open_store

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = Path(os.environ.get("SLCORE_SAMPLES", ROOT.parent / "shared" / "samples"))

CANONICAL_HEADER = (
    "registration_id",
    "citizen_id",
    "birth_date",
    "intervention_type",
    "start_date",
    "end_date",
    "extent",
    "extent_unit",
    "cost_amount",
    "cost_period",
    "committee_approved",
    "decision_date",
    "team",
    "caseworker",
    "provider",
    "legal_basis",
)


def write_csv(
    path: Path, header: tuple[str, ...] | list[str], rows: list[dict[str, object]]
) -> Path:
    """Write rows (dicts, missing keys empty) as a UTF-8 CSV with the given header."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(header), extrasaction="raise")
        w.writeheader()
        for row in rows:
            w.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return path


def registration(rid: str, **values: object) -> dict[str, object]:
    """Return a canonical registration row with harmless defaults."""
    row: dict[str, object] = {
        "registration_id": rid,
        "citizen_id": f"C-{rid}",
        "birth_date": "2015-01-01",
        "intervention_type": "SI_KONTAKT",
        "start_date": "2025-01-01",
        "end_date": "",
        "extent": "",
        "extent_unit": "",
        "cost_amount": "0",
        "cost_period": "day",
        "committee_approved": "false",
        "decision_date": "",
        "team": "Team A",
        "caseworker": "",
        "provider": "",
        "legal_basis": "",
    }
    row.update(values)
    return row


def build_store(
    tmp_path: Path,
    regs: list[dict[str, object]],
    frames: list[dict[str, object]] | None = None,
    budgets: list[dict[str, object]] | None = None,
    name: str = "t.duckdb",
) -> Store:
    """Create a store file and fill it from real CSV files through slcore's importers."""
    store = open_store(tmp_path / name)
    import_file(
        store, write_csv(tmp_path / "regs.csv", CANONICAL_HEADER, regs), today=dt.date(2030, 1, 1)
    )
    if frames:
        import_frames(store, write_csv(tmp_path / "frames.csv", FRAME_COLUMNS, frames))
    if budgets:
        cols = ("year", "intervention_type", "budget_dkk", "planned_cases")
        import_budgets(store, write_csv(tmp_path / "budgets.csv", cols, budgets))
    return store


@pytest.fixture
def make_store(tmp_path: Path) -> Iterator:
    """Build stores from rows; close them after the test."""
    made: list[Store] = []

    def make(regs, frames=None, budgets=None, name="t.duckdb"):
        store = build_store(tmp_path, regs, frames, budgets, name)
        made.append(store)
        return store

    yield make
    for s in made:
        s.close()


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store file with the canonical sample registrations, frames and budgets (read-only use)."""
    path = tmp_path_factory.mktemp("sample") / "sample.duckdb"
    store = open_store(path)
    import_file(store, SAMPLES / "registrations_canonical.csv")
    import_frames(store, SAMPLES / "serviceniveau_frames.csv")
    import_budgets(store, SAMPLES / "budgetter.csv")
    store.close()
    return path


@pytest.fixture
def sample_copy(sample_db: Path, tmp_path: Path) -> Path:
    """A private copy of the sample store that a test may change."""
    dst = tmp_path / "sample.duckdb"
    shutil.copy(sample_db, dst)
    # The store remembers its pseudonym key: a copy goes with its key, as a backup must.
    key = sample_db.with_name(sample_db.name + ".key")
    if key.exists():
        shutil.copy(key, dst.with_name(dst.name + ".key"))
    return dst


@pytest.fixture
def sample_store(sample_db: Path) -> Iterator[Store]:
    """The sample store, opened."""
    store = open_store(sample_db)
    yield store
    store.close()
