"""The command line: most tests call ``cli.main(argv)`` in this process (output read with
``capsys``); a few run ``python -m slcore`` in a subprocess, as users run it, so that the module
entry point, its exit codes and "no traceback" stay covered end to end.

In-process, every call gets the store path as ``--db PATH`` and the store is closed after the
call, so each call opens the file afresh as a new process would (``open_store`` keeps one open
store per file per process). An exception escaping ``main`` fails the test: the in-process
form of "bad input never prints a traceback".
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from slcore import cli
from slcore.store import find_open_store, resolve_db_path
from tests.conftest import CANONICAL_HEADER, ROOT, SAMPLES, registration, write_csv
from tests.test_figures import _expected_files, assert_matches_expected, parse_expected_name

ENV = ("SLCORE_DB", "SLCORE_KEY")


@dataclass(frozen=True)
class Run:
    """One command's exit status and output."""

    returncode: int
    stdout: str
    stderr: str


def _argv(args: Sequence[str], db: Path | None) -> list[str]:
    return [*args, *(["--db", str(db)] if db is not None else [])]


def _main(args: Sequence[str], db: Path | None) -> int:
    """Run ``cli.main`` as ``python -m slcore`` would and return the exit status."""
    path = resolve_db_path(db)  # --db, else SLCORE_DB, else the default file
    was_open = find_open_store(path) is not None
    try:
        return cli.main(_argv(args, db))
    except SystemExit as exc:  # argparse: wrong arguments (2) or --help (0)
        return exc.code if isinstance(exc.code, int) else 1
    finally:
        if not was_open and (store := find_open_store(path)) is not None:
            store.close()  # the next call opens the file afresh, as a new process does


SlcoreFn = Callable[..., Run]


