"""The embedded DuckDB store: one file, taken in turns by processes, a cursor per thread.

Tables (schema version 6):

- ``meta``: key/value settings, among them ``schema_version`` and ``is_demo``.
- ``intervention_types``: the reference list shipped in ``slcore/reference``.
- ``intervention_aliases``: local name (normalised) -> code.
- ``import_batches``: one row per import (or demo build), with its counts.
- ``registration_history``: every version of every registration, append-only, with its batch.
- ``registrations``: the current view, rebuilt from history (never edited on its own), with
  each registration's prepared facts (``slcore.facts``).
- ``rejected_rows``: the rows of a batch that were not imported, with line, column, reason.
- ``frames``: service-level frame versions; a re-imported (type, valid_from) adds a row.
- ``budgets``: one row per (year, type), with who saved it (``updated_by``).
- ``people``: who may log in, with their roles and teams (access.md, ``slcore.people``).
- ``audit_log``: append-only, who did what and when (``slcore.audit``).
- ``settings``: the municipality's settings (reports.md), key/value.
- ``roles_plan``: the service-level document's roles × phases, a short text per cell.
"""

from __future__ import annotations

import atexit
import csv
import fcntl
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from slcore import access as access_rules
from slcore import facts, privacy, uploads

if TYPE_CHECKING:  # pandas is loaded by whoever asks for a DataFrame, not by every store user
    import pandas as pd

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = PROJECT_ROOT / "data" / "slcore.duckdb"
REFERENCE_CSV = Path(__file__).resolve().parent / "reference" / "intervention_types.csv"

SCHEMA_VERSION = 6
# The schema version that added the facts' columns to ``registrations``.
_FACTS_SINCE = 4

# Columns of a registration as stored (registrations.md §1, without cpr).
REGISTRATION_COLUMNS: dict[str, str] = {
    "registration_id": "VARCHAR",
    "citizen_id": "VARCHAR",
    "birth_date": "DATE",
    "age_at_start": "INTEGER",
    "intervention_type": "VARCHAR",
    "start_date": "DATE",
    "end_date": "DATE",
    "extent": "DOUBLE",
    "extent_unit": "VARCHAR",
    "cost_amount": "DOUBLE",
    "cost_period": "VARCHAR",
    "committee_approved": "BOOLEAN",
    "decision_date": "DATE",
    "team": "VARCHAR",
    "caseworker": "VARCHAR",
    "provider": "VARCHAR",
    "legal_basis": "VARCHAR",
}

# The stored columns a caseworker types freely (a CPR number must never stand in them).
FREE_TEXT_COLUMNS = (
    "registration_id",
    "citizen_id",
    "team",
    "caseworker",
    "provider",
    "legal_basis",
)

_REG_COLS_SQL = ",\n    ".join(f"{c} {t}" for c, t in REGISTRATION_COLUMNS.items())


def _unkeep_cpr_sql() -> str:
    """Return SQL that removes CPR numbers an earlier release kept, losing no registration.

    In the texts (team, provider, ...) and rejected values a CPR number is masked. An id that
    holds one gets a random token instead, the same for the same id everywhere: masking would
    make two registrations (or two children) one.
    """
    has = privacy.contains_cpr_sql
    ids = ("registration_id", "citizen_id")
    tables = ("registration_history", "registrations")
    found = " UNION ".join(f"SELECT {c} AS v FROM {t} WHERE {has(c)}" for t in tables for c in ids)
    parts = [
        "CREATE TEMP TABLE cpr_tokens AS SELECT v, 'X' || left(md5(v || random()::VARCHAR), 15)"
        f" AS token FROM ({found});"
    ]
    parts += [
        f"UPDATE {t} SET {c} = m.token FROM cpr_tokens m WHERE {t}.{c} = m.v;"
        for t in tables
        for c in ids
    ]
    parts.append("DROP TABLE cpr_tokens;")
    texts = [(t, c) for t in tables for c in FREE_TEXT_COLUMNS if c not in ids]
    parts += [
        f"UPDATE {t} SET {c} = {privacy.mask_cprs_sql(c)} WHERE {has(c)};"
        for t, c in [*texts, ("rejected_rows", "value")]
    ]
    return "\n".join(parts)


_UNKEEP_CPR_SQL = _unkeep_cpr_sql()

