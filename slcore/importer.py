"""Import registration extracts as batches (registrations.md §1, §2, §4).

The pipeline, all in DuckDB over the whole file at once:

1. ``read``: the file becomes a temp table ``raw_rows`` of text columns plus ``line_no``
   (the line number as the analyst sees it in the file).
2. ``map_headers``: its headers are matched to canonical columns by their aliases.
3. ``validate``: each value is parsed in SQL; every row gets either typed values or exactly
   one rejection (the first problem found, in column order), with column, value and reason.
4. ``write_batch``: one transaction adds the batch, its history rows and its rejections,
   and rebuilds the current view.

Today ``read`` takes canonical CSV (UTF-8, header on the first line, any of , ; tab).
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from slcore.store import REGISTRATION_COLUMNS, Store, alias_key, rebuild_current

MODES = ("upsert", "replace")
DEFAULT_MAX_BYTES = 200 * 1024 * 1024


class ImportRefused(Exception):
    """The file is refused as a whole; the message is Danish and safe to show."""


# Header aliases (registrations.md §1); matched after alias_key() normalisation.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "registration_id": (
        "Bevillings-id",
        "BevillingID",
        "Sag rækkeID",
        "Indsats ID",
        "ID",
    ),
    "cpr": ("CPR", "CPR-nr", "CPR nummer", "Personnummer"),
    "citizen_id": ("Borger", "Borger ID", "Barn/ung ID"),
    "birth_date": ("Fødselsdato",),
    "age_at_start": ("Alder", "Alder ved start"),
    "intervention_type": (
        "Indsatstype",
        "Indsats",
        "Foranstaltning",
        "Ydelsestype",
        "Tilbudstype",
    ),
    "start_date": ("Startdato", "Fra dato", "Ydelse startdato", "Iværksættelsesdato"),
    "end_date": ("Slutdato", "Til dato", "Ydelse slutdato", "Stopdato"),
    "extent": ("Omfang", "Timer pr. uge", "Sidst gældende antal ugentlige timer"),
    "extent_unit": ("Omfangsenhed", "Enhed"),
    "cost_amount": ("Pris", "Takst", "Beløb"),
    "cost_period": ("Prisenhed", "Takstenhed", "Frekvens"),
    "committee_approved": ("Visitationsudvalg", "Godkendt i visitationsudvalg"),
    "decision_date": ("Bevillingsdato",),
    "team": ("Team", "Afdeling"),
    "caseworker": ("Sagsbehandler",),
    "provider": ("Leverandør",),
    "legal_basis": ("Paragraf", "Lovhjemmel"),
}

# Danish column names used in messages.
COLUMN_LABELS: dict[str, str] = {
    "registration_id": "Bevillings-id",
    "cpr": "CPR-nr",
    "citizen_id": "Borger ID",
    "birth_date": "Fødselsdato",
    "age_at_start": "Alder ved start",
    "intervention_type": "Indsatstype",
    "start_date": "Startdato",
    "end_date": "Slutdato",
    "extent": "Omfang",
    "extent_unit": "Omfangsenhed",
    "cost_amount": "Pris",
    "cost_period": "Prisenhed",
    "committee_approved": "Visitationsudvalg",
    "decision_date": "Bevillingsdato",
    "team": "Team",
    "caseworker": "Sagsbehandler",
    "provider": "Leverandør",
    "legal_basis": "Paragraf",
}

COST_PERIODS: dict[str, str] = {
    "day": "day",
    "pr. døgn": "day",
    "pr. dag": "day",
    "dagligt": "day",
    "døgn": "day",
    "dag": "day",
    "week": "week",
    "pr. uge": "week",
    "ugentlig": "week",
    "uge": "week",
    "month": "month",
    "pr. måned": "month",
    "månedlig": "month",
    "måned": "month",
    "pr. md.": "month",
    "year": "year",
    "pr. år": "year",
    "årlig": "year",
    "år": "year",
    "hour": "hour",
    "pr. time": "hour",
    "time": "hour",
    "once": "once",
    "engangsbeløb": "once",
    "engang": "once",
}

EXTENT_UNITS: dict[str, str] = {
    "hours_per_week": "hours_per_week",
    "timer/uge": "hours_per_week",
    "timer pr. uge": "hours_per_week",
    "days_per_month": "days_per_month",
    "dage/måned": "days_per_month",
    "dage pr. måned": "days_per_month",
    "nights_per_month": "nights_per_month",
    "døgn/måned": "nights_per_month",
    "døgn pr. måned": "nights_per_month",
    "full_time": "full_time",
    "fuld tid": "full_time",
}

TRUE_WORDS = ("ja", "j", "x", "true", "1", "sand", "yes")
FALSE_WORDS = ("nej", "n", "false", "0", "falsk", "no", "")


def _canon_map(mapping: dict[str, str]) -> dict[str, str]:
    return {alias_key(k): v for k, v in mapping.items()}


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


def file_sha256(path: Path) -> str:
    """Return the SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --- 1. read -------------------------------------------------------------------------------


