"""Retention: remove the registrations that ended before a date, with their history.

Storage limitation (the data protection rules) means a registration is not kept longer than
needed. ``purge`` removes, in one transaction, every registration whose last known version
ended before the date:

- a registration in the current view whose ``end_date`` is before the date;
- a registration no longer in the current view (removed by a replace import, or only in
  imports that were undone) whose newest version ended before the date — an undo could
  otherwise bring it back.

With it go all its versions in ``registration_history`` (so no later undo brings it back) and
the rejected rows of every import whose extract describes a day before the date (its
``data_as_of``, "opgjort pr."). A rejected row cannot always be tied to a registration (the
id may be what was wrong), so the day its extract describes decides.

A registration without an end date is never removed. Nothing that ended on or after the date
is touched, so every figure for a period that starts on or after the date is unchanged
(``metrics.md``: a registration that ended before the period has no active day, start, end or
spend in it). The imports themselves stay in the history (file name, counts, who), and so do
frames, budgets and the audit log, which records the purge.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from slcore import access, audit, fmt, periods
from slcore.store import Store, StoreError, one_row

# The newest version of every registration id, preferring imports that are not undone; its
# end date decides. Parameter: the date.
_PURGED_IDS_SQL = """
    SELECT registration_id FROM registrations WHERE end_date < $date
    UNION
    SELECT registration_id FROM (
        SELECT h.registration_id, h.end_date, h.deleted,
               row_number() OVER (
                   PARTITION BY h.registration_id
                   ORDER BY (b.undone_at IS NULL) DESC, h.batch_id DESC, h.line_no DESC
               ) AS rn
        FROM registration_history h
        JOIN import_batches b USING (batch_id)
        WHERE NOT h.deleted
          AND h.registration_id NOT IN (SELECT registration_id FROM registrations)
    )
    WHERE rn = 1 AND end_date < $date
"""

# The imports whose extract describes a day before the date ("opgjort pr.", data_as_of).
_OLD_BATCHES_SQL = (
    "SELECT batch_id FROM import_batches "
    "WHERE coalesce(data_as_of, CAST(imported_at AS DATE)) < $date"
)


class PurgeRefused(StoreError):
    """A purge that cannot be done; the message is Danish and says why."""


@dataclass(frozen=True)
class PurgePlan:
    """What a purge removes (or removed)."""

    ended_before: dt.date
    registrations: int  # in the current view
    former_registrations: int  # no longer in the current view, but in the history
    history_rows: int
    rejected_rows: int
    remaining: int  # registrations left in the current view

    @property
    def anything(self) -> bool:
        """Return whether the purge removes anything at all."""
        return bool(self.registrations or self.former_registrations or self.rejected_rows)

    def summary(self) -> str:
        """Return the plan in Danish, one sentence."""
        return (
            f"Afsluttet før {fmt.date(self.ended_before)}: {fmt.number(self.registrations)} "
            f"bevillinger, {fmt.number(self.former_registrations)} tidligere fjernede "
            f"bevillinger, {fmt.number(self.history_rows)} versioner i historikken og "
            f"{fmt.number(self.rejected_rows)} afviste rækker. "
            f"{fmt.number(self.remaining)} bevillinger bliver tilbage."
        )


def _require(store: Store, ended_before: dt.date) -> None:
    store.access.require(access.PURGE)
    if ended_before > periods.today():
        raise PurgeRefused(
            f"Datoen {fmt.date(ended_before)} ligger i fremtiden. Vælg en dato til og med i dag: "
            "en bevilling, der stadig kører, slettes ikke."
        )
    if store.access.scope is not None:
        raise access.AccessDenied("Sletning gælder hele databasen og kræver adgang til alle teams.")


def _plan(cur: duckdb.DuckDBPyConnection, ended_before: dt.date, ids: str) -> PurgePlan:
    """Count what goes; ``ids`` is a table or a subquery of the registration ids that go."""
    current, former, history, rejected, remaining = one_row(
        cur,
        f"""WITH purge_ids AS ({ids})
            SELECT
              (SELECT count(*) FROM registrations
                WHERE registration_id IN (SELECT registration_id FROM purge_ids)),
              (SELECT count(*) FROM purge_ids
                WHERE registration_id NOT IN (SELECT registration_id FROM registrations)),
              (SELECT count(*) FROM registration_history
                WHERE registration_id IN (SELECT registration_id FROM purge_ids)),
              (SELECT count(*) FROM rejected_rows WHERE batch_id IN ({_OLD_BATCHES_SQL})),
              (SELECT count(*) FROM registrations
                WHERE registration_id NOT IN (SELECT registration_id FROM purge_ids))""",
        {"date": ended_before},
    )
    return PurgePlan(
        ended_before=ended_before,
        registrations=int(current),
        former_registrations=int(former),
        history_rows=int(history),
        rejected_rows=int(rejected),
        remaining=int(remaining),
    )


def preview(store: Store, ended_before: dt.date) -> PurgePlan:
    """Return what ``purge`` would remove for the date, changing nothing."""
    _require(store, ended_before)
    return _plan(store.cursor(), ended_before, _PURGED_IDS_SQL)


def purge(store: Store, ended_before: dt.date) -> PurgePlan:
    """Remove what ``preview`` shows for the date in one transaction; return what went."""
    _require(store, ended_before)
    with store.write(access.PURGE) as cur:
        cur.execute(
            f"CREATE OR REPLACE TEMP TABLE purge_ids AS {_PURGED_IDS_SQL}", {"date": ended_before}
        )
        plan = _plan(cur, ended_before, "SELECT registration_id FROM purge_ids")
        ids = "SELECT registration_id FROM purge_ids"
        cur.execute(f"DELETE FROM registrations WHERE registration_id IN ({ids})")
        cur.execute(f"DELETE FROM registration_history WHERE registration_id IN ({ids})")
        cur.execute(
            f"DELETE FROM rejected_rows WHERE batch_id IN ({_OLD_BATCHES_SQL})",
            {"date": ended_before},
        )
        cur.execute("DROP TABLE purge_ids")
        audit.record(cur, store.access.who, "purge", plan.summary())
    return plan