# Each entry upgrades the schema from version i to i + 1. Never edit a released entry;
# append a new one instead, so a store made by an older release is upgraded on open.
MIGRATIONS: list[str] = [
    f"""
    CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR);
    CREATE TABLE intervention_types (
        code VARCHAR PRIMARY KEY, name_da VARCHAR, name_en VARCHAR, category VARCHAR,
        ladder_step INTEGER, basis_barnets_lov VARCHAR, basis_serviceloven VARCHAR
    );
    CREATE TABLE intervention_aliases (
        alias_key VARCHAR PRIMARY KEY, alias VARCHAR NOT NULL, code VARCHAR NOT NULL,
        created_at TIMESTAMP DEFAULT current_timestamp
    );
    CREATE SEQUENCE batch_seq START 1;
    CREATE TABLE import_batches (
        batch_id INTEGER PRIMARY KEY, kind VARCHAR NOT NULL, file_name VARCHAR,
        sha256 VARCHAR, imported_by VARCHAR, imported_at TIMESTAMP, mode VARCHAR,
        rows_read BIGINT, inserted BIGINT, updated BIGINT, unchanged BIGINT,
        rejected BIGINT, removed BIGINT, data_as_of DATE,
        undone_at TIMESTAMP, undone_by VARCHAR
    );
    CREATE TABLE registration_history (
        batch_id INTEGER NOT NULL, line_no BIGINT, deleted BOOLEAN NOT NULL,
        {_REG_COLS_SQL}
    );
    CREATE TABLE registrations (
        batch_id INTEGER,
        {_REG_COLS_SQL}
    );
    CREATE TABLE rejected_rows (
        batch_id INTEGER NOT NULL, line_no BIGINT, column_name VARCHAR, value VARCHAR,
        reason VARCHAR NOT NULL
    );
    CREATE SEQUENCE frame_seq START 1;
    CREATE TABLE frames (
        frame_id INTEGER PRIMARY KEY, intervention_type VARCHAR NOT NULL, valid_from DATE NOT NULL,
        age_min INTEGER, age_max INTEGER, max_extent DOUBLE, extent_unit VARCHAR,
        max_duration_months INTEGER, max_monthly_cost DOUBLE, description VARCHAR,
        created_at TIMESTAMP DEFAULT current_timestamp, created_by VARCHAR
    );
    -- The frame in force for a (type, valid_from) is the newest row written for it.
    CREATE VIEW frames_current AS
        SELECT * EXCLUDE (rn) FROM (
            SELECT *, row_number() OVER (
                PARTITION BY intervention_type, valid_from ORDER BY frame_id DESC) AS rn
            FROM frames)
        WHERE rn = 1;
    CREATE TABLE budgets (
        year INTEGER NOT NULL, intervention_type VARCHAR NOT NULL, budget_dkk DOUBLE NOT NULL,
        planned_cases INTEGER, updated_at TIMESTAMP DEFAULT current_timestamp,
        PRIMARY KEY (year, intervention_type)
    );
    """,
    # 2: a replace that removed more than the allowed share records its confirmation; CPR
    # numbers that earlier releases kept are removed (see _UNKEEP_CPR_SQL).
    "ALTER TABLE import_batches ADD COLUMN removal_confirmed BOOLEAN DEFAULT false;\n"
    + _UNKEEP_CPR_SQL,
    # 3: a budget records who saved it, as frames and batches do (slcore.actors).
    "ALTER TABLE budgets ADD COLUMN updated_by VARCHAR;",
    # 4: the current view carries each registration's facts (slcore.facts), filled on open.
    """
    ALTER TABLE registrations ADD COLUMN daily_cost DOUBLE;
    ALTER TABLE registrations ADD COLUMN monthly_cost DOUBLE;
    ALTER TABLE registrations ADD COLUMN age INTEGER;
    ALTER TABLE registrations ADD COLUMN age_band VARCHAR;
    ALTER TABLE registrations ADD COLUMN team_group VARCHAR;
    ALTER TABLE registrations ADD COLUMN category VARCHAR;
    ALTER TABLE registrations ADD COLUMN ladder_step INTEGER;
    ALTER TABLE registrations ADD COLUMN frame_valid_from DATE;
    ALTER TABLE registrations ADD COLUMN frame_age_min INTEGER;
    ALTER TABLE registrations ADD COLUMN frame_age_max INTEGER;
    ALTER TABLE registrations ADD COLUMN frame_max_extent DOUBLE;
    ALTER TABLE registrations ADD COLUMN frame_extent_unit VARCHAR;
    ALTER TABLE registrations ADD COLUMN frame_max_duration_months INTEGER;
    ALTER TABLE registrations ADD COLUMN frame_max_monthly_cost DOUBLE;
    ALTER TABLE registrations ADD COLUMN frame_last_day DATE;
    ALTER TABLE registrations ADD COLUMN fail_age BOOLEAN;
    ALTER TABLE registrations ADD COLUMN fail_extent BOOLEAN;
    ALTER TABLE registrations ADD COLUMN fail_price BOOLEAN;
    """,
    # 5: people and roles, the audit log and the settings (access.md, reports.md).
    """
    CREATE TABLE people (
        email VARCHAR PRIMARY KEY, name VARCHAR, roles VARCHAR[] NOT NULL,
        teams VARCHAR[] NOT NULL, updated_at TIMESTAMP DEFAULT current_timestamp,
        updated_by VARCHAR
    );
    CREATE SEQUENCE audit_seq START 1;
    CREATE TABLE audit_log (
        entry_id BIGINT PRIMARY KEY DEFAULT nextval('audit_seq'),
        logged_at TIMESTAMP NOT NULL DEFAULT current_timestamp, who VARCHAR NOT NULL,
        event VARCHAR NOT NULL, detail VARCHAR
    );
    CREATE TABLE settings (key VARCHAR PRIMARY KEY, value VARCHAR);
    """,
    # 6: the plan for roles and responsibilities of the service-level document (reports.md).
    """
    CREATE TABLE roles_plan (
        role VARCHAR NOT NULL, phase VARCHAR NOT NULL, text VARCHAR NOT NULL,
        updated_at TIMESTAMP DEFAULT current_timestamp, updated_by VARCHAR,
        PRIMARY KEY (role, phase)
    );
    """,
]


