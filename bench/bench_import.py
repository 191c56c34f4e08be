"""Time importing large messy Danish extracts against DuckDB's plain read_csv.

Usage:
    python bench/bench_import.py [--rows 100000 1000000] [--repeat 3] [--repeat-large 1]
                                 [--dir DIR] [--keep] [--statements] [--profile]

For each size it generates an extract in the format of a real DUBU export
(/work/shared/samples/udtraek_dubu_cp1252.csv, registrations.md §1): Windows-1252, ';',
a title line above the Danish header row, mixed Danish date formats, decimal commas and
thousands dots, CPR numbers with and without the dash (valid dates, 7th digit by the century
rule of §3), Danish intervention names and codes, 'pr. måned'-style cost periods, Ja/Nej,
CRLF line endings and a trailing ';;;;' row. About 0.1 % of the rows are bad (end before
start, unknown type, impossible CPR date, negative price, impossible date), so rejects happen.
The generator is vectorised: every column is a NumPy array of cp1252 bytes built by lookup
tables, np.where/np.select and element-wise string operations; the columns are joined with
';' and CRLF as a zero-padded byte matrix whose padding is then dropped (no Python per row).

Then, in --repeat interleaved rounds (--repeat-large for sizes from 1 000 000 rows), keeping
each one's fastest run, on a fresh DuckDB file per run:

- ``import_file``: slcore's whole import (read, validate, write one batch);
- ``read_csv``: ``CREATE TABLE t AS SELECT * FROM read_csv(utf8_copy, delim=';', header=true,
  skip=1, all_varchar=true)``. DuckDB 2.0 cannot read Windows-1252, so this reads a UTF-8
  copy of the same file, made outside the timing;
- ``decode+read_csv``: the same, plus the step the importer also has to do, timed: read the
  bytes, decode cp1252, write a UTF-8 copy;
- ``inspect_file``: the importer's read + validate without writing, so that
  import - inspect approximates the write;
- the import's public steps one by one (``file_sha256``, ``read_to_raw``, ``validate``,
  ``write_batch``), for a finer split.

The pseudonymisation key is fixed (``SLCORE_KEY``), so no key file matters.

``--statements`` also times every SQL statement of one import (largest size) and prints the
slowest ones with the slcore function that ran them; ``--profile`` prints a cProfile of one
import (largest size). Both are extra runs, not part of the table.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import datetime as dt
import os
import pstats
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# A fixed pseudonymisation key: no key file is created or read.
os.environ["SLCORE_KEY"] = "bench-import-fixed-key"

from slcore import batches, importer, privacy
from slcore.columns import map_headers
from slcore.reader import read_to_raw
from slcore.store import REFERENCE_CSV, open_store

TODAY = dt.date(2026, 11, 22)
HEADER = (
    "Bevillings-id",
    "CPR-nr",
    "Indsatstype",
    "Startdato",
    "Slutdato",
    "Omfang",
    "Omfangsenhed",
    "Takst",
    "Takstenhed",
    "Visitationsudvalg",
    "Bevillingsdato",
    "Afdeling",
    "Sagsbehandler",
    "Leverandør",
    "Paragraf",
)
TITLE = "Udtræk af bevillinger - børn og unge"
BAD_FRACTION = 0.001

# --- generator -------------------------------------------------------------------------------

# Cost profiles: (period spellings, extent kind, extent unit spellings, price range in kroner).
# Extent kinds: None (empty), "hours" (half hours 1-10), "days" (1-10), "full" (empty extent,
# unit 'fuld tid'). A 'pr. time' price always has hours per week ('timer/uge'), as §1 requires.
PROFILES: dict[str, tuple[tuple[str, ...], str | None, tuple[str, ...], tuple[int, int]]] = {
    "once": (("engangsbeløb", "engang", "engangsydelse"), None, ("",), (2_000, 40_000)),
    "hour": (("pr. time",), "hours", ("timer/uge",), (350, 750)),
    "month_hours": (
        ("pr. måned", "månedlig", "pr. md."),
        "hours",
        ("timer/uge", "timer pr. uge"),
        (8_000, 45_000),
    ),
    "respite": (
        ("pr. måned", "månedlig"),
        "days",
        ("dage/måned", "døgn/måned", "dage pr. måned"),
        (5_000, 20_000),
    ),
    "month": (("pr. måned", "månedlig", "pr. md."), None, ("",), (1_000, 15_000)),
    "place_month": (("pr. måned", "månedlig"), "full", ("fuld tid", "fuldtid"), (10_000, 65_000)),
    "place_day": (("pr. døgn", "pr. dag", "dagligt"), "full", ("fuld tid",), (1_500, 5_000)),
    "week": (("pr. uge", "ugentlig"), "hours", ("timer/uge",), (1_500, 9_000)),
    "year": (("pr. år", "årlig"), None, ("",), (20_000, 300_000)),
}
PROFILE_NAMES = tuple(PROFILES)

# (code, profile, weight); codes starting UNG_ are for 18-22 year olds, the rest for 0-17.
TYPE_MIX: tuple[tuple[str, str, float], ...] = (
    ("TFI_KONS", "once", 6),
    ("TFI_GRUPPE", "once", 1),
    ("TFI_GRUPPE", "week", 1),
    ("TFI_ANDEN", "once", 1),
    ("TFI_ANDEN", "hour", 1),
    ("OEK", "once", 3),
    ("OEK", "month", 2),
    ("SI_DAG", "month", 3),
    ("SI_HJEM", "hour", 6),
    ("SI_KONTAKT", "hour", 7),
    ("SI_PRAKTIK", "month", 1),
    ("SI_BEHANDL", "month_hours", 6),
    ("SI_BEHANDL", "week", 2),
    ("SI_FAMDOGN", "place_day", 1),
    ("SI_AFLAST", "respite", 5),
    ("SI_ANDEN", "week", 1),
    ("SI_ANDEN", "hour", 1),
    ("ANB_NETV", "place_month", 3),
    ("ANB_PLEJE", "place_month", 6),
    ("ANB_FORST", "place_month", 3),
    ("ANB_SPEC", "place_month", 1),
    ("ANB_EGETVAER", "place_month", 1),
    ("ANB_DOGNINST", "place_day", 3),
    ("ANB_OPHOLD", "place_day", 3),
    ("ANB_OPHOLD", "place_month", 1),
    ("ANB_KOST", "year", 1),
    ("ANB_KOST", "place_month", 1),
    ("UNG_KONTAKT", "hour", 4),
    ("UNG_DOGN", "place_month", 2),
    ("UNG_UDSLUS", "month", 1),
    ("UNG_ANDEN", "month", 1),
    ("UNG_ANDEN", "hour", 1),
)
TEAMS = ("Team Nord", "Team Syd", "Team Øst", "Team Vest", "Ungeteamet", "Handicapteamet", "")
PROVIDERS = ("Kommunal", "Privat leverandør A", "Privat leverandør B", "")
APPROVED = ("Ja", "Nej", "")
DATE_FORMATS = ("%d-%m-%Y", "%d/%m/%Y", "%Y-%m-%d", "%d.%m.%Y")
DATE_FORMAT_WEIGHTS = (0.3, 0.3, 0.3, 0.1)
EPOCH = np.datetime64("1990-01-01", "D")
TABLE_END = np.datetime64("2035-12-31", "D")
START_FROM = np.datetime64("2019-01-01", "D")
START_TO = np.datetime64("2026-10-31", "D")


# Text columns are fixed-width NumPy byte arrays ('S'), already in Windows-1252: lookups,
# np.where and np.strings.add run in C over the whole column, and the file is assembled as one
# byte matrix (see _assemble), so no Python code runs per row.
ENC = "cp1252"


def _lookup(values: list[str] | tuple[str, ...]) -> np.ndarray:
    """Return a small table of texts as cp1252 bytes, to index with row arrays."""
    return np.array([v.encode(ENC) for v in values], dtype=np.bytes_)


def _day(d: np.datetime64) -> int:
    return int((d - EPOCH).astype(int))


def _reference() -> dict[str, dict[str, str]]:
    with REFERENCE_CSV.open(encoding="utf-8") as fh:
        return {r["code"]: r for r in csv.DictReader(fh)}


def _int_text(a: np.ndarray) -> np.ndarray:
    """Return integers as ASCII byte strings, vectorised."""
    return a.astype(np.bytes_)


def _cat(*parts: np.ndarray | bytes) -> np.ndarray:
    """Concatenate byte-string columns (and constants) element-wise."""
    out = parts[0]
    for p in parts[1:]:
        out = np.strings.add(out, p)
    return np.asarray(out)


def _put(col: np.ndarray, rows: np.ndarray, value: str) -> np.ndarray:
    """Return col with value written at rows, widened first if value is longer."""
    raw = value.encode(ENC)
    out = col.astype(f"S{max(col.itemsize, len(raw))}")
    out[rows] = raw
    return out


Z2 = _lookup([f"{i:02d}" for i in range(100)])
Z3 = _lookup([f"{i:03d}" for i in range(1000)])


def _danish_number(kroner: np.ndarray, cents: np.ndarray, style: np.ndarray) -> np.ndarray:
    """Format amounts the ways Danish extracts do, per row.

    style 0: 50515 (integer), 1: 9262,93, 2: 11.507,00, 3: 7.862 (thousands dot, integer).
    Styles 0 and 3 are only used where cents == 0. Amounts stay below 1 000 000.
    """
    assert kroner.max(initial=0) < 1_000_000
    plain = _int_text(kroner)
    thousands = kroner // 1000
    dotted = np.where(thousands > 0, _cat(_int_text(thousands), b".", Z3[kroner % 1000]), plain)
    comma = _cat(b",", Z2[cents])
    return np.select(
        [style == 0, style == 1, style == 2],
        [plain, _cat(plain, comma), _cat(dotted, comma)],
        default=dotted,
    )


def _cpr_7th_digit(rng: np.random.Generator, years: np.ndarray) -> np.ndarray:
    """Pick, per birth year, a 7th CPR digit that gives that year by the century rule (§3)."""
    yy = (years % 100)[:, None]
    century = (years // 100 * 100)[:, None]
    digit = np.arange(10)[None, :]
    d4or9 = (digit == 4) | (digit == 9)
    d5to8 = (digit >= 5) & (digit <= 8)
    allowed = (
        ((century == 1900) & ((digit <= 3) | (d4or9 & (yy > 36))))
        | ((century == 2000) & ((d4or9 & (yy <= 36)) | (d5to8 & (yy <= 57))))
        | ((century == 1800) & d5to8 & (yy > 57))
    )
    scores = rng.random(allowed.shape) * allowed
    return scores.argmax(axis=1)


def _assemble(columns: list[np.ndarray], chunk: int = 65_536) -> bytes:
    """Join byte columns with ';' and end each row with CRLF, as vectorised byte copies.

    Per chunk of rows, every column is laid into a zero-padded byte matrix (one row per
    record, fixed widths, separators between); dropping the padding zeros leaves the records
    back to back. Chunks keep the matrix small; the loops run over columns and chunks.
    """
    columns = [c.astype(f"S{max(int(np.strings.str_len(c).max()), 1)}") for c in columns]
    widths = [c.itemsize for c in columns]
    out = []
    for lo in range(0, len(columns[0]), chunk):
        part = [c[lo : lo + chunk] for c in columns]
        n = len(part[0])
        matrix = np.zeros((n, sum(widths) + len(part) + 1), dtype=np.uint8)
        at = 0
        for col, w in zip(part, widths, strict=True):
            matrix[:, at : at + w] = np.ascontiguousarray(col).view(np.uint8).reshape(n, w)
            at += w
            matrix[:, at] = ord(";")
            at += 1
        matrix[:, at - 1] = ord("\r")
        matrix[:, at] = ord("\n")
        flat = matrix.ravel()
        out.append(flat[flat != 0].tobytes())
    return b"".join(out)


def generate_extract(n: int, path: Path, seed: int = 42) -> dict[str, int]:
    """Write an extract of n registrations as Windows-1252 bytes; return expected counts."""
    rng = np.random.default_rng(seed)
    ref = _reference()
    days = np.arange(EPOCH, TABLE_END + 1)
    ymd = days.astype(object)  # datetime.date per calendar day, for the lookup tables
    # Text tables indexed by day since EPOCH (built over calendar days, not rows).
    date_table = np.array([[d.strftime(f).encode() for d in ymd] for f in DATE_FORMATS])
    ddmmyy = _lookup([d.strftime("%d%m%y") for d in ymd])
    year_of_day = np.array([d.year for d in ymd])

    # Citizens: a birth day and the last four CPR digits; about three registrations each.
    n_cit = max(1, n // 3)
    birth = rng.integers(
        _day(np.datetime64("1998-01-01")), _day(np.datetime64("2024-12-31")), n_cit
    )
    serial = _cat(
        _int_text(_cpr_7th_digit(rng, year_of_day[birth])), Z3[rng.integers(0, 1000, n_cit)]
    )
    cit = rng.integers(0, n_cit, n)
    b = birth[cit]
    # DDMMYY-SSSS or DDMMYYSSSS, half each.
    cpr = np.where(
        rng.random(n) < 0.5, _cat(ddmmyy[b], b"-", serial[cit]), _cat(ddmmyy[b], serial[cit])
    )

    # Start after birth within the extract's window; the type follows the age at start.
    lo = np.maximum(b + 30, _day(START_FROM))
    start = lo + (rng.random(n) * (_day(START_TO) - lo)).astype(np.int64)
    adult = (start - b) >= int(18 * 365.25)
    codes = _lookup([c for c, _, _ in TYPE_MIX])
    profiles = np.array([PROFILE_NAMES.index(p) for _, p, _ in TYPE_MIX])
    weights = np.array([w for *_, w in TYPE_MIX], dtype=float)
    is_ung = np.array([c.startswith("UNG_") for c, _, _ in TYPE_MIX])
    w_child = np.where(is_ung, 0, weights)
    w_adult = np.where(is_ung, weights, 0)
    pick = np.where(
        adult,
        rng.choice(len(TYPE_MIX), n, p=w_adult / w_adult.sum()),
        rng.choice(len(TYPE_MIX), n, p=w_child / w_child.sum()),
    )
    prof = profiles[pick]
    # The type as written: the Danish name mostly, the code often, a lower-case name now and then.
    names = [ref[c]["name_da"] for c, _, _ in TYPE_MIX]
    u = rng.random(n)
    type_text = np.select(
        [u < 0.65, u > 0.95],
        [_lookup(names)[pick], _lookup([s.lower() for s in names])[pick]],
        default=codes[pick],
    )

    # Dates, one format per row as a caseworker's export would have them.
    fmt = rng.choice(len(DATE_FORMATS), n, p=DATE_FORMAT_WEIGHTS)
    once = prof == PROFILE_NAMES.index("once")
    end = np.where(once, start, start + rng.integers(14, 1500, n))
    ongoing = ~once & (rng.random(n) < 0.25)
    decision = start - rng.integers(0, 45, n)

    # Price, period, extent by profile.
    kroner = np.zeros(n, dtype=np.int64)
    period = np.zeros(n, dtype="S32")
    unit = np.zeros(n, dtype="S32")
    halves = np.zeros(n, dtype=np.int64)  # extent in half units
    has_extent = np.zeros(n, dtype=bool)
    for i, pname in enumerate(PROFILE_NAMES):  # loops over the nine profiles, not rows
        periods, kind, units, (low, high) = PROFILES[pname]
        m = prof == i
        k = int(m.sum())
        kroner[m] = rng.integers(low, high, k)
        period[m] = _lookup(periods)[rng.choice(len(periods), k, p=_first_mostly(len(periods)))]
        unit[m] = _lookup(units)[rng.integers(0, len(units), k)]
        if kind == "hours":
            halves[m] = rng.integers(2, 21, k)
            has_extent[m] = True
        elif kind == "days":
            halves[m] = 2 * rng.integers(1, 11, k)
            has_extent[m] = True
    price_style = rng.integers(0, 4, n)
    cents = np.where((price_style % 3 != 0) & (rng.random(n) < 0.4), rng.integers(0, 100, n), 0)
    price = _danish_number(kroner, cents, price_style)
    # Extent: 4,50 / 4,5 / 4 / 4,00.
    whole = _int_text(halves // 2)
    half = (halves % 2) == 1
    ext_style = rng.integers(0, 3, n)
    extent = np.select(
        [half & (ext_style == 0), half, ext_style == 0, ext_style == 1],
        [_cat(whole, b",50"), _cat(whole, b",5"), _cat(whole, b",00"), whole],
        default=_cat(whole, b",00"),
    )
    extent = np.where(has_extent, extent, b"")

    reg_id = _cat(b" R011-", np.strings.zfill(_int_text(np.arange(1, n + 1)), 7), b" ")
    start_s = date_table[fmt, start]
    end_s = np.where(ongoing, b"", date_table[fmt, end])
    decision_s = date_table[fmt, decision]
    approved = _lookup(APPROVED)[rng.choice(3, n, p=(0.35, 0.35, 0.3))]
    team = _lookup(TEAMS)[rng.integers(0, len(TEAMS), n)]
    caseworker = _cat(b"SB", Z2[rng.integers(1, 41, n)])
    provider = _lookup(PROVIDERS)[rng.integers(0, len(PROVIDERS), n)]
    basis = _lookup([f"BL {ref[c]['basis_barnets_lov']}" for c, _, _ in TYPE_MIX])[pick]
    legal = np.where(rng.random(n) < 0.5, basis, b"")

    # About 0.1 % bad rows, each with exactly one problem.
    n_bad = max(5, round(n * BAD_FRACTION))
    bad = rng.choice(n, n_bad, replace=False)
    kind = np.arange(n_bad) % 5
    rows = bad[kind == 0]  # end before start
    end_s = end_s.astype(date_table.dtype)
    end_s[rows] = date_table[fmt[rows], start[rows] - rng.integers(1, 90, len(rows))]
    type_text = _put(type_text, bad[kind == 1], "Weekendaflastning (lokal)")  # unknown type
    cpr = _put(cpr, bad[kind == 2], "310299-4321")  # 31 February: an impossible CPR date
    price = _put(price, bad[kind == 3], "-1.250,00")  # negative price
    start_s = _put(start_s, bad[kind == 4], "31-02-2024")  # a date that does not exist

    body = _assemble(
        [
            reg_id,
            cpr,
            type_text,
            start_s,
            end_s,
            extent,
            unit,
            price,
            period,
            approved,
            decision_s,
            team,
            caseworker,
            provider,
            legal,
        ]
    )
    blank = ";" * (len(HEADER) - 1)
    head = f"{TITLE}{blank}\r\n{';'.join(HEADER)}\r\n".encode(ENC)
    path.write_bytes(head + body + f"{blank}\r\n".encode(ENC))
    return {"rows": n, "bad": n_bad}


def _first_mostly(k: int) -> np.ndarray:
    """Probabilities for k spellings: the first 70 %, the rest share 30 %."""
    if k == 1:
        return np.array([1.0])
    return np.array([0.7] + [0.3 / (k - 1)] * (k - 1))


# --- timing ----------------------------------------------------------------------------------


def best_of(
    repeat: int, runners: dict[str, tuple[Callable[..., tuple[float, Any]], tuple[Any, ...]]]
) -> dict[str, tuple[float, Any]]:
    """Run every runner once per round, repeat rounds (interleaved, so that noise from other
    processes spreads over all of them); return each one's smallest time and that run's result.
    """
    best: dict[str, tuple[float, Any]] = {}
    for r in range(repeat):
        for name, (fn, fn_args) in runners.items():
            t, out = fn(*fn_args)
            print(f"  run {r + 1}: {name:<26} {t:7.2f} s", flush=True)
            if name not in best or t < best[name][0]:
                best[name] = (t, out)
    return best


def _fresh(path: Path) -> Path:
    for p in (path, path.with_name(path.name + ".wal")):
        p.unlink(missing_ok=True)
    return path


def run_import(csv_path: Path, db: Path) -> tuple[float, batches.ImportResult]:
    store = open_store(_fresh(db))
    try:
        t0 = time.perf_counter()
        result = importer.import_file(
            store, csv_path, user="bench", today=TODAY, max_bytes=_max_bytes(csv_path)
        )
        elapsed = time.perf_counter() - t0
    finally:
        store.close()
        _fresh(db)
    return elapsed, result


def run_inspect(csv_path: Path, db: Path) -> tuple[float, importer.Inspection]:
    store = open_store(_fresh(db))
    try:
        t0 = time.perf_counter()
        result = importer.inspect_file(store, csv_path, max_bytes=_max_bytes(csv_path))
        elapsed = time.perf_counter() - t0
    finally:
        store.close()
        _fresh(db)
    return elapsed, result


def _max_bytes(path: Path) -> int:
    return max(importer.DEFAULT_MAX_BYTES, path.stat().st_size + 1)


PLAIN_SQL = (
    "CREATE TABLE t AS SELECT * FROM read_csv(?, delim=';', header=true, skip=1, all_varchar=true)"
)


def run_plain(utf8_path: Path, db: Path) -> tuple[float, int]:
    """DuckDB's own read_csv of the UTF-8 copy into a table of a fresh file."""
    con = duckdb.connect(str(_fresh(db)))
    try:
        t0 = time.perf_counter()
        con.execute(PLAIN_SQL, [str(utf8_path)])
        elapsed = time.perf_counter() - t0
        rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
    finally:
        con.close()
        _fresh(db)
    return elapsed, rows


