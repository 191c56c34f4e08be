"""Canonical registration columns, their Danish header aliases and labels (registrations.md §1)."""

from __future__ import annotations

import functools

from slcore.store import alias_key

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


def map_headers(headers: list[str]) -> dict[str, str]:
    """Return canonical column -> file header for the headers that match an extract's alias."""
    return match_headers(HEADER_ALIASES, headers)


@functools.cache
def _alias_lookup(aliases_of: tuple[tuple[str, tuple[str, ...]], ...]) -> dict[str, str]:
    """Return normalised name -> canonical column for a kind of file's aliases."""
    lookup: dict[str, str] = {}
    for canonical, aliases in aliases_of:
        for name in (canonical, *aliases):
            lookup.setdefault(alias_key(name), canonical)
    return lookup


def match_headers(aliases_of: dict[str, tuple[str, ...]], headers: list[str]) -> dict[str, str]:
    """Return canonical column -> header for the headers that name one (the first wins)."""
    # The header search matches every line of a file's top with each delimiter: the aliases'
    # normal forms are worked out once per set of aliases, not once per line.
    lookup = _alias_lookup(tuple(aliases_of.items()))
    mapping: dict[str, str] = {}
    for header in headers:
        found = lookup.get(alias_key(header))
        if found and found not in mapping:
            mapping[found] = header
    return mapping