def scalar(
    cur: duckdb.DuckDBPyConnection,
    sql: str,
    params: Mapping[str, object] | Sequence[object] | None = None,
) -> Any:
    """Run a query on a cursor and return the first column of its first row; None without one."""
    row = cur.execute(sql, params).fetchone()
    return None if row is None else row[0]


def one_row(
    cur: duckdb.DuckDBPyConnection,
    sql: str,
    params: Mapping[str, object] | Sequence[object] | None = None,
) -> tuple[Any, ...]:
    """Run a query that always returns one row (an aggregate) and return that row."""
    row = cur.execute(sql, params).fetchone()
    if row is None:
        raise StoreError("Forespørgslen gav ingen række.")
    return row


class StoreError(Exception):
    """A store problem with a Danish message meant for the user."""


class StoreBusy(StoreError):
    """Another program kept the store for longer than the lock timeout."""


def resolve_db_path(path: str | os.PathLike[str] | None = None) -> Path:
    """Return the store path: the argument, else ``SLCORE_DB``, else ``data/slcore.duckdb``."""
    if path:
        return Path(path)
    env = os.environ.get("SLCORE_DB")
    return Path(env) if env else DEFAULT_DB


def alias_key(name: str) -> str:
    """Normalise a header or intervention name: lower case, no spaces, dots, dashes, underscores."""
    return "".join(ch for ch in name.strip().lower() if ch not in " ._-/\t")


# Every committed write gives the data a new version, so a cached figure of an older version
# is never served (slcore.cache keys on it); a write that rolls back leaves it. A random token,
# not a counter: a rebuilt store in the same file must not meet its predecessor's versions.
_BUMP_DATA_VERSION_SQL = (
    "INSERT OR REPLACE INTO meta VALUES ('data_version', gen_random_uuid()::VARCHAR)"
)


# --- sharing the file between processes ------------------------------------------------------
#
# DuckDB lets one process at a time open a file read-write, so the dashboard and a command
# line job (a scheduled import, a backup) take turns. The dashboard holds the connection only
# while a script run needs it (``Store.held``) and closes it when no run does; the command
# line holds it for one command. Whoever wants to open the file first takes the turnstile, an
# ``flock`` on ``<store>.lock``, and keeps it until DuckDB's own lock is theirs. Every new run
# of the dashboard passes the turnstile too, even when the connection is open, so a waiting
# job is not starved by a stream of reruns: the runs under way finish, the connection closes,
# the job opens the file, and new runs wait until it is done. A transaction is all or nothing
# in DuckDB, and only one process has the file, so a reader sees the store before or after a
# job's import, never between; a process killed mid-write leaves an uncommitted transaction
# in the write-ahead log that DuckDB drops when the file is opened next. The kernel releases
# both locks of a killed process.