def run_decode_plain(csv_path: Path, tmp: Path, db: Path) -> tuple[float, int]:
    """Read the cp1252 bytes, decode, write a UTF-8 copy, then read_csv it: all timed."""
    con = duckdb.connect(str(_fresh(db)))
    copy = tmp / "decoded-utf8.csv"
    try:
        t0 = time.perf_counter()
        copy.write_bytes(csv_path.read_bytes().decode("cp1252").encode("utf-8"))
        con.execute(PLAIN_SQL, [str(copy)])
        elapsed = time.perf_counter() - t0
        rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
    finally:
        con.close()
        copy.unlink(missing_ok=True)
        _fresh(db)
    return elapsed, rows


def run_steps(csv_path: Path, db: Path) -> tuple[float, dict[str, float]]:
    """The import's public steps (what import_file does), each timed; return (total, times)."""
    store = open_store(_fresh(db))
    out: dict[str, float] = {}
    try:
        cur = store.cursor()
        t0 = time.perf_counter()
        sha = importer.file_sha256(csv_path)
        t1 = time.perf_counter()
        det = read_to_raw(cur, csv_path)
        rows_read = cur.execute("SELECT count(*) FROM raw_rows").fetchone()[0]
        t2 = time.perf_counter()
        mapping = map_headers(list(det.columns))
        importer.validate(cur, mapping, privacy.load_key(store.path))
        t3 = time.perf_counter()
        rejections = importer._fetch_rejections(cur)
        as_of = batches.data_as_of(cur, TODAY)
        t4 = time.perf_counter()
        batches.write_batch(
            store,
            file_name=csv_path.name,
            sha256=sha,
            mode="upsert",
            user="bench",
            rows_read=rows_read,
            data_as_of_date=as_of,
            rejections=rejections,
        )
        t5 = time.perf_counter()
        out = {
            "sha256 of the file": t1 - t0,
            "read_to_raw (decode, UTF-8 copy, read_csv, line numbers)": t2 - t1,
            "validate (parse, pseudonymise, check)": t3 - t2,
            "fetch rejections, data_as_of": t4 - t3,
            "write_batch (history, rejects, rebuild current)": t5 - t4,
        }
    finally:
        store.close()
        _fresh(db)
    return sum(out.values()), out