def read_csv_to_raw(cur: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    """Load a UTF-8 CSV into temp table ``raw_rows`` (all text, plus line_no); return headers."""
    try:
        cur.execute(
            """
            CREATE OR REPLACE TEMP TABLE raw_rows AS
            SELECT row_number() OVER () + 1 AS line_no, *
            FROM read_csv(?, header = true, all_varchar = true, auto_detect = true,
                          null_padding = true, strict_mode = false)
            """,
            [str(path)],
        )
    except duckdb.Error:
        raise ImportRefused(
            f"Filen {path.name} kunne ikke læses som CSV. Gem den som CSV (UTF-8) og prøv igen."
        ) from None
    cols = [r[0] for r in cur.execute("DESCRIBE raw_rows").fetchall()]
    return cols[1:]


# --- 2. map headers ------------------------------------------------------------------------


def map_headers(headers: list[str]) -> dict[str, str]:
    """Return canonical column -> file header for the headers that match an alias."""
    lookup: dict[str, str] = {}
    for canonical, aliases in HEADER_ALIASES.items():
        for name in (canonical, *aliases):
            lookup.setdefault(alias_key(name), canonical)
    mapping: dict[str, str] = {}
    for header in headers:
        canonical = lookup.get(alias_key(header))
        if canonical and canonical not in mapping:
            mapping[canonical] = header
    return mapping


def check_required(mapping: dict[str, str]) -> None:
    """Refuse the file when a required column is missing."""
    missing = [
        c
        for c in (
            "registration_id",
            "intervention_type",
            "start_date",
            "cost_amount",
            "cost_period",
        )
        if c not in mapping
    ]
    if "citizen_id" not in mapping and "cpr" not in mapping:
        missing.append("citizen_id")
    if missing:
        names = ", ".join(COLUMN_LABELS[c] for c in missing)
        raise ImportRefused(f"Filen mangler en påkrævet kolonne: {names}.")
    if "cpr" in mapping and "citizen_id" not in mapping:
        # Pseudonymisation of CPR numbers arrives with the full extract importer.
        raise ImportRefused(
            "Filen indeholder CPR-numre. Indlæsning med CPR-numre er endnu ikke understøttet; "
            "brug en kolonne med borger-id."
        )


# --- 3. validate ---------------------------------------------------------------------------


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _text(mapping: dict[str, str], col: str) -> str:
    """SQL for a column's trimmed text, NULL when empty or absent."""
    if col not in mapping:
        return "NULL::VARCHAR"
    return f"nullif(trim(raw.{_q(mapping[col])}), '')"


def _date_sql(v: str) -> str:
    return (
        f"try_strptime({v}, ['%Y-%m-%d', '%d-%m-%Y', '%d.%m.%Y', '%d/%m/%Y',"
        f" '%Y-%m-%d %H:%M:%S'])::DATE"
    )


def _number_sql(v: str) -> str:
    # Danish notation when there is a comma (1.234,50) or only thousands dots (7.862).
    return f"""CASE
        WHEN {v} LIKE '%,%' THEN try_cast(replace(replace({v}, '.', ''), ',', '.') AS DOUBLE)
        WHEN regexp_full_match({v}, '-?\\d{{1,3}}(\\.\\d{{3}})+') THEN
            try_cast(replace({v}, '.', '') AS DOUBLE)
        ELSE try_cast({v} AS DOUBLE) END"""


def _lookup_sql(v: str, table: str) -> str:
    return f"(SELECT m.code FROM {table} m WHERE m.key = lower(replace({v}, ' ', '')))"


def validate(cur: duckdb.DuckDBPyConnection, mapping: dict[str, str]) -> None:
    """Build temp tables ``valid_rows`` (typed) and ``rejects`` (one reason per row)."""
    cur.execute("CREATE OR REPLACE TEMP TABLE map_period (key VARCHAR, code VARCHAR)")
    cur.executemany(
        "INSERT INTO map_period VALUES (?, ?)",
        [[k.replace(" ", ""), v] for k, v in COST_PERIODS.items()],
    )
    cur.execute("CREATE OR REPLACE TEMP TABLE map_unit (key VARCHAR, code VARCHAR)")
    cur.executemany(
        "INSERT INTO map_unit VALUES (?, ?)",
        [[k.replace(" ", ""), v] for k, v in EXTENT_UNITS.items()],
    )
    t = {c: _text(mapping, c) for c in [*REGISTRATION_COLUMNS, "cpr"]}
    true_list = ", ".join(f"'{w}'" for w in TRUE_WORDS)
    false_list = ", ".join(f"'{w}'" for w in FALSE_WORDS if w)
    type_key = "lower(regexp_replace(" + t["intervention_type"] + ", '[\\s._/-]', '', 'g'))"
    cur.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE parsed AS
        SELECT raw.line_no,
            {t["registration_id"]} AS registration_id,
            {t["citizen_id"]} AS citizen_id,
            {t["birth_date"]} AS birth_date_raw,
            date_trunc('month', {_date_sql(t["birth_date"])})::DATE AS birth_date,
            {t["age_at_start"]} AS age_raw, try_cast({t["age_at_start"]} AS INTEGER) AS age_at_start,
            {t["intervention_type"]} AS type_raw,
            (SELECT a.code FROM intervention_aliases a WHERE a.alias_key = {type_key})
                AS intervention_type,
            {t["start_date"]} AS start_raw, {_date_sql(t["start_date"])} AS start_date,
            {t["end_date"]} AS end_raw, {_date_sql(t["end_date"])} AS end_date,
            {t["extent"]} AS extent_raw, {_number_sql(t["extent"])} AS extent,
            {t["extent_unit"]} AS unit_raw, {_lookup_sql(t["extent_unit"], "map_unit")} AS extent_unit,
            {t["cost_amount"]} AS cost_raw, {_number_sql(t["cost_amount"])} AS cost_amount,
            {t["cost_period"]} AS period_raw,
            {_lookup_sql(t["cost_period"], "map_period")} AS cost_period,
            {t["committee_approved"]} AS approved_raw,
            CASE WHEN lower(coalesce({t["committee_approved"]}, '')) IN ({true_list}) THEN true
                 WHEN lower(coalesce({t["committee_approved"]}, '')) IN ({false_list}, '')
                 THEN false END AS committee_approved,
            {t["decision_date"]} AS decision_raw, {_date_sql(t["decision_date"])} AS decision_date,
            {t["team"]} AS team, {t["caseworker"]} AS caseworker, {t["provider"]} AS provider,
            {t["legal_basis"]} AS legal_basis
        FROM raw_rows raw
        """
    )
    # Checks in column order; the first failing one is the row's reason.
    checks: list[tuple[str, str, str, str]] = [
        (
            "registration_id",
            "registration_id IS NULL",
            "registration_id",
            "Bevillings-id mangler.",
        ),
        (
            "registration_id",
            "dup_conflict",
            "registration_id",
            "Samme bevillings-id står flere gange i filen med forskelligt indhold.",
        ),
        ("citizen_id", "citizen_id IS NULL", "citizen_id", "Borger ID mangler."),
        (
            "birth_date",
            "birth_date_raw IS NOT NULL AND birth_date IS NULL",
            "birth_date_raw",
            "Datoen kunne ikke forstås (brug fx 31-12-2025).",
        ),
        (
            "age_at_start",
            "age_raw IS NOT NULL AND (age_at_start IS NULL OR age_at_start < 0)",
            "age_raw",
            "Alderen skal være et helt tal, 0 eller derover.",
        ),
        ("intervention_type", "type_raw IS NULL", "type_raw", "Indsatstype mangler."),
        (
            "intervention_type",
            "intervention_type IS NULL",
            "type_raw",
            "Ukendt indsatstype. Knyt navnet til en indsatstype og indlæs igen.",
        ),
        ("start_date", "start_raw IS NULL", "start_raw", "Startdato mangler."),
        (
            "start_date",
            "start_date IS NULL",
            "start_raw",
            "Datoen kunne ikke forstås (brug fx 31-12-2025).",
        ),
        (
            "end_date",
            "end_raw IS NOT NULL AND end_date IS NULL",
            "end_raw",
            "Datoen kunne ikke forstås (brug fx 31-12-2025).",
        ),
        (
            "end_date",
            "end_date < start_date",
            "end_raw",
            "Slutdatoen ligger før startdatoen.",
        ),
        (
            "extent",
            "extent_raw IS NOT NULL AND extent IS NULL",
            "extent_raw",
            "Omfanget er ikke et tal.",
        ),
        ("extent", "extent < 0", "extent_raw", "Omfanget må ikke være negativt."),
        (
            "extent_unit",
            "unit_raw IS NOT NULL AND extent_unit IS NULL",
            "unit_raw",
            "Ukendt omfangsenhed (brug timer/uge, dage/måned, døgn/måned eller fuld tid).",
        ),
        ("cost_amount", "cost_raw IS NULL", "cost_raw", "Pris mangler."),
        ("cost_amount", "cost_amount IS NULL", "cost_raw", "Prisen er ikke et tal."),
        ("cost_amount", "cost_amount < 0", "cost_raw", "Prisen må ikke være negativ."),
        ("cost_period", "period_raw IS NULL", "period_raw", "Prisenhed mangler."),
        (
            "cost_period",
            "cost_period IS NULL",
            "period_raw",
            "Ukendt prisenhed (brug fx pr. døgn, pr. uge, pr. måned, pr. år, pr. time, engang).",
        ),
        (
            "cost_period",
            "cost_period = 'hour' AND (extent IS NULL OR extent_unit IS DISTINCT FROM 'hours_per_week')",
            "period_raw",
            "Pris pr. time kræver et omfang i timer pr. uge.",
        ),
        (
            "committee_approved",
            "approved_raw IS NOT NULL AND committee_approved IS NULL",
            "approved_raw",
            "Visitationsudvalg skal være Ja eller Nej.",
        ),
        (
            "decision_date",
            "decision_raw IS NOT NULL AND decision_date IS NULL",
            "decision_raw",
            "Datoen kunne ikke forstås (brug fx 31-12-2025).",
        ),
    ]
    whens = "\n".join(
        f"WHEN {cond} THEN {{'column_name': '{COLUMN_LABELS[col]}', 'value': {val}::VARCHAR,"
        f" 'reason': '{reason}'}}"
        for col, cond, val, reason in checks
    )
    content = ", ".join(c for c in REGISTRATION_COLUMNS if c != "registration_id")
    cur.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE checked AS
        SELECT *, CASE {whens} END AS problem
        FROM (
            SELECT p.*,
                count(DISTINCT hash({content})) OVER (PARTITION BY registration_id) > 1
                    AS dup_conflict,
                row_number() OVER (PARTITION BY registration_id ORDER BY line_no) AS dup_rank
            FROM parsed p
        )
        """
    )
    cols = ", ".join(REGISTRATION_COLUMNS)
    # Exact duplicates (same id, same content) are one registration; later copies are dropped
    # from history but still counted as read and unchanged by the batch summary.
    cur.execute(
        f"""CREATE OR REPLACE TEMP TABLE valid_rows AS
            SELECT line_no, {cols} FROM checked WHERE problem IS NULL AND dup_rank = 1"""
    )
    cur.execute(
        """CREATE OR REPLACE TEMP TABLE rejects AS
           SELECT line_no, problem.column_name, problem.value, problem.reason
           FROM checked WHERE problem IS NOT NULL"""
    )


