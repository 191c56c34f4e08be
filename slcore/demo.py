"""The demo municipality: a realistic synthetic municipality of about 100,000 inhabitants.

``build_demo`` writes a new store holding registrations, service-level frames and budgets
that look like a real Danish municipality's services for vulnerable children and young people:

- about 1,000-1,300 allocations active on any day from 2021 to today (stock of about 215
  placements, 90 young adults 18-22, 700 support measures, 100 early preventive ones);
- the published placement mix (about 63 % foster families, 17 % residential institutions,
  14 % opholdssteder) and prices (foster family about 470,000 kr. a year, institution or
  opholdssted about 1.16 mio. kr. a year at 2019 level, 3 % a year on top; KL's foster-care
  fee of 4,694 kr. a month per vederlag in 2023);
- long-tailed durations, ongoing and planned allocations, children with several allocations;
- frames for most types (two versions for some) with 15-25 % of the allocations outside them,
  half of those approved by the visitation committee; budgets near the projected spend.

At scale 1 there are about 15,000 registrations (those running on or after 2019-01-01,
some of which started years before). The rows are drawn with NumPy, vectorised per
intervention type, so ``scale=200`` (about three million registrations) builds in under
20 seconds on two cores. The same seed, today and scale always give the same data.

Dates are handled as whole days since 1970-01-01 (``int64``) and months as months since
January 1970, so a birth date is the first day of a month (registrations.md §1) and the age
on a start date is ``(start_month - birth_month) // 12``.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from slcore import bounds, periods, sql
from slcore import store as store_mod
from slcore.batches import write_batch
from slcore.budgets import set_budgets
from slcore.figures import ENRICHED_SQL, measures_sql
from slcore.frames import add_frames

EPOCH = dt.date(1970, 1, 1)
DATA_START = dt.date(2019, 1, 1)  # the extract holds what ran on or after this day
FRAMES_FROM = dt.date(2020, 1, 1)
REVISION_FROM = dt.date(2025, 1, 1)
BARNETS_LOV_FROM = dt.date(2024, 1, 1)
PRICE_BASE = dt.date(2019, 7, 1)  # prices below are at this level
INFLATION = 0.03  # a year
TREND_BASE_YEAR = 2023.0  # the stocks below are the average numbers active in this year
PILOT_SIZE = 8000  # draws per type to measure the mean duration
PLANNING_HORIZON_DAYS = 120  # decided allocations may start up to this long after today
KL_VEDERLAG_2023 = 4694.0  # KL's foster-care fee per vederlag a month, 2023

CATEGORIES = ("tidlig_forebyggende", "stottende", "anbringelse", "ungestotte")
# The categories a child's earlier allocation may have, for a later one of each category.
PREDECESSORS = {
    0: (0, 1),
    1: (0, 1),
    2: (0, 1, 2),
    3: (1, 2, 3),
}
FOLLOW_SHARE = 0.66  # tried as a later allocation of an earlier child; less than half succeed
SEASON = np.array([1.05, 1.05, 1.05, 1.0, 1.0, 0.95, 0.6, 1.15, 1.1, 1.05, 1.0, 0.8])
TREND = {0: 0.03, 1: 0.015, 2: -0.015, 3: 0.02}  # yearly growth of new allocations by category

TEAMS = ("Team Nord", "Team Syd", "Team Øst", "Team Vest", "Handicapteamet", "Ungeteamet")
# Caseworkers SB01..SB40, numbered per team: (first, count).
CASEWORKERS = ((1, 7), (8, 7), (15, 7), (22, 7), (29, 6), (35, 6))
NO_TEAM_SHARE = 0.05
UNITS = ("hours_per_week", "days_per_month", "nights_per_month", "full_time")
PERIODS = ("day", "week", "month", "year", "hour", "once")
# Cost periods as codes (indexes of PERIODS); "month_x" is drawn as a price per extent unit
# and registered as a monthly price.
_PERIOD_CODES = {p: i for i, p in enumerate(PERIODS)} | {"month_x": len(PERIODS)}
P_MONTH, P_HOUR, P_ONCE, P_MONTH_X = (
    _PERIOD_CODES[p] for p in ("month", "hour", "once", "month_x")
)

KOM = "Kommunal"
PROVIDERS = (
    KOM,
    "Familieplejen Midt",
    "Opholdsstedet Egely",
    "Opholdsstedet Skovbrynet",
    "Døgninstitutionen Solhøj",
    "Ungdomshjemmet Fjordlys",
    "Familiebehandling Nord ApS",
    "Kontaktpersonkorpset ApS",
    "Aflastningshjemmet Lærkereden",
    "Efterskolen ved Fjorden",
    "Støtte & Trivsel ApS",
    "Udslusning Vest ApS",
    "Dagbehandlingsskolen Kildevang",
)

Ages = tuple[tuple[int, int, float], ...]  # (from age, to age, weight of each age)


@dataclass(frozen=True)
class _Spec:
    """How one intervention type's allocations are drawn."""

    code: str
    stock: float = 0.0  # average number active on a day in TREND_BASE_YEAR at scale 1, or
    per_year: float = 0.0  # new allocations a year (one-off types)
    ages: Ages = ((0, 17, 1.0),)
    duration: tuple[float, float] = (180.0, 0.7)  # lognormal: median days, sigma
    unit: str | None = None
    extent: tuple[float, float, float, float, float] | None = None  # median, sigma, lo, hi, step
    # Price variants: (share, period, median amount at 2019 level, sigma). Period "month_x"
    # is a monthly price of extent x the amount (respite: days a month x price a day).
    prices: tuple[tuple[float, str, float, float], ...] = ()
    # Foster family: monthly price = vederlag x a number of vederlag + expenses.
    foster: tuple[tuple[int, ...], tuple[float, ...], float] | None = None
    open_share: float = 0.3  # of those running after today: registered without an end date
    providers: tuple[tuple[str | None, float], ...] = ((KOM, 1.0),)
    deviate: float = 0.21  # share drawn outside the frame
    handicap: float = 0.0  # share handled by Handicapteamet
    start_month: int = 0  # all start in this month (boarding school: August)


