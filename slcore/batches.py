"""Batches: write an import (or the demo) as one batch, undo it, its history and rejected rows.

A batch is one transaction: the batch row, its history rows and rejections, and the rebuilt
current view (registrations.md §4). The demo is a batch too; the first real data end it
(``leave_demo``), so made-up and real figures never mix.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from slcore import access, audit, bounds, facts, fmt, labels, sql
from slcore.actors import DEMO_USER, current_actor
from slcore.reader import ImportRefused
from slcore.store import REGISTRATION_COLUMNS, Store, StoreError, one_row, scalar

# What ending the demo means, said before a user's first own save on a demo store.
DEMO_ENDS_TEXT = (
    "Dette afslutter demodata: demokommunens bevillinger, rammer og budgetter fjernes, så "
    "opdigtede og rigtige tal aldrig blandes. Bagefter er databasen tom, til I indlæser "
    "jeres egne udtræk under Indlæs data."
)


class DemoNotEnded(StoreError):
    """A save on the demo store that the user has not confirmed may end the demo."""


MODES = ("upsert", "replace")
# Their Danish words live in slcore.labels, like every other code's.
MODE_LABELS = labels.IMPORT_MODES
MODE_TEXTS = labels.IMPORT_MODE_TEXTS


@dataclass
class ImportResult:
    """What an import did."""

    batch_id: int | None
    rows_read: int
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    removed: int = 0
    already_imported_as: int | None = None
    rejections: list[dict[str, object]] = field(default_factory=list)


def previous_batch(store: Store, sha: str) -> int | None:
    """Return the live batch that imported a file with this SHA-256, if any."""
    row = (
        store.cursor()
        .execute(
            "SELECT batch_id FROM import_batches WHERE sha256 = ? AND undone_at IS NULL "
            "ORDER BY batch_id DESC LIMIT 1",
            [sha],
        )
        .fetchone()
    )
    return row[0] if row else None


@dataclass(frozen=True)
class Removal:
    """What a replace would remove from the current view."""

    removed: int
    current: int

    @property
    def needs_confirmation(self) -> bool:
        """Return whether the replace removes more than the share allowed without asking."""
        return self.removed > bounds.MAX_REPLACE_REMOVAL_SHARE * self.current

    def text(self) -> str:
        """Return the Danish sentence that asks before removing."""
        share = fmt.number(100 * self.removed / max(self.current, 1), 1)
        return (
            f"Erstat fjerner {fmt.number(self.removed)} af {fmt.number(self.current)} "
            f"bevillinger ({share} %), mere end de "
            f"{fmt.number(100 * bounds.MAX_REPLACE_REMOVAL_SHARE)} %, der fjernes uden at spørge. "
            "Er udtrækket helt?"
        )


class RemovalRefused(ImportRefused):
    """A replace would remove more than the allowed share; it must be confirmed."""

    def __init__(self, removal: Removal) -> None:
        super().__init__(
            removal.text() + " Bekræft fjernelsen (på kommandolinjen: --allow-removal), "
            "hvis bevillingerne virkelig skal fjernes."
        )
        self.removal = removal


def removal_of(cur: duckdb.DuckDBPyConnection, source_table: str = "valid_rows") -> Removal:
    """Return what a replace with ``source_table`` would remove from the real registrations."""
    # A registration whose row is in the file but rejected keeps its last good version.
    removed, current = one_row(
        cur,
        f"""SELECT count(*) FILTER (WHERE
                registration_id NOT IN (SELECT registration_id FROM {source_table})
                AND registration_id NOT IN (
                    SELECT registration_id FROM rejects WHERE registration_id IS NOT NULL)),
               count(*)
           FROM registrations
           WHERE batch_id NOT IN (SELECT batch_id FROM import_batches WHERE kind = 'demo')""",
    )
    return Removal(removed=removed, current=current)


def data_as_of(cur: duckdb.DuckDBPyConnection, today: dt.date) -> dt.date:
    """Return the day an extract describes: its latest decision (else start) up to today."""
    decided, started = one_row(
        cur,
        "SELECT max(decision_date), max(start_date) FROM valid_rows WHERE start_date <= ?",
        [today],
    )
    latest = decided or started
    return min(latest, today) if latest else today


def begin_write(
    cur: duckdb.DuckDBPyConnection, *, user: str | None, demo: bool, end_demo: bool = True
) -> str:
    """Start a write in its transaction: end the demo unless it writes demo data; return who.

    Every write of registrations, frames and budgets starts here, so the demo is told apart
    by one flag and who acted is named one way (``actors.current_actor``; ``demo`` for demo
    data, the OS user when a caller names no one). Unless ``end_demo``, a demo store refuses
    a real write with ``DemoNotEnded``.
    """
    if demo:
        return DEMO_USER
    leave_demo(cur, confirmed=end_demo)
    return user or current_actor(app=False)


def write_batch(
    store: Store,
    *,
    file_name: str,
    sha256: str | None,
    mode: str,
    user: str | None = None,
    demo: bool = False,
    rows_read: int,
    data_as_of_date: dt.date,
    rejections: list[dict[str, object]],
    source_table: str = "valid_rows",
    allow_removal: bool = False,
    key_fingerprint: str | None = None,
) -> ImportResult:
    """Write ``source_table`` (a temp table on this thread's cursor) as one batch, atomically.

    A replace that would remove more than the allowed share raises ``RemovalRefused`` and
    writes nothing, unless ``allow_removal``; the confirmation is recorded with the batch.
    ``key_fingerprint`` (an import's) is remembered by a store that has none yet. ``demo``
    marks the demo's own batch; any other batch ends the demo first.
    """
    cols = ", ".join(REGISTRATION_COLUMNS)
    content = [c for c in REGISTRATION_COLUMNS if c != "registration_id"]
    same = " AND ".join(f"i.{c} IS NOT DISTINCT FROM r.{c}" for c in content)
    with store.write(access.IMPORT_DATA) as cur:
        # The demo ends first, so the counts below compare with real data only.
        who = begin_write(cur, user=user or store.access.who, demo=demo)
        kind = "demo" if demo else "import"
        batch_id = scalar(cur, "SELECT nextval('batch_seq')")
        cur.execute(f"CREATE OR REPLACE TEMP VIEW incoming AS SELECT * FROM {source_table}")
        inserted, updated = one_row(
            cur,
            f"""
            SELECT count(*) FILTER (WHERE r.registration_id IS NULL),
                   count(*) FILTER (WHERE r.registration_id IS NOT NULL AND NOT ({same}))
            FROM incoming i LEFT JOIN registrations r USING (registration_id)
            """,
        )
        removed = 0
        confirmed = False
        if mode == "replace":
            removal = removal_of(cur, source_table)
            if removal.needs_confirmation and not allow_removal:
                raise RemovalRefused(removal)  # rolls the demo's end back too
            removed, confirmed = removal.removed, removal.needs_confirmation
        # Every row of the batch is kept, changed or not: undoing an earlier batch then gives
        # exactly the state a later batch described.
        cur.execute(
            f"""INSERT INTO registration_history (batch_id, line_no, deleted, {cols})
                SELECT ?, line_no, false, {cols} FROM incoming""",
            [batch_id],
        )
        if mode == "replace":
            cur.execute(
                f"""INSERT INTO registration_history (batch_id, line_no, deleted, {cols})
                    SELECT ?, NULL, true, {cols} FROM registrations
                    WHERE registration_id NOT IN (SELECT registration_id FROM incoming)
                      AND registration_id NOT IN (
                          SELECT registration_id FROM rejects
                          WHERE registration_id IS NOT NULL)""",
                [batch_id],
            )
        if rejections:
            cur.execute(
                "INSERT INTO rejected_rows SELECT ?, line_no, column_name, value, reason "
                "FROM rejects",
                [batch_id],
            )
        unchanged = rows_read - inserted - updated - len(rejections)
        cur.execute(
            """INSERT INTO import_batches (batch_id, kind, file_name, sha256, imported_by,
                   imported_at, mode, rows_read, inserted, updated, unchanged, rejected,
                   removed, data_as_of, removal_confirmed)
               VALUES (?, ?, ?, ?, ?, current_timestamp, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                batch_id,
                kind,
                file_name,
                sha256,
                who,
                mode,
                rows_read,
                inserted,
                updated,
                unchanged,
                len(rejections),
                removed,
                data_as_of_date,
                confirmed,
            ],
        )
        if key_fingerprint is not None:
            # The store remembers its key from the first import on (see store_key).
            cur.execute(
                "INSERT INTO meta VALUES ('key_fingerprint', ?) ON CONFLICT DO NOTHING",
                [key_fingerprint],
            )
        facts.refresh(cur, facts.batch_ids_sql(), [batch_id])
        if not demo:
            audit.record(
                cur,
                who,
                "import",
                f"Import nr. {batch_id}: {file_name} ({mode}); {inserted} nye, {updated} "
                f"ændrede, {len(rejections)} afviste, {removed} fjernede",
            )
    return ImportResult(
        batch_id=batch_id,
        rows_read=rows_read,
        inserted=inserted,
        updated=updated,
        unchanged=unchanged,
        rejected=len(rejections),
        removed=removed,
        rejections=rejections,
    )


def undo_batch(store: Store, batch_id: int, user: str | None = None) -> None:
    """Undo a batch: the current view becomes what it was without it."""
    row = (
        store.cursor()
        .execute("SELECT undone_at FROM import_batches WHERE batch_id = ?", [batch_id])
        .fetchone()
    )
    if row is None:
        raise ImportRefused(f"Import nr. {batch_id} findes ikke.")
    if row[0] is not None:
        raise ImportRefused(f"Import nr. {batch_id} er allerede fortrudt.")
    with store.write(access.IMPORT_DATA) as cur:
        who = user or store.access.who
        cur.execute(
            "UPDATE import_batches SET undone_at = current_timestamp, undone_by = ? "
            "WHERE batch_id = ?",
            [who, batch_id],
        )
        audit.record(cur, who, "undo", f"Import nr. {batch_id} fortrudt")
        facts.refresh(cur, facts.batch_ids_sql(), [batch_id])


def import_history(store: Store) -> pd.DataFrame:
    """Return the import history, newest first, with Danish column names."""
    return (
        store.cursor()
        .execute(
            f"""SELECT batch_id AS "Import nr.", file_name AS "Fil",
                  coalesce(imported_by, '') AS "Indlæst af",
                  strftime(imported_at, '%d-%m-%Y kl. %H:%M') AS "Tidspunkt",
                  CASE mode {" ".join(f"WHEN {sql.literal(m)} THEN {sql.literal(t)}" for m, t in MODE_LABELS.items())}
                       ELSE mode END AS "Tilstand",
                  rows_read AS "Læst",
                  inserted AS "Indsat", updated AS "Opdateret", unchanged AS "Uændret",
                  rejected AS "Afvist", removed AS "Fjernet",
                  CASE WHEN removal_confirmed THEN 'Ja' ELSE '' END AS "Fjernelse bekræftet",
                  CASE WHEN undone_at IS NULL THEN ''
                       ELSE 'Fortrudt ' || strftime(undone_at, '%d-%m-%Y') END AS "Status"
           FROM import_batches WHERE kind = 'import' ORDER BY batch_id DESC"""
        )
        .df()
    )


def rejected_rows(store: Store, batch_id: int) -> pd.DataFrame:
    """Return a batch's rejected rows with Danish column names."""
    return (
        store.cursor()
        .execute(
            """SELECT line_no AS "Linje", column_name AS "Kolonne", value AS "Værdi",
                  reason AS "Årsag"
           FROM rejected_rows WHERE batch_id = ? ORDER BY line_no""",
            [batch_id],
        )
        .df()
    )


# --- the demo's end ------------------------------------------------------------------------


def leave_demo(cur: duckdb.DuckDBPyConnection, confirmed: bool = True) -> bool:
    """End the demo when the first real data arrive; return whether it was a demo store.

    Call inside the write transaction that adds the real data. The demo's registrations are
    undone (their batch stays in history), its frames and budgets removed, so figures never
    mix the made-up municipality with real data. Unless ``confirmed``, a demo store refuses
    with ``DemoNotEnded`` (the transaction then rolls back: nothing is saved or removed).
    """
    row = cur.execute("SELECT value FROM meta WHERE key = 'is_demo'").fetchone()
    if not row or row[0] != "true":
        return False
    if not confirmed:
        raise DemoNotEnded(f"{DEMO_ENDS_TEXT} Bekræft det, før du gemmer.")
    cur.execute(
        "UPDATE import_batches SET undone_at = current_timestamp, undone_by = 'demodata fjernet' "
        "WHERE kind = 'demo' AND undone_at IS NULL"
    )
    cur.execute("DELETE FROM frames WHERE created_by = ?", [DEMO_USER])
    cur.execute("DELETE FROM budgets")
    cur.execute("UPDATE meta SET value = 'false' WHERE key = 'is_demo'")
    facts.refresh(cur)  # the demo's frames are gone: every remaining registration changes
    return True


def undoable(history: pd.DataFrame) -> dict[int, str]:
    """Return the imports of a history (``import_history``) not undone: number → file name."""
    live = history[history["Status"] == ""]
    return {int(n): str(f) for n, f in zip(live["Import nr."], live["Fil"], strict=True)}
