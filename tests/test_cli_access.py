"""The command line of access.md and metrics.md: users, audit, settings, figures --publish."""

from __future__ import annotations

import csv
import getpass
import io
from pathlib import Path

import pytest

from slcore import publish
from tests.test_cli import slcore  # noqa: F401  (the fixture)

PERIOD = ["--from", "2025-04-01", "--to", "2025-06-30", "--as-of", "2025-06-30"]


@pytest.fixture
def db(sample_copy: Path) -> Path:
    """A private copy of the sample store (with its key) for commands that write."""
    return sample_copy


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_users_add_list_change_and_remove(slcore, db):  # noqa: F811
    out = slcore(
        "users",
        "add",
        "Tom@Kommune.dk",
        "--role",
        "teamleder",
        "--team",
        "Team Nord",
        "--team",
        "Team Syd",
        "--name",
        "Tom T",
        db=db,
        check=True,
    ).stdout
    assert "tom@kommune.dk gemt: Teamleder, teams: Team Nord, Team Syd." in out
    slcore(
        "users",
        "add",
        "dir@kommune.dk",
        "--role",
        "direktion",
        "--role",
        "politiker",
        db=db,
        check=True,
    )
    listed = rows(slcore("users", "list", db=db, check=True).stdout)
    assert listed == [
        {"email": "dir@kommune.dk", "name": "", "roles": "politiker;direktion", "teams": ""},
        {
            "email": "tom@kommune.dk",
            "name": "Tom T",
            "roles": "teamleder",
            "teams": "Team Nord;Team Syd",
        },
    ]
    assert slcore("users", "remove", "TOM@kommune.dk", db=db, check=True).stdout.startswith(
        "tom@kommune.dk fjernet"
    )
    assert len(rows(slcore("users", "list", db=db, check=True).stdout)) == 1


def test_users_refuse_bad_input_with_a_danish_line(slcore, db):  # noqa: F811
    r = slcore("users", "add", "tom@k.dk", "--role", "teamleder", db=db)
    assert r.returncode == 1 and "mindst ét team" in r.stderr and "Traceback" not in r.stderr
    assert slcore("users", "add", "tom", "--role", "direktion", db=db).returncode == 1
    assert slcore("users", "add", "tom@k.dk", "--role", "chef", db=db).returncode == 2
    assert slcore("users", "remove", "ingen@k.dk", db=db).returncode == 1


def test_audit_records_the_machines_user_for_commands(slcore, db):  # noqa: F811
    slcore("users", "add", "a@k.dk", "--role", "analytiker", db=db, check=True)
    slcore("settings", "set", "municipality_name", "Testrup Kommune", db=db, check=True)
    log = rows(slcore("audit", "--format", "csv", db=db, check=True).stdout)
    assert [(r["who"], r["event"]) for r in log[:2]] == [
        (getpass.getuser(), "settings"),
        (getpass.getuser(), "people"),
    ]
    assert log[0]["detail"] == "municipality_name = Testrup Kommune"
    table = slcore("audit", "--since", "2000-01-01", db=db, check=True).stdout
    assert "Indstilling ændret  municipality_name = Testrup Kommune" in table
    assert "ingen hændelser" in slcore("audit", "--since", "2999-01-01", db=db).stdout


def test_settings_show_and_set_and_refuse(slcore, db):  # noqa: F811
    shown = slcore("settings", "show", db=db, check=True).stdout
    assert "small_number_threshold = 5" in shown
    assert slcore("settings", "set", "small_number_threshold", "1", db=db).returncode == 1
    assert slcore("settings", "set", "primary_color", "#ABCDEF", db=db, check=True).stdout == (
        "primary_color = #abcdef\n"
    )


def test_figures_publish_applies_the_rule_with_the_settings_threshold(slcore, db):  # noqa: F811
    args = ["figures", *PERIOD, "--by", "intervention_type", db]
    plain = rows(slcore(*args[:-1], db=db, check=True).stdout)
    published = rows(slcore(*args[:-1], "--publish", db=db, check=True).stdout)
    assert [r["intervention_type"] for r in plain] == [r["intervention_type"] for r in published]
    t = 5
    for p, q in zip(plain, published, strict=True):
        n = int(p["active_registrations"])
        assert q["active_registrations"] == (f"<{t}" if 0 < n < t else str(n))
        if int(p["active_citizens"]) < t and float(p["realized_spend_dkk"]):
            assert q["realized_spend_dkk"] == publish.HIDDEN
        if publish.HIDDEN not in q["realized_spend_dkk"]:
            assert q["realized_spend_dkk"] == p["realized_spend_dkk"]
    assert any(q["active_registrations"] == "<5" for q in published)
    # No column has a lone hidden cell: its value would be the total minus the others.
    for column in ("realized_spend_dkk", "active_registrations", "new_registrations"):
        hidden = [q[column] for q in published if q[column] in ("<5", publish.HIDDEN)]
        assert len(hidden) != 1, column
    # The threshold comes from the settings.
    slcore("settings", "set", "small_number_threshold", "3", db=db, check=True)
    three = rows(slcore(*args[:-1], "--publish", db=db, check=True).stdout)
    assert any(q["active_registrations"] == "<3" for q in three)
    assert not any(q["active_registrations"] == "<5" for q in three)
