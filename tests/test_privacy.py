"""CPR numbers never reach the store, a log, a message or an export (registrations.md §3).

Real files in, a real DuckDB file, the real command line; then every place a CPR could end
up is searched for every CPR of the DUBU sample, in both spellings.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import logging
import re
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from slcore import importer, privacy
from slcore.export import to_csv_bytes, to_xlsx_bytes
from slcore.store import open_store
from tests.conftest import ROOT, SAMPLES

DUBU = SAMPLES / "udtraek_dubu_cp1252.csv"
CPR_RE = re.compile(r"[0-9]{6}-?[0-9]{4}")
HEADER = "Bevillings-id;CPR-nr;Indsatstype;Startdato;Takst;Takstenhed\n"


def cpr_file(path: Path, rows: list[tuple[str, str]]) -> Path:
    """Write a small Danish extract with (registration id, CPR) rows."""
    body = "".join(
        f"{rid};{cpr};Fast kontaktperson;01-02-2025;450;pr. måned\n" for rid, cpr in rows
    )
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def citizen_ids(store) -> dict[str, str]:
    rows = (
        store.cursor().execute("SELECT registration_id, citizen_id FROM registrations").fetchall()
    )
    return dict(rows)


def expected_pseudonym(key: bytes, cpr: str) -> str:
    digits = cpr.replace("-", "").encode()
    return "P" + hmac.new(key, digits, hashlib.sha256).hexdigest()[: privacy.PSEUDONYM_HEX_CHARS]


# --- the key -----------------------------------------------------------------------------------


def test_key_file_is_created_0600_and_gives_the_same_pseudonym_next_time(tmp_path, monkeypatch):
    monkeypatch.delenv("SLCORE_KEY", raising=False)
    db = tmp_path / "store" / "x.duckdb"
    key_file = db.with_name("x.duckdb.key")
    store = open_store(db)
    assert not key_file.exists()
    importer.import_file(store, cpr_file(tmp_path / "a.csv", [("A", "170421-9462")]))
    assert key_file.is_file()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text().strip().encode()
    assert len(key) >= 32
    first = citizen_ids(store)["A"]
    assert first == expected_pseudonym(key, "1704219462")
    store.close()

    # A later run (new process state, same installation): the same key, the same pseudonym,
    # whichever way the CPR is written.
    store = open_store(db)
    before = key_file.read_bytes()
    importer.import_file(
        store, cpr_file(tmp_path / "b.csv", [("B", "1704219462"), ("C", "010115-4123")])
    )
    ids = citizen_ids(store)
    assert ids["B"] == first
    assert ids["C"] != first
    assert key_file.read_bytes() == before
    store.close()


@pytest.mark.parametrize(
    "key",
    ["hemmelig-nøgle", "k", "x" * 100],  # non-ASCII, short, longer than the HMAC block
)
def test_pseudonym_is_truncated_hmac_sha256_with_the_env_key(tmp_path, monkeypatch, key):
    monkeypatch.setenv("SLCORE_KEY", key)
    store = open_store(tmp_path / "x.duckdb")
    rows = [("A", "170421-9462"), ("B", "0101154123"), ("C", "150658-5123")]
    importer.import_file(store, cpr_file(tmp_path / "a.csv", rows))
    ids = citizen_ids(store)
    for rid, cpr in rows:
        assert ids[rid] == expected_pseudonym(key.encode("utf-8"), cpr)
        assert ids[rid] != expected_pseudonym(b"another key", cpr)
    assert not (tmp_path / "x.duckdb.key").exists()  # the env key is used, no file made
    store.close()

    monkeypatch.setenv("SLCORE_KEY", key + "2")
    other = open_store(tmp_path / "y.duckdb")
    importer.import_file(other, cpr_file(tmp_path / "b.csv", rows))
    assert set(citizen_ids(other).values()).isdisjoint(ids.values())
    other.close()


def test_birth_date_is_first_of_the_birth_month_from_the_cpr(tmp_path, monkeypatch):
    monkeypatch.setenv("SLCORE_KEY", "test")
    store = open_store(tmp_path / "x.duckdb")
    rows = [
        ("A", "170421-9462"),  # 9, yy 21 -> 2021
        ("B", "250108-4851"),  # 4, yy 08 -> 2008
        ("C", "3112993123"),  # 3 -> 1999
        ("D", "150658-5123"),  # 5, yy 58 -> 1858
        ("E", "290200-4123"),  # a leap day in 2000
    ]
    importer.import_file(store, cpr_file(tmp_path / "a.csv", rows))
    got = dict(
        store.cursor().execute("SELECT registration_id, birth_date FROM registrations").fetchall()
    )
    assert got == {
        "A": dt.date(2021, 4, 1),
        "B": dt.date(2008, 1, 1),
        "C": dt.date(1999, 12, 1),
        "D": dt.date(1858, 6, 1),
        "E": dt.date(2000, 2, 1),
    }
    store.close()


# --- the scan ----------------------------------------------------------------------------------


def sample_cprs() -> set[str]:
    """Every CPR of the DUBU sample in both spellings (DDMMYY-SSSS and DDMMYYSSSS)."""
    text = DUBU.read_bytes().decode("cp1252")
    lines = text.splitlines()
    rows = list(csv.DictReader(lines[1:], delimiter=";"))
    found: set[str] = set()
    for row in rows:
        value = (row.get("CPR-nr") or "").strip()
        if CPR_RE.fullmatch(value):
            digits = value.replace("-", "")
            found |= {digits, f"{digits[:6]}-{digits[6:]}"}
    return found


NEEDLES = sample_cprs()


def leaks(text: str) -> list[str]:
    return sorted(n for n in NEEDLES if n in text)


def store_text(store) -> str:
    """Every value of every column of every table and view in the store, as text."""
    cur = store.cursor()
    columns = cur.execute(
        """SELECT table_name, column_name FROM information_schema.columns
           WHERE table_catalog = current_database() AND table_schema = 'main'"""
    ).fetchall()
    assert {t for t, _ in columns} >= {"registrations", "registration_history", "rejected_rows"}
    parts = []
    for table, column in columns:
        values = cur.execute(
            f'SELECT DISTINCT "{column}"::VARCHAR FROM "{table}" WHERE "{column}" IS NOT NULL'
        ).fetchall()
        parts += [v[0] for v in values]
    return "\x00".join(parts)


def xlsx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return "\x00".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())


def run_cli(*args: str, db: Path) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "slcore", *args, "--db", str(db)]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)


def test_the_sample_holds_cprs_in_both_spellings():
    raw = DUBU.read_bytes().decode("cp1252")
    assert len(NEEDLES) > 200
    assert any("-" in n for n in NEEDLES)
    assert sum(1 for n in NEEDLES if n in raw) > 150  # the scan looks for what is there
    assert "1704219462" in NEEDLES and "170421-9462" in NEEDLES


def test_no_cpr_anywhere_after_importing_the_dubu_sample(tmp_path, monkeypatch, caplog, capfd):
    monkeypatch.delenv("SLCORE_KEY", raising=False)
    caplog.set_level(logging.DEBUG)
    db = tmp_path / "x.duckdb"
    store = open_store(db)
    result = importer.import_file(store, DUBU)
    assert result.inserted == 600 and result.rejected == 8
    assert store.cursor().execute("SELECT count(*) FROM registrations").fetchone()[0] == 600

    seen: dict[str, str] = {}
    seen["store tables"] = store_text(store)
    assert "R011-000001" in seen["store tables"]  # the scan reads the data
    seen["import result"] = repr(result)
    rejected = importer.rejected_rows(store, result.batch_id)
    history = importer.import_history(store)
    assert len(rejected) == 8 and len(history) == 1
    seen["rejected csv"] = to_csv_bytes(rejected).decode("utf-8-sig")
    seen["rejected xlsx"] = xlsx_text(to_xlsx_bytes(rejected))
    seen["history csv"] = to_csv_bytes(history).decode("utf-8-sig")
    seen["history xlsx"] = xlsx_text(to_xlsx_bytes(history))
    inspection = importer.inspect_file(store, DUBU)
    assert len(inspection.preview) == 10 and "CPR-nr" in inspection.preview.columns
    seen["preview"] = inspection.preview.to_csv() + repr(inspection)
    store.close()
    # A refused file's message (strict mode refuses the DUBU sample for its bad rows).
    other = open_store(tmp_path / "strict.duckdb")
    with pytest.raises(importer.ImportRefused, match="--strict") as refused:
        importer.import_file(other, DUBU, strict=True)
    seen["refusal"] = str(refused.value)
    other.close()

    out = run_cli("import", str(DUBU), db=db)
    seen["cli import"] = out.stdout + out.stderr
    assert "allerede indlæst" in out.stdout
    for fmt in ("csv", "json"):
        out = run_cli(
            "figures",
            "--from",
            "2021-01-01",
            "--to",
            "2026-12-31",
            "--as-of",
            "2025-12-31",
            "--by",
            "intervention_type,age_band,team",
            "--format",
            fmt,
            db=db,
        )
        assert "SI_AFLAST" in out.stdout
        seen[f"cli figures {fmt}"] = out.stdout + out.stderr
    out = run_cli("rejects", str(result.batch_id), "--format", "csv", db=db)
    assert out.stdout.count("\n") == 9 and "***" in out.stdout
    seen["cli rejects csv"] = out.stdout + out.stderr
    out = run_cli("imports", db=db)
    assert "udtraek_dubu_cp1252.csv" in out.stdout
    seen["cli imports"] = out.stdout + out.stderr

    captured = capfd.readouterr()
    seen["captured output"] = captured.out + captured.err
    seen["log"] = caplog.text + "\n".join(r.getMessage() for r in caplog.records)

    found = {where: leaks(text) for where, text in seen.items()}
    assert {where: hits for where, hits in found.items() if hits} == {}

    # The database files themselves (strings may be compressed there, so a miss is weak
    # evidence; a hit is a leak all the same).
    files = [p for p in tmp_path.iterdir() if p.name.startswith("x.duckdb") and p.is_file()]
    assert db in files
    for path in files:
        if path.name.endswith(".key"):
            continue
        data = path.read_bytes()
        hits = [n for n in NEEDLES if n.encode("ascii") in data]
        assert hits == [], path.name


def test_rejected_rows_show_masked_cprs(tmp_path, monkeypatch):
    monkeypatch.setenv("SLCORE_KEY", "test")
    store = open_store(tmp_path / "x.duckdb")
    result = importer.import_file(store, DUBU)
    lines = DUBU.read_bytes().split(b"\n")
    line_of = {
        line.split(b";")[0].decode(): i
        for i, line in enumerate(lines, 1)
        if line.startswith(b"BAD")
    }
    rejected = importer.rejected_rows(store, result.batch_id)
    by_line = {int(r["Linje"]): r for r in rejected.to_dict("records")}
    bad6 = by_line[line_of["BAD-6"]]
    assert bad6["Kolonne"] == "CPR-nr"
    assert bad6["Værdi"] == "***"  # '123', masked
    bad8 = by_line[line_of["BAD-8"]]
    assert bad8["Kolonne"] == "Startdato"  # its CPR is fine; the start date is missing
    for row in by_line.values():
        if row["Kolonne"] == "CPR-nr":
            value = row["Værdi"]
            # A missing CPR (BAD-7) has no value to show.
            assert pd.isna(value) or re.fullmatch(r"[0-9]{6}-\*{4}|\*+", value), value
    store.close()


def test_invalid_cprs_are_masked_in_rejections_and_preview(tmp_path, monkeypatch):
    monkeypatch.setenv("SLCORE_KEY", "test")
    store = open_store(tmp_path / "x.duckdb")
    rows = [
        ("OK", "170421-9462"),
        ("FEB31", "310224-1234"),  # impossible date
        ("LONG", "17042194621"),  # eleven digits
        ("SHORT", "170421-946"),
        ("SPACE", "170421 9462"),
        ("DOTS", "17.04.21-9462"),
    ]
    path = cpr_file(tmp_path / "a.csv", rows)
    inspection = importer.inspect_file(store, path)
    preview = inspection.preview.to_csv()
    result = importer.import_file(store, path)
    assert result.inserted == 1
    values = {r["line_no"]: r["value"] for r in result.rejections}
    assert all(r["column_name"] == "CPR-nr" for r in result.rejections)
    assert values == {
        3: "310224-****",
        4: "170421-****",
        5: "170421-****",
        6: "170421-****",
        7: "**********",
    }
    stored = store_text(store)
    for _, cpr in rows:
        for text in (stored, preview, repr(result)):
            assert cpr not in text
            assert cpr.replace("-", "") not in text
    store.close()


def test_a_citizen_id_written_as_a_cpr_number_is_pseudonymised(tmp_path, monkeypatch):
    # Some extracts put the CPR number in the citizen column ("Borger ID") instead.
    monkeypatch.setenv("SLCORE_KEY", "test")
    store = open_store(tmp_path / "x.duckdb")
    cprs = {"A": "170421-9462", "B": "0101154123"}
    path = tmp_path / "borger.csv"
    path.write_text(
        "Bevillings-id;Borger ID;Alder;Indsatstype;Startdato;Takst;Takstenhed\n"
        + "".join(
            f"{rid};{cpr};10;Fast kontaktperson;01-02-2025;450;pr. måned\n"
            for rid, cpr in cprs.items()
        )
        + "C;B-77;10;Fast kontaktperson;01-02-2025;450;pr. måned\n",
        encoding="utf-8",
    )
    preview = importer.inspect_file(store, path).preview.to_csv()
    result = importer.import_file(store, path)
    assert result.inserted == 3 and not result.rejections
    ids = citizen_ids(store)
    # The same pseudonym as the CPR column would give; an id that is no CPR stays as it is.
    assert ids["A"] == expected_pseudonym(b"test", cprs["A"])
    assert ids["B"] == expected_pseudonym(b"test", cprs["B"])
    assert ids["C"] == "B-77"
    stored = store_text(store)
    for cpr in cprs.values():
        for text in (stored, preview):
            assert cpr not in text and cpr.replace("-", "") not in text
    assert "170421-****" in preview
    store.close()
