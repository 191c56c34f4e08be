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
import os
import re
import stat
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from slcore import batches, importer, privacy, values
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
    rows = [("A", "170421-9462"), ("B", "0101154123"), ("C", "150608-5123")]
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
        ("D", "150608-5123"),  # 5, yy 08 -> 2008
        ("E", "290200-4123"),  # a leap day in 2000
        ("F", "150658-5123"),  # 5, yy 58 -> 1858: no child; rejected by the age bound
    ]
    result = importer.import_file(store, cpr_file(tmp_path / "a.csv", rows))
    got = dict(
        store.cursor().execute("SELECT registration_id, birth_date FROM registrations").fetchall()
    )
    assert got == {
        "A": dt.date(2021, 4, 1),
        "B": dt.date(2008, 1, 1),
        "C": dt.date(1999, 12, 1),
        "D": dt.date(2008, 6, 1),
        "E": dt.date(2000, 2, 1),
    }
    [old] = result.rejections
    assert old["line_no"] == 7 and old["column_name"] == "Fødselsdato"
    assert old["reason"].startswith("Alderen ved start er over 30 år")
    assert old["value"] == "150658-****"
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
    rejected = batches.rejected_rows(store, result.batch_id)
    history = batches.import_history(store)
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
    rejected = batches.rejected_rows(store, result.batch_id)
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
        ("SPACE", "170421 9462"),  # a space for the dash: the same CPR number
        ("DOTS", "17.04.21-9462"),
    ]
    path = cpr_file(tmp_path / "a.csv", rows)
    inspection = importer.inspect_file(store, path)
    preview = inspection.preview.to_csv()
    result = importer.import_file(store, path)
    assert result.inserted == 2
    values = {r["line_no"]: r["value"] for r in result.rejections}
    assert all(r["column_name"] == "CPR-nr" for r in result.rejections)
    assert values == {
        3: "310224-****",
        4: "170421-****",
        5: "170421-****",
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


# --- CPR numbers anywhere (issue 11) ---------------------------------------------------------

FAKE = "010203-1234"  # CPR-shaped, made up
FAKE_SPELLINGS = [FAKE, "0102031234", "010203 1234"]
FREE_HEADER = (
    "Bevillings-id;CPR-nr;Indsatstype;Startdato;Takst;Takstenhed;Afdeling;Sagsbehandler;"
    "Leverandør;Paragraf;Bemærkning\n"
)


def free_text_file(path: Path) -> Path:
    """Write an extract with a CPR-shaped number in each free-text column, one per row."""
    good = "170421-9462;Fast kontaktperson;01-02-2025;450;pr. måned"
    rows = [
        f"OK;{good};Team Nord;SB1;Kommunal;BL § 32;intet",
        f"CPR {FAKE};{good};Team Nord;SB1;Kommunal;BL § 32;",  # in the registration id
        f"T;{good};Team {FAKE};SB1;Kommunal;BL § 32;",
        f"S;{good};Team Nord;0102031234;Kommunal;BL § 32;",
        f"L;{good};Team Nord;SB1;Privat (CPR 010203 1234);BL § 32;",
        f"P;{good};Team Nord;SB1;Kommunal;BL § 32 {FAKE};",
        f"I;170421-9462;Kontakt {FAKE};01-02-2025;450;pr. måned;Team Nord;SB1;Kommunal;;",
        f"D;170421-9462;Fast kontaktperson;{FAKE};450;pr. måned;Team Nord;SB1;Kommunal;;",
        # In a column the store never keeps: the row is imported; the preview masks it.
        f"N;{good};Team Nord;SB1;Kommunal;BL § 32;ring om {FAKE}",
    ]
    path.write_text(FREE_HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def fake_leaks(text: str) -> list[str]:
    return [s for s in FAKE_SPELLINGS if s in text]


def test_a_cpr_number_in_free_text_rejects_the_row_and_is_masked(tmp_path, monkeypatch):
    monkeypatch.setenv("SLCORE_KEY", "test")
    db = tmp_path / "x.duckdb"
    store = open_store(db)
    path = free_text_file(tmp_path / "fri.csv")
    inspection = importer.inspect_file(store, path)
    result = importer.import_file(store, path)
    got = {r["line_no"]: (r["column_name"], r["value"], r["reason"]) for r in result.rejections}
    assert result.inserted == 2  # OK, and N (the note is not stored)
    assert {line: col for line, (col, _, _) in got.items()} == {
        3: "Bevillings-id",
        4: "Afdeling",  # the column as the file names it
        5: "Sagsbehandler",
        6: "Leverandør",
        7: "Paragraf",
        8: "Indsatstype",
        9: "Startdato",
    }
    assert got[4] == (
        "Afdeling",
        "Team 010203-****",
        "Team indeholder et CPR-nummer, som aldrig må gemmes. Fjern det i kildesystemet eller "
        "i filen, og indlæs igen.",
    )
    assert got[6][1] == "Privat (CPR 010203-****)"
    assert got[9][2] == values.BAD_DATE and got[9][1] == "010203-****"
    # Nowhere: not the store, the preview, the report, the unknown names, the downloads.
    assert inspection.unknown_types == []
    seen = {
        "store": store_text(store),
        "preview": inspection.preview.to_csv(),
        "inspection": repr(inspection.rejections),
        "result": repr(result),
        "rejected csv": to_csv_bytes(batches.rejected_rows(store, result.batch_id)).decode(),
    }
    store.close()
    seen["cli rejects"] = run_cli("rejects", str(result.batch_id), "--format", "csv", db=db).stdout
    assert {k: fake_leaks(v) for k, v in seen.items() if fake_leaks(v)} == {}
    assert "ring om 010203-****" in seen["preview"]


@pytest.mark.parametrize(
    "written",
    [
        "010203 1234",
        "CPR 010203-1234",
        "CPR-nr.: 0102031234",
        "010203\u20131234",  # an en dash
        "010203\u00a01234",  # a no-break space, as Excel writes one
        "010203 - 1234",
        "01 02 03 1234",
    ],
)
def test_a_citizen_id_written_with_a_space_or_a_label_is_pseudonymised(
    tmp_path, monkeypatch, written
):
    monkeypatch.setenv("SLCORE_KEY", "test")
    store = open_store(tmp_path / "x.duckdb")
    path = tmp_path / "borger.csv"
    path.write_text(
        "Bevillings-id;Borger ID;Alder;Indsatstype;Startdato;Takst;Takstenhed\n"
        f"A;{written};10;Fast kontaktperson;01-02-2025;450;pr. måned\n"
        f"B;Barn {FAKE} x;10;Fast kontaktperson;01-02-2025;450;pr. måned\n",
        encoding="utf-8",
    )
    result = importer.import_file(store, path)
    assert citizen_ids(store) == {"A": expected_pseudonym(b"test", FAKE)}
    [rejected] = result.rejections
    assert rejected["column_name"] == "Borger ID" and rejected["value"] == "Barn 010203-**** x"
    assert fake_leaks(store_text(store)) == []
    store.close()


def test_masking_finds_every_spelling_and_leaves_other_numbers(tmp_path):
    assert privacy.mask_cprs("a 0102031234;0102031234 b") == "a 010203-****;010203-**** b"
    assert privacy.mask_cprs("CPR010203 1234") == "CPR010203-****"
    # Not CPR-shaped: eleven digits, an impossible month, a pseudonym's hex, an amount.
    assert privacy.mask_cprs("CPRnr0102031234") == "CPRnr010203-****"
    # Inside a run of letters and digits it is not one: a pseudonym, an id.
    for text in ("P3da36d0102031234", "R0102031234", "Pd0af4d0404471234"):
        assert not privacy.contains_cpr(text)
    assert privacy.mask_cprs("CPRnr 010203\u00a01234.") == "CPRnr 010203-****."
    for text in ("12345678901", "011303-1234", "P0102031234abcd", "1.234.567,89"):
        assert not privacy.contains_cpr(text) and privacy.mask_cprs(text) == text
    # The SQL and the Python rule agree.
    store = open_store(tmp_path / "x.duckdb")
    cur = store.cursor()
    for text in (
        "x 010203-1234",
        "610203 1234",
        "12345678901",
        "Team 3101991234,",
        "a01 02 03\u20131234",
    ):
        sql = cur.execute(
            f"SELECT {privacy.contains_cpr_sql('$t')}, {privacy.mask_cprs_sql('$t')}", {"t": text}
        ).fetchone()
        assert sql == (privacy.contains_cpr(text), privacy.mask_cprs(text))
    store.close()


# --- the key's fingerprint (issue 11) --------------------------------------------------------


def test_a_lost_or_different_key_is_refused_instead_of_new_pseudonyms(tmp_path, monkeypatch):
    monkeypatch.delenv("SLCORE_KEY", raising=False)
    db = tmp_path / "x.duckdb"
    key_file = db.with_name("x.duckdb.key")
    store = open_store(db)
    importer.import_file(store, cpr_file(tmp_path / "a.csv", [("A", "170421-9462")]))
    assert store.meta("key_fingerprint") == privacy.key_fingerprint(
        key_file.read_text().strip().encode()
    )
    saved = key_file.read_bytes()
    key_file.unlink()
    second = cpr_file(tmp_path / "b.csv", [("B", "170421-9462")])
    with pytest.raises(importer.ImportRefused, match="mangler, men databasen har allerede"):
        importer.import_file(store, second)
    assert not key_file.exists()  # no new key made behind the analyst's back
    monkeypatch.setenv("SLCORE_KEY", "en anden nøgle")
    with pytest.raises(importer.ImportRefused, match="passer ikke til databasen") as refused:
        importer.inspect_file(store, second)
    assert "Gendan nøglefilen x.duckdb.key" in str(refused.value)
    monkeypatch.delenv("SLCORE_KEY")
    key_file.write_bytes(saved)  # restored from the backup: the same child, the same pseudonym
    importer.import_file(store, second)
    ids = citizen_ids(store)
    assert ids["A"] == ids["B"]
    assert store.cursor().execute(
        "SELECT count(DISTINCT citizen_id) FROM registrations"
    ).fetchone() == (1,)
    store.close()


def test_the_cli_refuses_a_different_key_with_exit_1(tmp_path, monkeypatch):
    monkeypatch.setenv("SLCORE_KEY", "første")
    db = tmp_path / "x.duckdb"
    store = open_store(db)
    importer.import_file(store, cpr_file(tmp_path / "a.csv", [("A", "170421-9462")]))
    store.close()
    env = {**os.environ, "SLCORE_KEY": "anden"}
    cmd = [
        sys.executable,
        "-m",
        "slcore",
        "import",
        str(cpr_file(tmp_path / "b.csv", [("B", FAKE)])),
        "--db",
        str(db),
    ]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 1 and "passer ikke til databasen" in out.stderr
    assert "Traceback" not in out.stderr


# --- uploads on disk (issue 11) --------------------------------------------------------------


def test_an_upload_lives_on_disk_only_while_it_is_read(tmp_path):
    from slcore import uploads

    db = tmp_path / "x.duckdb"
    with uploads.staged(db, b"data", "udtraek.csv") as path:
        assert path.read_bytes() == b"data" and path.parent.parent == uploads.upload_dir(db)
        assert path.name == "udtraek.csv"  # messages name the user's file
        assert stat.S_IMODE(path.parent.parent.stat().st_mode) == 0o700
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not path.exists() and list(uploads.upload_dir(db).iterdir()) == []
    with pytest.raises(RuntimeError), uploads.staged(db, b"data") as path:
        raise RuntimeError("the import failed")
    assert not path.exists()


def test_an_upload_on_disk_keeps_the_users_name_without_folders_or_cpr():
    from slcore.uploads import disk_name

    assert disk_name("Udtræk maj.csv") == "Udtræk maj.csv"
    assert disk_name("../../etc/passwd") == "passwd"
    assert disk_name("C:\\Users\\ab\\udtraek.xlsx") == "udtraek.xlsx"
    assert disk_name("barn_170421-9462.csv") == "barn_170421-****.csv"
    assert disk_name("..") == "upload" and disk_name("") == "upload"
    long = disk_name("a" * 300 + ".csv")
    assert len(long) <= 200 and long.endswith(".csv")


def test_files_left_by_a_killed_process_are_deleted_at_the_next_start(tmp_path):
    from slcore.store import spill_dir
    from slcore.uploads import upload_dir as uploads_dir

    db = tmp_path / "x.duckdb"
    script = (
        "import os, sys; from pathlib import Path; from slcore import uploads\n"
        "with uploads.staged(Path(sys.argv[1]), b'170421-9462', 'x.csv') as p:\n"
        "    print(p, flush=True); os.kill(os.getpid(), 9)\n"
    )
    killed = subprocess.run(
        [sys.executable, "-c", script, str(db)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert killed.returncode == -9
    left = Path(killed.stdout.strip())
    assert left.exists()  # the kill left it ...
    spill_dir(db).mkdir(mode=0o700)
    spilled = spill_dir(db) / "duckdb_temp_storage_S32K-0.tmp"  # as DuckDB names its spills
    spilled.write_bytes(b"170421-9462")
    open_store(db).close()  # ... and the next start removes it, and DuckDB's leftovers
    assert not left.exists() and not spilled.exists()
    assert list(uploads_dir(db).iterdir()) == []


# --- the hostile set (issue 11) --------------------------------------------------------------

HOSTILE_HEADER = (
    "Bevillings-id;CPR-nr;Indsatstype;Startdato;Slutdato;Takst;Takstenhed;Afdeling;"
    "Sagsbehandler;Leverandør;Paragraf;Bemærkning"
)


def fake_cpr(i: int) -> str:
    """Return a made-up CPR-shaped number of a child born 2005-2024, a different one for each i."""
    return f"{i % 28 + 1:02d}{i % 12 + 1:02d}{i % 20 + 5:02d}-{4000 + i:04d}"


def hostile_set(folder: Path) -> dict[str, Path]:
    """Write careless and hostile extracts, each with made-up CPR numbers in odd places."""
    files: dict[str, bytes] = {}

    def row(i: int, team: str = "Team Nord", note: str = "", start: str = "01-02-2025") -> str:
        return (
            f"R{i};{fake_cpr(i)};Fast kontaktperson;{start};;450;pr. måned;{team};SB1;"
            f"Kommunal;BL § 52;{note}"
        )

    lines = [row(i) for i in range(300)]
    stray = list(lines)
    stray[10] = row(10, team='"Team Nord')  # a quote that never closes
    files["stray_quote.csv"] = "\n".join([HOSTILE_HEADER, *stray]).encode()
    everywhere = [
        f"R1;{fake_cpr(1)};Fast kontaktperson;01-02-2025;;450;pr. måned;Team {fake_cpr(2)};SB1;"
        "Kommunal;;",
        f"CPR {fake_cpr(3)};{fake_cpr(4)};Fast kontaktperson;01-02-2025;;450;pr. måned;;;;;",
        f"R5;{fake_cpr(5)};Kontakt {fake_cpr(6)};01-02-2025;;450;pr. måned;;;;;",
        f"R7;{fake_cpr(7)};Fast kontaktperson;{fake_cpr(8)};;450;pr. måned;;;;;",
        f"R9;{fake_cpr(9)};Fast kontaktperson;01-02-2025;{fake_cpr(10)};450;pr. måned;;;;;",
        f"R11;{fake_cpr(11)};Fast kontaktperson;01-02-2025;;NaN;pr. måned;;;;;",
        f"R12;{fake_cpr(12)};Fast kontaktperson;25-01-22;;450;pr. måned;;;;;",
        f"R13;{fake_cpr(13).replace('-', ' ')};Fast kontaktperson;01-02-2025;;450;pr. uge;;;;;",
        f"R14;{fake_cpr(14)};Fast kontaktperson;01-02-2025;;450;pr. måned;;;"
        f"Privat {fake_cpr(15).replace('-', '')};;",
        f"R16;{fake_cpr(16)};Fast kontaktperson;01-02-2025;;450;pr. måned;;;;;ring {fake_cpr(17)}",
        f"R18;{fake_cpr(18)[:9]};Fast kontaktperson;01-02-2025;;450;pr. måned;;;;;",  # invalid
    ]
    files["everywhere.csv"] = "\n".join([HOSTILE_HEADER, *everywhere]).encode("cp1252")
    files["dup_columns.csv"] = "\n".join(
        [HOSTILE_HEADER + ";Leverandør", *(row(i) + f";{fake_cpr(i + 40)}" for i in range(5))]
    ).encode()
    mixed = [HOSTILE_HEADER.encode(), *(row(i).encode() for i in range(5))]
    mixed.append(row(6, team="Team Øst").encode("cp1252"))  # one line in Windows-1252
    files["mixed_encoding.csv"] = b"\n".join(mixed)
    frame = pd.DataFrame(
        [
            [
                f"X{i}",
                fake_cpr(i + 60),
                "Fast kontaktperson",
                "01-02-2025",
                450,
                "pr. måned",
                f"Team {fake_cpr(i + 80)}",
            ]
            for i in range(5)
        ],
        columns=[
            "Bevillings-id",
            "CPR-nr",
            "Indsatstype",
            "Startdato",
            "Takst",
            "Takstenhed",
            "Afdeling",
        ],
    )
    files["free_text.xlsx"] = to_xlsx_bytes(frame)
    paths = {}
    for name, data in files.items():
        paths[name] = folder / name
        paths[name].write_bytes(data)
    return paths


def hostile_needles() -> list[str]:
    numbers = [fake_cpr(i) for i in range(100)]
    return [form for n in numbers for form in (n, n.replace("-", ""), n.replace("-", " "))]


def test_no_cpr_anywhere_after_the_hostile_set(tmp_path, monkeypatch, caplog, capfd):
    monkeypatch.delenv("SLCORE_KEY", raising=False)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    caplog.set_level(logging.DEBUG)
    (tmp_path / "in").mkdir()
    files = hostile_set(tmp_path / "in")
    db = tmp_path / "x.duckdb"
    store = open_store(db)
    seen: dict[str, str] = {}
    for name, path in files.items():
        try:
            inspection = importer.inspect_file(store, path)
            seen[f"{name} preview"] = inspection.preview.to_csv()
            seen[f"{name} report"] = repr(inspection.rejections) + repr(inspection.unknown_types)
            result = importer.import_file(store, path)
            seen[f"{name} result"] = repr(result)
            if result.batch_id:
                rejected = batches.rejected_rows(store, result.batch_id)
                seen[f"{name} rejects csv"] = to_csv_bytes(rejected).decode("utf-8-sig")
                seen[f"{name} rejects xlsx"] = xlsx_text(to_xlsx_bytes(rejected))
        except importer.ImportRefused as exc:
            seen[f"{name} refusal"] = str(exc)
    refused = sorted(k for k in seen if k.endswith("refusal"))
    assert refused == [
        "dup_columns.csv refusal",
        "free_text.xlsx refusal",  # every row has a CPR number in its team
        "mixed_encoding.csv refusal",
        "stray_quote.csv refusal",
    ], {k: seen[k] for k in refused}
    assert store.registration_count() > 0
    seen["store tables"] = store_text(store)
    seen["history"] = to_csv_bytes(batches.import_history(store)).decode("utf-8-sig")
    store.close()
    for name, path in files.items():  # the command line, in a process of its own
        out = subprocess.run(
            [sys.executable, "-m", "slcore", "import", str(path), "--db", str(db)],
            cwd=ROOT, capture_output=True, text=True, timeout=120,
            env={**os.environ, "TMPDIR": str(tmp)},
        )  # fmt: skip
        assert out.returncode in (0, 1) and "Traceback" not in out.stderr, out.stderr
        seen[f"cli {name}"] = out.stdout + out.stderr
    for n in range(1, 10):
        out = subprocess.run(
            [sys.executable, "-m", "slcore", "rejects", str(n), "--format", "csv", "--db", str(db)],
            cwd=ROOT, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        seen[f"cli rejects {n}"] = out.stdout + out.stderr
    seen["cli figures"] = run_cli(
        "figures", "--from", "2025-01-01", "--to", "2025-12-31", "--by", "team", db=db
    ).stdout
    captured = capfd.readouterr()
    seen["captured output"] = captured.out + captured.err
    seen["log"] = caplog.text
    needles = hostile_needles()
    found = {where: [n for n in needles if n in text] for where, text in seen.items()}
    assert {where: hits for where, hits in found.items() if hits} == {}
    # Files on disk: the store's own files, the private upload folder and the temp folder.
    on_disk = [
        p for p in tmp_path.rglob("*") if p.is_file() and not p.is_relative_to(tmp_path / "in")
    ]
    on_disk = [p for p in on_disk if p.suffix != ".key"]
    assert db in on_disk and not any(p.is_relative_to(tmp) for p in on_disk)
    for path in on_disk:
        data = path.read_bytes()
        assert [n for n in needles if n.encode() in data] == [], path


def test_a_cpr_number_that_lost_its_leading_zero_is_one(tmp_path, monkeypatch):
    # Excel shows 0102154123 as the number 102154123: in the CPR or citizen column it is one.
    monkeypatch.setenv("SLCORE_KEY", "test")
    store = open_store(tmp_path / "x.duckdb")
    importer.import_file(store, cpr_file(tmp_path / "a.csv", [("A", "102154123")]))
    assert citizen_ids(store) == {"A": expected_pseudonym(b"test", "010215-4123")}
    store.close()


def test_a_cpr_number_in_a_file_name_is_masked_where_it_is_stored_or_said(tmp_path, monkeypatch):
    monkeypatch.setenv("SLCORE_KEY", "test")
    store = open_store(tmp_path / "x.duckdb")
    named = cpr_file(tmp_path / f"Borger {FAKE} bevillinger.csv", [("A", "170421-9462")])
    assert importer.inspect_file(store, named).file_name == "Borger 010203-**** bevillinger.csv"
    importer.import_file(store, named)
    history = batches.import_history(store)
    assert history["Fil"].tolist() == ["Borger 010203-**** bevillinger.csv"]
    empty = tmp_path / "Sag 0102031234.csv"
    empty.write_bytes(b"")
    with pytest.raises(importer.ImportRefused) as refused:
        importer.import_file(store, empty)
    assert str(refused.value) == "Filen Sag 010203-****.csv er tom."
    wrong_sheet = tmp_path / f"{FAKE}.xlsx"
    wrong_sheet.write_bytes(to_xlsx_bytes(pd.DataFrame({"Bevillings-id": ["A"], "Takst": [1]})))
    with pytest.raises(importer.ImportRefused) as refused:
        importer.inspect_file(store, wrong_sheet, sheet="Ark 9")
    assert fake_leaks(str(refused.value)) == [] and "010203-****" in str(refused.value)
    assert fake_leaks(store_text(store)) == []
    store.close()


def test_the_logs_mask_cpr_numbers_in_messages_and_tracebacks():
    import io
    import logging

    stream = io.StringIO()
    log = logging.getLogger("streamlit.test_masking")
    log.propagate = False
    handler = logging.StreamHandler(stream)
    log.addHandler(handler)
    try:
        privacy.mask_cprs_in_logs()
        privacy.mask_cprs_in_logs()  # twice changes nothing
        try:
            raise ValueError("bad value 0102031234 in line 7")
        except ValueError:
            log.exception("Uncaught app exception for %s", "010203-1234")
        text = stream.getvalue()
        assert "Traceback" in text and "line 7" in text
        assert "0102031234" not in text and "010203-1234" not in text
        assert text.count("010203-****") == 3  # the message, the exception and its line
    finally:
        log.removeHandler(handler)


def test_the_app_masks_streamlits_own_log(sample_copy, monkeypatch):
    import logging

    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("SLCORE_DB", str(sample_copy))
    AppTest.from_file(
        str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=120
    ).run()
    handlers = logging.getLogger("streamlit.error_util").handlers
    assert handlers and all(type(h.formatter).__name__ == "_MaskingFormatter" for h in handlers)