class _TimedCursor:
    """A cursor that times each execute(); everything else goes to the real cursor."""

    def __init__(self, cur: duckdb.DuckDBPyConnection, log: list[tuple[float, str, str]]):
        self._cur = cur
        self._log = log

    def execute(self, sql: str, params: object = None) -> duckdb.DuckDBPyConnection:
        caller = sys._getframe(1)
        where = f"{Path(caller.f_code.co_filename).stem}.{caller.f_code.co_name}"
        t0 = time.perf_counter()
        out = self._cur.execute(sql) if params is None else self._cur.execute(sql, params)
        self._log.append((time.perf_counter() - t0, where, " ".join(sql.split())[:90]))
        return out

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cur, name)


def statement_profile(csv_path: Path, db: Path, top: int = 12) -> None:
    """Time every SQL statement of one import_file and print the slowest."""
    store = open_store(_fresh(db))
    log: list[tuple[float, str, str]] = []
    try:
        store._local.cursor = _TimedCursor(store.con.cursor(), log)
        t0 = time.perf_counter()
        importer.import_file(
            store, csv_path, user="bench", today=TODAY, max_bytes=_max_bytes(csv_path)
        )
        total = time.perf_counter() - t0
    finally:
        store.close()
        _fresh(db)
    sql_total = sum(t for t, _, _ in log)
    print(
        f"\nSQL statements of one import_file ({csv_path.name}): {len(log)} statements, "
        f"{sql_total:.2f} s in SQL, {total - sql_total:.2f} s in Python, {total:.2f} s total\n"
    )
    print("| s | share | function | statement |")
    print("|---:|---:|---|---|")
    for t, where, sql in sorted(log, reverse=True)[:top]:
        print(f"| {t:.2f} | {t / total:.0%} | {where} | `{sql}` |")


