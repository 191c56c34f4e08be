"""The plan for roles and responsibilities of the service-level document (reports.md).

A table of the organisation's roles (not the app's login roles) × the three phases of a
service level: development, implementation and anchoring, follow-up. Each cell is a short
text the municipality edits in the app. Until someone saves a plan, ``plan`` gives the
guidance's plan (``DEFAULT_PLAN``). A save replaces the whole plan in one transaction, for
those who may change the frames (``access.EDIT_FRAMES``), and goes to the audit log.

The store's table ``roles_plan(role, phase, text, ...)`` has no column for the order of the
roles; a save writes the rows in the table's order and ``plan`` reads them back in the order
they were written (DuckDB's ``rowid``).
"""

from __future__ import annotations

import pandas as pd

from slcore import access, audit, privacy, values
from slcore.labels import Column
from slcore.store import Store

# The phases in the document's order (code -> Danish).
PHASES: dict[str, str] = {
    "development": "Udvikling",
    "implementation": "Implementering og forankring",
    "follow_up": "Opfølgning",
}
ROLE = "role"
# The plan's columns in Danish (``labels.shown(plan(store), COLUMNS)`` for a page's editor).
COLUMNS: dict[str, Column] = {
    ROLE: Column("Rolle"),
    **{code: Column(word) for code, word in PHASES.items()},
}
MAX_TEXT = 500  # characters in a cell
MAX_ROLE = 100  # characters in a role's name
MAX_ROLES = 50

DEFAULT_PLAN: dict[str, dict[str, str]] = {
    "Politikere": {
        "development": "Vedtager serviceniveauet og budgettet",
        "implementation": "Kommunikerer serviceniveauet til borgerne",
        "follow_up": "Følger op på serviceniveau og økonomi i udvalget",
    },
    "Direktion": {
        "development": "Sætter retning og rammer for arbejdet",
        "implementation": "Sikrer ledelsesmæssig opbakning og ressourcer",
        "follow_up": "Følger op på afvigelser og budget",
    },
    "Faglige ledere": {
        "development": "Udarbejder forslag til serviceniveauet",
        "implementation": "Forankrer serviceniveauet i visitationen og praksis",
        "follow_up": "Følger op på rammeoverholdelse og godkender undtagelser",
    },
    "Teamledere": {
        "development": "Bidrager med erfaringer fra sagsbehandlingen",
        "implementation": "Sikrer, at teamet kender og bruger serviceniveauet",
        "follow_up": "Drøfter afvigelser og konkrete sager med teamet",
    },
    "Sagsbehandlere": {
        "development": "Bidrager med viden om børnenes og familiernes behov",
        "implementation": "Træffer afgørelser inden for serviceniveauet",
        "follow_up": "Registrerer bevillinger korrekt og forelægger undtagelser",
    },
    "Økonomi og analyse": {
        "development": "Beregner økonomi og aktivitet for forslagene",
        "implementation": "Sætter data og opfølgning op i dashboardet",
        "follow_up": "Leverer løbende opfølgning på aktivitet og økonomi",
    },
}
DEFAULT_ROLES: tuple[str, ...] = tuple(DEFAULT_PLAN)


