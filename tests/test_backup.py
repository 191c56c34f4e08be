"""Backups: a consistent copy, a restore that checks the key, both from the command line."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from slcore import access, backup
from slcore.store import open_store
from tests.conftest import SAMPLES
from tests.test_cli import slcore  # noqa: F401 - the in-process CLI fixture

FIGURES = ("figures", "--from", "2025-01-01", "--to", "2025-12-31", "--as-of", "2025-12-31")
FIGURES_BY_TYPE = (*FIGURES, "--by", "intervention_type")


@pytest.fixture
def cli_store(slcore, tmp_path: Path) -> Path:  # noqa: F811
    """A store filled through the command line from the samples, with its key file beside it."""
    db = tmp_path / "live.duckdb"
    slcore("import", str(SAMPLES / "udtraek_dubu_cp1252.csv"), db=db, check=True)
    slcore("frames", "import", str(SAMPLES / "serviceniveau_frames.csv"), db=db, check=True)
    slcore("budgets", "import", str(SAMPLES / "budgetter.csv"), db=db, check=True)
    assert db.with_name("live.duckdb.key").exists()
    return db


def test_backup_then_restore_gives_the_same_figures(slcore, cli_store, tmp_path):  # noqa: F811
    db = cli_store
    before = slcore(*FIGURES_BY_TYPE, db=db, check=True).stdout
    copy = tmp_path / "backup" / "nat.duckdb"
    made = slcore("backup", str(copy), db=db, check=True)
    assert "Sikkerhedskopi skrevet til" in made.stdout and "Husk også nøglefilen" in made.stdout
    # The store changes after the backup: an undo of the only import empties it.
    slcore("undo", "1", db=db, check=True)
    assert slcore(*FIGURES_BY_TYPE, db=db, check=True).stdout != before

    restored = slcore("restore", str(copy), db=db, check=True)
    assert "Gendannet fra" in restored.stdout
    assert slcore(*FIGURES_BY_TYPE, db=db, check=True).stdout == before
    # The store it replaced is kept beside, private; the audit log says who restored what.
    kept = backup.before_restore_path(db)
    assert kept.exists() and stat.S_IMODE(kept.stat().st_mode) == 0o600
    log = slcore("audit", "--format", "csv", db=db, check=True).stdout
    assert ",restore,Gendannet fra nat.duckdb" in log and ",backup," in log


def test_a_backup_is_private_and_holds_the_fingerprint_not_the_key(
    slcore,  # noqa: F811
    cli_store,
    tmp_path,
):
    copy = tmp_path / "b.duckdb"
    slcore("backup", str(copy), db=cli_store, check=True)
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    key = cli_store.with_name("live.duckdb.key").read_text().strip()
    assert key.encode() not in copy.read_bytes()
    info = backup.inspect(copy)
    store = open_store(cli_store)
    try:
        assert info.key_fingerprint == store.meta("key_fingerprint") is not None
        assert info.registrations == store.registration_count() > 0
    finally:
        store.close()
    assert not copy.with_name("b.duckdb.wal").exists()


def test_restore_with_another_key_is_refused_and_changes_nothing(
    slcore,  # noqa: F811
    cli_store,
    tmp_path,
):
    copy = tmp_path / "b.duckdb"
    slcore("backup", str(copy), db=cli_store, check=True)
    slcore("undo", "1", db=cli_store, check=True)
    before = slcore(*FIGURES, db=cli_store, check=True).stdout
    key_file = cli_store.with_name("live.duckdb.key")
    key_file.write_text("another key entirely")
    refused = slcore("restore", str(copy), db=cli_store)
    assert refused.returncode == 1
    assert "anden nøgle" in refused.stderr and "Traceback" not in refused.stderr
    key_file.unlink()
    missing = slcore("restore", str(copy), db=cli_store)
    assert missing.returncode == 1 and "mangler" in missing.stderr
    assert slcore(*FIGURES, db=cli_store, check=True).stdout == before
    assert not backup.before_restore_path(cli_store).exists()


def test_restore_refuses_a_file_that_is_no_backup(slcore, cli_store, tmp_path):  # noqa: F811
    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(b"not a database at all")
    r = slcore("restore", str(junk), db=cli_store)
    assert r.returncode == 1 and "ikke en sikkerhedskopi" in r.stderr
    r = slcore("restore", str(tmp_path / "nowhere.duckdb"), db=cli_store)
    assert r.returncode == 1 and "findes ikke" in r.stderr
    # A store itself (not made by backup) is no backup either.
    r = slcore("restore", str(cli_store), db=tmp_path / "other.duckdb")
    assert r.returncode == 1 and "ikke lavet med" in r.stderr


def test_only_the_administrator_backs_up(cli_store, tmp_path):
    store = open_store(cli_store)
    try:
        analyst = access.Access(who="a@k.dk", name="A", roles=frozenset({"analytiker"}))
        with pytest.raises(access.AccessDenied):
            backup.backup(store.as_person(analyst), tmp_path / "b.duckdb")
        with pytest.raises(access.AccessDenied):
            backup.restore(cli_store, tmp_path / "b.duckdb", who=analyst)
        assert not (tmp_path / "b.duckdb").exists()
    finally:
        store.close()


def test_the_backup_command_refuses_to_write_over_the_store(slcore, cli_store):  # noqa: F811
    r = slcore("backup", str(cli_store), db=cli_store)
    assert r.returncode == 1 and "oven i selve databasen" in r.stderr
    assert os.path.getsize(cli_store) > 0
