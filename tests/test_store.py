"""The store: schema, reference data, upgrades, one connection per process, serialised writes."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import duckdb
import pytest

from slcore import facts
from slcore import store as store_mod
from slcore.store import (
    SCHEMA_VERSION,
    StoreError,
    alias_key,
    intervention_types,
    open_store,
    resolve_db_path,
    schema_version,
    turnstile,
)


def test_new_store_has_schema_and_reference(tmp_path):
    s = open_store(tmp_path / "new.duckdb")
    try:
        assert schema_version(s.cursor()) == SCHEMA_VERSION
        types = intervention_types(s)
        assert len(types) == 24
        assert {t["category"] for t in types} == {
            "tidlig_forebyggende",
            "stottende",
            "anbringelse",
            "ungestotte",
        }
        cur = s.cursor()
        tables = {
            r[0] for r in cur.execute("SELECT table_name FROM information_schema.tables").fetchall()
        }
        assert {
            "registrations",
            "registration_history",
            "import_batches",
            "rejected_rows",
            "frames",
            "budgets",
            "intervention_aliases",
            "intervention_types",
            "meta",
        } <= tables
        # Danish names and codes are seeded as aliases.
        code = cur.execute(
            "SELECT code FROM intervention_aliases WHERE alias_key = ?",
            [alias_key("Almen plejefamilie")],
        ).fetchone()[0]
        assert code == "ANB_PLEJE"
        assert (
            cur.execute(
                "SELECT code FROM intervention_aliases WHERE alias_key = ?",
                [alias_key("Konsulentbistand")],
            ).fetchone()[0]
            == "TFI_KONS"
        )
    finally:
        s.close()


def test_one_store_per_file_per_process(tmp_path):
    a = open_store(tmp_path / "x.duckdb")
    b = open_store(str(tmp_path / "x.duckdb"))
    try:
        assert a is b
    finally:
        a.close()


def test_env_var_and_default_path(monkeypatch, tmp_path):
    monkeypatch.delenv("SLCORE_DB", raising=False)
    assert resolve_db_path() == store_mod.DEFAULT_DB
    assert store_mod.DEFAULT_DB.name == "slcore.duckdb"
    assert store_mod.DEFAULT_DB.parent.name == "data"
    monkeypatch.setenv("SLCORE_DB", str(tmp_path / "env.duckdb"))
    assert resolve_db_path() == tmp_path / "env.duckdb"
    assert resolve_db_path(tmp_path / "arg.duckdb") == tmp_path / "arg.duckdb"


def test_older_store_is_upgraded_on_open(tmp_path, monkeypatch):
    path = tmp_path / "old.duckdb"
    open_store(path).close()
    # A later release adds a migration; opening the old file applies it once.
    monkeypatch.setattr(
        store_mod,
        "MIGRATIONS",
        [*store_mod.MIGRATIONS, "ALTER TABLE budgets ADD COLUMN note VARCHAR"],
    )
    monkeypatch.setattr(store_mod, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    s = open_store(path)
    try:
        assert schema_version(s.cursor()) == SCHEMA_VERSION + 1
        cols = [r[0] for r in s.cursor().execute("DESCRIBE budgets").fetchall()]
        assert "note" in cols
    finally:
        s.close()


def test_a_store_of_schema_1_gets_its_kept_cpr_numbers_masked(tmp_path, monkeypatch):
    # A store made by the release before this one could keep a CPR number in free text.
    path = tmp_path / "v1.duckdb"
    monkeypatch.setattr(store_mod, "SCHEMA_VERSION", 1)
    old = open_store(path)
    cur = old.cursor()
    cur.execute("INSERT INTO import_batches (batch_id, kind) VALUES (1, 'import')")
    for table in ("registration_history", "registrations"):
        extra = "line_no, deleted, " if table == "registration_history" else ""
        values = "1, false, " if extra else ""
        cur.execute(
            f"INSERT INTO {table} (batch_id, {extra}registration_id, citizen_id, team, provider) "
            f"VALUES (1, {values}'R1', 'C1', 'Team 010203-1234', 'Privat 0102031234'), "
            f"(1, {values}'1003121234', '010210 4234', NULL, NULL), "
            f"(1, {values}'1003125678', '010210 4999', NULL, NULL)"
        )
    cur.execute(
        "INSERT INTO rejected_rows VALUES (1, 2, 'Pris', 'x 010203 1234', 'Prisen er ikke et tal.')"
    )
    old.close()
    monkeypatch.undo()
    s = open_store(path)
    try:
        assert schema_version(s.cursor()) == SCHEMA_VERSION
        rows = (
            s.cursor()
            .execute(
                "SELECT team, provider FROM registrations WHERE registration_id = 'R1' "
                "UNION ALL SELECT team, provider FROM registration_history "
                "WHERE registration_id = 'R1'"
            )
            .fetchall()
        )
        assert rows == [("Team 010203-****", "Privat 010203-****")] * 2
        # Ids that held a CPR number get tokens: no CPR left, and no two registrations (or
        # children) made one; history and current view agree.
        cur = s.cursor()
        ids = cur.execute("SELECT registration_id, citizen_id FROM registrations ORDER BY ALL")
        ids = ids.fetchall()
        assert len({r for r, _ in ids}) == 3 and len({c for _, c in ids}) == 3
        assert not any("1234" in r or "4234" in c or "4999" in c for r, c in ids)
        history = cur.execute(
            "SELECT registration_id, citizen_id FROM registration_history ORDER BY ALL"
        ).fetchall()
        assert history == ids
        facts.refresh(cur)
        assert cur.execute("SELECT count(*) FROM registrations").fetchone()[0] == 3
        value = s.cursor().execute("SELECT value FROM rejected_rows").fetchone()[0]
        assert value == "x 010203-****"
    finally:
        s.close()


def test_duckdb_spills_only_into_a_private_folder(tmp_path):
    import stat

    s = open_store(tmp_path / "p.duckdb")
    try:
        spill = Path(s.cursor().execute("SELECT current_setting('temp_directory')").fetchone()[0])
        assert spill == tmp_path / "p.duckdb.tmp"
        assert stat.S_IMODE(spill.stat().st_mode) == 0o700
    finally:
        s.close()


def test_newer_store_is_refused(tmp_path):
    path = tmp_path / "future.duckdb"
    open_store(path).close()
    con = duckdb.connect(str(path))
    con.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(StoreError, match="nyere version"):
        open_store(path)


def test_write_rolls_back_on_error(tmp_path):
    s = open_store(tmp_path / "rb.duckdb")
    try:

        def insert_then_fail() -> None:
            with s.write() as cur:
                cur.execute(
                    "INSERT INTO budgets (year, intervention_type, budget_dkk) "
                    "VALUES (2025, 'OEK', 1)"
                )
                raise RuntimeError("boom")

        with pytest.raises(RuntimeError, match="boom"):
            insert_then_fail()
        assert s.cursor().execute("SELECT count(*) FROM budgets").fetchone()[0] == 0
    finally:
        s.close()


def test_writes_from_threads_are_serialised(tmp_path):
    s = open_store(tmp_path / "th.duckdb")
    errors: list[BaseException] = []

    def work(year: int) -> None:
        try:
            for i in range(20):
                with s.write() as cur:
                    cur.execute(
                        "INSERT OR REPLACE INTO budgets (year, intervention_type, "
                        "budget_dkk) VALUES (?, 'OEK', ?)",
                        [year, i],
                    )
                s.cursor().execute("SELECT count(*) FROM registrations").fetchone()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(2000 + n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == []
        assert s.cursor().execute("SELECT count(*), sum(budget_dkk) FROM budgets").fetchone() == (
            4,
            76.0,
        )
    finally:
        s.close()


def _hold_file(path):
    """Start a process that keeps the file open read-write until its stdin closes."""
    import subprocess
    import sys
    import textwrap

    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import duckdb, sys
            con = duckdb.connect({str(path)!r})
            print("ready", flush=True)
            sys.stdin.read()
            con.close()
        """),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "ready"
    return holder