# --- 4. write ------------------------------------------------------------------------------


def data_as_of(cur: duckdb.DuckDBPyConnection, today: dt.date) -> dt.date:
    """Return the day an extract describes: its latest decision (else start) up to today."""
    row = cur.execute(
        "SELECT max(decision_date), max(start_date) FROM valid_rows WHERE start_date <= ?",
        [today],
    ).fetchone()
    latest = row[0] or row[1]
    return min(latest, today) if latest else today


def import_file(
    store: Store,
    path: str | os.PathLike[str],
    mode: str = "upsert",
    strict: bool = False,
    user: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    today: dt.date | None = None,
) -> ImportResult:
    """Import a registration extract as one batch; refuse bad files with ImportRefused."""
    path = Path(path)
    if mode not in MODES:
        raise ValueError(f"Ukendt tilstand: {mode}")
    if not path.is_file():
        raise ImportRefused(f"Filen {path.name} findes ikke.")
    size = path.stat().st_size
    if size == 0:
        raise ImportRefused(f"Filen {path.name} er tom.")
    if size > max_bytes:
        raise ImportRefused(
            f"Filen {path.name} er for stor ({size / 1e6:.0f} MB); grænsen er "
            f"{max_bytes / 1e6:.0f} MB."
        )
    sha = file_sha256(path)
    cur = store.cursor()
    prev = cur.execute(
        "SELECT batch_id FROM import_batches WHERE sha256 = ? AND undone_at IS NULL "
        "ORDER BY batch_id DESC LIMIT 1",
        [sha],
    ).fetchone()
    headers = read_csv_to_raw(cur, path)
    rows_read = cur.execute("SELECT count(*) FROM raw_rows").fetchone()[0]
    if prev:
        return ImportResult(batch_id=None, rows_read=rows_read, already_imported_as=prev[0])
    if rows_read == 0:
        raise ImportRefused(f"Filen {path.name} har en overskrift, men ingen rækker.")
    mapping = map_headers(headers)
    check_required(mapping)
    validate(cur, mapping)
    n_valid = cur.execute("SELECT count(*) FROM valid_rows").fetchone()[0]
    rejections = _fetch_rejections(cur, "rejects")
    n_rejected = len(rejections)
    if n_valid == 0:
        raise ImportRefused(
            f"Alle {rows_read} rækker i {path.name} blev afvist; intet er indlæst. "
            f"Første fejl: linje {rejections[0]['line_no']}, {rejections[0]['column_name']}: "
            f"{rejections[0]['reason']}"
        )
    if strict and n_rejected:
        raise ImportRefused(
            f"{n_rejected} rækker blev afvist, og --strict afviser da hele filen. "
            f"Første fejl: linje {rejections[0]['line_no']}, {rejections[0]['column_name']}: "
            f"{rejections[0]['reason']}"
        )
    as_of = data_as_of(cur, today or dt.date.today())
    return write_batch(
        store,
        kind="import",
        file_name=path.name,
        sha256=sha,
        mode=mode,
        user=user or _current_user(),
        rows_read=rows_read,
        data_as_of_date=as_of,
        rejections=rejections,
    )