_S = _Spec
# fmt: off
SPECS: tuple[_Spec, ...] = (
    _S("TFI_KONS", per_year=260, ages=((0, 5, 1.0), (6, 11, 1.1), (12, 17, 1.0)),
       prices=((1.0, "once", 7500, 0.35),), deviate=0.0,
       providers=((KOM, 0.8), ("Familiebehandling Nord ApS", 0.2))),
    _S("TFI_GRUPPE", stock=52, ages=((6, 17, 1.0),), duration=(120, 0.5),
       prices=((1.0, "month", 2400, 0.3),), deviate=0.15,
       providers=((KOM, 0.7), ("Støtte & Trivsel ApS", 0.3))),
    _S("TFI_ANDEN", stock=48, duration=(100, 0.6), unit="hours_per_week",
       extent=(2.0, 0.4, 1.0, 5.0, 0.5), prices=((1.0, "hour", 480, 0.12),), deviate=0.15,
       providers=((KOM, 0.6), ("Støtte & Trivsel ApS", 0.3), (None, 0.1))),
    _S("OEK", per_year=150, duration=(180, 0.6),
       prices=((0.7, "once", 9000, 0.8), (0.3, "month", 3500, 0.5)), providers=((None, 1.0),)),
    _S("SI_DAG", stock=75, ages=((3, 5, 0.6), (6, 14, 1.0), (15, 17, 0.6)),
       duration=(420, 0.7), prices=((1.0, "month", 11000, 0.45),), handicap=0.45,
       providers=((KOM, 0.6), ("Dagbehandlingsskolen Kildevang", 0.4))),
    _S("SI_HJEM", stock=85, ages=((0, 5, 1.2), (6, 11, 1.0), (12, 17, 0.6)),
       duration=(200, 0.7), unit="hours_per_week", extent=(4.0, 0.4, 1.5, 10.0, 0.5),
       prices=((1.0, "hour", 540, 0.1),), handicap=0.15,
       providers=((KOM, 0.5), ("Støtte & Trivsel ApS", 0.35), (None, 0.15))),
    _S("SI_KONTAKT", stock=212, ages=((7, 11, 0.5), (12, 17, 1.6)), duration=(330, 0.7),
       unit="hours_per_week", extent=(3.0, 0.4, 1.0, 7.0, 0.5),
       prices=((1.0, "hour", 500, 0.1),),
       providers=((KOM, 0.45), ("Kontaktpersonkorpset ApS", 0.45), (None, 0.1))),
    _S("SI_PRAKTIK", stock=15, ages=((15, 17, 1.0),), duration=(180, 0.5),
       prices=((1.0, "month", 4000, 0.35),), providers=((KOM, 0.8), (None, 0.2))),
    _S("SI_BEHANDL", stock=192, duration=(240, 0.6), unit="hours_per_week",
       extent=(3.0, 0.4, 1.5, 9.0, 0.5),
       prices=((0.7, "hour", 880, 0.12), (0.3, "month", 14000, 0.35)),
       providers=((KOM, 0.5), ("Familiebehandling Nord ApS", 0.45), (None, 0.05))),
    _S("SI_FAMDOGN", stock=8, ages=((0, 2, 3.0), (3, 5, 1.0), (6, 12, 0.3)),
       duration=(120, 0.4), unit="full_time", prices=((1.0, "day", 3500, 0.2),),
       open_share=0.1, providers=((KOM, 0.4), ("Døgninstitutionen Solhøj", 0.6))),
    _S("SI_AFLAST", stock=85, ages=((4, 17, 1.0),), duration=(480, 0.6),
       unit="days_per_month", extent=(4.0, 0.35, 2.0, 10.0, 1.0),
       prices=((1.0, "month_x", 2300, 0.15),), handicap=0.85,
       providers=((KOM, 0.4), ("Aflastningshjemmet Lærkereden", 0.5), (None, 0.1))),
    _S("SI_ANDEN", stock=46, duration=(200, 0.8), prices=((1.0, "month", 5000, 0.6),),
       providers=((KOM, 0.5), ("Støtte & Trivsel ApS", 0.3), (None, 0.2))),
    _S("ANB_NETV", stock=24, ages=((0, 5, 1.0), (6, 11, 1.0), (12, 17, 1.4)),
       duration=(1300, 0.9), unit="full_time", foster=((0, 1, 2), (0.5, 0.3, 0.2), 6000),
       open_share=0.6, providers=((KOM, 0.8), (None, 0.2))),
    _S("ANB_PLEJE", stock=80, ages=((0, 1, 1.1), (2, 5, 0.9), (6, 11, 1.0), (12, 17, 1.7)),
       duration=(1100, 0.9), unit="full_time",
       foster=((5, 6, 7, 8, 9), (0.15, 0.3, 0.35, 0.15, 0.05), 9500), open_share=0.6,
       deviate=0.12,
       providers=((KOM, 0.6), ("Familieplejen Midt", 0.4))),
    _S("ANB_FORST", stock=20, ages=((3, 11, 1.0), (12, 17, 1.7)), duration=(900, 0.9),
       unit="full_time", foster=((9, 10, 11, 12, 13), (0.1, 0.2, 0.4, 0.2, 0.1), 12000),
       open_share=0.6, providers=((KOM, 0.3), ("Familieplejen Midt", 0.7))),
    _S("ANB_SPEC", stock=11, ages=((3, 11, 1.0), (12, 17, 1.8)), duration=(800, 0.9),
       unit="full_time",
       foster=((14, 15, 16, 17, 18, 19, 20), (0.1, 0.15, 0.2, 0.2, 0.15, 0.1, 0.1), 15000),
       open_share=0.6, handicap=0.35, providers=(("Familieplejen Midt", 1.0),)),
    _S("ANB_EGETVAER", stock=7, ages=((15, 15, 0.3), (16, 17, 0.5)), duration=(360, 0.5),
       unit="full_time", prices=((1.0, "month", 14000, 0.3),),
       providers=((KOM, 0.5), ("Udslusning Vest ApS", 0.5))),
    _S("ANB_DOGNINST", stock=37, ages=((6, 9, 0.15), (10, 12, 0.5), (13, 17, 1.6)),
       duration=(450, 0.8), unit="full_time", prices=((1.0, "day", 3040, 0.2),),
       open_share=0.5,
       providers=(("Døgninstitutionen Solhøj", 0.5), ("Ungdomshjemmet Fjordlys", 0.3),
                  (KOM, 0.2))),
    _S("ANB_OPHOLD", stock=30, ages=((6, 9, 0.2), (10, 12, 0.6), (13, 17, 1.5)),
       duration=(550, 0.8), unit="full_time",
       prices=((0.5, "day", 3040, 0.2), (0.5, "month", 92500, 0.2)), open_share=0.5,
       providers=(("Opholdsstedet Egely", 0.55), ("Opholdsstedet Skovbrynet", 0.45))),
    _S("ANB_KOST", stock=6, ages=((14, 14, 0.2), (15, 16, 0.5), (17, 17, 0.1)),
       unit="full_time", prices=((0.7, "month", 12000, 0.3), (0.3, "year", 144000, 0.3)),
       open_share=0.0, start_month=8, providers=(("Efterskolen ved Fjorden", 1.0),)),
    _S("UNG_KONTAKT", stock=40, ages=((18, 18, 2.0), (19, 20, 1.0), (21, 22, 0.3)),
       duration=(360, 0.6), unit="hours_per_week", extent=(2.5, 0.4, 1.0, 6.0, 0.5),
       prices=((1.0, "hour", 450, 0.1),),
       providers=((KOM, 0.5), ("Kontaktpersonkorpset ApS", 0.5))),
    _S("UNG_DOGN", stock=30, ages=((18, 18, 3.0), (19, 20, 0.6)), duration=(480, 0.6),
       unit="full_time", prices=((0.7, "month", 42000, 0.4), (0.3, "day", 1500, 0.4)),
       open_share=0.5,
       providers=((KOM, 0.4), ("Familieplejen Midt", 0.3), ("Ungdomshjemmet Fjordlys", 0.3))),
    _S("UNG_UDSLUS", stock=10, ages=((18, 19, 1.0),), duration=(200, 0.5),
       prices=((1.0, "month", 12000, 0.35),), providers=(("Udslusning Vest ApS", 1.0),)),
    _S("UNG_ANDEN", stock=10, ages=((18, 22, 1.0),), duration=(240, 0.7),
       prices=((0.8, "month", 5000, 0.6), (0.2, "once", 8000, 0.6)),
       providers=((KOM, 0.6), (None, 0.4))),
)
# fmt: on