DEFAULT_LOCK_TIMEOUT = 600.0  # seconds: a 10M-row import holds the file for minutes


def lock_timeout() -> float:
    """Return how long to wait for another program's turn with the store (``SLCORE_LOCK_TIMEOUT``)."""
    text = os.environ.get("SLCORE_LOCK_TIMEOUT", "")
    try:
        return max(float(text), 0.0) if text else DEFAULT_LOCK_TIMEOUT
    except ValueError:
        return DEFAULT_LOCK_TIMEOUT


def lock_path(db_path: Path) -> Path:
    """Return the turnstile file of a store: ``<store>.lock`` beside it."""
    return db_path.with_name(db_path.name + ".lock")


def _busy(p: Path, timeout: float) -> StoreBusy:
    return StoreBusy(
        f"Databasen {p} er optaget af et andet program (fx en indlæsning fra kommandolinjen "
        f"eller dashboardet) og blev ikke ledig inden for {timeout:g} sekunder. Prøv igen om "
        "lidt, eller sæt SLCORE_LOCK_TIMEOUT højere."
    )


# How often a shared store's open, idle file checks whether another program wants it, and
# how long it stays open at most without a run.
_WATCH_EVERY = 0.05
LINGER_SECONDS = 30.0


def _turnstile_taken(fd: int) -> bool:
    """Return whether someone holds the turnstile now (``fd``: the lock file, opened apart)."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    fcntl.flock(fd, fcntl.LOCK_UN)
    return False


@contextmanager
def turnstile(
    p: Path, *, timeout: float | None = None, on_wait: Callable[[], None] | None = None
) -> Iterator[None]:
    """Hold the store's turnstile for a block: no other program opens the file meanwhile."""
    limit = lock_timeout() if timeout is None else timeout
    deadline = time.monotonic() + limit
    p.parent.mkdir(parents=True, exist_ok=True)
    # One open file description per holder: flock then also orders the threads of a process.
    fd = os.open(lock_path(p), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        pause = 0.01
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if on_wait is not None:
                    on_wait()
                    on_wait = None
                if time.monotonic() >= deadline:
                    raise _busy(p, limit) from None
                time.sleep(pause)
                pause = min(pause * 2, 0.2)
        yield
    finally:
        os.close(fd)  # releases the flock


def _connect(
    p: Path,
    *,
    timeout: float | None = None,
    on_wait: Callable[[], None] | None = None,
    read_only: bool = False,
) -> duckdb.DuckDBPyConnection:
    """Open the file once DuckDB's lock is free; call inside the turnstile."""
    limit = lock_timeout() if timeout is None else timeout
    deadline = time.monotonic() + limit
    spill = spill_dir(p)
    if not read_only:
        # DuckDB spills large temp tables (an import's staging, with the file's raw text) to
        # ``<store>.tmp``: made private before DuckDB would create it with default rights.
        spill.mkdir(mode=0o700, exist_ok=True)
        spill.chmod(0o700)
    pause = 0.02
    fresh = not p.exists()
    while True:
        try:
            if read_only:
                return duckdb.connect(str(p), read_only=True)
            con = duckdb.connect(str(p), config=_duckdb_config(spill))
            break
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise StoreError(f"Databasen {p} kan ikke åbnes: {exc}") from None
            if on_wait is not None:
                on_wait()
                on_wait = None
            if time.monotonic() >= deadline:
                raise _busy(p, limit) from None
            time.sleep(pause)
            pause = min(pause * 2, 0.25)
    _tidy(p, spill, fresh=fresh)
    return con


def _tidy(p: Path, spill: Path, *, fresh: bool) -> None:
    """Make a new store private and remove what a killed process left; just after opening."""
    if fresh and p.exists():  # a new store is personal data: private, as its key file is
        p.chmod(0o600)
    # The lock just taken is exclusive, and every program leaves its uploads and spilled temp
    # tables (both with a file's raw text) only while it has the file open: what is left now
    # is a killed process's, and nobody's.
    uploads.clean(p)
    for left in spill.iterdir() if spill.is_dir() else ():
        if left.is_file():
            left.unlink(missing_ok=True)


@contextmanager
def connected(p: Path, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open a file for a block, in turn with every other program, without keeping a store."""
    with turnstile(p):
        con = _connect(p, read_only=read_only)
    try:
        yield con
    finally:
        con.close()


@contextmanager
def exclusive(p: Path) -> Iterator[None]:
    """Hold a store's file for a block with no connection to it anywhere: to replace it.

    The turnstile keeps every program out; this process's own connection is closed, and
    another program's is waited for (DuckDB's lock taken and given back).
    """
    with turnstile(p):
        here = find_open_store(p)
        if here is not None:
            here.close()
        if p.exists():
            try:
                _connect(p, read_only=True).close()
            except StoreBusy:
                raise
            except StoreError:  # not a store at all: nobody can be using it as one
                pass
        yield


@dataclass(eq=False)  # identity: one per file per process, kept in a WeakSet
class _Connection:
    """The one connection of a process to a store file, shared by its threads and persons."""

    path: Path
    pinned: bool  # held from open_store to close (the command line, scripts, tests)
    con: duckdb.DuckDBPyConnection | None = None
    holds: int = 0  # the dashboard's runs that hold it now
    generation: int = 0  # a new one with every (re)open: thread cursors of older ones are stale
    state: threading.Lock = field(default_factory=threading.Lock)
    write_lock: threading.RLock = field(default_factory=threading.RLock)
    local: threading.local = field(default_factory=threading.local)
    idle_since: float = 0.0  # when the last hold ended (a shared store's file stays open)
    watcher: threading.Thread | None = None
    probe: int | None = None  # the lock file, opened apart, to see if the turnstile is taken

    def wanted(self) -> bool:
        """Return whether another program holds (or waits at) the turnstile; ``state`` held."""
        if self.probe is None:
            self.probe = os.open(lock_path(self.path), os.O_RDWR | os.O_CREAT, 0o600)
        return _turnstile_taken(self.probe)

    def open(self, on_wait: Callable[[], None] | None = None) -> None:
        """Open the file (under the turnstile) unless already open; call with ``state`` held."""
        if self.con is not None:
            return
        self.con = _connect(self.path, on_wait=on_wait)
        self.generation += 1
        _open_connections.add(self)
        _migrate(Store(path=self.path, conn=self))

    def linger(self) -> None:
        """Keep the file open after the last hold until another program asks for its turn.

        Reopening costs a run about 60 ms, so a shared store stays open between runs while
        nobody else wants it. Every program that opens the file first takes the turnstile
        (and holds it while it waits), so a watcher that finds the turnstile taken closes
        the file within ``_WATCH_EVERY``; an idle file is given back after ``LINGER_SECONDS``
        anyway. Call with ``state`` held.
        """
        self.idle_since = time.monotonic()
        if self.watcher is None or not self.watcher.is_alive():
            self.watcher = threading.Thread(
                target=self._watch, name=f"slcore-linger-{self.path.name}", daemon=True
            )
            self.watcher.start()

    def _watch(self) -> None:
        while True:
            time.sleep(_WATCH_EVERY)
            with self.state:
                if self.con is None or self.pinned:
                    return
                if self.holds:
                    continue
                if time.monotonic() - self.idle_since >= LINGER_SECONDS or self.wanted():
                    self.shut()
                    return

    def shut(self) -> None:
        """Close the connection (DuckDB checkpoints its log); call with ``state`` held."""
        if self.con is not None:
            con, self.con = self.con, None
            self.generation += 1
            con.close()


@dataclass
class Store:
    """An open store. Share one per process; take a cursor per thread."""

    path: Path
    conn: _Connection
    # Whose queries and writes these are (access.md); the command line's is the machine's
    # user. ``as_person`` gives the same store (connection, lock, cursors) for someone else.
    access: access_rules.Access = field(default_factory=access_rules.machine)

    def as_person(self, access: access_rules.Access) -> Store:
        """Return this store for a person: their team scope, rule and rights apply."""
        return replace(self, access=access)

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """Return the open connection; outside ``held`` a shared store has none."""
        con = self.conn.con
        if con is None:
            raise RuntimeError(
                "The store is not open: run the work inside store.held() (the dashboard does "
                "in app.py) or open it with open_store()."
            )
        return con

    @contextmanager
    def held(self, on_wait: Callable[[], None] | None = None) -> Iterator[Store]:
        """Hold the connection for a block (one run of the dashboard), waiting for our turn.

        ``on_wait`` is called once if another program has the file, before waiting for it.
        Nested holds of a thread are free. After the last hold of the process the file stays
        open only until another program asks for its turn (``_Connection.linger``), so a
        command line job can open it.
        """
        c = self.conn
        depth = getattr(c.local, "depth", 0)
        if depth == 0:
            with c.state:
                # Open and nobody waiting: no other program can have the file, go on at once.
                fast = c.con is not None and not c.wanted()
                if fast:
                    c.holds += 1
            if not fast:  # our turn after whoever waits, then open the file if closed
                with turnstile(self.path, on_wait=on_wait), c.state:
                    c.open(on_wait)
                    c.holds += 1
        c.local.depth = depth + 1
        try:
            yield self
        finally:
            c.local.depth = depth
            if depth == 0:
                with c.state:
                    c.holds -= 1
                    if c.holds == 0 and not c.pinned:
                        c.linger()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """Return this thread's cursor (DuckDB connections are not shared across threads)."""
        c = self.conn
        local = c.local
        if getattr(local, "generation", None) != c.generation:
            local.cursor = None
        cur: duckdb.DuckDBPyConnection | None = getattr(local, "cursor", None)
        if cur is None:
            cur = self.con.cursor()
            local.cursor = cur
            local.generation = c.generation
        return cur

    def df(
        self, sql: str, params: Mapping[str, object] | Sequence[object] | None = None
    ) -> pd.DataFrame:
        """Run a query on this thread's cursor and return its result as a DataFrame."""
        return self.cursor().execute(sql, params).df()

    def scalar(
        self, sql: str, params: Mapping[str, object] | Sequence[object] | None = None
    ) -> Any:
        """Run a query and return the first column of its first row; None without a row."""
        return scalar(self.cursor(), sql, params)

    @contextmanager
    def write(
        self, action: str | None = None, *, versioned: bool = True
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """Run a block as one serialised transaction on this thread's cursor.

        ``action`` (``access.IMPORT_DATA``, ...) is checked against the person's roles first:
        ``AccessDenied`` is raised before anything is written. Only the store's own upkeep
        (migrations, the demo) writes without one. ``versioned=False`` leaves the data
        version (and so every cached figure) alone: for the audit log, which no figure reads.
        The thread's cursor is used so that temp tables it made (an import's staging tables)
        are visible inside the transaction. Any error rolls the whole block back.
        """
        if action is not None:
            self.access.require(action)
        with self.conn.write_lock:
            cur = self.cursor()
            cur.execute("BEGIN TRANSACTION")
            try:
                yield cur
                if versioned:
                    cur.execute(_BUMP_DATA_VERSION_SQL)
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise

    def data_version(self) -> str:
        """Return the data version: a new token with every committed write, in any process."""
        return self.meta("data_version") or ""

    def meta(self, key: str, default: str | None = None) -> str | None:
        """Return a meta value."""
        row = self.cursor().execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else default

    def registration_count(self) -> int:
        """Return the number of registrations in the current view that the person may see."""
        scope = self.access.scope
        if scope is None:
            return int(scalar(self.cursor(), "SELECT count(*) FROM registrations"))
        return int(
            scalar(
                self.cursor(),
                "SELECT count(*) FROM registrations WHERE team_group IN (SELECT unnest(?))",
                [list(scope)],
            )
        )

    def is_demo(self) -> bool:
        """Return whether the store holds the demo municipality."""
        return self.meta("is_demo") == "true"

    def close(self) -> None:
        """Close the connection and forget this store."""
        with _stores_lock:
            _stores.pop(self.path.resolve(), None)
        with self.conn.state:
            self.conn.shut()
            if self.conn.probe is not None:
                os.close(self.conn.probe)
                self.conn.probe = None
        # The private spill folder stays, empty: another program may be opening the file now,
        # and DuckDB would make a missing one with default rights.


_stores: dict[Path, Store] = {}
_stores_lock = threading.Lock()


# Every connection with its file open, also of a store that was closed and then held again
# (a session may keep a store object): closed when the process ends.
_open_connections: weakref.WeakSet[_Connection] = weakref.WeakSet()


@atexit.register
def _close_open_stores() -> None:
    """Close what is still open when the process ends (a shared store lingers between runs)."""
    for c in list(_open_connections):
        with c.state:
            c.local = threading.local()  # the cursors go with their connection
            c.shut()


def spill_dir(db_path: Path) -> Path:
    """Return the private folder where DuckDB spills a store's large temp tables."""
    return db_path.with_name(db_path.name + ".tmp")


# DuckDB's own memory (its buffer manager: tables, joins, sorts); beyond it, it spills to the
# store's private temp folder instead of growing. Python's share comes on top. The default
# keeps a server on a 10M-registration store within about 1.5 GB (README, benchmarks).
DEFAULT_MEMORY_LIMIT = "1GB"


def _duckdb_config(spill: Path) -> dict[str, str | bool | int | float | list[str]]:
    return {
        "temp_directory": str(spill),
        "memory_limit": os.environ.get("SLCORE_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT),
    }


def open_store(
    path: str | os.PathLike[str] | None = None,
    *,
    shared: bool = False,
    on_wait: Callable[[], None] | None = None,
) -> Store:
    """Open (creating and upgrading as needed) the store; one per file per process.

    By default the file is held until ``close`` (a command, a script). ``shared=True`` (the
    dashboard) opens it only inside ``Store.held``, so other programs get their turn between
    runs; a store this process already holds stays held. ``on_wait`` is called once when
    another program has the file and this one waits for its turn.
    """
    p = resolve_db_path(path)
    key = p.resolve()
    with _stores_lock:
        store = _stores.get(key)
        if store is None:
            p.parent.mkdir(parents=True, exist_ok=True)
            store = Store(path=p, conn=_Connection(path=p, pinned=not shared))
            if shared:  # opened once now: a file that cannot be a store is told at once
                with store.held():
                    pass
            _stores[key] = store
        c = store.conn
        if not shared and (not c.pinned or c.con is None):
            with turnstile(p, on_wait=on_wait), c.state:
                c.open(on_wait)
                c.pinned = True
        return store


def find_open_store(path: str | os.PathLike[str]) -> Store | None:
    """Return the store this process has open for a file, if any."""
    with _stores_lock:
        return _stores.get(Path(path).resolve())


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """Return the schema version of an open database (0 for an empty one)."""
    has_meta = scalar(
        con, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'"
    )
    if not has_meta:
        return 0
    row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def _migrate(store: Store) -> None:
    current = schema_version(store.con)
    if current > SCHEMA_VERSION:
        raise StoreError(
            f"Databasen er lavet af en nyere version (skema {current}); opdater programmet."
        )
    facts_due = SCHEMA_VERSION >= _FACTS_SINCE and (
        current == 0 or store.meta("facts_version") != facts.FACTS_VERSION
    )
    if current == SCHEMA_VERSION and not facts_due:
        return
    with store.write() as cur:
        for version in range(current, SCHEMA_VERSION):
            cur.execute(MIGRATIONS[version])
        cur.execute(
            "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)]
        )
        if current == 0:
            _seed_reference(cur)
        # A store from before the facts, or with facts of an older definition, gets them now.
        if facts_due:
            facts.refresh(cur)
            cur.execute(
                "INSERT OR REPLACE INTO meta VALUES ('facts_version', ?)", [facts.FACTS_VERSION]
            )


def _seed_reference(cur: duckdb.DuckDBPyConnection) -> None:
    with REFERENCE_CSV.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    cur.executemany(
        "INSERT INTO intervention_types VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            [
                r["code"],
                r["name_da"],
                r["name_en"],
                r["category"],
                int(r["ladder_step"]) if r["ladder_step"] else None,
                r["basis_barnets_lov"],
                r["basis_serviceloven"],
            ]
            for r in rows
        ],
    )
    aliases: dict[str, tuple[str, str]] = {}
    for r in rows:
        # The code itself, the Danish name, and the Danish name without its parenthesis.
        for name in (r["code"], r["name_da"], r["name_da"].split(" (")[0]):
            aliases.setdefault(alias_key(name), (name, r["code"]))
    cur.executemany(
        "INSERT INTO intervention_aliases (alias_key, alias, code) VALUES (?, ?, ?)",
        [[k, name, code] for k, (name, code) in aliases.items()],
    )


def intervention_types(store: Store) -> list[dict[str, object]]:
    """Return the reference intervention types in code order."""
    cur = store.cursor()
    rows = cur.execute(
        "SELECT code, name_da, name_en, category, ladder_step FROM intervention_types ORDER BY code"
    ).fetchall()
    keys = ("code", "name_da", "name_en", "category", "ladder_step")
    return [dict(zip(keys, r, strict=True)) for r in rows]