@pytest.fixture
def slcore(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> SlcoreFn:
    """Return ``slcore(*args, db=None, check=False) -> Run``, run in this process."""
    for name in ENV:  # the store and the key come from --db and the key file beside it
        monkeypatch.delenv(name, raising=False)

    def run(*args: str, db: Path | None = None, check: bool = False) -> Run:
        capsys.readouterr()  # drop what came before
        code = _main(args, db)
        out, err = capsys.readouterr()
        if check:
            assert code == 0, err
        return Run(code, out, err)

    return run


def slcore_process(*args: str, db: Path | None = None) -> Run:
    """Run ``python -m slcore`` in a subprocess, as users run it."""
    env = {k: v for k, v in os.environ.items() if k not in ENV}
    r = subprocess.run(
        [sys.executable, "-m", "slcore", *_argv(args, db)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    return Run(r.returncode, r.stdout, r.stderr)


@pytest.fixture(scope="module")
def cli_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store filled from the samples through the command line (shared by the module)."""
    db = tmp_path_factory.mktemp("cli") / "cli.duckdb"

    def run(*args: str) -> str:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = _main(args, db)
        assert code == 0, err.getvalue()
        return out.getvalue()

    with pytest.MonkeyPatch.context() as mp:
        for name in ENV:
            mp.delenv(name, raising=False)
        assert "indsat 600" in run("import", str(SAMPLES / "registrations_canonical.csv"))
        out = run("frames", "import", str(SAMPLES / "serviceniveau_frames.csv"))
        assert "18 rammeversioner" in out
        run("budgets", "import", str(SAMPLES / "budgetter.csv"))
    return db


@pytest.fixture
def bad_csv(tmp_path: Path) -> Path:
    """A registration file without the required columns."""
    return write_csv(
        tmp_path / "bad.csv",
        ["registration_id", "start_date"],
        [{"registration_id": "X", "start_date": "2025-01-01"}],
    )


# --- In process -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", _expected_files(), ids=lambda p: p.name)
def test_figures_command_reproduces_samples(slcore, cli_db, path, tmp_path):
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


def test_figures_json(slcore, cli_db):
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
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    kost = next(x for x in rows if x["intervention_type"] == "ANB_KOST")
    assert kost["budget_dkk"] == 0.0 and kost["active_registrations"] == 5
    assert kost["realized_spend_dkk"] == pytest.approx(594774.69, abs=0.01)


def test_wrong_arguments_exit_2(slcore, cli_db):
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


def test_refused_input_exits_1_without_traceback(slcore, cli_db, bad_csv):
    fig = ["figures", "--from", "2025-01-01", "--to", "2025-12-31", "--as-of", "2025-06-30"]
    before = slcore(*fig, db=cli_db)
    assert before.returncode == 0 and before.stdout.count("\n") >= 2
    r = slcore("import", str(bad_csv), db=cli_db)
    assert r.returncode == 1
    assert "Traceback" not in r.stderr and "mangler en påkrævet kolonne" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    r = slcore("frames", "import", str(bad_csv), db=cli_db)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    r = slcore("figures", "--from", "2025-12-31", "--to", "2025-01-01", db=cli_db)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert slcore(*fig, db=cli_db).stdout == before.stdout


def test_same_file_twice_changes_nothing_and_says_so(slcore, cli_db):
    r = slcore("import", str(SAMPLES / "registrations_canonical.csv"), db=cli_db)
    assert r.returncode == 0 and "allerede indlæst" in r.stdout
    lines = slcore("imports", db=cli_db).stdout.strip().splitlines()
    assert len(lines) == 2  # header and the one batch


def test_frames_and_budgets_round_trip(slcore, cli_db):
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


def test_budget_import_replaces_year_and_type(slcore, tmp_path):
    db = tmp_path / "b.duckdb"
    cols = ["year", "intervention_type", "budget_dkk", "planned_cases"]
    first = write_csv(
        tmp_path / "a.csv",
        cols,
        [
            {"year": 2025, "intervention_type": "OEK", "budget_dkk": 100, "planned_cases": 1},
            {"year": 2025, "intervention_type": "SI_HJEM", "budget_dkk": 200},
        ],
    )
    second = write_csv(
        tmp_path / "b.csv", cols, [{"year": 2025, "intervention_type": "OEK", "budget_dkk": 150}]
    )
    slcore("budgets", "import", str(first), db=db, check=True)
    slcore("budgets", "import", str(second), db=db, check=True)
    out = slcore("budgets", "export", db=db).stdout
    assert "2025,OEK,150.0," in out and "2025,SI_HJEM,200.0," in out


def test_rejects_and_undo(slcore, tmp_path):
    db = tmp_path / "u.duckdb"
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


def test_import_real_extracts_from_the_command_line(slcore, tmp_path):
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


def test_store_and_key_from_the_environment(slcore, tmp_path, monkeypatch):
    db = tmp_path / "env.duckdb"
    monkeypatch.setenv("SLCORE_DB", str(db))
    monkeypatch.setenv("SLCORE_KEY", "a key kept outside the store")
    f = write_csv(tmp_path / "one.csv", CANONICAL_HEADER, [registration("A")])
    r = slcore("import", str(f))  # no --db: SLCORE_DB names the store
    assert r.returncode == 0 and "indsat 1" in r.stdout, r.stderr
    assert db.exists() and not db.with_name(db.name + ".key").exists()  # the key came from env
    assert slcore("imports").stdout.count("\n") == 2  # header and the one batch


# --- As users run it: python -m slcore in a subprocess ----------------------------------------


def test_module_entry_point_help_and_usage_error():
    r = slcore_process("--help")
    assert r.returncode == 0 and "usage: python -m slcore" in r.stdout
    assert "figures" in r.stdout and "import" in r.stdout
    r = slcore_process("nonsense")
    assert r.returncode == 2 and "usage: python -m slcore" in r.stderr
    assert "Traceback" not in r.stderr


def test_module_imports_end_to_end_and_refuses_without_traceback(tmp_path, bad_csv):
    db = tmp_path / "p.duckdb"
    f = write_csv(
        tmp_path / "one.csv",
        CANONICAL_HEADER,
        [registration("A", cost_amount="10"), registration("B", cost_amount="-5")],
    )
    r = slcore_process("import", str(f), db=db)
    assert r.returncode == 0, r.stderr
    assert "Import nr. 1: læst 2, indsat 1" in r.stdout and "afvist 1" in r.stdout
    r = slcore_process("import", str(bad_csv), db=db)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.startswith("Fejl: ") and "mangler en påkrævet kolonne" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert r.stdout == ""
