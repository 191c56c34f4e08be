"""The command line, run as users run it: ``python -m slcore`` in a subprocess."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pandas as pd
import pytest

from tests.conftest import ROOT, SAMPLES, write_csv
from tests.test_figures import _expected_files, assert_matches_expected, parse_expected_name


def slcore(*args: str, db=None, check: bool = False) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "slcore", *args]
    if db is not None:
        cmd += ["--db", str(db)]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=check, timeout=120)


@pytest.fixture(scope="module")
def cli_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("cli") / "cli.duckdb"
    r = slcore("import", str(SAMPLES / "registrations_canonical.csv"), db=db, check=True)
    assert "indsat 600" in r.stdout
    r = slcore("frames", "import", str(SAMPLES / "serviceniveau_frames.csv"), db=db, check=True)
    assert "18 rammeversioner" in r.stdout
    slcore("budgets", "import", str(SAMPLES / "budgetter.csv"), db=db, check=True)
    return db


@pytest.mark.parametrize("path", _expected_files(), ids=lambda p: p.name)
def test_figures_command_reproduces_samples(cli_db, path, tmp_path):
    period, by = parse_expected_name(path)
    args = [
        "figures",
        "--from",
        period.start.isoformat(),
        "--to",
        period.end.isoformat(),
        "--as-of",
        period.as_of.isoformat(),
    ]
    if by:
        args += ["--by", ",".join(by)]
    r = slcore(*args, db=cli_db)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "out.csv"
    out.write_text(r.stdout)
    got = pd.read_csv(out, keep_default_na=False, na_values=[""])
    assert_matches_expected(got, path)
    # Money with two decimals, no thousands separators.
    first = r.stdout.splitlines()[1].split(",")
    money = first[len(by) + 4]
    assert money.count(".") == 1 and len(money.split(".")[1]) == 2


def test_figures_json(cli_db):
    r = slcore(
        "figures",
        "--from",
        "2025-01-01",
        "--to",
        "2025-12-31",
        "--as-of",
        "2025-09-30",
        "--by",
        "intervention_type",
        "--format",
        "json",
        db=cli_db,
    )
    rows = json.loads(r.stdout)
    kost = next(x for x in rows if x["intervention_type"] == "ANB_KOST")
    assert kost["budget_dkk"] == 0.0 and kost["active_registrations"] == 5
    assert kost["realized_spend_dkk"] == pytest.approx(594774.69, abs=0.01)


def test_wrong_arguments_exit_2(cli_db):
    assert slcore("figures", "--from", "2025-01-01", db=cli_db).returncode == 2
    r = slcore("figures", "--from", "2025-13-01", "--to", "2025-12-31", db=cli_db)
    assert r.returncode == 2 and "ugyldig dato" in r.stderr
    assert (
        slcore(
            "figures", "--from", "2025-01-01", "--to", "2025-12-31", "--by", "x", db=cli_db
        ).returncode
        == 2
    )
    assert slcore("nonsense").returncode == 2


def test_refused_input_exits_1_without_traceback(cli_db, tmp_path):
    bad = write_csv(
        tmp_path / "bad.csv",
        ["registration_id", "start_date"],
        [{"registration_id": "X", "start_date": "2025-01-01"}],
    )
    before = slcore(
        "figures", "--from", "2025-01-01", "--to", "2025-12-31", "--as-of", "2025-06-30", db=cli_db
    ).stdout
    r = slcore("import", str(bad), db=cli_db)
    assert r.returncode == 1
    assert "Traceback" not in r.stderr and "mangler en påkrævet kolonne" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    r = slcore("frames", "import", str(bad), db=cli_db)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    r = slcore("figures", "--from", "2025-12-31", "--to", "2025-01-01", db=cli_db)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    after = slcore(
        "figures", "--from", "2025-01-01", "--to", "2025-12-31", "--as-of", "2025-06-30", db=cli_db
    ).stdout
    assert before == after


def test_same_file_twice_changes_nothing_and_says_so(cli_db):
    r = slcore("import", str(SAMPLES / "registrations_canonical.csv"), db=cli_db)
    assert r.returncode == 0 and "allerede indlæst" in r.stdout
    lines = slcore("imports", db=cli_db).stdout.strip().splitlines()
    assert len(lines) == 2  # header and the one batch


def test_frames_and_budgets_round_trip(cli_db):
    frames = slcore("frames", "export", db=cli_db).stdout
    original = pd.read_csv(SAMPLES / "serviceniveau_frames.csv")
    exported = pd.read_csv(io.StringIO(frames))
    key = ["intervention_type", "valid_from"]
    pd.testing.assert_frame_equal(
        exported.sort_values(key).reset_index(drop=True),
        original.sort_values(key).reset_index(drop=True),
        check_dtype=False,
    )
    budgets = pd.read_csv(io.StringIO(slcore("budgets", "export", db=cli_db).stdout))
    assert len(budgets) == 47
    assert budgets["budget_dkk"].sum() == pytest.approx(
        pd.read_csv(SAMPLES / "budgetter.csv")["budget_dkk"].sum()
    )


def test_budget_import_replaces_year_and_type(tmp_path):
    db = tmp_path / "b.duckdb"
    cols = ["year", "intervention_type", "budget_dkk", "planned_cases"]
    slcore(
        "budgets",
        "import",
        str(
            write_csv(
                tmp_path / "a.csv",
                cols,
                [
                    {
                        "year": 2025,
                        "intervention_type": "OEK",
                        "budget_dkk": 100,
                        "planned_cases": 1,
                    },
                    {"year": 2025, "intervention_type": "SI_HJEM", "budget_dkk": 200},
                ],
            )
        ),
        db=db,
        check=True,
    )
    slcore(
        "budgets",
        "import",
        str(
            write_csv(
                tmp_path / "b.csv",
                cols,
                [{"year": 2025, "intervention_type": "OEK", "budget_dkk": 150}],
            )
        ),
        db=db,
        check=True,
    )
    out = slcore("budgets", "export", db=db).stdout
    assert "2025,OEK,150.0," in out and "2025,SI_HJEM,200.0," in out


def test_rejects_and_undo(tmp_path):
    db = tmp_path / "u.duckdb"
    from tests.conftest import CANONICAL_HEADER, registration

    f1 = write_csv(
        tmp_path / "one.csv",
        CANONICAL_HEADER,
        [registration("A", cost_amount="10"), registration("B", cost_amount="-5")],
    )
    r = slcore("import", str(f1), db=db)
    assert r.returncode == 0 and "afvist 1" in r.stdout and "linje 3" in r.stdout
    rej = slcore("rejects", "1", "--format", "csv", db=db).stdout.splitlines()
    assert rej[0] == "line,column,value,reason" and rej[1].startswith(
        "3,cost_amount,'-5,"
    )  # defused text
    assert slcore("rejects", "99", db=db).returncode == 1
    f2 = write_csv(tmp_path / "two.csv", CANONICAL_HEADER, [registration("C", cost_amount="10")])
    replace = ("import", str(f2), "--mode", "replace")
    refused = slcore(*replace, db=db)  # would remove 1 of 1 registrations: asks first
    assert refused.returncode == 1 and "--allow-removal" in refused.stderr
    assert "indsat 1" in slcore(*replace, "--allow-removal", db=db).stdout
    fig = ["figures", "--from", "2025-01-01", "--to", "2025-01-31", "--as-of", "2025-12-31"]
    assert slcore(*fig, db=db).stdout.splitlines()[1].startswith("1,1,")
    assert slcore("undo", "2", db=db).returncode == 0
    out = slcore(*fig, db=db).stdout.splitlines()[1]
    assert out.startswith("1,1,") and ",310.00," in out  # A is back: 31 days at 10
    assert slcore("undo", "2", db=db).returncode == 1


def test_import_real_extracts_from_the_command_line(tmp_path):
    db = tmp_path / "x.duckdb"
    r = slcore("import", str(SAMPLES / "udtraek_dubu_cp1252.csv"), db=db)
    assert r.returncode == 0, r.stderr
    assert "læst 608, indsat 600" in r.stdout and "afvist 8" in r.stdout
    assert "linje 133, CPR-nr" in r.stdout and "rejects 1 --format csv" in r.stdout
    r = slcore(
        "import", str(SAMPLES / "registreringer.xlsx"), "--sheet", "Nope", db=tmp_path / "y.duckdb"
    )
    assert (
        r.returncode == 1 and "Arket 'Nope' findes ikke" in r.stderr and "Bevillinger" in r.stderr
    )
    r = slcore(
        "import",
        str(SAMPLES / "registreringer.xlsx"),
        "--sheet",
        "Bevillinger",
        db=tmp_path / "y.duckdb",
    )
    assert r.returncode == 0 and "indsat 600" in r.stdout
    strict = slcore(
        "import", str(SAMPLES / "udtraek_dubu_cp1252.csv"), "--strict", db=tmp_path / "z.duckdb"
    )
    assert strict.returncode == 1 and "--strict" in strict.stderr
    assert slcore("imports", db=tmp_path / "z.duckdb").stdout.count("\n") == 1  # header only