def python_profile(csv_path: Path, db: Path, top: int = 20) -> None:
    """Print a cProfile (cumulative time) of one import_file."""
    store = open_store(_fresh(db))
    prof = cProfile.Profile()
    try:
        prof.enable()
        importer.import_file(
            store, csv_path, user="bench", today=TODAY, max_bytes=_max_bytes(csv_path)
        )
        prof.disable()
    finally:
        store.close()
        _fresh(db)
    print(f"\ncProfile of one import_file ({csv_path.name}), by cumulative time:\n")
    pstats.Stats(prof, stream=sys.stdout).strip_dirs().sort_stats("cumtime").print_stats(top)


# --- main ------------------------------------------------------------------------------------


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    p.add_argument("--repeat", type=int, default=3, help="best of this many runs (default 3)")
    p.add_argument(
        "--repeat-large",
        type=int,
        default=None,
        help="runs for sizes of 1 000 000 rows or more (default: --repeat)",
    )
    p.add_argument("--dir", type=Path, default=None, help="where to write (default: a temp dir)")
    p.add_argument("--keep", action="store_true", help="keep the generated files")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--statements", action="store_true", help="time each SQL of one import")
    p.add_argument("--profile", action="store_true", help="cProfile one import")
    args = p.parse_args()

    made_dir = args.dir is None
    work = Path(tempfile.mkdtemp(prefix="slcore-bench-import-")) if made_dir else args.dir
    work.mkdir(parents=True, exist_ok=True)
    print(
        f"duckdb {duckdb.__version__}, numpy {np.__version__}, {os.cpu_count()} CPUs, "
        f"files in {work}",
        flush=True,
    )
    table: list[str] = []
    phases: list[str] = []
    steps_by_size: dict[int, dict[str, float]] = {}
    last_csv: Path | None = None
    try:
        for n in args.rows:
            repeat = args.repeat
            if n >= 1_000_000 and args.repeat_large is not None:
                repeat = args.repeat_large
            csv_path = work / f"udtraek_{n}_cp1252.csv"
            utf8_path = work / f"udtraek_{n}_utf8.csv"
            t0 = time.perf_counter()
            expected = generate_extract(n, csv_path, seed=args.seed)
            t_gen = time.perf_counter() - t0
            # The baseline's UTF-8 copy, made outside any timing.
            utf8_path.write_bytes(csv_path.read_bytes().decode("cp1252").encode("utf-8"))
            mb = csv_path.stat().st_size / 1e6
            print(
                f"\n{n:,} rows: generated {mb:.1f} MB in {t_gen:.1f} s "
                f"({expected['bad']:,} bad rows planted); best of {repeat}",
                flush=True,
            )
            db = work / f"bench_{n}.duckdb"
            best = best_of(
                repeat,
                {
                    "import_file": (run_import, (csv_path, db)),
                    "read_csv (UTF-8 copy)": (run_plain, (utf8_path, db)),
                    "decode + read_csv": (run_decode_plain, (csv_path, work, db)),
                    "inspect_file": (run_inspect, (csv_path, db)),
                    "import steps, one by one": (run_steps, (csv_path, db)),
                },
            )
            t_imp, res = best["import_file"]
            t_plain, plain_rows = best["read_csv (UTF-8 copy)"]
            t_dec, _ = best["decode + read_csv"]
            t_insp, insp = best["inspect_file"]
            steps_by_size[n] = best["import steps, one by one"][1]
            print(f"  (read_csv loads {plain_rows:,} rows: the trailing ';;;;' row too)")
            imported = res.inserted + res.updated + res.unchanged
            table.append(
                f"| {n:,} | {mb:.1f} | {t_imp:.2f} | {t_plain:.2f} | {t_imp / t_plain:.1f}x "
                f"| {t_dec:.2f} | {t_imp / t_dec:.1f}x | {imported:,} | {res.rejected:,} |"
            )
            phases.append(
                f"| {n:,} | {t_imp:.2f} | {t_insp:.2f} ({t_insp / t_imp:.0%}) "
                f"| {max(t_imp - t_insp, 0):.2f} ({max(t_imp - t_insp, 0) / t_imp:.0%}) "
                f"| {insp.valid:,} | {len(insp.rejections):,} |"
            )
            if res.rejected != expected["bad"]:
                print(
                    f"  NOTE: {res.rejected} rejected, {expected['bad']} bad rows planted",
                    flush=True,
                )
            utf8_path.unlink(missing_ok=True)
            if last_csv is not None and not args.keep:
                last_csv.unlink(missing_ok=True)
            last_csv = csv_path

        print(
            "\nImport vs DuckDB's plain read_csv (seconds, best of the runs; fresh DuckDB file "
            "per run; 'read_csv' reads a UTF-8 copy of the same file made outside the timing, "
            "since DuckDB cannot read Windows-1252; 'decode+read_csv' also times reading the "
            "bytes, decoding cp1252 and writing that copy):\n"
        )
        print(
            "| rows | file MB | import s | read_csv s | import/read_csv "
            "| decode+read_csv s | import/(decode+read_csv) | imported | rejected |"
        )
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        print("\n".join(table))
        print(
            "\nPhases: inspect_file = read + validate without writing (plus its report: "
            "rejections, unknown types, preview, and the file's SHA-256 twice); "
            "write ~ import - inspect:\n"
        )
        print(
            "| rows | import s | read+validate s (inspect_file) | write s (difference) "
            "| valid | rejected |"
        )
        print("|---:|---:|---:|---:|---:|---:|")
        print("\n".join(phases))
        print(
            "\nimport_file's steps run one by one (public functions; the fastest run; seconds):\n"
        )
        sizes = list(steps_by_size)
        print("| step | " + " | ".join(f"{n:,} rows" for n in sizes) + " |")
        print("|---|" + "---:|" * len(sizes))
        for step in next(iter(steps_by_size.values())):
            print(
                f"| {step} | " + " | ".join(f"{steps_by_size[n][step]:.2f}" for n in sizes) + " |"
            )
        if last_csv is not None and args.statements:
            statement_profile(last_csv, work / "bench_statements.duckdb")
        if last_csv is not None and args.profile:
            python_profile(last_csv, work / "bench_profile.duckdb")
    finally:
        if made_dir and not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
