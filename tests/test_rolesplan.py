"""The plan for roles and responsibilities: defaults, saving, validation, rights, audit."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from slcore import access, audit, labels, rolesplan
from slcore.store import Store, open_store

READER = access.Access(who="d@k.dk", name="D", roles=frozenset({"direktion"}))
ANALYST = access.Access(who="a@k.dk", name="A", roles=frozenset({"analytiker"}))


@pytest.fixture(scope="module")
def empty_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new store file, made once (its schema and reference list take a moment)."""
    path = tmp_path_factory.mktemp("plan") / "plan.duckdb"
    open_store(path).close()
    return path


@pytest.fixture
def store(empty_db: Path, tmp_path: Path) -> Iterator[Store]:
    path = tmp_path / "plan.duckdb"
    shutil.copy(empty_db, path)
    s = open_store(path)
    yield s
    s.close()


def table(*rows: tuple[str, str, str, str]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=[rolesplan.ROLE, *rolesplan.PHASES])


def stored_rows(store: Store) -> list[tuple[str, str, str]]:
    return (
        store.cursor().execute("SELECT role, phase, text FROM roles_plan ORDER BY rowid").fetchall()
    )


def test_an_empty_store_gives_the_guidances_plan(store):
    plan = rolesplan.plan(store)
    assert list(plan.columns) == ["role", "development", "implementation", "follow_up"]
    assert list(rolesplan.PHASES.values()) == [
        "Udvikling",
        "Implementering og forankring",
        "Opfølgning",
    ]
    assert tuple(plan["role"]) == rolesplan.DEFAULT_ROLES
    assert rolesplan.DEFAULT_ROLES[:2] == ("Politikere", "Direktion")
    assert "Økonomi og analyse" in rolesplan.DEFAULT_ROLES
    politicians = plan.set_index("role").loc["Politikere"]
    assert politicians["development"] == "Vedtager serviceniveauet og budgettet"
    texts = plan[list(rolesplan.PHASES)].to_numpy().ravel()
    assert all(0 < len(t) <= rolesplan.MAX_TEXT for t in texts)
    assert rolesplan.is_default(store)
    assert stored_rows(store) == []  # the defaults are shown, not written


def test_a_saved_plan_comes_back_in_its_order_and_replaces_the_old_one(store):
    first = table(
        ("Sagsbehandlere", "Bidrager", "Bruger serviceniveauet", "Registrerer"),
        ("Politikere", "Vedtager", "", "Følger op i udvalget"),
        ("Økonomi og analyse", "Beregner", "Opsætter data", "Følger op hver måned"),
    )
    assert rolesplan.save_plan(store, first) == 3
    assert rolesplan.plan(store).equals(first)
    assert not rolesplan.is_default(store)
    assert len(stored_rows(store)) == 9

    second = table(
        ("Direktion", "Sætter retning", "Sikrer ressourcer", "Følger op"),
        ("Politikere", "Vedtager budgettet", "Kommunikerer", ""),
    )
    assert rolesplan.save_plan(store, second) == 2
    assert rolesplan.plan(store).equals(second)  # Sagsbehandlere and Økonomi are gone
    assert {r[0] for r in stored_rows(store)} == {"Direktion", "Politikere"}

    path = store.path
    store.close()
    reopened = open_store(path)
    try:
        assert rolesplan.plan(reopened).equals(second)
    finally:
        reopened.close()


def test_a_table_with_danish_headers_and_empty_editor_rows_is_saved(store):
    shown, _ = labels.shown(rolesplan.default_plan(), rolesplan.COLUMNS)
    assert list(shown.columns) == [
        "Rolle",
        "Udvikling",
        "Implementering og forankring",
        "Opfølgning",
    ]
    edited = pd.concat(
        [shown, pd.DataFrame([{"Rolle": None, "Udvikling": None}, {"Rolle": "  "}])],
        ignore_index=True,
    )
    edited.loc[0, "Opfølgning"] = "  Årlig status i udvalget  "
    assert rolesplan.save_plan(store, edited) == len(rolesplan.DEFAULT_ROLES)
    plan = rolesplan.plan(store)
    assert tuple(plan["role"]) == rolesplan.DEFAULT_ROLES
    assert plan.loc[0, "follow_up"] == "Årlig status i udvalget"  # stripped


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            [("Politikere", "a", "b", "c"), ("", "tekst uden rolle", "", "")],
            "Række 2: rollen mangler et navn.",
        ),
        (
            [("Politikere", "a", "b", "c"), ("politikere ", "d", "e", "f")],
            "Række 2: rollen »politikere« står allerede i række 1",
        ),
        (
            [("Politikere", "a", "x" * (rolesplan.MAX_TEXT + 1), "c")],
            "Række 1, Implementering og forankring: teksten er på 501 tegn; højst 500",
        ),
        ([("R" * (rolesplan.MAX_ROLE + 1), "a", "b", "c")], "højst være 100 tegn"),
        ([("Politikere", "Ring 010203-1234", "", "")], "CPR-nummer"),
        ([("", "", "", "")], "Planen skal have mindst én rolle."),
    ],
)
def test_a_bad_plan_is_refused_in_danish_and_the_old_plan_stays(store, rows, message):
    good = table(("Direktion", "Sætter retning", "Sikrer ressourcer", "Følger op"))
    rolesplan.save_plan(store, good)
    before = stored_rows(store)
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        rolesplan.save_plan(store, table(*rows))
    assert stored_rows(store) == before


def test_a_missing_column_and_the_longest_text_allowed(store):
    with pytest.raises(ValueError, match="Planen mangler kolonnen Opfølgning"):
        rolesplan.save_plan(store, table(("A", "b", "c", "d")).drop(columns="follow_up"))
    longest = "æ" * rolesplan.MAX_TEXT
    assert rolesplan.save_plan(store, table(("A", longest, "", ""))) == 1
    assert rolesplan.plan(store).loc[0, "development"] == longest


def test_a_save_that_fails_midway_leaves_the_plan_as_it_was(store, monkeypatch):
    rolesplan.save_plan(store, table(("Direktion", "a", "b", "c")))
    before = stored_rows(store)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(RuntimeError):
        rolesplan.save_plan(store, table(("Politikere", "x", "y", "z")))
    assert stored_rows(store) == before


def test_a_reader_may_not_save_the_plan(store):
    reader = store.as_person(READER.on(access.SERVICE_LEVEL))
    assert tuple(rolesplan.plan(reader)["role"]) == rolesplan.DEFAULT_ROLES  # may read it
    with pytest.raises(access.AccessDenied, match="ændre serviceniveauets rammer"):
        rolesplan.save_plan(reader, table(("Politikere", "a", "b", "c")))
    with pytest.raises(access.AccessDenied):  # refused before the table is even checked
        rolesplan.save_plan(reader, table(("", "tekst", "", "")))
    assert stored_rows(store) == []


def test_a_save_is_audited_with_who_and_what(store):
    analyst = store.as_person(ANALYST.on(access.SERVICE_LEVEL))
    rolesplan.save_plan(analyst, table(("Politikere", "a", "b", "c"), ("Direktion", "d", "e", "f")))
    log = audit.entries(store, events=("roles_plan",))
    assert len(log) == 1
    entry = log.iloc[0]
    assert entry["who"] == "a@k.dk"
    assert entry["event_name"] == "Rolleplan ændret"
    assert entry["detail"] == "2 roller: Politikere, Direktion"
    by = store.cursor().execute("SELECT DISTINCT updated_by FROM roles_plan").fetchall()
    assert by == [("a@k.dk",)]