def test_store_kept_by_another_process_past_the_timeout_gives_danish_message(tmp_path, monkeypatch):
    path = tmp_path / "locked.duckdb"
    open_store(path).close()
    monkeypatch.setenv("SLCORE_LOCK_TIMEOUT", "0.5")
    holder = _hold_file(path)
    try:
        with pytest.raises(StoreError, match=r"optaget af et andet program.*0\.5 sekunder"):
            open_store(path)
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


def test_store_waits_for_its_turn_while_another_process_has_the_file(tmp_path):
    import subprocess
    import sys
    import threading

    path = tmp_path / "turn.duckdb"
    store = open_store(path, shared=True)  # as the dashboard does: open only inside held()
    with turnstile(path):  # another program asks for its turn: the idle dashboard lets go
        deadline = time.monotonic() + 30
        while store.conn.con is not None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert store.conn.con is None
        holder = _hold_file(path)
    waited = threading.Event()

    def let_go_when_waited_for():
        waited.wait(timeout=60)
        holder.stdin.close()

    threading.Thread(target=let_go_when_waited_for, daemon=True).start()
    try:
        # The run meets the other process's lock, says so, and waits for its turn.
        with store.held(on_wait=waited.set) as held:
            assert held.scalar("SELECT count(*) FROM meta") > 0
        assert waited.is_set()
    finally:
        holder.wait(timeout=30)
    try:
        # Between runs the file stays open while nobody else wants it (a rerun is faster) ...
        with store.held() as held:
            assert held.scalar("SELECT count(*) FROM meta") > 0
        assert store.conn.con is not None
        # ... and a command that asks for its turn gets it: the dashboard lets go at once.
        r = subprocess.run(
            [sys.executable, "-m", "slcore", "imports", "--db", str(path)],
            cwd=Path(__file__).resolve().parent.parent,
            env={**os.environ, "SLCORE_LOCK_TIMEOUT": "20"},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert r.returncode == 0, r.stderr
        assert store.conn.con is None
        with store.held() as held:  # and the next run opens it again
            assert held.scalar("SELECT count(*) FROM meta") > 0
    finally:
        store.close()


def test_a_command_says_it_waits_and_runs_when_the_file_is_free(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "cli.duckdb"
    open_store(path).close()
    holder = _hold_file(path)
    cmd = subprocess.Popen(
        [sys.executable, "-m", "slcore", "imports", "--db", str(path)],
        cwd=Path(__file__).resolve().parent.parent,
        env={**os.environ, "SLCORE_LOCK_TIMEOUT": "120"},  # never hangs past that
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # A scheduled job's log says why it has not finished; it is not refused.
        assert "Venter på, at et andet program" in cmd.stderr.readline()
        assert cmd.poll() is None
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    _out, err = cmd.communicate(timeout=120)
    assert cmd.returncode == 0, err


def test_a_new_store_file_is_private(tmp_path):
    import stat

    path = tmp_path / "new.duckdb"
    open_store(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