@dataclass(frozen=True)
class _Frame:
    valid_from: dt.date
    age_min: int | None
    age_max: int | None
    max_extent: float | None
    max_months: int | None
    max_monthly: float | None
    description: str


_F = _Frame
_V1, _V2 = FRAMES_FROM, REVISION_FROM
# Service-level frames: a first version from 2020, a revision from 2025 for some types.
# OEK, SI_ANDEN and UNG_ANDEN have none (the extent unit of a frame is the type's unit).
# fmt: off
FRAMES: dict[str, tuple[_Frame, ...]] = {
    "TFI_KONS": (_F(_V1, 0, 17, None, 3, None,
        "Konsulentbistand i den tidlige forebyggende indsats gives som et kort forløb "
        "(engangsbeløb) til familier med børn og unge 0-17 år."),),
    "TFI_GRUPPE": (_F(_V1, 6, 17, None, 6, 3500,
        "Netværks- og samtalegrupper tilbydes i forløb på højst 6 måneder til børn og unge "
        "6-17 år og koster højst 3.500 kr. om måneden."),),
    "TFI_ANDEN": (_F(_V1, 0, 17, 3, 6, 6500,
        "Anden tidlig forebyggende støtte kan gives i op til 3 timer om ugen i højst "
        "6 måneder."),),
    "SI_DAG": (_F(_V1, 0, 17, None, 24, 22000,
        "Dagtilbud, klub eller særligt skoletilbud som støtte bevilges for højst 24 måneder "
        "ad gangen og til højst 22.000 kr. om måneden."),),
    "SI_HJEM": (
        _F(_V1, 0, 17, 6, 12, 16000,
           "Praktisk pædagogisk støtte i hjemmet kan bevilges i op til 6 timer om ugen i "
           "højst 12 måneder til familier med børn 0-17 år."),
        _F(_V2, 0, 17, 5, 9, 17000,
           "Praktisk pædagogisk støtte i hjemmet kan bevilges i op til 5 timer om ugen i "
           "højst 9 måneder til familier med børn 0-17 år (skærpet fra 2025)."),
    ),
    "SI_KONTAKT": (
        _F(_V1, 8, 17, 4, 18, 11000,
           "Kontaktperson kan bevilges i op til 4 timer om ugen i højst 18 måneder til børn "
           "og unge 8-17 år."),
        _F(_V2, 8, 17, 4, 12, 12000,
           "Kontaktperson kan bevilges i op til 4 timer om ugen i højst 12 måneder til børn "
           "og unge 8-17 år; derefter ny vurdering."),
    ),
    "SI_PRAKTIK": (_F(_V1, 15, 17, None, 12, 6500,
        "Praktiktilbud kan bevilges til unge 15-17 år i højst 12 måneder."),),
    "SI_BEHANDL": (
        _F(_V1, 0, 17, 5, 12, 24000,
           "Familiebehandling kan bevilges i op til 5 timer om ugen i højst 12 måneder."),
        _F(_V2, 0, 17, 4, 12, 24000,
           "Familiebehandling kan bevilges i op til 4 timer om ugen i højst 12 måneder; "
           "længere forløb forelægges visitationsudvalget."),
    ),
    "SI_FAMDOGN": (_F(_V1, 0, 12, None, 6, 135000,
        "Døgnophold for hele familien kan bevilges i højst 6 måneder til familier med børn "
        "0-12 år."),),
    "SI_AFLAST": (_F(_V1, 4, 17, 6, 24, 15000,
        "Aflastning kan bevilges i op til 6 døgn om måneden i højst 24 måneder ad gangen til "
        "børn 4-17 år."),),
    "ANB_NETV": (_F(_V1, 0, 17, None, None, 16000,
        "Netværkspleje: dækning af udgifter og højst 2 vederlag, i alt højst 16.000 kr. om "
        "måneden."),),
    "ANB_PLEJE": (
        _F(_V1, 0, 17, None, None, 52000,
           "Almen plejefamilie: vederlag efter KL's takst og omkostningsbeløb, i alt højst "
           "52.000 kr. om måneden."),
        _F(_V2, 0, 17, None, None, 60000,
           "Almen plejefamilie: vederlag efter KL's takst og omkostningsbeløb, i alt højst "
           "60.000 kr. om måneden (reguleret fra 2025)."),
    ),
    "ANB_FORST": (_F(_V1, 3, 17, None, None, 75000,
        "Forstærket plejefamilie til børn 3-17 år, højst 75.000 kr. om måneden."),),
    "ANB_SPEC": (_F(_V1, 3, 17, None, None, 110000,
        "Specialiseret plejefamilie til børn 3-17 år, højst 110.000 kr. om måneden."),),
    "ANB_EGETVAER": (_F(_V1, 15, 17, None, 24, 25000,
        "Eget værelse eller kollegium til unge 15-17 år i højst 24 måneder, højst 25.000 kr. "
        "om måneden."),),
    "ANB_DOGNINST": (
        _F(_V1, 10, 17, None, 36, 140000,
           "Døgninstitution til børn og unge 10-17 år i højst 36 måneder før ny visitation, "
           "højst 140.000 kr. om måneden."),
        _F(_V2, 10, 17, None, 36, 155000,
           "Døgninstitution til børn og unge 10-17 år i højst 36 måneder før ny visitation, "
           "højst 155.000 kr. om måneden (reguleret fra 2025)."),
    ),
    "ANB_OPHOLD": (
        _F(_V1, 8, 17, None, 36, 140000,
           "Opholdssted til børn og unge 8-17 år i højst 36 måneder før ny visitation, højst "
           "140.000 kr. om måneden."),
        _F(_V2, 8, 17, None, 36, 155000,
           "Opholdssted til børn og unge 8-17 år i højst 36 måneder før ny visitation, højst "
           "155.000 kr. om måneden (reguleret fra 2025)."),
    ),
    "ANB_KOST": (_F(_V1, 14, 17, None, 12, 20000,
        "Efterskole eller kostskole til unge 14-17 år for ét skoleår ad gangen, højst "
        "20.000 kr. om måneden."),),
    "UNG_KONTAKT": (
        _F(_V1, 18, 22, 4, 24, 9000,
           "Kontaktperson til unge 18-22 år i op til 4 timer om ugen i højst 24 måneder."),
        _F(_V2, 18, 22, 3, 18, 9500,
           "Kontaktperson til unge 18-22 år i op til 3 timer om ugen i højst 18 måneder."),
    ),
    "UNG_DOGN": (_F(_V1, 18, 22, None, 36, 85000,
        "Opretholdt døgnophold til unge 18-22 år i højst 36 måneder, højst 85.000 kr. om "
        "måneden."),),
    "UNG_UDSLUS": (_F(_V1, 18, 22, None, 12, 20000,
        "Udslusningsordning til unge 18-22 år i højst 12 måneder."),),
}
# fmt: on