def _current_user() -> str:
    try:
        return getpass.getuser()
    except OSError:
        return "ukendt"


def _fetch_rejections(cur: duckdb.DuckDBPyConnection, table: str) -> list[dict[str, object]]:
    rows = cur.execute(
        f"SELECT line_no, column_name, value, reason FROM {table} ORDER BY line_no"
    ).fetchall()
    return [dict(zip(("line_no", "column_name", "value", "reason"), r, strict=True)) for r in rows]


def write_batch(
    store: Store,
    *,
    kind: str,
    file_name: str,
    sha256: str | None,
    mode: str,
    user: str,
    rows_read: int,
    data_as_of_date: dt.date,
    rejections: list[dict[str, object]],
    source_table: str = "valid_rows",
) -> ImportResult:
    """Write ``source_table`` (a temp table on this thread's cursor) as one batch, atomically."""
    cols = ", ".join(REGISTRATION_COLUMNS)
    content = ", ".join(c for c in REGISTRATION_COLUMNS if c != "registration_id")
    with store.write() as cur:
        batch_id = cur.execute("SELECT nextval('batch_seq')").fetchone()[0]
        cur.execute(f"CREATE OR REPLACE TEMP VIEW incoming AS SELECT * FROM {source_table}")
        counts = cur.execute(
            f"""
            SELECT
                count(*) FILTER (WHERE r.registration_id IS NULL) AS inserted,
                count(*) FILTER (WHERE r.registration_id IS NOT NULL
                    AND hash(i.{content.replace(", ", ", i.")})
                        <> hash(r.{content.replace(", ", ", r.")})) AS updated,
                count(*) FILTER (WHERE r.registration_id IS NOT NULL
                    AND hash(i.{content.replace(", ", ", i.")})
                        = hash(r.{content.replace(", ", ", r.")})) AS unchanged
            FROM incoming i LEFT JOIN registrations r USING (registration_id)
            """
        ).fetchone()
        removed = 0
        if mode == "replace":
            removed = cur.execute(
                "SELECT count(*) FROM registrations WHERE registration_id NOT IN "
                "(SELECT registration_id FROM incoming)"
            ).fetchone()[0]
        cur.execute(
            f"""INSERT INTO registration_history (batch_id, line_no, deleted, {cols})
                SELECT ?, line_no, false, {cols} FROM incoming""",
            [batch_id],
        )
        if mode == "replace":
            cur.execute(
                f"""INSERT INTO registration_history (batch_id, line_no, deleted, {cols})
                    SELECT ?, NULL, true, {cols} FROM registrations
                    WHERE registration_id NOT IN (SELECT registration_id FROM incoming)""",
                [batch_id],
            )
        if rejections:
            cur.executemany(
                "INSERT INTO rejected_rows VALUES (?, ?, ?, ?, ?)",
                [
                    [batch_id, r["line_no"], r["column_name"], r["value"], r["reason"]]
                    for r in rejections
                ],
            )
        cur.execute(
            """INSERT INTO import_batches (batch_id, kind, file_name, sha256, imported_by,
                   imported_at, mode, rows_read, inserted, updated, unchanged, rejected,
                   removed, data_as_of)
               VALUES (?, ?, ?, ?, ?, current_timestamp, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                batch_id,
                kind,
                file_name,
                sha256,
                user,
                mode,
                rows_read,
                counts[0],
                counts[1],
                rows_read - counts[0] - counts[1] - len(rejections),
                len(rejections),
                removed,
                data_as_of_date,
            ],
        )
        rebuild_current(cur)
    return ImportResult(
        batch_id=batch_id,
        rows_read=rows_read,
        inserted=counts[0],
        updated=counts[1],
        unchanged=rows_read - counts[0] - counts[1] - len(rejections),
        rejected=len(rejections),
        removed=removed,
        rejections=rejections,
    )


def undo_batch(store: Store, batch_id: int, user: str | None = None) -> None:
    """Undo a batch: the current view becomes what it was without it."""
    cur = store.cursor()
    row = cur.execute(
        "SELECT undone_at FROM import_batches WHERE batch_id = ?", [batch_id]
    ).fetchone()
    if row is None:
        raise ImportRefused(f"Import nr. {batch_id} findes ikke.")
    if row[0] is not None:
        raise ImportRefused(f"Import nr. {batch_id} er allerede fortrudt.")
    with store.write() as w:
        w.execute(
            "UPDATE import_batches SET undone_at = current_timestamp, undone_by = ? "
            "WHERE batch_id = ?",
            [user or _current_user(), batch_id],
        )
        rebuild_current(w)