def _frame(rows: list[list[str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=[ROLE, *PHASES])


def default_plan() -> pd.DataFrame:
    """Return the guidance's plan: one row per ``DEFAULT_ROLES``, one column per phase."""
    return _frame([[role, *(DEFAULT_PLAN[role][p] for p in PHASES)] for role in DEFAULT_ROLES])


def plan(store: Store) -> pd.DataFrame:
    """Return the plan: columns ``role`` and the ``PHASES`` codes, one row per role, in order.

    The saved plan, its roles in the order they were saved (a phase without a text is
    ''); the guidance's plan (``default_plan``) while none is saved.
    """
    rows = (
        store.cursor().execute("SELECT role, phase, text FROM roles_plan ORDER BY rowid").fetchall()
    )
    if not rows:
        return default_plan()
    cells: dict[str, dict[str, str]] = {}
    for role, phase, text in rows:
        cells.setdefault(str(role), {})[str(phase)] = str(text)
    return _frame([[role, *(texts.get(p, "") for p in PHASES)] for role, texts in cells.items()])


def is_default(store: Store) -> bool:
    """Return whether no plan is saved (``plan`` gives the guidance's)."""
    return store.cursor().execute("SELECT count(*) FROM roles_plan").fetchone() in (None, (0,))


def _column_names(table: pd.DataFrame) -> dict[str, str]:
    """Return the plan's code of each column of a table named by code or in Danish."""
    known = {code.casefold(): code for code in COLUMNS} | {
        c.label.casefold(): code for code, c in COLUMNS.items()
    }
    names: dict[str, str] = {}
    for col in table.columns:
        code = known.get(str(col).strip().casefold())
        if code is not None:
            names[str(col)] = code
    missing = [COLUMNS[c].label for c in COLUMNS if c not in names.values()]
    if missing:
        raise ValueError(f"Planen mangler kolonnen {', '.join(missing)}.")
    return names


def _cell(value: object, where: str) -> str:
    text = values.as_text(value) or ""
    if len(text) > MAX_TEXT:
        raise ValueError(
            f"{where}: teksten er på {len(text)} tegn; højst {MAX_TEXT} tegn er tilladt."
        )
    if privacy.contains_cpr(text):
        raise ValueError(f"{where}: teksten indeholder et CPR-nummer, som aldrig må gemmes.")
    return text


def validate(table: pd.DataFrame) -> list[tuple[str, dict[str, str]]]:
    """Return a plan typed in a page as (role, texts by phase) in order; ValueError (Danish).

    A row with neither a role nor a text (an editor's empty new row) is left out. A role
    must have a name of at most ``MAX_ROLE`` characters, and no two the same (case aside);
    a text at most ``MAX_TEXT`` characters. Columns may be named by code or in Danish.
    """
    names = _column_names(table)
    by_code = {code: col for col, code in names.items()}
    plan_rows: list[tuple[str, dict[str, str]]] = []
    seen: dict[str, int] = {}
    for number, (_, row) in enumerate(table.iterrows(), start=1):
        role = values.as_text(row[by_code[ROLE]]) or ""
        texts = {p: _cell(row[by_code[p]], f"Række {number}, {PHASES[p]}") for p in PHASES}
        if not role and not any(texts.values()):
            continue
        if not role:
            raise ValueError(f"Række {number}: rollen mangler et navn.")
        if len(role) > MAX_ROLE:
            raise ValueError(f"Række {number}: rollens navn må højst være {MAX_ROLE} tegn.")
        if privacy.contains_cpr(role):
            raise ValueError(f"Række {number}: rollen indeholder et CPR-nummer.")
        if (key := role.casefold()) in seen:
            raise ValueError(
                f"Række {number}: rollen »{role}« står allerede i række {seen[key]}; "
                "hver rolle må kun stå én gang."
            )
        seen[key] = number
        plan_rows.append((role, texts))
    if not plan_rows:
        raise ValueError("Planen skal have mindst én rolle.")
    if len(plan_rows) > MAX_ROLES:
        raise ValueError(f"Planen må højst have {MAX_ROLES} roller.")
    return plan_rows


def save_plan(store: Store, table: pd.DataFrame) -> int:
    """Replace the whole plan with a table (as ``plan`` returns it); return the roles saved.

    For those who may change the frames (``access.EDIT_FRAMES``): anyone else gets
    ``AccessDenied`` before anything is checked or written. A table that does not pass
    ``validate`` raises ValueError (Danish) and leaves the plan as it was. The save and
    its audit entry are one transaction.
    """
    store.access.require(access.EDIT_FRAMES)
    plan_rows = validate(table)
    who = store.access.who
    with store.write(access.EDIT_FRAMES) as cur:
        cur.execute("DELETE FROM roles_plan")
        cur.executemany(
            "INSERT INTO roles_plan (role, phase, text, updated_by) VALUES (?, ?, ?, ?)",
            [[role, p, texts[p], who] for role, texts in plan_rows for p in PHASES],
        )
        roles = ", ".join(role for role, _ in plan_rows)
        audit.record(cur, who, "roles_plan", f"{len(plan_rows)} roller: {roles}")
    return len(plan_rows)