REASON_WEIGHTS = {"age": 0.15, "extent": 0.25, "duration": 0.35, "price": 0.25}


@dataclass
class DemoSummary:
    """What build_demo wrote."""

    registrations: int
    frames: int
    budgets: int
    as_of: dt.date


class DemoRefused(Exception):
    """Danish message: the store has real imports; use --force."""


# --- date helpers (days and months since 1970) ---------------------------------------------


def _day(d: dt.date) -> int:
    return (d - EPOCH).days


# Lookup tables (1970-2130): a day's month, and a month's first day. Indexing a table is
# much faster than converting through datetime64 for millions of rows.
_MONTHS = np.arange(0, 161 * 12, dtype=np.int64)
_FIRST_DAY = _MONTHS.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
_MONTH_OF_DAY = np.repeat(_MONTHS[:-1], np.diff(_FIRST_DAY))


def _month_of(days: np.ndarray) -> np.ndarray:
    """Months since January 1970 of day numbers (days since 1970-01-01)."""
    return np.asarray(_MONTH_OF_DAY[days])


def _first_day(months: np.ndarray) -> np.ndarray:
    """Day number of the first day of months (since January 1970)."""
    return np.asarray(_FIRST_DAY[months])


def _add_months(days: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Add calendar months; a day past the target month's end lands on its last day."""
    m = _month_of(days)
    dom = days - _first_day(m)
    target = m + months
    first = _first_day(target)
    return np.asarray(first + np.minimum(dom, _first_day(target + 1) - first - 1))


def _year_frac(days: np.ndarray) -> np.ndarray:
    return 1970.0 + days / 365.2425


# --- drawing one type ----------------------------------------------------------------------


def _age_table(ages: Ages) -> tuple[np.ndarray, np.ndarray]:
    values, weights = [], []
    for lo, hi, w in ages:
        for a in range(lo, hi + 1):
            values.append(a)
            weights.append(w)
    p = np.array(weights, dtype=float)
    return np.array(values, dtype=np.int64), p / p.sum()


def _choice(
    rng: np.random.Generator, n: int, weights: tuple[float, ...] | np.ndarray
) -> np.ndarray:
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())


class _Window:
    """The months in which allocations of a type may start, weighted by season and trend."""

    def __init__(
        self, first_month: int, last_month: int, today: dt.date, growth: float, start_month: int
    ) -> None:
        self.months = np.arange(first_month, last_month + 1, dtype=np.int64)
        first = _first_day(self.months)
        self.days_in = _first_day(self.months + 1) - first
        month_no = self.months % 12
        season = SEASON / np.average(
            SEASON, weights=[31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        )
        if start_month:
            season = np.where(np.arange(12) == start_month - 1, 1.0, 0.0)
        year = np.clip(_year_frac(first + 15), DATA_START.year, _year_frac(np.array(_day(today))))
        trend = (1.0 + growth) ** (year - TREND_BASE_YEAR)
        self.weights = self.days_in * season[month_no] * trend
        self.start_month = start_month
        # The window's length in days at the base year's rate of starts: n starts in the
        # window give n / day_equivalents starts a day (averaged over a year).
        per_day = 1.0 if not start_month else 31 / 365.2425
        self.day_equivalents = self.weights.sum() / per_day

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        idx = rng.choice(len(self.months), size=n, p=self.weights / self.weights.sum())
        first = _first_day(self.months[idx])
        if self.start_month:  # boarding school: starts in the first three weeks of August
            return first + rng.integers(0, 21, size=n)
        return np.asarray(first + np.floor(rng.random(n) * self.days_in[idx]).astype(np.int64))


def _frame_arrays(code: str, start: np.ndarray, today: dt.date) -> dict[str, np.ndarray]:
    """The limits of the frame version in force for each start (the first one before it).

    Allocations that started before the first frame are drawn to the first frame's limits
    too (the practice was the same), but the figures show them as ``no_frame``.
    """
    versions = _frames_for(code, today)
    n = len(start)
    out = {
        "age_min": np.full(n, -1, dtype=np.int64),
        "age_max": np.full(n, 99, dtype=np.int64),
        "max_extent": np.full(n, np.nan),
        "max_months": np.zeros(n, dtype=np.int64),
        "max_monthly": np.full(n, np.nan),
    }
    if not versions:
        return out
    froms = np.array([_day(f.valid_from) for f in versions])
    v = np.clip(np.searchsorted(froms, start, side="right") - 1, 0, None)
    for key, attr, missing in (
        ("age_min", "age_min", -1),
        ("age_max", "age_max", 99),
        ("max_extent", "max_extent", np.nan),
        ("max_months", "max_months", 0),
        ("max_monthly", "max_monthly", np.nan),
    ):
        vals = [getattr(f, attr) for f in versions]
        table = np.array([missing if x is None else x for x in vals])
        out[key] = table[v]
    return out


def _frames_for(code: str, today: dt.date) -> tuple[_Frame, ...]:
    """The frame versions of a type known on ``today`` (a revision is decided ahead)."""
    horizon = today + dt.timedelta(days=366)
    return tuple(f for f in FRAMES.get(code, ()) if f.valid_from <= horizon)


def _age_limit_day(birth_month: np.ndarray, cat: int | np.ndarray) -> np.ndarray:
    """The last day before the 18th birthday (23rd for young adults of category 3)."""
    years = np.where(np.asarray(cat) == 3, 23, 18)
    return _first_day(birth_month + 12 * years) - 1


def _round_step(x: np.ndarray, step: float) -> np.ndarray:
    return np.round(x / step) * step


def _draw_type(
    spec: _Spec, cat: int, n: int, window: _Window, rng: np.random.Generator, today: dt.date
) -> dict[str, np.ndarray]:
    """Draw n allocations of one type (all columns, plus the true end and flags)."""
    start = window.draw(rng, n)
    years_since_base = (start - _day(PRICE_BASE)) / 365.2425
    inflation = (1.0 + INFLATION) ** years_since_base
    # Price variant and cost period.
    if spec.foster is not None:
        period = np.full(n, P_MONTH, dtype=np.int64)
        variant = np.zeros(n, dtype=np.int64)
    else:
        variant = _choice(rng, n, tuple(p[0] for p in spec.prices))
        period = np.array([_PERIOD_CODES[p[1]] for p in spec.prices])[variant]
    once = period == P_ONCE

    lim = _frame_arrays(spec.code, start, today)
    framed = bool(_frames_for(spec.code, today))

    # Which checks each allocation fails on purpose.
    hard_max = 22 if cat == 3 else 17
    age_lo_ok = (lim["age_min"] >= 1) & (lim["age_min"] < 99)
    age_hi_ok = lim["age_max"] < hard_max
    applicable = {
        "age": age_lo_ok | age_hi_ok,
        "extent": ~np.isnan(lim["max_extent"]),
        "duration": (lim["max_months"] > 0) & ~once,
        # An hourly price is over the frame through more hours (extent), not the rate.
        "price": ~np.isnan(lim["max_monthly"]) & ~once & (period != P_HOUR),
    }
    reasons = list(REASON_WEIGHTS)
    w = np.stack([applicable[r] * REASON_WEIGHTS[r] for r in reasons], axis=1).astype(float)
    any_app = w.sum(axis=1) > 0
    deviant = framed & any_app & (rng.random(n) < spec.deviate)
    cum = np.cumsum(w, axis=1) / np.where(any_app, w.sum(axis=1), 1.0)[:, None]
    first_reason = (rng.random(n)[:, None] > cum).sum(axis=1)
    u_second = rng.random(n)
    second_reason = (u_second[:, None] > cum).sum(axis=1)
    two = rng.random(n) < 0.15
    dev = {}
    for i, r in enumerate(reasons):
        dev[r] = deviant & applicable[r] & ((first_reason == i) | (two & (second_reason == i)))

    # Age at start and birth month (the first day of a month).
    age_values, age_p = _age_table(spec.ages)
    age = age_values[rng.choice(len(age_values), size=n, p=age_p)]
    if framed:
        age = np.clip(age, np.maximum(lim["age_min"], 0), np.minimum(lim["age_max"], hard_max))
        below = lim["age_min"] - 1 - ((rng.random(n) < 0.4) & (cat != 3))
        above = np.minimum(lim["age_max"] + 1 + (rng.random(n) < 0.4), hard_max)
        use_below = age_lo_ok & (~age_hi_ok | (rng.random(n) < 0.7))
        age = np.where(dev["age"], np.where(use_below, np.maximum(below, 0), above), age)
    start_month = _month_of(start)
    birth_month = start_month - 12 * age - rng.integers(0, 12, size=n)

    # Extent.
    if spec.extent is not None:
        med, sig, lo, hi, step = spec.extent
        extent = _round_step(np.clip(med * np.exp(rng.normal(0, sig, n)), lo, hi), step)
        extent = np.maximum(extent, step)
        max_ext = lim["max_extent"]
        has_ext = ~np.isnan(max_ext)
        pushed = np.ceil(max_ext * rng.uniform(1.2, 1.8, n) / step) * step
        extent = np.where(has_ext & dev["extent"], np.maximum(extent, pushed), extent)
        extent = np.where(has_ext & ~dev["extent"], np.minimum(extent, max_ext), extent)
    else:
        extent = np.full(n, np.nan)

    # Price: amount in the cost period's unit, and the monthly cost it gives (metrics.md).
    if spec.foster is not None:
        counts, weights, expenses = spec.foster
        n_vederlag = np.array(counts)[_choice(rng, n, weights)]
        year = np.floor(_year_frac(start))
        vederlag = np.round(KL_VEDERLAG_2023 * (1.0 + INFLATION) ** (year - 2023))
        amount = n_vederlag * vederlag + np.round(
            expenses * inflation * np.exp(rng.normal(0, 0.2, n)), -1
        )
    else:
        medians = np.array([p[2] for p in spec.prices])[variant]
        sigmas = np.array([p[3] for p in spec.prices])[variant]
        amount = medians * inflation * np.exp(rng.normal(0, 1, n) * sigmas)
        amount = np.where(period == P_HOUR, np.round(amount), np.round(amount, -1))
    per_extent = period == P_MONTH_X
    amount = np.where(per_extent, amount * np.nan_to_num(extent), amount)
    period = np.where(per_extent, P_MONTH, period)
    factor = _monthly_factor(period, extent)
    max_monthly = lim["max_monthly"]
    has_price = ~np.isnan(max_monthly) & ~once
    with np.errstate(invalid="ignore", divide="ignore"):
        pushed = np.ceil(max_monthly * rng.uniform(1.03, 1.35, n) / factor)
        capped = np.floor(max_monthly / factor)
    amount = np.where(has_price & dev["price"], np.maximum(amount, pushed), amount)
    amount = np.where(
        has_price & ~dev["price"] & ~dev["extent"], np.minimum(amount, capped), amount
    )

    # Duration: long-tailed, ends at 18 (at 23 for young adults), within the frame's months.
    median, sigma = spec.duration
    if spec.start_month:  # a school year, ending late June; some leave early
        june = _first_day((start_month // 12 + 1) * 12 + 5) + 23 + rng.integers(0, 7, n)
        days = june - start + 1
        leave = rng.random(n) < 0.15
        days = np.where(leave, np.maximum(30, days * rng.uniform(0.15, 0.9, n)), days)
    else:
        days = np.maximum(1, np.round(median * np.exp(rng.normal(0, sigma, n))))
    days = np.where(once, 1, days).astype(np.int64)
    end = start + days - 1
    months = lim["max_months"]
    has_dur = (months > 0) & ~once
    frame_last = _add_months(start, months) - 1
    end = np.where(has_dur & ~dev["duration"], np.minimum(end, frame_last), end)
    end = np.where(
        has_dur & dev["duration"], np.maximum(end, frame_last + rng.integers(20, 300, n)), end
    )
    end = np.maximum(start, np.minimum(end, _age_limit_day(birth_month, cat)))

    decision = start - 1 - np.minimum(120, np.round(np.exp(rng.normal(np.log(14), 0.7, n))))
    provider = np.array([PROVIDERS.index(p) if p else -1 for p, _ in spec.providers])[
        _choice(rng, n, tuple(w for _, w in spec.providers))
    ]
    approved = np.where(deviant, rng.random(n) < 0.5, rng.random(n) < 0.05)
    return {
        "start": start,
        "end": end,
        "birth_month": birth_month,
        "age": age,
        "extent": extent,
        "amount": amount,
        "period": period,
        "approved": approved,
        "decision": decision.astype(np.int64),
        "provider": provider,
        "age_deviant": dev["age"],
    }


def _monthly_factor(period: np.ndarray, extent: np.ndarray) -> np.ndarray:
    """monthly cost = amount x factor (metrics.md: daily cost x 365 / 12); NaN for once."""
    factor = np.array([sql.DAYS_PER_MONTH, 365 / 84, 1.0, 1 / 12, np.nan, np.nan, np.nan])[period]
    return np.asarray(np.where(period == P_HOUR, np.nan_to_num(extent) * 365 / 84, factor))


def _draw_all(
    rng: np.random.Generator,
    today: dt.date,
    scale: float,
    codes: dict[str, int],
    cats: dict[str, int],
) -> dict[str, np.ndarray]:
    """Draw every type's allocations, sized so the average stock per type hits its target.

    By Little's law the average number active is (starts a day) x (mean duration); the mean
    duration (after the caps at 18 and at the frame) is measured on a pilot draw.
    """
    last_month = int(_month_of(np.array(_day(today) + PLANNING_HORIZON_DAYS)))
    parts: list[dict[str, np.ndarray]] = []
    for spec in SPECS:
        cat = cats[spec.code]
        warm_years = 16 if cat == 2 else 3
        first_month = (DATA_START.year - 1970 - warm_years) * 12
        window = _Window(first_month, last_month, today, TREND[cat], spec.start_month)
        if spec.per_year:
            n = round(spec.per_year * scale * window.day_equivalents / 365.2425)
        else:
            pilot = _draw_type(spec, cat, PILOT_SIZE, window, rng, today)
            mean_days = float(np.mean(pilot["end"] - pilot["start"] + 1))
            n = round(spec.stock * scale * window.day_equivalents / mean_days)
        part = _draw_type(spec, cat, n, window, rng, today)
        # The extract: what ran on or after DATA_START and was decided by today.
        keep = (part["end"] >= _day(DATA_START)) & (part["decision"] <= _day(today))
        part = {k: v[keep] for k, v in part.items()}
        m = int(keep.sum())
        part["type"] = np.full(m, codes[spec.code], dtype=np.int64)
        part["cat"] = np.full(m, cat, dtype=np.int64)
        parts.append(part)
    # Column by column, each part's array freed once joined: the peak is one column, not a
    # second copy of every draw (10M allocations at scale 680).
    return {k: np.concatenate([p.pop(k) for p in parts]) for k in list(parts[0])}


def _link_citizens(
    rows: dict[str, np.ndarray], rng: np.random.Generator, today: dt.date, ung_dogn: int
) -> np.ndarray:
    """Make about 30 % of the allocations later ones of a child that had an earlier one.

    A later allocation takes the citizen and birth month of an earlier allocation (of a
    category that may precede it) whose child has the same age at its start. A placement
    after a placement, or continued care after one, starts after the earlier one ended.
    Returns the citizen number of each allocation.
    """
    n = len(rows["start"])
    citizen = np.arange(n, dtype=np.int64)
    follower = (rng.random(n) < FOLLOW_SHARE) & ~rows["age_deviant"]
    anchor = ~follower
    cat = rows["cat"]
    bm = rows["birth_month"]
    start_month = _month_of(rows["start"])
    for c, preds in PREDECESSORS.items():
        f_idx = np.flatnonzero(follower & (cat == c))
        pool = np.flatnonzero(anchor & np.isin(cat, preds))
        if len(f_idx) == 0 or len(pool) == 0:
            continue
        pool = pool[np.argsort(bm[pool], kind="stable")]
        pos = np.searchsorted(bm[pool], bm[f_idx]) + rng.integers(-6, 6, size=len(f_idx))
        a = pool[np.clip(pos, 0, len(pool) - 1)]
        new_age = (start_month[f_idx] - bm[a]) // 12
        ok = (rows["start"][a] < rows["start"][f_idx]) & (new_age == rows["age"][f_idx])
        sequential = (cat[a] == 2) & ((c == 2) | (rows["type"][f_idx] == ung_dogn))
        ok &= ~sequential | (rows["end"][a] < np.minimum(rows["start"][f_idx], _day(today)))
        f_idx, a = f_idx[ok], a[ok]
        if c == 2:  # one later placement per child
            _, first = np.unique(a, return_index=True)
            f_idx, a = f_idx[first], a[first]
        citizen[f_idx] = a
        bm[f_idx] = bm[a]
    return citizen


def _pseudonyms(citizen: np.ndarray, seed: int) -> np.ndarray:
    """Distinct 40-bit numbers for distinct citizens (a bijection on 40 bits)."""
    mask = np.uint64((1 << 40) - 1)
    x = (citizen.astype(np.uint64) + np.uint64((seed * 7919 + 12345) % (1 << 40))) & mask
    x = (x * np.uint64(0x9E3779B97F4A7C15 & ((1 << 40) - 1) | 1)) & mask
    x ^= x >> np.uint64(19)
    x = (x * np.uint64(0xBF58476D1CE4E5B9 & ((1 << 40) - 1) | 1)) & mask
    x ^= x >> np.uint64(23)
    return x.astype(np.int64)


def _teams(
    rows: dict[str, np.ndarray],
    citizen: np.ndarray,
    rng: np.random.Generator,
    handicap: np.ndarray,
    ung_cat: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Team and caseworker: a district per child, handicap and youth teams by type and age."""
    n = len(citizen)
    h = _pseudonyms(citizen, 1)
    team = (h % 4).astype(np.int64)
    team = np.where(rng.random(n) < handicap, 4, team)
    youth = (rows["cat"] == ung_cat) | (
        (rows["age"] >= 15) & (rows["cat"] != 2) & (rng.random(n) < 0.35)
    )
    team = np.where(youth & (team != 4), 5, team)
    first = np.array([c[0] for c in CASEWORKERS])[team]
    size = np.array([c[1] for c in CASEWORKERS])[team]
    caseworker = first + (h >> 8) % size
    moved = rng.random(n) < 0.15  # the child got a new caseworker
    caseworker = np.where(moved, first + rng.integers(0, 1000, n) % size, caseworker)
    no_team = rng.random(n) < NO_TEAM_SHARE
    team = np.where(no_team, -1, team)
    return team, caseworker


def _reference() -> list[dict[str, str]]:
    with store_mod.REFERENCE_CSV.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _rows_frame(
    rng: np.random.Generator, today: dt.date, scale: float, seed: int
) -> tuple[pa.Table, list[str], list[str]]:
    """All registrations as numeric columns, plus the type codes and legal bases they index."""
    ref = _reference()
    codes = {r["code"]: i for i, r in enumerate(ref)}
    cats = {r["code"]: CATEGORIES.index(r["category"]) for r in ref}
    bases = []
    for r in ref:
        bases += [r["basis_serviceloven"], "BL " + r["basis_barnets_lov"]]
    rows = _draw_all(rng, today, scale, codes, cats)
    n = len(rows["start"])
    citizen = _link_citizens(rows, rng, today, codes["UNG_DOGN"])
    # Re-check the end at 18 (23) with the birth month a later allocation may have taken.
    rows["end"] = np.maximum(
        rows["start"],
        np.minimum(rows["end"], _age_limit_day(rows["birth_month"], rows["cat"])),
    )
    # Running after today: some are registered without an end date.
    open_share = np.array([0.3] * len(ref))
    handicap_by_type = np.zeros(len(ref))
    for spec in SPECS:
        open_share[codes[spec.code]] = spec.open_share
        handicap_by_type[codes[spec.code]] = spec.handicap
    once = rows["period"] == P_ONCE
    is_open = (rows["end"] > _day(today)) & ~once & (rng.random(n) < open_share[rows["type"]])
    end = np.where(is_open, -1, rows["end"])
    team, caseworker = _teams(rows, citizen, rng, handicap_by_type[rows["type"]], 3)
    law = np.where(rows["start"] >= _day(BARNETS_LOV_FROM), 1, 0)
    basis = np.where(rng.random(n) < 0.03, -1, rows["type"] * 2 + law)
    unit_by_type = np.full(len(ref), -1)
    for spec in SPECS:
        if spec.unit:
            unit_by_type[codes[spec.code]] = UNITS.index(spec.unit)
    # Registration ids in order of start, ties in random order.
    order = np.argsort(rows["start"] * (1 << 24) + rng.integers(0, 1 << 24, n))
    df = pa.table(
        {
            "line_no": np.arange(1, n + 1, dtype=np.int64),
            "cid": _pseudonyms(citizen, seed)[order],
            "birth_d": _first_day(rows["birth_month"])[order].astype(np.int32),
            "type_i": rows["type"][order].astype(np.int16),
            "start_d": rows["start"][order].astype(np.int32),
            "end_d": end[order].astype(np.int32),
            "extent": rows["extent"][order],
            "unit_i": unit_by_type[rows["type"]][order].astype(np.int16),
            "amount": rows["amount"][order].astype(np.float64),
            "period_i": rows["period"][order].astype(np.int16),
            "approved": rows["approved"][order],
            "decision_d": rows["decision"][order].astype(np.int32),
            "team_i": team[order].astype(np.int16),
            "cw": caseworker[order].astype(np.int16),
            "provider_i": rows["provider"][order].astype(np.int16),
            "basis_i": basis[order].astype(np.int16),
        }
    )
    return df, [r["code"] for r in ref], bases


def _lookup(index: str, values: list[str] | tuple[str, ...]) -> str:
    return f"CASE WHEN {index} < 0 THEN NULL ELSE list_extract({sql.literal(list(values))}, {index} + 1) END"


def _insert_rows(
    store: store_mod.Store, df: pa.Table, types: list[str], bases: list[str], today: dt.date
) -> int:
    exprs = {
        "registration_id": "printf('DEMO-%07d', line_no)",
        "citizen_id": "printf('D%010x', cid)",
        "birth_date": "DATE '1970-01-01' + birth_d",
        "age_at_start": "NULL",
        "intervention_type": _lookup("type_i", types),
        "start_date": "DATE '1970-01-01' + start_d",
        "end_date": "CASE WHEN end_d < 0 THEN NULL ELSE DATE '1970-01-01' + end_d END",
        "extent": "CASE WHEN isnan(extent) THEN NULL ELSE extent END",
        "extent_unit": _lookup("unit_i", UNITS),
        "cost_amount": "amount",
        "cost_period": _lookup("period_i", PERIODS),
        "committee_approved": "approved",
        "decision_date": "DATE '1970-01-01' + decision_d",
        "team": _lookup("team_i", TEAMS),
        "caseworker": "printf('SB%02d', cw)",
        "provider": _lookup("provider_i", PROVIDERS),
        "legal_basis": _lookup("basis_i", bases),
    }
    select = ",\n    ".join(
        f"({exprs[c]})::{t} AS {c}" for c, t in store_mod.REGISTRATION_COLUMNS.items()
    )
    cur = store.cursor()
    cur.register("demo_df", df)
    try:
        cur.execute(
            f"CREATE OR REPLACE TEMP TABLE demo_rows AS SELECT line_no::BIGINT AS line_no,\n"
            f"    {select}\nFROM demo_df ORDER BY line_no"
        )
    finally:
        cur.unregister("demo_df")
    n = len(df)
    write_batch(
        store,
        demo=True,
        file_name="demodata",
        sha256=None,
        mode="upsert",
        rows_read=n,
        data_as_of_date=today,
        rejections=[],
        source_table="demo_rows",
    )
    cur.execute("DROP TABLE IF EXISTS demo_rows")
    return n


# --- frames and budgets --------------------------------------------------------------------


def _frame_rows(today: dt.date) -> list[dict[str, object]]:
    units = {s.code: s.unit for s in SPECS}
    return [
        {
            "intervention_type": code,
            "valid_from": f.valid_from,
            "age_min": f.age_min,
            "age_max": f.age_max,
            "max_extent": None if f.max_extent is None else float(f.max_extent),
            "extent_unit": units[code] if f.max_extent is not None else None,
            "max_duration_months": f.max_months,
            "max_monthly_cost": None if f.max_monthly is None else float(f.max_monthly),
            "description": f.description,
        }
        for code in FRAMES
        for f in _frames_for(code, today)
    ]


def _projected_by_year(
    store: store_mod.Store, years: list[int], today: dt.date
) -> dict[tuple[int, str], float]:
    """Return projected spend (realised + committed as of today) per year and type, if > 0.

    Measured as the key figures measure a year (``figures.measures_sql``), in one query of
    registrations x the years they run in: a year is the key figures' period.
    """
    query = f"""
        WITH {ENRICHED_SQL},
        years AS (
            SELECT y, make_date(y, 1, 1) AS y_from, make_date(y, 12, 31) AS y_to
            FROM range($first, $last + 1) AS t(y)
        ),
        measured AS (
            SELECT yr.y, e.intervention_type, {measures_sql("yr.y_from", "yr.y_to")}
            FROM enriched e
            JOIN years yr ON {sql.runs_in_sql("e", "yr.y_from", "yr.y_to")}
        )
        SELECT y, intervention_type, sum(realized + committed) AS projected
        FROM measured GROUP BY ALL HAVING sum(realized + committed) > 0
    """
    rows = (
        store.cursor()
        .execute(query, {"first": years[0], "last": years[-1], "as_of": today})
        .fetchall()
    )
    return {(int(y), str(code)): float(v) for y, code, v in rows}


def _budget_rows(store: store_mod.Store, today: dt.date, seed: int) -> list[list[object]]:
    """A budget per year 2021..next year and type, near the projected spend (some over)."""
    years = list(range(min(2021, today.year), today.year + 1))
    spend = _projected_by_year(store, years, today)
    avg = (
        store.cursor()
        .execute(
            """
        SELECT y, intervention_type,
            sum(greatest(0, date_diff('day', greatest(start_date, make_date(y, 1, 1)),
                least(coalesce(end_date, make_date(y, 12, 31)), make_date(y, 12, 31))) + 1))
            / (date_diff('day', make_date(y, 1, 1), make_date(y, 12, 31)) + 1)
        FROM registrations, range(?, ?) AS t(y)
        WHERE start_date <= make_date(y, 12, 31)
            AND coalesce(end_date, make_date(y, 12, 31)) >= make_date(y, 1, 1)
        GROUP BY y, intervention_type
        """,
            [years[0], years[-1] + 1],
        )
        .fetchall()
    )
    active = {(int(y), code): float(a) for y, code, a in avg}
    next_year = today.year + 1
    for (y, code), value in list(spend.items()):
        if y == today.year:
            spend[(next_year, code)] = value * (1.0 + INFLATION)
            active[(next_year, code)] = active.get((y, code), 0.0)
    rng = np.random.default_rng([seed, 2])
    rows: list[list[object]] = []
    for y, code in sorted(spend):
        # Off by 1-10 %, over or under, decided per (year, type).
        off = rng.uniform(0.01, 0.10) * (1 if rng.random() < 0.5 else -1)
        budget = max(10000.0, round(spend[(y, code)] * (1 + off) / 10000) * 10000.0)
        # A stress store far larger than any municipality (scale 680) stays within the bound.
        budget = min(budget, float(bounds.MAX_BUDGET_DKK))
        planned = round(active.get((y, code), 0.0) * rng.uniform(0.95, 1.05))
        rows.append([y, code, budget, planned])
    return rows


# --- build ---------------------------------------------------------------------------------


def _has_real_imports(p: Path) -> bool:
    open_store = store_mod.find_open_store(p)
    sql = "SELECT count(*) FROM import_batches WHERE kind = 'import'"
    if open_store is not None and open_store.conn.con is not None:
        return bool(store_mod.scalar(open_store.cursor(), sql) > 0)
    with store_mod.connected(p, read_only=True) as con:
        has = store_mod.scalar(
            con,
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'import_batches'",
        )
        return bool(has) and bool(store_mod.scalar(con, sql) > 0)


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def build_demo(
    path: str | os.PathLike[str] | None = None,
    *,
    seed: int = 2026,
    scale: float = 1.0,
    today: dt.date | None = None,
    force: bool = False,
    progress: Callable[[float, str], None] | None = None,
) -> DemoSummary:
    """Build a new store at path (resolve_db_path(path)) holding the demo municipality."""
    today = today or periods.today()
    report = progress or (lambda _f, _t: None)
    p = store_mod.resolve_db_path(path)
    if p.exists() and not force and _has_real_imports(p):
        raise DemoRefused(
            "Databasen indeholder indlæste data. Brug --force for at erstatte den med demodata."
        )
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(p.name + ".tmp-build")
    stale = store_mod.find_open_store(tmp)
    if stale is not None:
        stale.close()
    _remove(tmp)
    _remove(_wal(tmp))

    report(0.1, "Danner bevillinger…")
    rng = np.random.default_rng(seed)
    df, types, bases = _rows_frame(rng, today, scale, seed)

    store = store_mod.open_store(tmp)
    try:
        # The frames first: the registrations' facts are then prepared once, on insert.
        n_frames = add_frames(store, _frame_rows(today), demo=True)
        report(0.6, "Gemmer i databasen…")
        n = _insert_rows(store, df, types, bases, today)
        del df
        with store.write() as cur:
            cur.execute("INSERT OR REPLACE INTO meta VALUES ('is_demo', 'true')")
            cur.execute("INSERT OR REPLACE INTO meta VALUES ('demo_seed', ?)", [str(seed)])
        report(0.9, "Budgetter…")
        n_budgets = set_budgets(store, _budget_rows(store, today, seed), demo=True)
        store.close()
    except BaseException:
        with contextlib.suppress(Exception):
            store.close()
        _remove(tmp)
        _remove(_wal(tmp))
        _remove(store_mod.lock_path(tmp))
        shutil.rmtree(store_mod.spill_dir(tmp), ignore_errors=True)
        raise
    _remove(_wal(tmp))
    # The build's own turnstile and spill folder: nobody else opens the build file.
    _remove(store_mod.lock_path(tmp))
    shutil.rmtree(store_mod.spill_dir(tmp), ignore_errors=True)
    # The dashboard may be running on the store: the file is replaced while nobody has it.
    with store_mod.exclusive(p):
        os.replace(tmp, p)
        _remove(_wal(p))
    report(1.0, "Færdig")
    return DemoSummary(registrations=n, frames=n_frames, budgets=n_budgets, as_of=today)
